"""Rate limits per client address for the actions people can abuse (booking, managing, login).

In Redis when REDIS_URL is set, so that every worker shares one count (the `limits` library's
moving window). Without Redis, the same moving window in this process's memory: `InProcessWindow`
rather than the library's memory storage, whose expiry thread walks every key a hundred times a
second while requests come in (with a few thousand patients' addresses in a ten-minute window
that was a tenth of a booking's CPU).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from web.core.i18n import N_
from web.http.state import state_of

log = logging.getLogger(__name__)

DEFAULT_LIMITS = {
    "booking": "10 per 10 minutes",
    "manage": "20 per 10 minutes",
    "login": "10 per 10 minutes",
}


class Limiter(Protocol):
    def hit(self, item: RateLimitItem, *identifiers: str) -> bool: ...

    def test(self, item: RateLimitItem, *identifiers: str) -> bool: ...


class InProcessWindow:
    """A moving window per key: the times of the hits still inside it, oldest first. Keys whose
    last hit has left its window are dropped in one sweep a minute, and at most `max_keys` are
    kept: past that the key hit least recently is forgotten first, so a flood of made-up
    addresses costs a bounded amount of memory (README: about 3 MB per worker at the default).
    """

    SWEEP_EVERY = 60.0
    MAX_KEYS = 10_000

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, max_keys: int = MAX_KEYS
    ) -> None:
        self._clock = clock
        self._max_keys = max_keys
        # key: (window, hit times), least recently hit first
        self._hits: OrderedDict[str, tuple[float, list[float]]] = OrderedDict()
        self._lock = threading.Lock()
        self._next_sweep = clock() + self.SWEEP_EVERY

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        key, window, now = item.key_for(*identifiers), float(item.get_expiry()), self._clock()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            entry = self._hits.get(key)
            if entry is None:
                if len(self._hits) >= self._max_keys:
                    self._hits.popitem(last=False)
                entry = self._hits[key] = (window, [])
            else:
                self._hits.move_to_end(key)
            hits = entry[1]
            expired = 0
            while expired < len(hits) and hits[expired] <= now - window:
                expired += 1
            del hits[:expired]
            if len(hits) >= item.amount:
                return False
            hits.append(now)
            return True

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Whether a hit would be allowed now, without counting one."""
        key, window, now = item.key_for(*identifiers), float(item.get_expiry()), self._clock()
        with self._lock:
            entry = self._hits.get(key)
            hits = [moment for moment in entry[1] if moment > now - window] if entry else []
            return len(hits) < item.amount

    def __len__(self) -> int:
        return len(self._hits)

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self.SWEEP_EVERY
        idle = [
            key
            for key, (window, hits) in self._hits.items()
            if not hits or hits[-1] <= now - window
        ]
        for key in idle:
            del self._hits[key]


# Redis answers a rate-limit check in well under a millisecond; one that has not answered in a
# quarter of a second is down or stalled, and the request goes on without it.
REDIS_TIMEOUT = 0.25
# After a Redis failure, this many seconds of counting in this process before asking it again:
# a stalled Redis costs one request a quarter of a second, not every request.
REDIS_RETRY_AFTER = 5.0


@dataclass
class RateLimits:
    """The limits, counted in Redis when `shared` (all workers and hosts), else in this
    process. While Redis fails, each process counts on its own (`local`) instead: patients can
    still book, and a flood is still limited per worker."""

    limiter: Limiter
    items: dict[str, RateLimitItem]
    prefix: str
    shared: bool = False
    ticks: Callable[[], float] = time.monotonic  # seconds: the windows and the Redis pause
    local: Limiter = field(init=False)
    _skip_shared_until: float = 0.0

    def __post_init__(self) -> None:
        self.local = InProcessWindow(self.ticks)

    def allow(self, action: str, address: str, *, count: bool = True) -> bool:
        """Whether the action is allowed, counting this try unless `count` is false (the
        sign-in counts only its failures, through `count_failure`)."""
        limiter = self.limiter
        if self.shared and self.ticks() < self._skip_shared_until:
            limiter = self.local
        item = self.items[action]
        try:
            check = limiter.hit if count else limiter.test
            return check(item, self.prefix, action, address)
        except Exception as error:
            self._skip_shared_until = self.ticks() + REDIS_RETRY_AFTER
            log.warning(
                "rate limiter unavailable (%s); counting in this process for %.0f s",
                type(error).__name__,
                REDIS_RETRY_AFTER,
            )
            check = self.local.hit if count else self.local.test
            return check(item, self.prefix, action, address)

    def retry_after(self, action: str) -> int:
        return self.items[action].get_expiry()


def make_rate_limits(
    *,
    redis_url: str | None,
    overrides: dict[str, str],
    prefix: str = "clinic",
    ticks: Callable[[], float] = time.monotonic,
) -> RateLimits:
    """Counted in Redis when there is one (its windows run on Redis's time), else in this
    process, its windows measured by `ticks`."""
    items = {
        action: parse(overrides.get(action) or text) for action, text in DEFAULT_LIMITS.items()
    }
    if not redis_url:
        return RateLimits(limiter=InProcessWindow(ticks), items=items, prefix=prefix, ticks=ticks)
    storage = storage_from_string(
        redis_url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    return RateLimits(
        limiter=MovingWindowRateLimiter(storage),
        items=items,
        prefix=prefix,
        shared=True,
        ticks=ticks,
    )


UNKNOWN_ADDRESS = "unknown"
# One IPv6 subscriber usually holds a whole /64 and can take any address in it: counting each
# address on its own would give them 2**64 counts.
IPV6_GROUP = 64


def counted_address(host: str) -> str:
    """What the limits count a caller by: an IPv4 address, or the /64 an IPv6 address is in.
    A scope id (fe80::1%eth0) is dropped, an IPv4-mapped address counts as its IPv4 one, and
    anything that is not an IP address (a forged or broken X-Forwarded-For passed on by a
    trusted proxy) is "unknown": such callers share one count instead of choosing their own."""
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return UNKNOWN_ADDRESS
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_GROUP), strict=False))
    return str(address)


def client_address(request: Request) -> str:
    """The caller, as the limits count it; behind a proxy, uvicorn's --proxy-headers has
    already put the client's address in place of the proxy's."""
    return counted_address(request.client.host if request.client else "")


def warn_if_counted_per_worker(redis_url: str | None, workers: str | None) -> None:
    """Without Redis each worker process counts on its own: a limit of 10 admits 10 per worker."""
    if redis_url or workers == "1":
        return
    log.warning(
        "REDIS_URL is not set: each worker process keeps its own rate-limit counts, so with "
        "several workers a limit admits that many times more requests. Set REDIS_URL (or run "
        "one worker, WEB_CONCURRENCY=1)."
    )


async def _allowed(request: Request, action: str, *, count: bool) -> bool:
    """A check in Redis is a network call: it runs in a worker thread, never in the event
    loop, so a stalled Redis holds up no other request."""
    limits: RateLimits = state_of(request).rate_limits
    address = client_address(request)
    if limits.shared:
        allowed: bool = await run_in_threadpool(limits.allow, action, address, count=count)
        return allowed
    return limits.allow(action, address, count=count)


async def count_failure(request: Request, action: str) -> None:
    """A failed try of an action whose successes do not count (the sign-in)."""
    await _allowed(request, action, count=True)


async def enforce(request: Request, action: str, *, count: bool = True) -> None:
    """429 past the action's limit; `count=False` checks without counting this try."""
    limits: RateLimits = state_of(request).rate_limits
    allowed = await _allowed(request, action, count=count)
    if not allowed:
        raise HTTPException(
            429,
            N_(
                "You have tried this many times in a short while. Please wait a few minutes and "
                "try again, or call us."
            ),
            headers={"Retry-After": str(limits.retry_after(action))},
        )

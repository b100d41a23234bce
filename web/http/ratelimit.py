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
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.exceptions import HTTPException
from starlette.requests import Request

from web.core.i18n import N_

log = logging.getLogger(__name__)

DEFAULT_LIMITS = {
    "booking": "10 per 10 minutes",
    "manage": "20 per 10 minutes",
    "login": "10 per 10 minutes",
}


class Limiter(Protocol):
    def hit(self, item: RateLimitItem, *identifiers: str) -> bool: ...


class InProcessWindow:
    """A moving window per key: the times of the hits still inside it, oldest first. Keys whose
    last hit has left its window are dropped in one sweep a minute."""

    SWEEP_EVERY = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[str, tuple[float, deque[float]]] = {}  # key: (window, hit times)
        self._lock = threading.Lock()
        self._next_sweep = clock() + self.SWEEP_EVERY

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        key, window, now = item.key_for(*identifiers), float(item.get_expiry()), self._clock()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            hits = self._hits.setdefault(key, (window, deque()))[1]
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= item.amount:
                return False
            hits.append(now)
            return True

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self.SWEEP_EVERY
        idle = [key for key, (window, hits) in self._hits.items() if hits[-1] <= now - window]
        for key in idle:
            del self._hits[key]


@dataclass
class RateLimits:
    limiter: Limiter
    items: dict[str, RateLimitItem]
    prefix: str

    def allow(self, action: str, address: str) -> bool:
        try:
            return self.limiter.hit(self.items[action], self.prefix, action, address)
        except Exception:
            # A limiter outage (Redis down) must not lock patients out of booking: let it through.
            log.warning("rate limiter unavailable; request allowed")
            return True

    def retry_after(self, action: str) -> int:
        return self.items[action].get_expiry()


def make_rate_limits(
    *, redis_url: str | None, overrides: dict[str, str], prefix: str = "clinic"
) -> RateLimits:
    items = {
        action: parse(overrides.get(action) or text) for action, text in DEFAULT_LIMITS.items()
    }
    limiter: Limiter = InProcessWindow()
    if redis_url:
        limiter = MovingWindowRateLimiter(storage_from_string(redis_url))
    return RateLimits(limiter=limiter, items=items, prefix=prefix)


UNKNOWN_ADDRESS = "unknown"


def client_address(request: Request) -> str:
    """The caller's address; behind a proxy, uvicorn's --proxy-headers has already set it.

    Anything that is not an IP address (a forged or broken X-Forwarded-For passed on by a trusted
    proxy) is ignored: such callers share one "unknown" count instead of choosing their own key.
    """
    host = request.client.host if request.client else ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return UNKNOWN_ADDRESS


def warn_if_counted_per_worker(redis_url: str | None, workers: str | None) -> None:
    """Without Redis each worker process counts on its own: a limit of 10 admits 10 per worker."""
    if redis_url or workers == "1":
        return
    log.warning(
        "REDIS_URL is not set: each worker process keeps its own rate-limit counts, so with "
        "several workers a limit admits that many times more requests. Set REDIS_URL (or run "
        "one worker, WEB_CONCURRENCY=1)."
    )


def enforce(request: Request, action: str) -> None:
    limits: RateLimits = request.app.state.rate_limits
    if not limits.allow(action, client_address(request)):
        raise HTTPException(
            429,
            N_(
                "You have tried this many times in a short while. Please wait a few minutes and "
                "try again, or call us."
            ),
            headers={"Retry-After": str(limits.retry_after(action))},
        )

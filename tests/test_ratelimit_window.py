"""The in-process moving window (no Redis): the limit, recovery as hits leave the window, one
count per address and action, and idle keys forgotten."""

from __future__ import annotations

import ipaddress
import tracemalloc

import pytest
from limits import parse

from web.http.ratelimit import InProcessWindow, counted_address, make_rate_limits


class Ticking:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_moves_with_each_hit() -> None:
    clock = Ticking()
    window = InProcessWindow(clock)
    three = parse("3 per 10 seconds")
    assert [window.hit(three, "booking", "203.0.113.7") for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert window.hit(three, "booking", "198.51.100.9")  # another address counts on its own
    assert window.hit(three, "manage", "203.0.113.7")  # and another action
    clock.now += 9.9
    assert not window.hit(three, "booking", "203.0.113.7")  # a refused try is not counted
    clock.now += 0.2  # the first three hits have left the window
    assert [window.hit(three, "booking", "203.0.113.7") for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]


def test_idle_keys_are_forgotten_once_their_hits_leave_the_window() -> None:
    clock = Ticking()
    window = InProcessWindow(clock)
    one = parse("1 per 10 seconds")
    for number in range(100):
        window.hit(one, "booking", f"10.0.0.{number}")
    clock.now += 30
    window.hit(one, "booking", "10.0.1.1")
    assert len(window._hits) == 101  # no sweep yet: it runs once a minute
    clock.now += InProcessWindow.SWEEP_EVERY
    assert window.hit(one, "booking", "10.0.1.2")
    assert set(window._hits) == {one.key_for("booking", "10.0.1.2")}


# --- Issue 21.5 and 21.8: bounded memory; addresses as the limits count them -------------------


def test_fifty_thousand_addresses_stay_under_the_stated_cap() -> None:
    """README: at most 10,000 counted callers per worker, under 5 MB."""
    limits = make_rate_limits(redis_url=None, overrides={})
    window = limits.limiter
    assert isinstance(window, InProcessWindow)  # no Redis: the in-process window
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(50_000):
            assert limits.allow("booking", str(ipaddress.IPv4Address(0x0A000000 + number)))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(window) == InProcessWindow.MAX_KEYS
    assert grown < 5_000_000, grown


def test_the_oldest_caller_is_forgotten_first() -> None:
    clock = Ticking()
    window = InProcessWindow(clock, max_keys=3)
    one = parse("1 per minute")
    for address in ("a", "b", "c"):
        assert window.hit(one, address)
    assert not window.hit(one, "a")  # a is now the most recent
    assert window.hit(one, "d")  # b, least recently hit, makes room
    assert window.hit(one, "b") and not window.hit(one, "a") and len(window) == 3


@pytest.mark.parametrize(
    ("host", "counted"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("fe80::1%25" + "x" * 80, "fe80::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("not-an-address", "unknown"),
        ("", "unknown"),
    ],
)
def test_addresses_are_counted_by_what_one_caller_holds(host: str, counted: str) -> None:
    assert counted_address(host) == counted

"""The in-process moving window (no Redis): the limit, recovery as hits leave the window, one
count per address and action, and idle keys forgotten."""

from __future__ import annotations

from limits import parse

from web.http.ratelimit import InProcessWindow


class Ticking:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_moves_with_each_hit():
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


def test_idle_keys_are_forgotten_once_their_hits_leave_the_window():
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

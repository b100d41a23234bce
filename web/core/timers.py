"""Time the app measures, as opposed to the time of day it reads from its clock: how long a
rate-limit window lasts, how long free slots are kept, how long an answer may take.

Real by default. Tests pass timers they move by hand, so that no test sleeps to wait for a
window or a time-to-live to pass.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timers:
    ticks: Callable[[], float] = time.monotonic  # seconds, only ever compared with each other
    wait: Callable[[float], Awaitable[None]] = asyncio.sleep  # returns once that long has passed

"""The only thing that differs between sim and real: how time advances.

``SimClock`` steps in lock-step (the physics is the clock). ``WallClock`` keeps absolute
deadlines ``t0 + k * period`` so errors never accumulate, and when a tick is missed it
skips to the next future deadline instead of bursting several ticks back to back,
which would send a robot a burst of stale commands.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tick:
    index: int
    scheduled: float  # when this tick was due, seconds since start
    started: float  # when it actually began
    skipped: int  # ticks dropped just before this one because we were late

    @property
    def error(self) -> float:
        return self.started - self.scheduled


class Clock(Protocol):
    period: float

    def start(self) -> None: ...

    def next_tick(self) -> Tick: ...

    def now(self) -> float: ...


class SimClock:
    """Lock-step time: every tick is on schedule, and nothing ever waits."""

    def __init__(self, period: float) -> None:
        self.period = period
        self._index = -1

    def start(self) -> None:
        self._index = -1

    def now(self) -> float:
        return max(self._index, 0) * self.period

    def next_tick(self) -> Tick:
        self._index += 1
        at = self._index * self.period
        return Tick(self._index, at, at, 0)


class WallClock:
    """Absolute deadlines on the monotonic clock.

    Sleeps until ``spin`` seconds before the deadline, then busy-waits, because
    ``time.sleep`` alone overshoots by a scheduler quantum on a loaded machine.
    ``realtime=True`` asks the OS for FIFO scheduling of the loop thread (as real robot
    stacks do) so other busy processes cannot delay a tick; it falls back quietly when
    the process lacks the privilege.
    """

    def __init__(self, period: float, spin: float = 0.0005, realtime: bool = False) -> None:
        self.period = period
        self.spin = spin
        self.realtime = realtime
        self._t0 = 0.0
        self._index = -1

    def start(self) -> None:
        if self.realtime:
            elevate_thread_priority()
        self._t0 = time.perf_counter()
        self._index = -1

    def now(self) -> float:
        return time.perf_counter() - self._t0

    def next_tick(self) -> Tick:
        wanted = self._index + 1
        now = self.now()
        # Less than a period late: run now, late. A whole period or more: drop the missed
        # ticks and wait for the next deadline still in the future.
        next_future = math.floor(now / self.period) + 1
        self._index = next_future if now - wanted * self.period >= self.period else wanted
        skipped = self._index - wanted
        deadline = self._index * self.period
        self._wait_until(deadline)
        return Tick(self._index, deadline, self.now(), skipped)

    def _wait_until(self, deadline: float) -> None:
        remaining = deadline - self.now()
        if remaining > self.spin:
            time.sleep(remaining - self.spin)
        while self.now() < deadline:
            pass


def elevate_thread_priority(priority: int = 50) -> bool:
    """Best effort SCHED_FIFO for the calling thread; returns whether it took effect."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except (AttributeError, OSError) as exc:
        log.info("real-time scheduling unavailable (%s); keeping normal priority", exc)
        return False
    return True

"""The stale-action watchdog and health limits: reasons to stop the arm safely.

Without a fresh action the safety filter already holds position on the same tick. If no
fresh action arrives for ``park_after`` seconds (a dead or hung model, a lost server),
the loop parks the arm and cuts torque. Temperature and load are checked on every
observation that reports them (``extras["temperature"]``, ``extras["load"]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .types import Observation


@dataclass
class StaleActionWatchdog:
    park_after: float = 0.5  # seconds without a fresh action before park + torque off

    def __post_init__(self) -> None:
        self._last_fresh: float | None = None
        self.stale_ticks = 0

    def reset(self) -> None:
        self._last_fresh, self.stale_ticks = None, 0

    def check(self, now: float, fresh: bool) -> str | None:
        if fresh or self._last_fresh is None:
            self._last_fresh = now
            self.stale_ticks = 0 if fresh else self.stale_ticks + 1
            return None
        self.stale_ticks += 1
        if now - self._last_fresh >= self.park_after:
            return f"watchdog: no fresh action for {now - self._last_fresh:.2f} s"
        return None


@dataclass
class HealthLimits:
    max_temperature: float = 65.0  # degC; STS3215 protects itself at 70
    max_load: float = 0.95  # fraction of stall, sustained for ``load_ticks`` ticks
    load_ticks: int = 30

    def __post_init__(self) -> None:
        self._overloaded = 0

    def reset(self) -> None:
        self._overloaded = 0

    def check(self, observation: Observation, joint_names: tuple[str, ...]) -> str | None:
        temperature = observation.extras.get("temperature")
        if temperature is not None and np.max(temperature) >= self.max_temperature:
            hot = int(np.argmax(temperature))
            return (
                f"overheat: {joint_names[hot]} at {float(temperature[hot]):.0f} C "
                f"(limit {self.max_temperature:.0f} C)"
            )
        load = observation.extras.get("load")
        if load is not None and np.max(np.abs(load)) >= self.max_load:
            self._overloaded += 1
            if self._overloaded >= self.load_ticks:
                worst = int(np.argmax(np.abs(load)))
                share = float(abs(load[worst]))
                return f"overload: {joint_names[worst]} at {share:.0%} for {self._overloaded} ticks"
        else:
            self._overloaded = 0
        return None

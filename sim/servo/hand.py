"""A scripted hand that backdrives an emulated leader arm, standing in for a person."""

from __future__ import annotations

import math
import threading

from .arm import JOINTS, EmulatedArm


class ScriptedHand:
    """Moves every joint of ``arm`` along a slow sine until ``stop()``."""

    def __init__(
        self,
        arm: EmulatedArm,
        amplitude: float = 0.3,
        period_s: float = 3.0,
        rate_hz: float = 100.0,
    ) -> None:
        self.arm, self.amplitude, self.period_s, self.rate_hz = arm, amplitude, period_s, rate_hz
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scripted-hand", daemon=True)

    def start(self) -> ScriptedHand:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        t = 0.0
        while not self._stop.wait(1.0 / self.rate_hz):
            t += 1.0 / self.rate_hz
            for i, joint in enumerate(JOINTS):
                self.arm.move_by_hand(
                    joint, self.amplitude * math.sin(2 * math.pi * t / self.period_s + i)
                )

"""What the servos are attached to. The bus emulator syncs the plant before each reply.

``KinematicPlant`` is the physics-free register model: each horn slews toward its goal
at the servo's top speed. ``MujocoPlant`` (sim/servo/mujoco_plant.py) puts a simulated
arm behind the same interface. Both advance lazily to the wall clock when polled, so no
physics thread runs between transactions and nothing drifts while idle.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from .servo import EmulatedServo


class Plant(Protocol):
    servos: Sequence[EmulatedServo]

    def sync(self) -> None:
        """Advance to now and refresh every servo's present registers."""
        ...

    def move_by_hand(self, index: int, physical: float) -> None:
        """Put joint ``index`` at ``physical`` steps, as a person backdriving it would."""
        ...


class KinematicPlant:
    def __init__(self, servos: Sequence[EmulatedServo], max_dt: float = 0.1) -> None:
        self.servos = list(servos)
        self.max_dt = max_dt
        self.lock = threading.RLock()
        self._last = time.perf_counter()
        self.sync()

    def sync(self) -> None:
        with self.lock:
            now = time.perf_counter()
            dt, self._last = min(now - self._last, self.max_dt), now
            for servo in self.servos:
                self._advance(servo, dt)

    def _advance(self, servo: EmulatedServo, dt: float) -> None:
        goal = servo.physical_goal()
        position = servo.physical
        if goal is not None:
            reach = servo.model.max_speed_steps * dt
            position += float(np.clip(goal - position, -reach, reach))
        velocity = (position - servo.physical) / dt if dt > 0 else 0.0
        servo.update(position, velocity, load=0.0, dt=dt)

    def move_by_hand(self, index: int, physical: float) -> None:
        with self.lock:
            servo = self.servos[index]
            servo.update(physical, 0.0, 0.0, 0.0)

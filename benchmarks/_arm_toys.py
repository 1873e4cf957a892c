"""A joint-position robot for loop benchmarks: it records every command and its time."""

from __future__ import annotations

import time

import numpy as np
from actloop.control import Observation, get_embodiment


class RecordingArm:
    def __init__(self, embodiment: str = "so101") -> None:
        self.spec = get_embodiment(embodiment)
        self.position = np.zeros(self.spec.state_dim)
        self.sent: list[np.ndarray] = []
        self.times: list[float] = []

    def connect(self) -> None:
        pass

    def observe(self) -> Observation:
        return Observation({}, self.position.copy(), "wave", self.spec.name, time.perf_counter())

    def send_action(self, action: np.ndarray) -> np.ndarray:
        self.times.append(time.perf_counter())
        self.sent.append(np.array(action))
        self.position = np.array(action)
        return self.position.copy()

    def disconnect(self) -> None:
        pass

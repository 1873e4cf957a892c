"""Fault injection on the wire: the failures field robots actually show.

Transient faults (dropped replies, corrupted checksums, late replies) test retries and
rate keeping; persistent ones (an unplugged ID, an overheating servo) test that the
stack stops the arm safely and says why.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field


@dataclass
class FaultPlan:
    drop_rate: float = 0.0  # fraction of replies never sent
    corrupt_rate: float = 0.0  # fraction of replies with a broken checksum/CRC
    delay_rate: float = 0.0  # fraction of replies sent late
    delay_s: float = 0.002
    missing_ids: set[int] = field(default_factory=set)  # IDs that never answer
    overheat: dict[int, float] = field(default_factory=dict)  # id -> degC per second
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("drop_rate", "corrupt_rate", "delay_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"FaultPlan.{name} must be in [0, 1], got {value}")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self.counts = {"dropped": 0, "corrupted": 0, "delayed": 0, "silent_missing": 0}

    @classmethod
    def uniform(cls, rate: float, seed: int = 0) -> FaultPlan:
        """``rate`` split evenly over drops, corruptions and delays."""
        return cls(drop_rate=rate / 3, corrupt_rate=rate / 3, delay_rate=rate / 3, seed=seed)

    def apply(self, reply: bytes) -> tuple[bytes | None, float]:
        """The reply to send (None = dropped) and how long to wait before sending it."""
        with self._lock:
            draw = self._rng.random()
            if draw < self.drop_rate:
                self.counts["dropped"] += 1
                return None, 0.0
            draw -= self.drop_rate
            if draw < self.corrupt_rate:
                self.counts["corrupted"] += 1
                return reply[:-1] + bytes([reply[-1] ^ 0x5A]), 0.0
            draw -= self.corrupt_rate
            if draw < self.delay_rate:
                self.counts["delayed"] += 1
                return reply, self.delay_s
        return reply, 0.0

"""Per-tick timing statistics: the evidence that a loop kept its rate."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class LoopStats:
    period_errors: list[float] = field(default_factory=list)
    inference_latencies: list[float] = field(default_factory=list)
    missed_ticks: int = 0
    ticks: int = 0

    def add_tick(self, error: float, skipped: int) -> None:
        self.ticks += 1
        self.period_errors.append(error)
        self.missed_ticks += skipped

    def add_missed(self, deadlines: int) -> None:
        """Deadlines dropped without a tick, e.g. skipped on the way past the episode's end."""
        self.missed_ticks += deadlines

    def summary(self) -> dict[str, float]:
        """Percentiles in milliseconds, ready for a JSON report."""
        errors = np.abs(np.asarray(self.period_errors)) * 1e3
        latency = np.asarray(self.inference_latencies) * 1e3
        out: dict[str, float] = {"ticks": self.ticks, "missed_ticks": self.missed_ticks}
        for name, values in (("period_error_ms", errors), ("inference_ms", latency)):
            if values.size:
                out[f"{name}_p50"] = float(np.percentile(values, 50))
                out[f"{name}_p99"] = float(np.percentile(values, 99))
                out[f"{name}_max"] = float(values.max())
        out["inferences"] = len(self.inference_latencies)
        return out

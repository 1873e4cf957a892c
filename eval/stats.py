"""Success-rate statistics that stay honest at the sample sizes robot evals can afford.

A success rate from 50 episodes is an estimate with an interval several points wide;
reporting it without one invites reading noise as progress (the LBM paper's point).
Wilson intervals behave at 0% and 100%, where the normal approximation collapses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats as _scipy_stats

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Proportion:
    successes: int
    trials: int

    def __post_init__(self) -> None:
        if self.trials < 0 or not 0 <= self.successes <= max(self.trials, 0):
            raise ValueError(
                f"need 0 <= successes <= trials, got {self.successes} of {self.trials}"
            )

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else float("nan")

    def wilson(self, z: float = Z95) -> tuple[float, float]:
        return wilson_interval(self.successes, self.trials, z)

    def as_dict(self) -> dict[str, float | int | list[float]]:
        low, high = self.wilson()
        return {
            "successes": self.successes,
            "episodes": self.trials,
            "success_rate": self.rate,
            "ci95": [low, high],
        }


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (nan, nan) with no trials."""
    if trials == 0:
        return (float("nan"), float("nan"))
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # The interval always contains p; at 0 or N successes rounding can push a bound past p
    # by ~1e-17 (a 0/50 lower bound of 6.9e-18), which broke the report's error bars.
    return (min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)))


def fisher_exact(a: Proportion, b: Proportion) -> float:
    """Two-sided Fisher exact p-value for 'A and B have the same success rate'."""
    table = [
        [a.successes, a.trials - a.successes],
        [b.successes, b.trials - b.successes],
    ]
    return float(_scipy_stats.fisher_exact(table, alternative="two-sided").pvalue)


def holm_adjust(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values: comparing many tasks at once inflates false wins."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted

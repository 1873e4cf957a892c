"""An early check that the goal readout has begun to localise the target.

The readout's attention pool can sit on a saddle for thousands of steps, attending to the
whole prefix and regressing the mean offset: on panda/pick_place one training seed held
``train/goal_loss`` at 0.37 over steps 401-800 while another seed, on the same demos,
reached 0.050, and the stalled run ended at 2% success after 54 minutes (BENCHMARKS.md,
session 18). A run that has not escaped by a few hundred steps is lost, so this check
compares the loss over the second half of the first ``step`` steps with the first half and
stops (or restarts with the next seed) while only minutes have been spent.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

METRIC = "goal_loss"


class GoalReadoutStalled(RuntimeError):
    """The goal loss did not fall enough by the check step; the message says by how much."""


@dataclass(frozen=True)
class GoalVerdict:
    early: float  # mean goal loss over steps 1 .. step/2
    late: float  # mean over step/2+1 .. step
    max_ratio: float
    step: int

    @property
    def ratio(self) -> float:
        return self.late / self.early

    @property
    def stalled(self) -> bool:
        return self.ratio > self.max_ratio

    def describe(self) -> str:
        half = self.step // 2
        return (
            f"train/{METRIC} averaged {self.late:.3f} over steps {half + 1}-{self.step}, "
            f"{self.ratio:.2f}x its {self.early:.3f} over steps 1-{half} "
            f"(the check allows {self.max_ratio:.2f}x)"
        )


class GoalLossWatch:
    """Sums the per-step goal loss in two halves of ``[1, step]`` and judges it at ``step``.

    It judges nothing when the policy has no goal readout, when no sample had the sim facts
    it regresses (the loss is 0), or when it did not see every step (a resumed run)."""

    def __init__(self, step: int, max_ratio: float) -> None:
        if step < 0 or step == 1:
            raise ValueError(f"goal_check.step must be 0 (off) or >= 2, got {step}")
        if not max_ratio > 0:
            raise ValueError(f"goal_check.max_ratio must be > 0, got {max_ratio}")
        self.step, self.max_ratio = step, max_ratio
        self._sums = [0.0, 0.0]
        self._seen = 0

    def observe(self, step: int, metrics: dict[str, float]) -> None:
        """Record the metrics of 1-based training step ``step``."""
        if not self.step or step > self.step or METRIC not in metrics:
            return
        self._sums[int(step > self.step // 2)] += metrics[METRIC]
        self._seen += 1

    def verdict(self, reduce=None) -> GoalVerdict | None:
        """The means of both halves, averaged over ranks by ``reduce`` (e.g.
        ``accelerator.reduce``) so that every rank reaches the same decision."""
        counts = [self.step // 2, self.step - self.step // 2]
        means = torch.tensor(
            [s / c for s, c in zip(self._sums, counts, strict=True)], dtype=torch.float64
        )
        complete = torch.tensor([float(self._seen == self.step)], dtype=torch.float64)
        if reduce is not None:
            means, complete = reduce(means, "mean"), reduce(complete, "mean")
        early, late = (float(v) for v in means)
        if float(complete) < 1 or early <= 0:
            return None
        return GoalVerdict(early, late, self.max_ratio, self.step)

    def check(self, step: int, reduce=None) -> GoalVerdict | None:
        """At the check step: the verdict, raising ``GoalReadoutStalled`` if it stalled."""
        if not self.step or step != self.step:
            return None
        verdict = self.verdict(reduce)
        if verdict is not None and verdict.stalled:
            raise GoalReadoutStalled(
                f"{verdict.describe()}: the goal readout has not begun to localise the "
                "target, and runs like this one do not learn the task. Train with another "
                "--seed, or let the run restart itself with --goal_check.restarts N "
                "(--goal_check.step 0 turns the check off)."
            )
        return verdict

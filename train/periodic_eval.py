"""Sim evaluation during training: the number that matters, logged next to the loss."""

from __future__ import annotations

from pathlib import Path

from actloop.eval.evaluate import evaluate
from actloop.eval.rollout import RolloutSettings

from .config import EvalConfig


def evaluate_checkpoint(policy_dir: Path, cfg: EvalConfig, out_dir: Path) -> dict[str, float]:
    """Success rate per task (and overall) of an exported checkpoint, for the tracker."""
    if not cfg.tasks:
        raise ValueError("eval.every is set but eval.tasks is empty: name the tasks to evaluate")
    settings = RolloutSettings(
        policy=str(policy_dir),
        tasks=list(cfg.tasks),
        episodes=cfg.episodes,
        workers=cfg.workers,
        videos_per_outcome=0,
    )
    summary = evaluate(settings, out_dir).result.summary()
    rates = {f"success/{task}": row["success_rate"] for task, row in summary["tasks"].items()}
    rates["success/overall"] = summary["overall"]["success_rate"]
    return rates

"""Evaluation: parallel sim rollouts, success rates with confidence intervals, videos,
reports and comparisons. Heavy parts (torch, MuJoCo) load only when rollouts run."""

from .compare import TaskComparison, compare_results, format_comparison
from .results import EpisodeOutcome, EvalResult, load_result
from .stats import Proportion, fisher_exact, holm_adjust, wilson_interval

__all__ = [
    "EpisodeOutcome",
    "EvalResult",
    "Proportion",
    "TaskComparison",
    "compare_results",
    "fisher_exact",
    "format_comparison",
    "holm_adjust",
    "load_result",
    "wilson_interval",
]

"""Compare two evaluation results task by task, with a significance test per task.

Differences of a few points between 50-episode evals are usually noise. Each task gets
a Fisher exact p-value; Holm's correction accounts for testing many tasks at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from .results import EvalResult
from .stats import Proportion, fisher_exact, holm_adjust

ALPHA = 0.05


@dataclass(frozen=True)
class TaskComparison:
    task: str
    a: Proportion
    b: Proportion
    p_value: float
    p_holm: float

    @property
    def difference(self) -> float:
        return self.b.rate - self.a.rate

    @property
    def verdict(self) -> str:
        if self.p_holm >= ALPHA:
            return "no significant difference"
        return "B better" if self.difference > 0 else "A better"


def compare_results(a: EvalResult, b: EvalResult) -> list[TaskComparison]:
    """Per-task comparison over the tasks both results evaluated, plus an 'overall' row."""
    shared = sorted(set(a.tasks) & set(b.tasks))
    if not shared:
        raise ValueError(f"the results share no task: A has {a.tasks}, B has {b.tasks}")
    pairs = [(t, _proportion(a, t), _proportion(b, t)) for t in shared]
    if len(shared) > 1:
        pairs.append(("overall", _sum(p for _, p, _ in pairs), _sum(q for _, _, q in pairs)))
    raw = [fisher_exact(pa, pb) for _, pa, pb in pairs]
    adjusted = holm_adjust(raw[: len(shared)]) + raw[len(shared) :]
    return [
        TaskComparison(task, pa, pb, p, ph)
        for (task, pa, pb), p, ph in zip(pairs, raw, adjusted, strict=True)
    ]


def format_comparison(rows: list[TaskComparison], name_a: str, name_b: str) -> str:
    lines = [
        f"A: {name_a}",
        f"B: {name_b}",
        "",
        "| task | A | B | B - A | Fisher p | Holm p | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.task} | {_cell(row.a)} | {_cell(row.b)} | {row.difference * 100:+.1f} pts "
            f"| {row.p_value:.3g} | {row.p_holm:.3g} | {row.verdict} |"
        )
    lines.append("")
    lines.append(f"Significance at alpha={ALPHA} after Holm correction across tasks.")
    return "\n".join(lines)


def comparison_json(rows: list[TaskComparison]) -> list[dict]:
    return [
        {
            "task": r.task,
            "a": r.a.as_dict(),
            "b": r.b.as_dict(),
            "difference": r.difference,
            "p_value": r.p_value,
            "p_holm": r.p_holm,
            "verdict": r.verdict,
        }
        for r in rows
    ]


def _proportion(result: EvalResult, task: str) -> Proportion:
    episodes = result.by_task()[task]
    return Proportion(sum(e.success for e in episodes), len(episodes))


def _sum(proportions) -> Proportion:
    items = list(proportions)
    return Proportion(sum(p.successes for p in items), sum(p.trials for p in items))


def _cell(p: Proportion) -> str:
    low, high = p.wilson()
    return f"{p.successes}/{p.trials} = {p.rate * 100:.0f}% [{low * 100:.0f}, {high * 100:.0f}]"

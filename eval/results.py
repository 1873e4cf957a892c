"""The evaluation result: one JSON document that reports, comparisons and CI read.

Kept as plain data (no numpy, no pickle) so a result written today reads tomorrow in
any tool. ``load_result`` checks the fields it needs and names what is missing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .stats import Proportion

SCHEMA = "actloop.eval/1"
LATENCY_BINS_MS = 30


@dataclass
class EpisodeOutcome:
    task: str
    seed: int
    success: bool
    length: int
    termination: str
    inference_ms: list[float] = field(default_factory=list)
    video: str | None = None
    milestones: dict[str, int] = field(default_factory=dict)  # name -> first tick it held


@dataclass
class EvalResult:
    policy: str
    episodes: list[EpisodeOutcome]
    settings: dict = field(default_factory=dict)

    @property
    def tasks(self) -> list[str]:
        return sorted({e.task for e in self.episodes})

    def by_task(self) -> dict[str, list[EpisodeOutcome]]:
        grouped: dict[str, list[EpisodeOutcome]] = defaultdict(list)
        for outcome in self.episodes:
            grouped[outcome.task].append(outcome)
        return dict(sorted(grouped.items()))

    def summary(self) -> dict:
        """Per-task and overall success with Wilson CIs, lengths, and latency statistics."""
        per_task = {task: _task_summary(eps) for task, eps in self.by_task().items()}
        overall = Proportion(sum(e.success for e in self.episodes), len(self.episodes))
        latencies = [ms for e in self.episodes for ms in e.inference_ms]
        return {
            "tasks": per_task,
            "overall": overall.as_dict(),
            "inference_latency_ms": _latency_summary(latencies),
        }

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA,
            "policy": self.policy,
            "settings": self.settings,
            "summary": self.summary(),
            "episodes": [asdict(e) for e in self.episodes],
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2))
        return path


def _task_summary(episodes: list[EpisodeOutcome]) -> dict:
    lengths = [e.length for e in episodes]
    out = Proportion(sum(e.success for e in episodes), len(episodes)).as_dict()
    out["mean_length"] = float(np.mean(lengths))
    out["mean_success_length"] = (
        float(np.mean([e.length for e in episodes if e.success]))
        if any(e.success for e in episodes)
        else None
    )
    out["terminations"] = dict(sorted(_count(e.termination for e in episodes).items()))
    if any(e.milestones for e in episodes):
        out["milestones"] = _milestone_counts(episodes)
    return out


def _milestone_counts(episodes: list[EpisodeOutcome]) -> dict[str, int]:
    """Episodes that reached each milestone, listed in the order episodes reach them (by
    mean first tick), so the counts read as a funnel: reached 45, lifted 30, ..."""
    ticks: dict[str, list[int]] = defaultdict(list)
    for episode in episodes:
        for name, tick in episode.milestones.items():
            ticks[name].append(tick)
    order = sorted(ticks, key=lambda name: (float(np.mean(ticks[name])), name))
    return {name: len(ticks[name]) for name in order}


def milestone_text(row: dict) -> str:
    """``lifted 30/50, over_goal 12/50``: how far a task's episodes got."""
    n = row["episodes"]
    return ", ".join(f"{name} {count}/{n}" for name, count in row["milestones"].items())


def _count(values) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    return counts


def _latency_summary(latencies_ms: list[float]) -> dict:
    if not latencies_ms:
        return {"count": 0}
    values = np.asarray(latencies_ms)
    counts, edges = np.histogram(values, bins=LATENCY_BINS_MS)
    return {
        "count": int(values.size),
        "p50": float(np.percentile(values, 50)),
        "p90": float(np.percentile(values, 90)),
        "p99": float(np.percentile(values, 99)),
        "max": float(values.max()),
        "histogram": {"counts": counts.tolist(), "edges": edges.tolist()},
    }


def load_result(path: str | Path) -> EvalResult:
    """Read a result JSON written by ``EvalResult.save``; bad files fail with the reason."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"eval result {path} does not exist")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        got = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{path}: expected schema {SCHEMA!r}, got {got!r}")
    for key in ("policy", "episodes"):
        if key not in data:
            raise ValueError(f"{path}: missing key {key!r}")
    try:
        episodes = [EpisodeOutcome(**e) for e in data["episodes"]]
    except TypeError as exc:
        raise ValueError(f"{path}: malformed episode entry ({exc})") from exc
    return EvalResult(data["policy"], episodes, data.get("settings", {}))

"""``evaluate``: rollouts -> result JSON -> report, in one call (used by the CLI, the
pipeline and periodic evaluation during training)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .report import write_report
from .results import EvalResult, milestone_text
from .rollout import RolloutSettings, run_rollouts


@dataclass
class EvalArtifacts:
    result: EvalResult
    json_path: Path
    report_path: Path
    videos: list[Path]


def evaluate(settings: RolloutSettings, out_dir: str | Path) -> EvalArtifacts:
    out_dir = Path(out_dir)
    if settings.video_dir is None and settings.videos_per_outcome > 0:
        settings.video_dir = str(out_dir / "videos")
    result = run_rollouts(settings)
    json_path = result.save(out_dir / "result.json")
    report_path = write_report(result, out_dir)
    videos = [Path(e.video) for e in result.episodes if e.video]
    return EvalArtifacts(result, json_path, report_path, videos)


def format_summary(result: EvalResult) -> str:
    """A few lines for the terminal: per-task and overall success with Wilson CIs."""
    summary = result.summary()
    rows = [*summary["tasks"].items(), ("overall", summary["overall"])]
    lines = []
    for name, row in rows:
        low, high = row["ci95"]
        lines.append(
            f"  {name:<24} {row['successes']:>4}/{row['episodes']:<4} "
            f"{row['success_rate'] * 100:5.1f}%  (95% CI {low * 100:.1f}-{high * 100:.1f}%)"
        )
        if row.get("milestones"):
            lines.append(f"  {'':<24} milestones: {milestone_text(row)}")
    latency = summary["inference_latency_ms"]
    if latency.get("count"):
        lines.append(
            f"  inference latency p50 {latency['p50']:.2f} ms, p99 {latency['p99']:.2f} ms "
            f"over {latency['count']} calls"
        )
    return "\n".join(lines)

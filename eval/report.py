"""A human-readable report next to the JSON: markdown, with plots made by matplotlib (Agg).

Markdown renders on GitHub and in any editor, and diffs cleanly between runs.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from .results import EvalResult, milestone_text


def write_report(result: EvalResult, out_dir: str | Path) -> Path:
    """Write ``report.md`` plus its PNG plots into ``out_dir``; return the report path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = result.summary()
    plots = [
        _plot_success(summary, out_dir / "success.png"),
        _plot_lengths(result, out_dir / "episode_lengths.png"),
        _plot_latency(summary, out_dir / "inference_latency.png"),
    ]
    lines = _header(result, summary) + _task_table(summary) + _latency_lines(summary)
    lines += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots if p is not None]
    lines += ["", *_video_lines(result, out_dir)]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _header(result: EvalResult, summary: dict) -> list[str]:
    overall = summary["overall"]
    low, high = overall["ci95"]
    settings = ", ".join(f"{k}={v}" for k, v in sorted(result.settings.items()))
    return [
        "# actloop evaluation report",
        "",
        f"- policy: `{result.policy}`",
        f"- settings: {settings or '(none)'}",
        f"- overall success: **{overall['successes']}/{overall['episodes']} = "
        f"{overall['success_rate'] * 100:.1f}%** (Wilson 95% CI {low * 100:.1f}-{high * 100:.1f}%)",
        "",
    ]


def _task_table(summary: dict) -> list[str]:
    lines = [
        "## Success per task",
        "",
        "| task | success | rate | 95% CI (Wilson) | mean length | terminations |",
        "|---|---|---|---|---|---|",
    ]
    for task, row in summary["tasks"].items():
        low, high = row["ci95"]
        ends = ", ".join(f"{k}: {v}" for k, v in row["terminations"].items())
        lines.append(
            f"| {task} | {row['successes']}/{row['episodes']} | {row['success_rate'] * 100:.1f}% "
            f"| {low * 100:.1f}-{high * 100:.1f}% | {row['mean_length']:.1f} | {ends} |"
        )
    return [*lines, "", *_milestone_lines(summary)]


def _milestone_lines(summary: dict) -> list[str]:
    """Where failures stop: a timeout alone does not say whether the cube was ever held."""
    rows = [(task, row) for task, row in summary["tasks"].items() if row.get("milestones")]
    if not rows:
        return []
    lines = ["## How far episodes got", "", "| task | milestones reached (episodes) |", "|---|---|"]
    lines += [f"| {task} | {milestone_text(row)} |" for task, row in rows]
    return [*lines, ""]


def _latency_lines(summary: dict) -> list[str]:
    latency = summary["inference_latency_ms"]
    if not latency.get("count"):
        return ["## Inference latency", "", "No inferences recorded.", ""]
    return [
        "## Inference latency",
        "",
        f"{latency['count']} policy calls: p50 {latency['p50']:.2f} ms, "
        f"p90 {latency['p90']:.2f} ms, p99 {latency['p99']:.2f} ms, max {latency['max']:.2f} ms.",
        "",
    ]


def _video_lines(result: EvalResult, out_dir: Path) -> list[str]:
    videos = [e for e in result.episodes if e.video]
    if not videos:
        return []
    lines = ["## Videos", ""]
    for e in videos:
        outcome = "success" if e.success else f"failure ({e.termination})"
        lines.append(f"- [{e.task} seed {e.seed}: {outcome}]({_relative(e.video, out_dir)})")
    return lines


def _relative(path: str, base: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return path


def _plot_success(summary: dict, path: Path) -> Path:
    tasks = list(summary["tasks"])
    rates = [summary["tasks"][t]["success_rate"] * 100 for t in tasks]
    lows = [r - summary["tasks"][t]["ci95"][0] * 100 for t, r in zip(tasks, rates, strict=True)]
    highs = [summary["tasks"][t]["ci95"][1] * 100 - r for t, r in zip(tasks, rates, strict=True)]
    fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(tasks) + 2), 3.5))
    ax.bar(tasks, rates, yerr=[lows, highs], capsize=4, color="#4c72b0")
    ax.set_ylim(0, 105)
    ax.set_ylabel("success rate (%)")
    ax.set_title("Success per task (Wilson 95% CI)")
    return _save(fig, path)


def _plot_lengths(result: EvalResult, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for task, episodes in result.by_task().items():
        ax.hist([e.length for e in episodes], bins=20, alpha=0.6, label=task)
    ax.set_xlabel("episode length (ticks)")
    ax.set_ylabel("episodes")
    ax.legend(fontsize="small")
    return _save(fig, path)


def _plot_latency(summary: dict, path: Path) -> Path | None:
    histogram = summary["inference_latency_ms"].get("histogram")
    if histogram is None:
        return None
    edges, counts = histogram["edges"], histogram["counts"]
    widths = [b - a for a, b in itertools.pairwise(edges)]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.bar(edges[:-1], counts, width=widths, align="edge", color="#dd8452")
    ax.set_xlabel("inference latency (ms)")
    ax.set_ylabel("policy calls")
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

"""Control quality: actloop's small policy trained on CPU vs LeRobot ACT on the same demos,
and SO-101 alone vs SO-101 + Panda (cross-embodiment), all evaluated by ``actloop eval``.

Every stage is an ``actloop`` command (printed before it runs), so each figure can be
reproduced by hand. Stages: ``demos``, ``actloop``, ``act``, ``cross``, ``all``.

    python benchmarks/control_quality.py --out runs/quality --stage all

The ACT stage trains both sides on one task at a time; ``--act-tasks`` picks the tasks, so
two invocations with ``OMP_NUM_THREADS=1`` and the same ``--out`` can share a 2-core box.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

ACTLOOP = [sys.executable, "-P", "-m", "actloop.cli"]  # -P: repo root off sys.path
TASKS = ("panda/reach", "panda/press_button", "panda/pick_place", "so101/reach", "so101/pick_place")
SO101 = ("so101/reach", "so101/pick_place")


def sh(command: list[str]) -> float:
    """Run, echoing the exact command; return wall seconds."""
    print("$", shlex.join(command), flush=True)
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def store(out: Path, task: str) -> Path:
    return out / "data" / f"{task.replace('/', '-')}.zarr"


def demos(args) -> None:
    needed = set(args.act_tasks) if args.stage == "act" else set(TASKS)
    for task in sorted(needed):
        if not store(args.out, task).exists():
            sh(
                [
                    *ACTLOOP,
                    "collect",
                    "--task",
                    task,
                    "--episodes",
                    str(args.demos),
                    "--out",
                    str(store(args.out, task)),
                ]
            )


def train(args, name: str, tasks, steps: int) -> tuple[Path, float]:
    """Train once per run name: a finished run (policy + wall time on disk) is reused, so the
    cross-embodiment stage's "mixed" policy is the very one the actloop stage evaluated."""
    run = args.out / name
    timing = run / "wall_seconds.json"
    if timing.exists() and (run / "policy" / "config.json").exists():
        print(f"# reusing {run} (delete it to retrain)")
        return run / "policy", json.loads(timing.read_text())["train_seconds"]
    stores = [str(store(args.out, t)) for t in tasks]
    seconds = sh(
        [
            *ACTLOOP,
            "train",
            "--preset",
            "cpu-full",
            "--steps",
            str(steps),
            "--out_dir",
            str(run),
            "--data.stores",
            *stores,
        ]
    )
    timing.write_text(json.dumps({"train_seconds": seconds}))
    return run / "policy", seconds


def evaluate(args, policy: str, tasks, name: str) -> dict:
    out = args.out / "eval" / name
    task_flags = [flag for t in tasks for flag in ("--task", t)]
    sh(
        [
            *ACTLOOP,
            "eval",
            "--policy",
            policy,
            *task_flags,
            "--episodes",
            str(args.episodes),
            "--workers",
            str(args.workers),
            "--out",
            str(out),
        ]
    )
    return json.loads((out / "result.json").read_text())["summary"]


def actloop_stage(args) -> None:
    policy, seconds = train(args, "actloop_all", TASKS, args.steps)
    summary = evaluate(args, str(policy), TASKS, "actloop_all")
    report("actloop small (diffusion), all 5 tasks, one policy", summary, seconds)


def act_stage(args) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import lerobot_act

    for task in args.act_tasks:
        name = task.replace("/", "-")
        policy, seconds = train(args, f"actloop_{name}", [task], args.steps)
        ours = evaluate(args, str(policy), [task], f"actloop_{name}")
        print(
            f"$ python benchmarks/lerobot_act.py {store(args.out, task)} "
            f"{args.out / ('act_' + name)} --minutes {seconds / 60:.1f}"
        )
        act = lerobot_act.train(str(store(args.out, task)), args.out / f"act_{name}", seconds / 60)
        theirs = evaluate(args, f"lerobot:{act['policy_dir']}", [task], f"act_{name}")
        report(f"actloop small on {task} alone", ours, seconds)
        report(f"LeRobot ACT on {task} ({act['steps']} steps)", theirs, act["seconds"])
        compare(args, f"act_{name}", f"actloop_{name}")


def cross_stage(args) -> None:
    alone, t1 = train(args, "so101_alone", SO101, args.steps)
    mixed, t2 = train(args, "actloop_all", TASKS, args.steps)  # SO-101 + Panda demos
    report("SO-101 demos alone", evaluate(args, str(alone), SO101, "so101_alone"), t1)
    report("SO-101 + Panda demos", evaluate(args, str(mixed), SO101, "so101_mixed"), t2)
    compare(args, "so101_alone", "so101_mixed")


def compare(args, a: str, b: str) -> None:
    root = args.out / "eval"
    sh([*ACTLOOP, "compare", str(root / a / "result.json"), str(root / b / "result.json")])


def report(title: str, summary: dict, seconds: float) -> None:
    print(f"\n== {title} (trained {seconds / 60:.1f} min)")
    for task, row in {**summary["tasks"], "overall": summary["overall"]}.items():
        low, high = row["ci95"]
        print(
            f"  {task:<22} {row['successes']:>3}/{row['episodes']:<3} "
            f"{row['success_rate'] * 100:5.1f}%  [{low * 100:.1f}, {high * 100:.1f}]"
        )


STAGES = {
    "demos": [demos],
    "actloop": [demos, actloop_stage],
    "act": [demos, act_stage],
    "cross": [demos, cross_stage],
    "all": [demos, actloop_stage, act_stage, cross_stage],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/quality"))
    parser.add_argument("--stage", choices=sorted(STAGES), default="all")
    parser.add_argument("--demos", type=int, default=100, help="expert demos per task")
    parser.add_argument("--steps", type=int, default=2500, help="actloop training steps")
    parser.add_argument("--episodes", type=int, default=50, help="eval episodes per task")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--act-tasks",
        nargs="+",
        choices=TASKS,
        metavar="TASK",
        default=list(TASKS),
        help="the ACT stage's tasks: per task, one actloop and one ACT policy (equal wall clock)",
    )
    args = parser.parse_args()
    for stage in STAGES[args.stage]:
        stage(args)


if __name__ == "__main__":
    main()

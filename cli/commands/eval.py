"""``actloop eval``: success rates with Wilson CIs, latency, videos and a report."""

from __future__ import annotations

import argparse
import os

NAME = "eval"
HELP = "Evaluate a policy (checkpoint dir, 'expert', or 'lerobot:DIR') on sim tasks."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        required=True,
        help="checkpoint directory, 'expert' (scripted), or 'lerobot:DIR'",
    )
    parser.add_argument(
        "--task",
        dest="tasks",
        action="append",
        required=True,
        help="sim task name; repeat for several tasks",
    )
    parser.add_argument("--episodes", type=int, default=50, help="episodes per task")
    parser.add_argument(
        "--workers",
        type=int,
        default=max(1, (os.cpu_count() or 1)),
        help="parallel worker processes (default: one per core)",
    )
    parser.add_argument("--out", default="runs/eval", help="output directory")
    parser.add_argument(
        "--mode",
        choices=("diffusion", "ar", "ensemble"),
        default=None,
        help="VLAPolicy inference mode (default: the checkpoint's)",
    )
    parser.add_argument(
        "--scheduler",
        default="execute_n",
        help="how chunks become actions: execute_n, temporal_ensemble (ACT), "
        "similarity_ensemble (CogACT) or rtc",
    )
    parser.add_argument(
        "--n-execute",
        type=int,
        default=8,
        help="ticks between chunk requests: actions run per chunk for execute_n, the query "
        "period of the ensembles (ACT queries every tick: 1), rtc's execute horizon",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile vision and diffusion sampling (each worker's first chunk compiles)",
    )
    parser.add_argument(
        "--videos",
        type=int,
        default=2,
        help="videos kept per task and outcome (success/failure); 0: none",
    )
    parser.add_argument("--seed-base", type=int, default=1_000_000, help="first episode seed")
    parser.add_argument("--max-ticks", type=int, default=0, help="0: the task's time limit")


def run(args: argparse.Namespace) -> int:
    from actloop.control.schedulers import make_scheduler
    from actloop.eval.evaluate import evaluate, format_summary
    from actloop.eval.rollout import RolloutSettings

    make_scheduler(args.scheduler, every=args.n_execute)  # a bad name or period fails here

    settings = RolloutSettings(
        policy=args.policy,
        tasks=args.tasks,
        episodes=args.episodes,
        workers=args.workers,
        seed_base=args.seed_base,
        scheduler=args.scheduler,
        n_execute=args.n_execute,
        max_ticks=args.max_ticks,
        mode=args.mode,
        compile_inference=args.compile,
        videos_per_outcome=args.videos,
    )
    artifacts = evaluate(settings, args.out)
    print(format_summary(artifacts.result))
    print(f"result: {artifacts.json_path}")
    print(f"report: {artifacts.report_path}")
    for video in artifacts.videos:
        print(f"video:  {video}")
    return 0

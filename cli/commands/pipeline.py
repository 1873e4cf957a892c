"""``actloop pipeline``: demos -> train -> evaluate -> report, in one command.

The quick default (two tasks, two embodiments, one policy) finishes in about 15-20
minutes on a 2-core CPU; ``--full`` runs the BENCHMARKS configuration (five tasks,
more demos, the longer schedule, 50 eval episodes per task) and takes about an hour
and a half on the same machine. Demos already collected in ``--out`` are reused.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

NAME = "pipeline"
HELP = "Collect expert demos, train the small policy on CPU, evaluate, write the report."


@dataclass(frozen=True)
class Plan:
    tasks: tuple[str, ...]
    demos: int  # expert demos per task
    preset: str  # training preset
    episodes: int  # eval episodes per task
    # demo ticks recorded after success (the expert staying at the goal); measured as no
    # gain on the quick plan's tasks or panda/reach (BENCHMARKS.md, session 10), so off
    linger: int = 0
    # how chunks become actions in evaluation, and the ticks between chunk requests
    scheduler: str = "execute_n"
    n_execute: int = 8


# One Panda and one SO-101 task: a single policy must serve two embodiments.
PLANS = {
    "quick": Plan(("panda/press_button", "so101/reach"), 60, "cpu-quick", 20),
    "full": Plan(
        (
            "panda/reach",
            "panda/press_button",
            "panda/pick_place",
            "so101/reach",
            "so101/pick_place",
        ),
        100,
        "cpu-full",
        50,
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--full",
        action="store_true",
        help="the BENCHMARKS run: 5 tasks, 100 demos each, cpu-full, 50 eval eps",
    )
    parser.add_argument("--out", default="runs/pipeline", help="where everything is written")
    parser.add_argument(
        "--task", dest="tasks", action="append", default=None, help="override the task set (repeat)"
    )
    parser.add_argument("--demos", type=int, default=None, help="override demos per task")
    parser.add_argument("--preset", default=None, help="override the training preset")
    parser.add_argument("--steps", type=int, default=None, help="override training steps")
    parser.add_argument("--episodes", type=int, default=None, help="override eval episodes")
    parser.add_argument(
        "--linger", type=int, default=None, help="override demo ticks kept after success"
    )
    parser.add_argument("--scheduler", default=None, help="override the eval action scheduler")
    parser.add_argument(
        "--n-execute", type=int, default=None, help="override the eval ticks between chunks"
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="eval worker processes"
    )


def run(args: argparse.Namespace) -> int:
    from actloop.control.schedulers import make_scheduler

    plan = PLANS["full" if args.full else "quick"]
    tasks = tuple(args.tasks or plan.tasks)
    make_scheduler(*_scheduler(args, plan))  # a bad name fails here, not after training
    out = Path(args.out)
    started = time.perf_counter()
    cfg = _train_config(args.preset or plan.preset, out, args.steps)
    linger = plan.linger if args.linger is None else args.linger
    demos, size = args.demos or plan.demos, _image_size(cfg)
    stores = [_collect(task, demos, out / "data", size, linger) for task in tasks]
    cfg.data.stores = [str(s) for s in stores]
    outcome = _stage("train", lambda: _train(cfg))
    settings = _eval_settings(args, plan, outcome.policy_dir, tasks)
    artifacts = _stage("eval", lambda: _evaluate(settings, out))
    _print_summary(artifacts, outcome, time.perf_counter() - started)
    return 0


def _train_config(preset: str, out: Path, steps: int | None):
    from actloop.train.config import get_preset

    cfg = get_preset(preset)
    cfg.out_dir = str(out / "train")
    if steps:
        cfg.steps = steps
    return cfg


def _image_size(cfg) -> int:
    from actloop.train.data import policy_config

    return policy_config(cfg).vision.image_size


def _collect(task: str, demos: int, data_dir: Path, image_size: int, linger: int) -> Path:
    """Expert demos through ``actloop collect``; a complete store from an earlier run is reused.
    The store's name carries ``linger``, so demos recorded with another one are never reused."""
    import shutil

    from actloop.datasets import EpisodeStore

    from . import collect

    suffix = f"-linger{linger}" if linger else ""
    store = data_dir / f"{task.replace('/', '-')}{suffix}.zarr"
    if store.exists() and EpisodeStore(str(store)).num_episodes >= demos:
        if _matches_current_sim(EpisodeStore(str(store)), task):
            print(f"[collect] reusing {store}")
            return store
        print(f"[collect] {store} was recorded with another version of the sim; recollecting")
    shutil.rmtree(store, ignore_errors=True)
    parser = argparse.ArgumentParser()
    collect.add_arguments(parser)
    argv = [
        "--task",
        task,
        "--episodes",
        str(demos),
        "--out",
        str(store),
        "--image-size",
        str(image_size),
        "--linger",
        str(linger),
    ]
    _stage(f"collect {task}", lambda: collect.run(parser.parse_args(argv)))
    return store


def _matches_current_sim(store, task: str) -> bool:
    """Reuse demos only if their first frame is what today's sim renders for that seed:
    a store from an older scene would silently train on a task that no longer exists."""
    import actloop.sim
    import numpy as np

    seed, first = store.meta(0).seed, store.episode(0)
    size = first[f"images/{store.cameras[0]}"].shape[1]
    env = actloop.sim.make(task, seed=seed, image_size=size)
    try:
        observation = env.reset(seed=seed)
    finally:
        env.disconnect()
    same_images = all(
        np.array_equal(observation.images[cam], first[f"images/{cam}"][0]) for cam in store.cameras
    )
    return same_images and np.allclose(observation.state, first["state"][0], atol=1e-5)


def _train(cfg):
    from actloop.train.loop import train

    return train(cfg)


def _eval_settings(args: argparse.Namespace, plan: Plan, policy_dir: Path, tasks):
    from actloop.eval.rollout import RolloutSettings

    scheduler, every = _scheduler(args, plan)
    return RolloutSettings(
        policy=str(policy_dir),
        tasks=list(tasks),
        episodes=args.episodes or plan.episodes,
        workers=args.workers,
        scheduler=scheduler,
        n_execute=every,
    )


def _scheduler(args: argparse.Namespace, plan: Plan) -> tuple[str, int]:
    """The eval scheduler's name and ticks between chunk requests, flags over the plan."""
    return args.scheduler or plan.scheduler, args.n_execute or plan.n_execute


def _evaluate(settings, out: Path):
    from actloop.eval.evaluate import evaluate

    return evaluate(settings, out / "eval")


def _stage(name: str, action):
    print(f"[{name}] starting")
    started = time.perf_counter()
    result = action()
    print(f"[{name}] done in {time.perf_counter() - started:.0f} s")
    return result


def _print_summary(artifacts, outcome, elapsed: float) -> None:
    from actloop.eval.evaluate import format_summary

    print(f"\npipeline finished in {elapsed / 60:.1f} min")
    print(format_summary(artifacts.result))
    print(f"report:     {artifacts.report_path}")
    print(f"result:     {artifacts.json_path}")
    print(f"videos:     {artifacts.report_path.parent / 'videos'}")
    print(f"checkpoint: {outcome.policy_dir}")

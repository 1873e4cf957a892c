"""Where is the hand when a pick-and-place policy first closes the gripper?

The milestone funnel says episodes reach the cube and never lift it; this says why. It
runs a checkpoint through the same ControlLoop, scheduler and seeds as ``actloop eval``
and, at the first tick the gripper command crosses 0.5, records the tool centre's
horizontal (``dxy``) and vertical (``dz``) offset from the named cube's centre. The
expert closes within 6 mm; a 4 cm cube in 8 cm jaws is missed beyond about 2 cm.

    python benchmarks/grasp_offsets.py runs/p/policy --episodes 40 \\
        --scheduler temporal_ensemble --every 1 [--option k=-0.1]
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np
from actloop.control import MemoryRecorder
from actloop.eval.rollout import Job, RolloutSettings, limit_threads, play_episode

TASK = "panda/pick_place"


def first_close(steps: list) -> dict:
    """Offsets at the first gripper close, and how often the policy closed at all."""
    grip = np.array([step.action[-1] for step in steps])
    closes = np.flatnonzero((grip[1:] > 0.5) & (grip[:-1] <= 0.5)) + 1
    if not len(closes):
        return {"closes": 0}
    extras = steps[int(closes[0])].observation.extras
    offset = extras["tcp_pos"] - extras["object_pos"]
    return {
        "closes": len(closes),
        "tick": int(closes[0]),
        "dxy": float(np.linalg.norm(offset[:2])),
        "dz": float(offset[2]),
    }


def run_episode(settings: RolloutSettings, seed: int) -> dict:
    """One episode through ``actloop eval``'s own rollout, with every step recorded."""
    recorder = MemoryRecorder()
    result, _, _ = play_episode(settings, Job(TASK, seed - settings.seed_base, seed), recorder)
    return {
        "seed": seed,
        "success": bool(result.success),
        **first_close(recorder.episodes[0].steps),
    }


def summarise(rows: list[dict]) -> None:
    for outcome, label in ((True, "successes"), (False, "failures")):
        group = [r for r in rows if r["success"] is outcome and r["closes"]]
        if not group:
            continue
        dxy = np.array([r["dxy"] for r in group]) * 1e3
        dz = np.median([r["dz"] for r in group]) * 1e3
        tick = np.median([r["tick"] for r in group])
        again = sum(r["closes"] > 1 for r in group)
        print(
            f"{label:9s} {len(group):3d}: dxy median {np.median(dxy):5.1f} mm, "
            f"mean {dxy.mean():5.1f} mm; dz median {dz:5.1f} mm; first close at tick {tick:.0f}; "
            f"closed again: {again}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("policy")
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--seed-base", type=int, default=2_000_000)
    parser.add_argument("--scheduler", default="temporal_ensemble")
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--option", action="append", default=[], help="KEY=VALUE (JSON value)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    options = {k: json.loads(v) for k, v in (o.split("=", 1) for o in args.option)}
    settings = RolloutSettings(
        args.policy,
        [TASK],
        seed_base=args.seed_base,
        scheduler=args.scheduler,
        n_execute=args.every,
        scheduler_options=options,
    )
    seeds = range(args.seed_base, args.seed_base + args.episodes)
    with ProcessPoolExecutor(
        args.workers, mp_context=get_context("spawn"), initializer=limit_threads
    ) as pool:
        rows = list(pool.map(run_episode, [settings] * len(seeds), seeds))
    successes = sum(r["success"] for r in rows)
    print(f"{args.policy}: {successes}/{len(rows)} succeeded ({args.scheduler}, {options})")
    summarise(rows)


if __name__ == "__main__":
    main()

"""Scripted-expert success rate over N seeds for every registered task (no rendering).

python benchmarks/expert_success.py [--seeds 100] [--noise 0.0]
"""

from __future__ import annotations

import argparse
import time

from actloop.sim import list_tasks, make, make_expert


def success_rate(task: str, seeds: int, noise: float) -> tuple[int, float, float]:
    env = make(task, render=False)
    expert = make_expert(task, noise=noise, seed=0)
    successes, ticks = 0, 0
    started = time.perf_counter()
    for seed in range(seeds):
        obs = env.reset(seed)
        expert.reset()
        while env.termination() is None:
            env.send_action(expert.infer(obs).actions[0])
            obs = env.observe()
        successes += env.termination() == "success"
        ticks += env.ticks
    return successes, ticks / seeds, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--noise", type=float, default=0.0)
    args = parser.parse_args()
    print(f"| task | success ({args.seeds} seeds, noise {args.noise}) | mean ticks | time |")
    print("|---|---|---|---|")
    for task in list_tasks():
        ok, mean_ticks, elapsed = success_rate(task, args.seeds, args.noise)
        print(
            f"| {task} | {ok}/{args.seeds} ({100 * ok / args.seeds:.0f}%) | {mean_ticks:.0f} "
            f"| {elapsed:.1f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()

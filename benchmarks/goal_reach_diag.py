"""Where does a policy take the hand? The closest xy approach to every button or marker.

Success rates say a policy fails, not how. This rolls a checkpoint out (execute 8 of each
chunk, the eval default) and prints, per episode, the closest the hand came in xy to the
named target (starred) and to each look-alike, and its lowest height: a policy that
grounds the instruction comes close to the starred one; a blind one presses the table at
random spots.

    python benchmarks/goal_reach_diag.py runs/p/policy --task panda/press_button --episodes 8
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np
from actloop.policies import VLAPolicy
from actloop.sim import make

TARGETS = {"button": "button", "reach": "marker"}  # task-name fragment -> body prefix


def closest_approaches(env, policy, seed: int, execute: int, objects: list[str]):
    observation = env.reset(seed=seed)
    positions = [env.world.body_pos(name)[:2] for name in objects]
    closest, lowest = [np.inf] * len(objects), np.inf
    while env.termination() is None and env.ticks < env.max_ticks:
        for action in policy.infer(observation).actions[:execute]:
            env.send_action(action)
            hand = env.world.tcp_pos()
            closest = [
                min(c, float(np.linalg.norm(hand[:2] - p)))
                for c, p in zip(closest, positions, strict=True)
            ]
            lowest = min(lowest, float(hand[2]))
            if env.termination() is not None:
                break
        observation = env.observe()
    return closest, lowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("policy")
    parser.add_argument("--task", default="panda/press_button")
    parser.add_argument("--episodes", type=int, default=8)
    parser.add_argument("--seed-base", type=int, default=1_000_000)
    parser.add_argument("--execute", type=int, default=8)
    args = parser.parse_args()
    prefix = next((p for key, p in TARGETS.items() if key in args.task), None)
    if prefix is None:
        raise SystemExit(f"{args.task}: only tasks with {sorted(TARGETS)} in the name")
    policy = VLAPolicy.from_pretrained(args.policy).eval()
    env = make(args.task, image_size=policy.config.vision.image_size)
    count = getattr(env.task.layout, f"{prefix}s")
    objects = [f"{prefix}{i}" for i in range(count)]
    for episode in range(args.episodes):
        seed = args.seed_base + episode
        closest, lowest = closest_approaches(env, policy, seed, args.execute, objects)
        target = int(
            np.argmin(
                [
                    np.linalg.norm(env.world.body_pos(o)[:2] - env.setup.goal["goal_pos"][:2])
                    for o in objects
                ]
            )
        )
        cells = " ".join(
            ("*" if i == target else "") + f"{c * 100:.1f}" for i, c in enumerate(closest)
        )
        print(f"seed {seed}: {env.termination()}, closest xy (cm) {cells}, lowest z {lowest:.3f} m")
    env.close()


if __name__ == "__main__":
    main()

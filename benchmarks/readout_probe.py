"""Does a trained policy know WHICH object the instruction names? The goal readout's
predictions against the sim's truth, on fresh resets (seeds no demo used).

A pick-and-place policy can fail by not finding the named cube at all: the readout then
puts the cube between the candidates, the answer that minimises its loss when it cannot
tell them apart (BENCHMARKS.md, sessions 4 and 5). For each reset this prints how far the
predicted cube is from the named cube and from the cubes' midpoint, and how far the
predicted pad/goal is from the named one, all in the table plane:

    python benchmarks/readout_probe.py --policy CKPT --task so101/pick_place --resets 30
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from actloop.policies import VLAPolicy
from actloop.policies.heads.goal import GOAL_SCALE
from actloop.sim import make


def table_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a)[:2] - np.asarray(b)[:2]) * 100)  # cm


@torch.no_grad()
def probe(policy: VLAPolicy, task: str, resets: int, seed_base: int) -> np.ndarray:
    """Rows of (cube to named cube, cube to midpoint, goal to named goal) in cm."""
    env = make(task, image_size=policy.config.vision.image_size)
    cubes = env.task.layout.cubes
    rows = []
    for seed in range(seed_base, seed_base + resets):
        observation = env.reset(seed)
        _, _, predicted = policy.encode(policy.observation_batch([observation]))
        offsets = predicted[0].numpy().reshape(-1, 3) / GOAL_SCALE
        tcp, facts = env.world.tcp_pos(), env.setup.goal
        goal, cube = tcp + offsets[0], tcp + offsets[1]
        midpoint = np.mean([env.world.body_pos(f"cube{i}") for i in range(cubes)], 0)
        row = [table_distance(goal, facts["goal_pos"])]
        if cubes:
            row = [table_distance(cube, facts["object_pos"]), table_distance(cube, midpoint), *row]
        rows.append(row)
    env.close()
    return np.array(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy", required=True, help="checkpoint directory")
    parser.add_argument("--task", required=True)
    parser.add_argument("--resets", type=int, default=30)
    parser.add_argument("--seed-base", type=int, default=100_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    policy = VLAPolicy.from_pretrained(args.policy).eval()
    if policy.goal is None:
        raise SystemExit(f"{args.policy} has no goal readout (goal_weight 0): nothing to probe")
    rows = probe(policy, args.task, args.resets, args.seed_base)
    names = ["cube -> named cube", "cube -> midpoint", "goal -> named goal"][-rows.shape[1] :]
    print(f"{args.policy} on {args.task}, {len(rows)} resets from seed {args.seed_base} (cm):")
    for name, column in zip(names, rows.T, strict=True):
        print(f"  {name:20s} mean {column.mean():5.1f}  median {np.median(column):5.1f}")


if __name__ == "__main__":
    main()

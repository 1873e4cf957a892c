"""How fast does the policy backbone learn WHERE the named object is? A direct probe.

The policy only learns the goal from vision through the actions of the first ticks (later
ticks can read it off the state), so a backbone that cannot localise the named button is
hard to see through success rates alone. This trains the `small` backbone (vision + text,
state hidden) with an attention-pooled regression head on one job: the target's table xy
from the first frame of each demo, against a held-out set of episodes, and prints the
held-out error next to the predict-the-mean baseline. Compare text vocabularies or vision
options in one run each:

    python benchmarks/grounding_probe.py STORE.zarr --steps 600 --vocabulary bytes
    python benchmarks/grounding_probe.py STORE.zarr --steps 600 --vocabulary words
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import torch
from actloop.datasets import EpisodeStore
from actloop.policies import VLAPolicy, fake_stats, get_preset
from actloop.sim import make
from torch import nn


def first_frames(store_path: str):
    """Frame-0 images, instructions and the privileged target xy (from the sim seed)."""
    store = EpisodeStore(store_path)
    starts = np.concatenate([[0], store.episode_ends[:-1]]).astype(int)
    metas = [store.meta(i) for i in range(store.num_episodes)]
    env = make(metas[0].task, render=False)
    goals = []
    for meta in metas:
        env.reset(seed=meta.seed)
        goals.append(env.setup.goal["goal_pos"][:2])
    images = {
        cam: torch.from_numpy(np.stack([store.read(f"images/{cam}", s, s + 1)[0] for s in starts]))
        for cam in store.cameras
    }
    goal = torch.tensor(np.stack(goals), dtype=torch.float32)
    return images, [m.instruction for m in metas], goal, metas[0].embodiment


class Probe(nn.Module):
    def __init__(self, backbone: nn.Module, d_model: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.query = nn.Parameter(torch.randn(1, 1, d_model) * 0.02)
        self.pool = nn.MultiheadAttention(d_model, 4, batch_first=True)
        self.head = nn.Sequential(nn.Linear(d_model, 256), nn.GELU(), nn.Linear(256, 2))

    def forward(self, images, instructions) -> torch.Tensor:
        b = len(instructions)
        batch = {
            "images": {cam: frames[:, None] for cam, frames in images.items()},
            "state": torch.zeros(b, 1, 32),
            "state_mask": torch.zeros(b, 32),  # hidden: vision and language only
            "obs_pad": torch.zeros(b, 1),
            "instruction": instructions,
            "embodiment_id": torch.zeros(b, dtype=torch.long),
        }
        prefix, valid = self.backbone(batch)
        pooled, _ = self.pool(self.query.expand(b, -1, -1), prefix, prefix, key_padding_mask=~valid)
        return self.head(pooled[:, 0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--vocabulary", default="words", choices=["bytes", "words"])
    parser.add_argument("--holdout", type=int, default=50, help="last N episodes held out")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images, instructions, goal, embodiment = first_frames(args.store)
    n, fit = len(instructions), len(instructions) - args.holdout
    mean, std = goal[:fit].mean(0), goal[:fit].std(0)
    small = get_preset("small")
    config = small.replace(text=dataclasses.replace(small.text, vocabulary=args.vocabulary))
    torch.manual_seed(0)
    policy = VLAPolicy.create(config, fake_stats((embodiment,)), instructions=instructions[:fit])
    probe = Probe(policy.backbone, config.d_model)
    optimiser = torch.optim.AdamW(probe.parameters(), lr=1e-3)
    rng, held_out, started = np.random.default_rng(0), list(range(fit, n)), time.perf_counter()
    baseline = (mean - goal[held_out]).norm(dim=1).mean() * 100
    for step in range(1, args.steps + 1):
        probe.train()
        idx = rng.integers(0, fit, 32).tolist()
        pick = {cam: frames[idx] for cam, frames in images.items()}
        prediction = probe(pick, [instructions[i] for i in idx])
        loss = ((prediction - (goal[idx] - mean) / std) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % 100 == 0 or step == args.steps:
            probe.eval()
            with torch.no_grad():
                pick = {cam: frames[held_out] for cam, frames in images.items()}
                xy = probe(pick, [instructions[i] for i in held_out]) * std + mean
            error = (xy - goal[held_out]).norm(dim=1).mean() * 100
            print(
                f"{args.vocabulary} step {step}: held-out error {error:.1f} cm "
                f"(predict-the-mean {baseline:.1f} cm), {time.perf_counter() - started:.0f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()

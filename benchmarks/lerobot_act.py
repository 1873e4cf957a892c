"""Train LeRobot's ACT on actloop demos for a fixed wall-clock budget (the baseline half
of ``control_quality.py``).

The demos are exported with actloop's own converter (``zarr_to_lerobot``), ACT is built
with lerobot 0.4.4's own config, processors and loss, and the result is saved with its
own ``save_pretrained``; actloop then evaluates it through ``LeRobotPolicyAdapter`` in the
same ControlLoop as actloop's policies. The backbone starts from random weights, as
actloop's does (no download). The videos are decoded once into memory before the clock
starts, so ACT's budget goes to optimisation rather than to pyav decoding.

    python benchmarks/lerobot_act.py STORE.zarr OUT_DIR --minutes 30
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

CHUNK, EXECUTE = 16, 8  # the same chunk and execution horizon as actloop's small policy


def export(store: str, out: Path) -> Path:
    from actloop.datasets import zarr_to_lerobot

    target = out / "lerobot_dataset"
    if not (target / "meta" / "info.json").is_file():
        zarr_to_lerobot(store, str(target), repo_id="actloop/demos")
    return target


def build(dataset_root: Path):
    from lerobot.configs.types import FeatureType
    from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
    from lerobot.datasets.utils import dataset_to_policy_features
    from lerobot.policies.act.configuration_act import ACTConfig
    from lerobot.policies.act.modeling_act import ACTPolicy
    from lerobot.policies.factory import make_pre_post_processors

    meta = LeRobotDatasetMetadata("actloop/demos", root=dataset_root)
    features = dataset_to_policy_features(meta.features)
    outputs = {k: f for k, f in features.items() if f.type is FeatureType.ACTION}
    # What a deployed policy sees: cameras and joint state, never the recorded sim facts.
    inputs = {
        k: f
        for k, f in features.items()
        if k == "observation.state" or k.startswith("observation.images.")
    }
    config = ACTConfig(
        input_features=inputs,
        output_features=outputs,
        chunk_size=CHUNK,
        n_action_steps=EXECUTE,
        pretrained_backbone_weights=None,
        device="cpu",
    )
    policy = ACTPolicy(config)
    pre, post = make_pre_post_processors(config, dataset_stats=meta.stats)
    deltas = {"action": [i / meta.fps for i in range(CHUNK)]}
    dataset = LeRobotDataset(
        "actloop/demos", root=dataset_root, delta_timestamps=deltas, video_backend="pyav"
    )
    return config, policy, pre, post, dataset


def to_uint8(frame: dict) -> dict:
    """Decoded frames are uint8 pixels scaled to [0, 1]: keep them as bytes (4x less memory,
    exactly invertible) so 500 demos of two cameras fit in RAM."""
    return {
        k: _image_bytes(v) if k.startswith("observation.images") else v for k, v in frame.items()
    }


def _image_bytes(image: torch.Tensor) -> torch.Tensor:
    return (image * 255).round().to(torch.uint8)


def to_float(batch: dict) -> dict:
    return {
        k: v.float() / 255 if k.startswith("observation.images") else v for k, v in batch.items()
    }


def train(store: str, out: Path, minutes: float, batch_size: int = 32, seed: int = 0) -> dict:
    torch.manual_seed(seed)
    config, policy, pre, post, dataset = build(export(store, out))
    optimizer = torch.optim.AdamW(
        policy.get_optim_params(),
        lr=config.optimizer_lr,
        weight_decay=config.optimizer_weight_decay,
    )
    decode_started = time.perf_counter()
    frames = [to_uint8(dataset[i]) for i in range(len(dataset))]  # decode once, up front
    decode_seconds = time.perf_counter() - decode_started
    loader = torch.utils.data.DataLoader(
        frames, batch_size=batch_size, shuffle=True, drop_last=True, num_workers=0
    )
    policy.train()
    steps, started, deadline = 0, time.perf_counter(), time.perf_counter() + minutes * 60
    while time.perf_counter() < deadline:
        for batch in loader:
            loss, _ = policy.forward(pre(to_float(batch)))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 10.0)
            optimizer.step()
            optimizer.zero_grad()
            steps += 1
            if time.perf_counter() >= deadline:
                break
    policy_dir = out / "act_policy"
    policy.save_pretrained(policy_dir)
    pre.save_pretrained(policy_dir)
    post.save_pretrained(policy_dir)
    return {
        "steps": steps,
        "seconds": time.perf_counter() - started,
        "decode_seconds": decode_seconds,
        "frames": len(frames),
        "loss": float(loss.detach()),
        "policy_dir": str(policy_dir),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("out", type=Path)
    parser.add_argument("--minutes", type=float, default=30.0)
    args = parser.parse_args()
    print(train(args.store, args.out, args.minutes))


if __name__ == "__main__":
    main()

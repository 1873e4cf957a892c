"""Milliseconds per action chunk: actloop's small VLA preset vs LeRobot ACT and Diffusion
Policy, side by side in one run on the same inputs (96x96 images, 2 cameras, 7-D panda
action, chunk 16). LeRobot policies have random weights (no backbone download); actloop's
policy is first fitted for a few hundred steps on fake data so its AR head emits real
chunks (latency per pass does not depend on the weights; Jacobi's pass count does).

    /work/venv/bin/python benchmarks/policy_latency.py [--threads 2] [--fit-steps 200]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch
from actloop.control import Observation, get_embodiment
from actloop.policies import VLAPolicy, fake_sample, fake_stats, get_preset
from actloop.policies.hybrid import to_device
from torch.utils.data import default_collate


def median_ms(fn, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def fitted_policy(config, steps: int, batch_size: int = 8) -> tuple[VLAPolicy, list[dict]]:
    torch.manual_seed(0)
    policy = VLAPolicy.create(config, fake_stats(("panda",)))
    samples = [fake_sample(policy.config, "panda", seed=i) for i in range(batch_size)]
    batch = default_collate([policy.transform(s) for s in samples])
    optimiser = torch.optim.AdamW(policy.parameters(), lr=1e-3)
    for _ in range(steps):
        loss, metrics = policy.loss(batch)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    print(f"  fitted {steps} steps on {batch_size} fake samples: {metrics}")
    return policy.eval(), samples


def observation(sample: dict) -> Observation:
    return Observation(
        {c: v[-1] for c, v in sample["images"].items()},
        sample["state"][-1],
        sample["instruction"],
        sample["embodiment"],
        0.0,
    )


def actloop_rows(policy: VLAPolicy, obs: Observation, repeats: int) -> dict[str, float]:
    rows = {}
    policy.mode = "diffusion"
    rows["actloop small: diffusion (DDIM 10 steps)"] = median_ms(lambda: policy.infer(obs), repeats)
    batch = policy.observation_batch([obs])
    with torch.no_grad():
        prefix, valid = policy.backbone(batch)
        greedy = policy.ar.decode(prefix, valid)
        from actloop.policies.heads.jacobi import jacobi_decode

        jacobi = jacobi_decode(policy.ar, prefix, valid, window=policy.config.ar.jacobi_window)
    same = jacobi.tokens == greedy.tokens
    print(
        f"  AR tokens per chunk {len(greedy.tokens[0])}; greedy passes {greedy.passes}, "
        f"Jacobi passes {jacobi.passes}; Jacobi tokens identical to greedy: {same}; "
        f"AR confidence {greedy.confidence[0]:.3f}"
    )
    for decoding, label in (("greedy", "AR sequential (KV cache)"), ("jacobi", "AR Jacobi")):
        policy.config = policy.config.replace(
            ar=dataclasses.replace(policy.config.ar, decoding=decoding)
        )
        policy.mode = "ar"
        rows[f"actloop small: {label}"] = median_ms(lambda: policy.infer(obs), repeats)
    policy.mode = "ensemble"
    rows["actloop small: ensemble (diffusion + Jacobi)"] = median_ms(
        lambda: policy.infer(obs), repeats
    )
    print(f"  ensemble used: {policy.last_info}")
    return rows


def lerobot_rows(cameras: tuple[str, ...], size: int, repeats: int) -> dict[str, float]:
    from lerobot.configs.types import FeatureType, PolicyFeature
    from lerobot.policies.act.configuration_act import ACTConfig
    from lerobot.policies.act.modeling_act import ACTPolicy
    from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
    from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy

    spec = get_embodiment("panda")
    inputs = {
        f"observation.images.{c}": PolicyFeature(FeatureType.VISUAL, (3, size, size))
        for c in cameras
    }
    inputs["observation.state"] = PolicyFeature(FeatureType.STATE, (spec.state_dim,))
    outputs = {"action": PolicyFeature(FeatureType.ACTION, (spec.action_dim,))}
    common = {
        "input_features": inputs,
        "output_features": outputs,
        "device": "cpu",
        "pretrained_backbone_weights": None,
    }
    act = ACTPolicy(ACTConfig(chunk_size=16, n_action_steps=16, **common)).eval()
    dp = DiffusionPolicy(
        DiffusionConfig(
            n_obs_steps=1,
            horizon=16,
            n_action_steps=8,
            noise_scheduler_type="DDIM",
            num_inference_steps=10,
            crop_shape=None,
            **common,
        )
    ).eval()
    images = {k: torch.rand(1, 3, size, size) for k in inputs if "images" in k}
    state = torch.randn(1, spec.state_dim)
    act_batch = {**images, "observation.state": state}
    dp_batch = {
        "observation.state": state[:, None],
        "observation.images": torch.stack(list(images.values()), 1)[:, None],
    }
    with torch.no_grad():
        rows = {
            "LeRobot ACT (resnet18, chunk 16)": median_ms(
                lambda: act.predict_action_chunk(act_batch), repeats
            ),
            "LeRobot Diffusion Policy (DDIM 10 steps)": median_ms(
                lambda: dp.diffusion.generate_actions(dp_batch), repeats
            ),
        }
    params = {
        "ACT": sum(p.numel() for p in act.parameters()),
        "DP": sum(p.numel() for p in dp.parameters()),
    }
    print(f"  LeRobot parameters: {params}")
    return rows


def conditioning_rows(steps: int, repeats: int) -> None:
    """Cross-attention vs in-context conditioning: fit quality and latency, same seed/data."""
    for conditioning in ("cross", "in_context"):
        base = get_preset("small")
        config = base.replace(
            diffusion=dataclasses.replace(base.diffusion, conditioning=conditioning), ar_weight=0.0
        )
        policy, samples = fitted_policy(config, steps)
        batch = to_device(default_collate([policy.transform(s) for s in samples]), "cpu")
        torch.manual_seed(0)
        with torch.no_grad():
            eval_loss = statistics.mean(policy.loss(batch)[1]["diffusion_loss"] for _ in range(8))
            error = np.abs(policy.predict(batch, "diffusion") - batch["action"].numpy())[
                ..., :7
            ].mean()
        ms = median_ms(lambda p=policy, s=samples: p.infer(observation(s[0])), repeats)
        print(
            f"  conditioning={conditioning:10s} diffusion loss {eval_loss:.4f}  "
            f"chunk L1 error {error:.4f}  {ms:.1f} ms/chunk"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--fit-steps", type=int, default=200)
    parser.add_argument(
        "--conditioning-steps",
        type=int,
        default=0,
        help="also compare DiT conditioning after this many fit steps",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads={args.threads} load average before: {os.getloadavg()}")
    config = get_preset("small")
    policy, samples = fitted_policy(config, args.fit_steps)
    print(f"  actloop small parameters: {sum(p.numel() for p in policy.parameters())}")
    rows = actloop_rows(policy, observation(samples[0]), args.repeats)
    rows |= lerobot_rows(config.cameras, config.vision.image_size, args.repeats)
    act = rows["LeRobot ACT (resnet18, chunk 16)"]
    print(f"\n{'policy':48s} {'ms/chunk':>9s} {'vs ACT':>7s}")
    for name, ms in rows.items():
        print(f"{name:48s} {ms:9.1f} {ms / act:7.2f}")
    seq, jac = rows["actloop small: AR sequential (KV cache)"], rows["actloop small: AR Jacobi"]
    print(f"Jacobi speed-up over sequential: {seq / jac:.2f}x")
    if args.conditioning_steps:
        conditioning_rows(args.conditioning_steps, args.repeats)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

"""Milliseconds per action chunk: actloop's small VLA preset vs LeRobot ACT and Diffusion
Policy, side by side in one run on the same inputs (96x96 images, 2 cameras, 7-D panda
action, chunk 16). LeRobot policies have random weights (no backbone download); actloop's
policy is first fitted for a few hundred steps on fake data so its AR head emits real
chunks (latency per pass does not depend on the weights; Jacobi's pass count does).

    /work/venv/bin/python benchmarks/policy_latency.py [--threads 1] [--fit-steps 600]
        [--consistency-weight 1.0]   # also fit with Jacobi consistency training, compare

The diffusion and Jacobi rows also time a copy with ``compile_inference`` (torch.compile,
inductor: the vision encoder with frozen weights, and each DiT sampling step).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch
from actloop.control import ActionChunk, Observation, get_embodiment
from actloop.policies import VLAPolicy, fake_sample, fake_stats, get_preset
from actloop.policies.backbone import masked_mean
from actloop.policies.heads.jacobi import jacobi_decode
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


class Fit:
    """A policy fitted on a fixed batch of fake samples; ``more`` continues the same run, so
    a fit can be extended to match another's CPU time (process time: one thread, and other
    jobs on the box do not count against it)."""

    def __init__(self, config, batch_size: int = 8) -> None:
        torch.manual_seed(0)
        self.policy = VLAPolicy.create(config, fake_stats(("panda",)))
        self.samples = [fake_sample(self.policy.config, "panda", seed=i) for i in range(batch_size)]
        self.batch = default_collate([self.policy.transform(s) for s in self.samples])
        self.optimiser = torch.optim.AdamW(self.policy.parameters(), lr=1e-3)
        self.steps, self.cpu_s = 0, 0.0

    def more(self, steps: int = 0, until_cpu_s: float = 0.0) -> VLAPolicy:
        self.policy.train()
        start = time.process_time() - self.cpu_s
        while steps > 0 or time.process_time() - start < until_cpu_s:
            loss, metrics = self.policy.loss(self.batch)
            self.optimiser.zero_grad()
            loss.backward()
            self.optimiser.step()
            self.steps, steps = self.steps + 1, steps - 1
        self.cpu_s = time.process_time() - start
        shown = {k: round(v, 4) for k, v in metrics.items()}
        print(f"  fitted {self.steps} steps ({self.cpu_s:.0f} CPU s) on fake samples: {shown}")
        return self.policy.eval()


def fitted_policy(config, steps: int, batch_size: int = 8) -> tuple[VLAPolicy, list[dict]]:
    fit = Fit(config, batch_size)
    return fit.more(steps), fit.samples


def observation(sample: dict) -> Observation:
    return Observation(
        {c: v[-1] for c, v in sample["images"].items()},
        sample["state"][-1],
        sample["instruction"],
        sample["embodiment"],
        0.0,
    )


def interleaved_medians(fns: dict, repeats: int, warmup: int = 2) -> dict[str, float]:
    """Median ms of each fn, timed round-robin so load from other jobs hits all alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


def decoders(policy: VLAPolicy, obs: Observation, windows=()) -> tuple[dict, list[int]]:
    """Decode-only callables on ONE shared prefix (backbone run once, outside the timing)."""
    batch = policy.observation_batch([obs])
    with torch.inference_mode():
        prefix, valid, _ = policy.encode(batch)  # the goal token too, when configured
        chunk = policy.diffusion.sample(
            prefix, valid, batch["action_mask"], batch["embodiment_id"]
        ).numpy()[0]
    mask = batch["action_mask"][0].numpy().astype(bool)
    seeded = [policy.action_tokenizer.encode(chunk, mask).tolist()]
    greedy = policy.ar.decode(prefix, valid)
    window = policy.config.ar.jacobi_window
    fns = {
        "sequential": lambda: policy.ar.decode(prefix, valid),
        "Jacobi, cold start": lambda: jacobi_decode(policy.ar, prefix, valid, None, window),
        "Jacobi, diffusion-seeded": lambda: jacobi_decode(policy.ar, prefix, valid, seeded, window),
    }
    for w in windows:
        fns[f"Jacobi, cold start, window {w}"] = lambda w=w: jacobi_decode(
            policy.ar, prefix, valid, None, w
        )
    return fns, greedy.tokens[0]


def decode_rows(
    policy: VLAPolicy, observations: list[Observation], repeats: int, windows=()
) -> dict:
    """Sequential (KV cache) vs Jacobi decoding, decode only, per observation and overall;
    returns {decoder: (mean passes, mean ms)}. Fails unless every decoder equals greedy."""
    runs: dict[str, list[tuple[int, float]]] = {}
    for i, obs in enumerate(observations):
        fns, greedy = decoders(policy, obs, windows)
        ms = interleaved_medians(fns, repeats)
        for name, fn in fns.items():
            decoded = fn()
            if decoded.tokens[0] != greedy:
                raise AssertionError(f"{name} tokens differ from greedy on observation {i}")
            runs.setdefault(name, []).append((decoded.passes, ms[name]))
            print(
                f"  obs {i}: {name:26s} {len(greedy)} tokens, {decoded.passes:2d} passes, "
                f"{ms[name]:6.2f} ms, {ms['sequential'] / ms[name]:.2f}x, identical to greedy"
            )
    header = "decode only (mean over observations)"
    print(f"\n{header:40s} {'passes':>6s} {'ms':>7s} {'speed-up':>8s}")
    seq_ms = statistics.mean(ms for _, ms in runs["sequential"])
    means = {}
    for name, values in runs.items():
        passes, ms = means[name] = [statistics.mean(column) for column in zip(*values, strict=True)]
        print(f"{name:40s} {passes:6.1f} {ms:7.2f} {seq_ms / ms:7.2f}x")
    return means


def consistency_rows(config, fit: Fit, observations, weight: float, repeats: int, windows) -> None:
    """Same fit steps with and without the Jacobi consistency loss, then the plain fit
    extended to the consistency fit's CPU time; decode-only rows side by side."""
    baseline = decode_rows(fit.policy, observations, repeats, windows)
    runs = {f"baseline, {fit.steps} steps, {fit.cpu_s:.0f} CPU s": baseline}
    ar = dataclasses.replace(config.ar, consistency_weight=weight)
    print(f"\nconsistency training: {ar}")
    consistent = Fit(config.replace(ar=ar))
    consistent.more(fit.steps)
    name = f"consistency {weight}, {consistent.steps} steps, {consistent.cpu_s:.0f} CPU s"
    runs[name] = decode_rows(consistent.policy, observations, repeats, windows)
    print("\nbaseline continued to the consistency fit's CPU time:")
    fit.more(until_cpu_s=consistent.cpu_s)
    name = f"baseline, {fit.steps} steps, {fit.cpu_s:.0f} CPU s"
    runs[name] = decode_rows(fit.policy, observations, repeats, windows)
    title = "fit: Jacobi cold start (decode only, mean of 4 obs)"
    print(f"\n{title:60s} {'seq ms':>7s} {'passes':>6s} {'ms':>6s}")
    for name, rows in runs.items():
        for decoder in (
            "Jacobi, cold start",
            *(f"Jacobi, cold start, window {w}" for w in windows),
        ):
            (_, seq), (passes, ms) = rows["sequential"], rows[decoder]
            label = f"{name}{decoder.removeprefix('Jacobi, cold start')}"
            print(f"{label:60s} {seq:7.2f} {passes:6.1f} {ms:6.2f} {seq / ms:5.2f}x identical")


def sampling_plan_rows(
    policy: VLAPolicy, compiled: VLAPolicy, obs: Observation, repeats: int
) -> None:
    """DiT sampling alone on one shared prefix: the sampling plan (adaLN terms of all steps
    in one batched pass) against running every step through the training-time forward."""
    batch = policy.observation_batch([obs])
    with torch.inference_mode():
        prefix, valid, _ = policy.encode(batch)
    args = (prefix, valid, batch["action_mask"], batch["embodiment_id"])
    fns = {
        name: lambda p=precompute: policy.diffusion.sample(*args, precompute=p)
        for name, precompute in (("per-step forward", False), ("sampling plan", True))
    }
    fns["sampling plan, compiled"] = lambda: compiled.diffusion.sample(*args)
    with torch.inference_mode():
        rows = interleaved_medians(fns, repeats)
    steps = policy.config.diffusion.inference_steps
    print(f"\nDiT sampling only, DDIM {steps} steps (ms/chunk)")
    for name, ms in rows.items():
        print(f"  {name:24s} {ms:7.2f}  ({rows['per-step forward'] / ms:.2f}x)")


def vision_rows(policy: VLAPolicy, compiled: VLAPolicy, obs: Observation, repeats: int) -> None:
    """The vision encoder alone (both cameras, FiLM and grounding), eager against frozen and
    compiled, on the same instruction condition."""
    batch = policy.observation_batch([obs])
    backbone = policy.backbone
    with torch.inference_mode():
        text, text_valid = backbone.text(list(batch["instruction"]))
        roles = backbone.roles(text, text_valid) if backbone.roles is not None else None
        condition = masked_mean(text, text_valid)
        fns = {
            name: lambda p=p: p.backbone.vision(batch["images"], condition, roles)
            for name, p in (("eager", policy), ("frozen, compiled", compiled))
        }
        rows = interleaved_medians(fns, repeats)
    print(f"\nvision encoder only, {len(policy.config.cameras)} cameras (ms/chunk)")
    for name, ms in rows.items():
        print(f"  {name:24s} {ms:7.2f}  ({rows['eager'] / ms:.2f}x)")


def compiled_copy(policy: VLAPolicy, obs: Observation) -> VLAPolicy:
    """A copy of ``policy`` with ``compile_inference`` on, compiled by its first chunk."""
    compiled = copy.deepcopy(policy).compile_inference()
    start = time.perf_counter()
    torch.manual_seed(0)
    chunk = infer_with(compiled, obs, "diffusion", "jacobi").actions
    took = time.perf_counter() - start
    torch.manual_seed(0)
    reference = infer_with(policy, obs, "diffusion", "jacobi").actions
    print(f"\ncompile_inference: the first chunk took {took:.1f} s (compiling)")
    gap = np.abs(chunk - reference).max()
    print(f"  max |compiled - eager| over one chunk, same noise: {gap:.1e}")
    return compiled


def actloop_rows(
    policy: VLAPolicy, compiled: VLAPolicy, obs: Observation, repeats: int
) -> dict[str, float]:
    """End to end ms per chunk through ``policy.infer`` (backbone + head + inverse transform)."""
    fns = {}
    for name, mode, decoding in (
        ("diffusion (DDIM 10 steps)", "diffusion", "jacobi"),
        ("AR sequential (KV cache)", "ar", "greedy"),
        ("AR Jacobi (window 16)", "ar", "jacobi"),
        ("ensemble (diffusion + seeded Jacobi)", "ensemble", "jacobi"),
    ):
        fns[f"actloop small: {name}"] = lambda m=mode, d=decoding: infer_with(policy, obs, m, d)
    fns["actloop small: diffusion, compile_inference"] = lambda: infer_with(
        compiled, obs, "diffusion", "jacobi"
    )
    fns["actloop small: AR Jacobi, compile_inference"] = lambda: infer_with(
        compiled, obs, "ar", "jacobi"
    )
    return interleaved_medians(fns, repeats)


def infer_with(policy: VLAPolicy, obs: Observation, mode: str, decoding: str) -> ActionChunk:
    policy.mode = mode
    ar = dataclasses.replace(policy.config.ar, decoding=decoding)
    policy.config = policy.config.replace(ar=ar)
    policy.reset()  # one observation per chunk: no history carried between timed calls
    return policy.infer(obs)


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
    parser.add_argument("--fit-steps", type=int, default=600)
    parser.add_argument("--skip-lerobot", action="store_true")
    parser.add_argument(
        "--extra-windows", default="", help="with --consistency-weight: also these, e.g. 32,48"
    )
    parser.add_argument(
        "--consistency-weight",
        type=float,
        default=0.0,
        help="instead of the end-to-end rows, compare Jacobi decoding after fitting with and "
        "without the consistency loss at this weight (same steps, then same CPU time)",
    )
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
    config = config.replace(ar=dataclasses.replace(config.ar, consistency_weight=0.0))
    fit = Fit(config)
    policy, samples = fit.more(args.fit_steps), fit.samples
    print(f"  actloop small parameters: {sum(p.numel() for p in policy.parameters())}")
    observations = [observation(s) for s in samples[:2]]
    observations += [observation(fake_sample(config, "panda", seed=100 + i)) for i in range(2)]
    print("  obs 0-1 were fitted on, obs 2-3 are held out")
    if args.consistency_weight > 0:
        windows = [int(w) for w in args.extra_windows.split(",") if w]
        consistency_rows(config, fit, observations, args.consistency_weight, args.repeats, windows)
        return
    decode_rows(policy, observations, args.repeats)
    compiled = compiled_copy(policy, observations[0])
    vision_rows(policy, compiled, observations[0], args.repeats)
    sampling_plan_rows(policy, compiled, observations[0], args.repeats)
    rows = actloop_rows(policy, compiled, observations[0], args.repeats)
    if not args.skip_lerobot:
        rows |= lerobot_rows(config.cameras, config.vision.image_size, args.repeats)
    act = rows.get("LeRobot ACT (resnet18, chunk 16)", float("nan"))
    print(f"\n{'policy (end to end)':52s} {'ms/chunk':>9s} {'vs ACT':>7s}")
    for name, ms in rows.items():
        print(f"{name:52s} {ms:9.1f} {ms / act:7.2f}")
    seq = rows["actloop small: AR sequential (KV cache)"]
    jac = rows["actloop small: AR Jacobi (window 16)"]
    print(f"Jacobi speed-up over sequential, end to end: {seq / jac:.2f}x")
    if args.conditioning_steps:
        conditioning_rows(args.conditioning_steps, args.repeats)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

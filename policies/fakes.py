"""Synthetic inputs so model tests and benchmarks need no dataset (openpi's fake observation).

Everything here is shaped exactly like the real thing: samples like the datasets sampler
emits, statistics like actloop.datasets computes, observations like a Robot returns.
"""

from __future__ import annotations

import numpy as np
from actloop.control import EmbodimentSpec, Observation, get_embodiment
from torch.utils.data import default_collate

from .config import PolicyConfig

INSTRUCTIONS = ("pick up the red cube", "push the block to the left", "open the drawer")


def smooth_native(spec: EmbodimentSpec, steps: int, rng: np.random.Generator, role: str = "action"):
    """A smooth random trajectory inside each field's limits (gripper: a binary switch)."""
    fields = spec.action_fields if role == "action" else spec.state_fields
    t = np.linspace(0.0, 1.0, steps)[:, None]
    low = np.array([f.low if np.isfinite(f.low) else -1.0 for f in fields])
    high = np.array([f.high if np.isfinite(f.high) else 1.0 for f in fields])
    phase, freq = rng.uniform(0, 2 * np.pi, len(fields)), rng.uniform(0.2, 1.0, len(fields))
    wave = 0.5 + 0.4 * np.sin(2 * np.pi * freq * t + phase)
    values = low + (high - low) * wave
    for i, f in enumerate(fields):
        if f.kind.value == "gripper":
            values[:, i] = np.where(wave[:, i] > 0.5, high[i], low[i])
    return values.astype(np.float32)


def fake_stats(embodiments: tuple[str, ...] = ("panda",)) -> dict:
    """Statistics in the datasets layout, from each field's limits (finite stand-ins)."""
    stats = {}
    for name in embodiments:
        spec = get_embodiment(name)
        stats[name] = {}
        for role in ("action", "state"):
            data = np.concatenate(
                [smooth_native(spec, 64, np.random.default_rng(s), role) for s in range(8)]
            )
            stats[name][role] = {
                "mean": data.mean(0),
                "std": data.std(0),
                "min": data.min(0),
                "max": data.max(0),
                "q01": np.quantile(data, 0.01, axis=0),
                "q99": np.quantile(data, 0.99, axis=0),
            }
    return stats


def fake_sample(config: PolicyConfig, embodiment: str = "panda", seed: int = 0) -> dict:
    """One sample exactly as actloop.datasets' sampler emits it (native units)."""
    rng = np.random.default_rng(seed)
    spec, k, size = get_embodiment(embodiment), config.n_obs_steps, config.vision.image_size
    return {
        "images": {
            cam: rng.integers(0, 256, (k, size, size, 3), dtype=np.uint8) for cam in config.cameras
        },
        "state": smooth_native(spec, k, rng, "state"),
        "action": smooth_native(spec, config.horizon, rng, "action"),
        "obs_pad": np.zeros(k, dtype=bool),
        "action_pad": np.zeros(config.horizon, dtype=bool),
        "instruction": INSTRUCTIONS[seed % len(INSTRUCTIONS)],
        "embodiment": embodiment,
    }


def fake_batch(policy, batch_size: int = 4, embodiment: str | None = None, seed: int = 0) -> dict:
    """A collated training batch through the policy's own transform (as a DataLoader gives)."""
    embodiment = embodiment or policy.transform.embodiments[0]
    samples = [
        policy.transform(fake_sample(policy.config, embodiment, seed + i))
        for i in range(batch_size)
    ]
    return default_collate(samples)


def fake_observation(config: PolicyConfig, embodiment: str = "panda", seed: int = 0) -> Observation:
    rng = np.random.default_rng(seed)
    spec, size = get_embodiment(embodiment), config.vision.image_size
    return Observation(
        images={
            cam: rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for cam in config.cameras
        },
        state=smooth_native(spec, 1, rng, "state")[0],
        instruction=INSTRUCTIONS[seed % len(INSTRUCTIONS)],
        embodiment=embodiment,
        timestamp=0.0,
    )


def synthetic_chunks(transform, horizon: int, count: int, seed: int = 0):
    """Normalised universal chunks (count, H, 32) and masks for fitting tokenizers."""
    rng = np.random.default_rng(seed)
    chunks, masks = [], []
    for i in range(count):
        embodiment = transform.embodiments[i % len(transform.embodiments)]
        native = smooth_native(transform.spec(embodiment), horizon, rng)
        chunk, mask = transform.universal_action(native, embodiment)
        chunks.append(chunk)
        masks.append(mask)
    return np.stack(chunks), np.stack(masks)

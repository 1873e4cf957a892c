"""What a run trains on and with: windowed samples from the stores, the store mixture,
normalisation statistics, and the policy built around those statistics.

The policy declares what it needs (observation history, chunk horizon); the datasets
sampler serves exactly that; the policy's own transform turns native samples into
normalised universal inputs, the same chain it runs at inference.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from actloop.control import unknown_name_message
from actloop.datasets import (
    EpisodeStore,
    StoreSource,
    WindowDataset,
    WindowSpec,
    compute_norm_stats,
)
from actloop.policies import PolicyConfig, UniversalTransform, VLAPolicy, get_preset

from .config import TrainConfig

TOKENIZER_FIT_CHUNKS = 1024  # real chunks the AR tokenizer (e.g. FAST's BPE) is fitted on


@dataclass
class TrainingSetup:
    samples: WindowDataset
    probabilities: np.ndarray
    transform: Callable[[dict], dict]
    policy: VLAPolicy

    @staticmethod
    def save_policy(policy: VLAPolicy, directory: Path) -> None:
        policy.save_pretrained(directory)


# heads -> (diffusion_weight, ar_weight) in the policy's joint loss
HEAD_WEIGHTS = {"both": (1.0, 1.0), "diffusion": (1.0, 0.0), "ar": (0.0, 1.0)}
# inference mode -> the heads it needs trained
MODE_NEEDS = {"diffusion": {"diffusion"}, "ar": {"ar"}, "ensemble": {"diffusion", "ar"}}


def policy_config(cfg: TrainConfig) -> PolicyConfig:
    """The policy preset, with the run's mode, trained heads, image size and noise draws
    applied."""
    for what, value, known in (("heads", cfg.heads, HEAD_WEIGHTS), ("mode", cfg.mode, MODE_NEEDS)):
        if value not in known:
            raise KeyError(unknown_name_message(what, value, known))
    diffusion_weight, ar_weight = HEAD_WEIGHTS[cfg.heads]
    trained = {h for h, w in (("diffusion", diffusion_weight), ("ar", ar_weight)) if w > 0}
    if not MODE_NEEDS[cfg.mode] <= trained:
        raise ValueError(
            f"mode {cfg.mode!r} needs the {sorted(MODE_NEEDS[cfg.mode])} head(s), "
            f"but heads={cfg.heads!r} trains only {sorted(trained)}"
        )
    config = get_preset(cfg.policy).replace(
        mode=cfg.mode, diffusion_weight=diffusion_weight, ar_weight=ar_weight
    )
    if cfg.state_dropout >= 0:
        config = config.replace(state_dropout=cfg.state_dropout)
    if cfg.image_size:
        vision = dataclasses.replace(config.vision, image_size=cfg.image_size)
        config = config.replace(vision=vision)
    if cfg.random_shift >= 0:
        vision = dataclasses.replace(config.vision, random_shift=cfg.random_shift)
        config = config.replace(vision=vision)
    if cfg.noise_draws < 0:
        raise ValueError(f"noise_draws must be >= 0 (0 keeps the preset's), got {cfg.noise_draws}")
    if cfg.noise_draws:
        diffusion = dataclasses.replace(config.diffusion, noise_draws=cfg.noise_draws)
        config = config.replace(diffusion=diffusion)
    return config


def prepare(cfg: TrainConfig) -> TrainingSetup:
    """Open the stores, compute statistics, build the policy (call after seeding)."""
    sources = _sources(cfg)
    config = policy_config(cfg)
    window = WindowSpec.chunk(history=config.n_obs_steps, horizon=config.horizon)
    samples = WindowDataset(
        sources, window, action_key=cfg.data.action_key, action_padding=cfg.data.action_padding
    )
    if len(samples) == 0:
        raise ValueError(f"the stores {[s.url for s in sources]} hold no committed frames")
    _check_images(samples[0], config, sources)
    stats = compute_norm_stats([s.url for s in sources])
    chunks, masks = _fit_chunks(samples, UniversalTransform(stats), cfg.seed)
    policy = VLAPolicy.create(config, stats, chunks, masks, instructions(sources))
    frame_weights = samples.frame_weights()
    return TrainingSetup(samples, frame_weights / frame_weights.sum(), policy.transform, policy)


def instructions(sources: list[StoreSource]) -> list[str]:
    """Every distinct instruction in the stores, in a fixed order (the text vocabulary's)."""
    found = set()
    for source in sources:
        store = EpisodeStore(source.url)
        found.update(store.meta(i).instruction for i in range(store.num_episodes))
    return sorted(found)


def _sources(cfg: TrainConfig) -> list[StoreSource]:
    stores = [str(s) for s in cfg.data.stores]
    if not stores:
        raise ValueError("no training data: set data.stores (e.g. --data.stores demos.zarr)")
    for store in stores:
        if "://" not in store and not Path(store).exists():
            raise FileNotFoundError(f"training store {store} does not exist")
    weights = list(cfg.data.weights) or [1.0] * len(stores)
    if len(weights) != len(stores):
        raise ValueError(f"data.weights has {len(weights)} values for {len(stores)} stores")
    return [StoreSource(s, w) for s, w in zip(stores, weights, strict=True)]


def _check_images(sample: dict, config: PolicyConfig, sources: list[StoreSource]) -> None:
    """Fail before training, naming the mismatch, rather than deep inside the vision trunk."""
    size, stores = config.vision.image_size, [s.url for s in sources]
    missing = [c for c in config.cameras if c not in sample["images"]]
    if missing:
        raise ValueError(
            f"the stores {stores} lack camera(s) {missing} that policy "
            f"{config.name!r} expects (they have {sorted(sample['images'])})"
        )
    for camera in config.cameras:
        shape = tuple(sample["images"][camera].shape[-3:])
        if shape != (size, size, 3):
            raise ValueError(
                f"camera {camera!r} images in {stores} are {shape}, but policy "
                f"{config.name!r} takes ({size}, {size}, 3): collect at "
                f"--image-size {size}, or train with --image_size {shape[0]}"
            )


def _fit_chunks(samples: WindowDataset, transform: UniversalTransform, seed: int):
    """Normalised universal action chunks from real windows, for fitting the tokenizer."""
    rng = np.random.default_rng(seed)
    count = min(TOKENIZER_FIT_CHUNKS, len(samples))
    chunks, masks = [], []
    for index in rng.choice(len(samples), size=count, replace=False):
        sample = samples[int(index)]
        chunk, mask = transform.universal_action(sample["action"], sample["embodiment"])
        chunks.append(chunk)
        masks.append(mask)
    return np.stack(chunks), np.stack(masks)

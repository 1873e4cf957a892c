"""The one transform chain between native robot data and model tensors.

In:  native action/state -> universal slots (spec.to_universal) -> per-embodiment quantile
     normalisation (q01/q99 -> [-1, 1]).
Out: the exact inverse (denormalise -> spec.from_universal).
Training samples and served observations both pass through ``UniversalTransform``, so the
two paths cannot drift apart. Statistics are JSON-able and saved with every checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from actloop.control import EmbodimentSpec, Observation, get_embodiment, unknown_name_message
from actloop.datasets.stats import STAT_FIELDS, KeyStats

from .grounding import grounding_targets
from .heads.goal import goal_targets
from .vision import fit_image

KEYS = ("action", "state")


@dataclass(frozen=True)
class SlotNormalizer:
    """Affine map of universal slots: (x - centre) / half_range; unused slots pass through.

    The bounds come from actloop.datasets' ``KeyStats.bounds("quantile")`` (q01/q99 with its
    epsilon rule for constant dimensions), so the policy normalises exactly as the datasets
    room documents and never divides by a near-zero range."""

    centre: np.ndarray
    half_range: np.ndarray

    @classmethod
    def from_stats(cls, entry: dict, to_universal) -> SlotNormalizer:
        low, high = KeyStats.from_dict(entry).bounds("quantile")
        low, _ = to_universal(low.astype(np.float64))
        high, mask = to_universal(high.astype(np.float64))
        centre = np.where(mask, (low + high) / 2, 0.0)
        half = np.where(mask, (high - low) / 2, 1.0)
        return cls(centre, half)

    def normalize(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.centre) / self.half_range).astype(np.float32)

    def denormalize(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) * self.half_range + self.centre


def stats_to_mapping(stats: Any) -> dict[str, dict[str, dict[str, list[float]]]]:
    """Plain {embodiment: {key: {stat: list}}} from a mapping or a datasets ``NormStats``."""
    if hasattr(stats, "to_dict"):
        stats = stats.to_dict()
    if not isinstance(stats, Mapping) or not stats:
        raise TypeError(
            f"stats must be a non-empty mapping per embodiment, got {type(stats).__name__}"
        )
    out: dict[str, dict[str, dict[str, list[float]]]] = {}
    for embodiment, per_key in stats.items():
        per_key = per_key.to_dict() if hasattr(per_key, "to_dict") else per_key
        out[embodiment] = {}
        for key in KEYS:
            if key not in per_key:
                raise KeyError(
                    f"stats[{embodiment!r}] has no {key!r} entry (has {sorted(per_key)})"
                )
            entry = per_key[key].to_dict() if hasattr(per_key[key], "to_dict") else per_key[key]
            out[embodiment][key] = {
                k: np.asarray(v, dtype=np.float64).tolist() for k, v in entry.items()
            }
            for needed in STAT_FIELDS:
                if needed not in entry:
                    raise KeyError(f"stats[{embodiment!r}][{key!r}] has no {needed!r}")
    return out


class UniversalTransform:
    """Native sample <-> normalised universal model inputs, for every embodiment in the stats."""

    def __init__(self, stats: Any, image_size: int | None = None) -> None:
        self.stats = stats_to_mapping(stats)
        self.image_size = image_size
        self.embodiments = tuple(sorted(self.stats))
        self.specs: dict[str, EmbodimentSpec] = {e: get_embodiment(e) for e in self.embodiments}
        self.action_norm = {e: self._normalizer(e, "action") for e in self.embodiments}
        self.state_norm = {e: self._normalizer(e, "state") for e in self.embodiments}

    def _normalizer(self, embodiment: str, key: str) -> SlotNormalizer:
        spec, entry = self.specs[embodiment], self.stats[embodiment][key]
        convert = spec.to_universal if key == "action" else spec.state_to_universal
        return SlotNormalizer.from_stats(entry, convert)

    def spec(self, embodiment: str) -> EmbodimentSpec:
        if embodiment not in self.specs:
            raise KeyError(
                unknown_name_message(
                    "embodiment (not in this policy's training statistics)", embodiment, self.specs
                )
            )
        return self.specs[embodiment]

    def embodiment_id(self, embodiment: str) -> int:
        self.spec(embodiment)
        return self.embodiments.index(embodiment)

    def universal_state(self, state: np.ndarray, embodiment: str) -> tuple[np.ndarray, np.ndarray]:
        values, mask = self.spec(embodiment).state_to_universal(np.asarray(state, np.float64))
        return self.state_norm[embodiment].normalize(values) * mask, mask

    def universal_action(
        self, action: np.ndarray, embodiment: str
    ) -> tuple[np.ndarray, np.ndarray]:
        values, mask = self.spec(embodiment).to_universal(np.asarray(action, np.float64))
        return self.action_norm[embodiment].normalize(values) * mask, mask

    def native_action(self, universal: np.ndarray, embodiment: str) -> np.ndarray:
        """The exact inverse of ``universal_action`` on the used slots."""
        values = self.action_norm[embodiment].denormalize(universal)
        return self.spec(embodiment).from_universal(values)

    def __call__(self, sample: Mapping[str, Any]) -> dict[str, Any]:
        """A datasets sampler sample -> model inputs (default-collatable numpy and str)."""
        embodiment = sample["embodiment"]
        state, state_mask = self.universal_state(sample["state"], embodiment)
        action, action_mask = self.universal_action(sample["action"], embodiment)
        extras = sample.get("extras", {})  # training-only targets
        goal, goal_mask = goal_targets(extras)
        ground_uv, ground_mask = grounding_targets(extras, sample["images"])
        return {
            "images": {cam: self._fit(frames) for cam, frames in sample["images"].items()},
            "state": state,
            "state_mask": state_mask,
            "action": action,
            "action_mask": action_mask,
            "obs_pad": np.asarray(sample["obs_pad"], dtype=bool),
            "action_pad": np.asarray(sample["action_pad"], dtype=bool),
            "instruction": sample["instruction"],
            "embodiment": embodiment,
            "embodiment_id": self.embodiment_id(embodiment),
            "goal": goal,
            "goal_mask": goal_mask,
            "ground_uv": ground_uv,
            "ground_mask": ground_mask,
        }

    def _fit(self, frames: np.ndarray) -> np.ndarray:
        """(k, H, W, 3) frames letterboxed to the encoder's size, the same in training and
        serving, so a camera of another resolution never trains and runs differently."""
        if self.image_size is None or frames.shape[1:3] == (self.image_size, self.image_size):
            return np.ascontiguousarray(frames)
        return np.stack([fit_image(frame, self.image_size) for frame in frames])

    def observation_inputs(self, history: list[Observation]) -> dict[str, Any]:
        """The last k observations (oldest first) -> one un-collated sample without actions."""
        latest = history[-1]
        states = [self.universal_state(o.state, latest.embodiment) for o in history]
        action_mask = self.spec(latest.embodiment).action_mask
        return {
            "images": {
                cam: self._fit(np.stack([o.images[cam] for o in history])) for cam in latest.images
            },
            "state": np.stack([s for s, _ in states]),
            "state_mask": states[0][1],
            "action_mask": action_mask,
            "obs_pad": np.zeros(len(history), dtype=bool),
            "instruction": latest.instruction,
            "embodiment": latest.embodiment,
            "embodiment_id": self.embodiment_id(latest.embodiment),
        }


def check_observation(
    obs: Observation, cameras: tuple[str, ...], transform: UniversalTransform
) -> None:
    """Reject what the checkpoint cannot serve, naming the field and what was expected.

    Any image size is accepted (``VLAPolicy.infer`` fits frames to the encoder's size)."""
    spec = transform.spec(obs.embodiment)
    missing = [c for c in cameras if c not in obs.images]
    if missing:
        raise ValueError(
            f"observation is missing camera(s) {missing}; this policy expects "
            f"{list(cameras)} (got {sorted(obs.images)})"
        )
    for camera in cameras:
        image = obs.images[camera]
        if image.dtype != np.uint8:
            raise TypeError(f"camera {camera!r}: expected uint8 images, got {image.dtype}")
        if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 1:
            raise ValueError(f"camera {camera!r}: expected an HxWx3 image, got shape {image.shape}")
    if obs.state.shape != (spec.state_dim,):
        raise ValueError(
            f"{spec.name}: state must have {spec.state_dim} values "
            f"({', '.join(spec.state_names)}), got shape {obs.state.shape}"
        )
    if not np.isfinite(obs.state).all():
        raise ValueError(f"{spec.name}: state holds NaN or inf: {obs.state.tolist()}")

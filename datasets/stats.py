"""Normalisation statistics: the light, serialisable types the policies room imports.

Only numpy is imported here (no zarr, no torch), so ``from actloop.datasets.stats import
NormStats`` is cheap for policies and checkpoints. ``compute_norm_stats`` (in
``stats_compute``) fills these in one streaming pass over stores.

Epsilon rule (why: a dimension that is constant, or almost always constant, such as a
gripper that is rarely used, gives q99 - q01 ~ 0; dividing by that range sends normalised
values to +-1e6 and training diverges):

* quantile bounds: if ``q99 - q01 < RANGE_EPS`` the bounds fall back to ``min``/``max``;
  if ``max - min < RANGE_EPS`` too, the bounds are widened symmetrically about their
  midpoint to a width of ``RANGE_EPS``. Same rule for ``minmax`` bounds.
* standard deviation: ``std`` is floored at ``RANGE_EPS``.

``RANGE_EPS = 1e-3`` in the native units (metres, radians, gripper fraction): well below
any motion a robot can execute, so real dimensions are never altered by the guard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

RANGE_EPS = 1e-3
STAT_FIELDS = ("mean", "std", "min", "max", "q01", "q99")


@dataclass
class KeyStats:
    """Per-dimension statistics of one key (``state`` or ``action``) of one embodiment."""

    mean: np.ndarray
    std: np.ndarray
    min: np.ndarray
    max: np.ndarray
    q01: np.ndarray
    q99: np.ndarray
    count: int = 0

    def __post_init__(self) -> None:
        width = None
        for name in STAT_FIELDS:
            value = np.asarray(getattr(self, name), dtype=np.float32)
            if value.ndim != 1:
                raise ValueError(f"KeyStats.{name} must be 1-D, got shape {value.shape}")
            if width is not None and value.shape[0] != width:
                raise ValueError(f"KeyStats.{name} has {value.shape[0]} dims, expected {width}")
            width = value.shape[0]
            setattr(self, name, value)

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    def bounds(self, mode: str = "quantile") -> tuple[np.ndarray, np.ndarray]:
        """(low, high) mapped to [-1, 1]; applies the epsilon rule of this module."""
        if mode not in ("quantile", "minmax"):
            raise ValueError(f"unknown bounds mode {mode!r}; expected 'quantile' or 'minmax'")
        low, high = (self.q01, self.q99) if mode == "quantile" else (self.min, self.max)
        narrow = (high - low) < RANGE_EPS
        low, high = np.where(narrow, self.min, low), np.where(narrow, self.max, high)
        middle = (low + high) / 2
        still = (high - low) < RANGE_EPS
        low = np.where(still, middle - RANGE_EPS / 2, low)
        high = np.where(still, middle + RANGE_EPS / 2, high)
        return low.astype(np.float32), high.astype(np.float32)

    @property
    def safe_std(self) -> np.ndarray:
        return np.maximum(self.std, np.float32(RANGE_EPS))

    def normalize(self, x: np.ndarray, mode: str = "quantile") -> np.ndarray:
        """Native values -> normalised ([-1, 1] for bounds modes, z-score for ``meanstd``)."""
        if mode == "meanstd":
            return (x - self.mean) / self.safe_std
        low, high = self.bounds(mode)
        return 2 * (x - low) / (high - low) - 1

    def denormalize(self, y: np.ndarray, mode: str = "quantile") -> np.ndarray:
        """The exact inverse of ``normalize``."""
        if mode == "meanstd":
            return y * self.safe_std + self.mean
        low, high = self.bounds(mode)
        return (y + 1) / 2 * (high - low) + low

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name).tolist() for name in STAT_FIELDS}
        out["count"] = int(self.count)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KeyStats:
        missing = [name for name in STAT_FIELDS if name not in data]
        if missing:
            raise ValueError(f"KeyStats: missing fields {missing} (got {sorted(data)})")
        values = {name: np.asarray(data[name], dtype=np.float32) for name in STAT_FIELDS}
        return cls(**values, count=int(data.get("count", 0)))


@dataclass
class NormStats:
    """Statistics per embodiment and key: ``stats.get("panda", "action").q99``."""

    by_embodiment: dict[str, dict[str, KeyStats]] = field(default_factory=dict)

    def get(self, embodiment: str, key: str) -> KeyStats:
        if embodiment not in self.by_embodiment:
            known = sorted(self.by_embodiment)
            raise KeyError(f"no normalisation stats for embodiment {embodiment!r} (have {known})")
        keys = self.by_embodiment[embodiment]
        if key not in keys:
            raise KeyError(f"no stats for key {key!r} of {embodiment!r} (have {sorted(keys)})")
        return keys[key]

    @property
    def embodiments(self) -> list[str]:
        return sorted(self.by_embodiment)

    def to_dict(self) -> dict[str, Any]:
        return {
            emb: {key: stats.to_dict() for key, stats in keys.items()}
            for emb, keys in self.by_embodiment.items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NormStats:
        return cls(
            {
                emb: {key: KeyStats.from_dict(stats) for key, stats in keys.items()}
                for emb, keys in data.items()
            }
        )

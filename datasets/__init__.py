"""The zarr episode store: writer, reader, windowed sampler, normalisation stats, LeRobot I/O.

Heavy modules (zarr, torch) load on first use, so ``from actloop.datasets import NormStats``
(what the policies room needs) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import CorruptDataError, SchemaError, StoreError, StoreLockedError, WriterError
from .stats import RANGE_EPS, KeyStats, NormStats

_LAZY = {
    "EpisodeWriter": ".writer",
    "EpisodeStore": ".store",
    "EpisodeMeta": ".episodes",
    "WindowSpec": ".sampler",
    "StoreSource": ".sampler",
    "WindowDataset": ".sampler",
    "compute_norm_stats": ".stats_compute",
    "save_norm_stats": ".stats_compute",
    "lerobot_to_zarr": ".lerobot_io",
    "zarr_to_lerobot": ".lerobot_io",
}

__all__ = [
    "RANGE_EPS",
    "CorruptDataError",
    "KeyStats",
    "NormStats",
    "SchemaError",
    "StoreError",
    "StoreLockedError",
    "WriterError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name], __name__), name)

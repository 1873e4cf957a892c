"""The two values that cross every room boundary: what a robot saw, and what to do next."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Observation:
    """One tick's sensing. Images are HxWx3 uint8 per camera name; state is native, float."""

    images: dict[str, np.ndarray]
    state: np.ndarray
    instruction: str
    embodiment: str
    timestamp: float
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for camera, image in self.images.items():
            if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
                dtype = getattr(image, "dtype", type(image).__name__)
                raise TypeError(f"camera {camera!r}: image must be a uint8 array, got {dtype}")
            if image.ndim != 3 or image.shape[2] != 3:
                raise ValueError(f"camera {camera!r}: image must be HxWx3, got shape {image.shape}")
        self.state = np.asarray(self.state, dtype=np.float32)
        if self.state.ndim != 1:
            raise ValueError(f"state must be 1-D, got shape {self.state.shape}")
        if not isinstance(self.instruction, str):
            raise TypeError(f"instruction must be a str, got {type(self.instruction).__name__}")


@dataclass
class ActionChunk:
    """H future native actions. ``start_tick`` is the tick of the observation it answers,
    so a scheduler can tell how stale the chunk is when it arrives."""

    actions: np.ndarray
    start_tick: int
    dt: float
    start_time: float = 0.0

    def __post_init__(self) -> None:
        self.actions = np.asarray(self.actions, dtype=np.float64)
        if self.actions.ndim != 2 or self.actions.shape[0] == 0:
            raise ValueError(
                f"ActionChunk.actions must be H x D with H >= 1, got {self.actions.shape}"
            )
        if not self.dt > 0:
            raise ValueError(f"ActionChunk.dt must be positive, got {self.dt}")

    @property
    def horizon(self) -> int:
        return self.actions.shape[0]

    def action_at(self, tick: int) -> np.ndarray | None:
        """The action meant for ``tick``, or None if the chunk does not cover it."""
        offset = tick - self.start_tick
        return self.actions[offset] if 0 <= offset < self.horizon else None

"""Per-episode metadata as committed in the store's root attributes."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import SchemaError

REQUIRED = ("index", "start", "length", "task", "instruction", "embodiment", "fps", "success")


@dataclass(frozen=True)
class EpisodeMeta:
    index: int
    start: int
    length: int
    task: str
    instruction: str
    embodiment: str
    fps: float
    success: bool
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    checksums: dict[str, int] = field(default_factory=dict)

    @property
    def end(self) -> int:
        return self.start + self.length

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> EpisodeMeta:
        missing = [name for name in REQUIRED if name not in data]
        if missing:
            raise SchemaError(f"{where}: episode metadata is missing {missing}")
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def check_fps(fps: float, where: str) -> float:
    """A usable frame rate, or a SchemaError naming where it came from."""
    try:
        value = float(fps)
    except (TypeError, ValueError):
        raise SchemaError(f"{where}: fps must be a number, got {fps!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise SchemaError(f"{where}: fps must be a positive finite number, got {fps!r}")
    return value

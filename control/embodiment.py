"""What a robot is, as far as policies and the control loop care.

An ``EmbodimentSpec`` lists a robot's native action and state dimensions, each tagged
with a semantic kind from the universal vocabulary, plus its cameras, rate and limits.
Everything that crosses between robot-specific and shared code goes through it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .universal import UNIVERSAL_DIM, FieldKind, scatter, slot_for


@dataclass(frozen=True)
class Field:
    """One scalar dimension of a native action or state vector.

    ``max_step`` bounds the change between consecutive ticks (absolute kinds) or the
    magnitude per tick (delta kinds); ``None`` leaves only ``low``/``high``.
    """

    name: str
    kind: FieldKind
    index: int = 0
    low: float = -math.inf
    high: float = math.inf
    max_step: float | None = None

    @property
    def slot(self) -> int:
        return slot_for(self.kind, self.index)


class SpecError(ValueError):
    """An ``EmbodimentSpec`` or an array that does not fit one."""


@dataclass(frozen=True)
class EmbodimentSpec:
    """A robot's native interface. Frozen: specs are shared between threads and rooms."""

    name: str
    action_fields: tuple[Field, ...]
    state_fields: tuple[Field, ...]
    cameras: tuple[str, ...]
    control_hz: float
    description: str = ""
    _action_slots: np.ndarray = field(init=False, repr=False, compare=False)
    _state_slots: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "action_fields", tuple(self.action_fields))
        object.__setattr__(self, "state_fields", tuple(self.state_fields))
        object.__setattr__(self, "cameras", tuple(self.cameras))
        if not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            raise SpecError(f"embodiment name {self.name!r} must be a non-empty identifier")
        if not (math.isfinite(self.control_hz) and self.control_hz > 0):
            raise SpecError(
                f"{self.name}: control_hz must be a positive number, got {self.control_hz}"
            )
        if len(set(self.cameras)) != len(self.cameras):
            raise SpecError(f"{self.name}: camera names repeat: {list(self.cameras)}")
        slots = {}
        for role, fields in (("action", self.action_fields), ("state", self.state_fields)):
            slots[role] = _validate_fields(self.name, role, fields)
        object.__setattr__(self, "_action_slots", slots["action"])
        object.__setattr__(self, "_state_slots", slots["state"])
        self._check_hold_is_defined()

    # -- dimensions and limits -------------------------------------------------
    @property
    def action_dim(self) -> int:
        return len(self.action_fields)

    @property
    def state_dim(self) -> int:
        return len(self.state_fields)

    @property
    def dt(self) -> float:
        return 1.0 / self.control_hz

    @property
    def action_low(self) -> np.ndarray:
        return np.array([f.low for f in self.action_fields])

    @property
    def action_high(self) -> np.ndarray:
        return np.array([f.high for f in self.action_fields])

    @property
    def action_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.action_fields)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.state_fields)

    # -- universal action space ------------------------------------------------
    @property
    def action_mask(self) -> np.ndarray:
        return scatter(np.zeros(self.action_dim), self._action_slots)[1]

    @property
    def state_mask(self) -> np.ndarray:
        return scatter(np.zeros(self.state_dim), self._state_slots)[1]

    def to_universal(self, native: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Native actions (..., action_dim) -> universal values (..., 32) and the slot mask."""
        return scatter(self._check_last_dim(native, self.action_dim, "action"), self._action_slots)

    def from_universal(self, values: np.ndarray) -> np.ndarray:
        """Universal values (..., 32) -> native actions (..., action_dim); the exact inverse."""
        return self._check_last_dim(values, UNIVERSAL_DIM, "universal action")[
            ..., self._action_slots
        ]

    def state_to_universal(self, native: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Native state (..., state_dim) -> universal state (..., 32) and the slot mask."""
        return scatter(self._check_last_dim(native, self.state_dim, "state"), self._state_slots)

    def state_from_universal(self, values: np.ndarray) -> np.ndarray:
        return self._check_last_dim(values, UNIVERSAL_DIM, "universal state")[
            ..., self._state_slots
        ]

    # -- safety helpers --------------------------------------------------------
    def hold_action(self, state: np.ndarray) -> np.ndarray:
        """The action that keeps the robot still: zero deltas, absolute fields at the state."""
        state = self._check_last_dim(np.asarray(state, dtype=np.float64), self.state_dim, "state")
        by_slot = {f.slot: i for i, f in enumerate(self.state_fields)}
        return np.array(
            [0.0 if f.kind.is_delta else state[by_slot[f.slot]] for f in self.action_fields]
        )

    def _check_hold_is_defined(self) -> None:
        state_slots = {f.slot for f in self.state_fields}
        for f in self.action_fields:
            if not f.kind.is_delta and f.slot not in state_slots:
                raise SpecError(
                    f"{self.name}: absolute action field {f.name!r} ({f.kind.value}[{f.index}]) "
                    "has no state field of the same kind and index, so the robot cannot hold it"
                )

    def _check_last_dim(self, array: np.ndarray, width: int, what: str) -> np.ndarray:
        array = np.asarray(array)
        if array.ndim == 0 or array.shape[-1] != width:
            raise SpecError(
                f"{self.name}: {what} must have last dimension {width}, got shape {array.shape}"
            )
        return array


def _validate_fields(robot: str, role: str, fields: tuple[Field, ...]) -> np.ndarray:
    if not fields:
        raise SpecError(f"{robot}: {role}_fields is empty")
    seen_names: set[str] = set()
    seen_slots: dict[int, str] = {}
    for f in fields:
        where = f"{robot}: {role} field {f.name!r}"
        if not isinstance(f.kind, FieldKind):
            raise SpecError(f"{where}: kind must be a FieldKind, got {f.kind!r}")
        if f.name in seen_names:
            raise SpecError(f"{where}: the name is used twice")
        try:
            slot = f.slot
        except ValueError as exc:
            raise SpecError(f"{where}: {exc}") from None
        if slot in seen_slots:
            raise SpecError(f"{where}: same kind and index as field {seen_slots[slot]!r}")
        if not f.low < f.high or math.isnan(f.low) or math.isnan(f.high):
            raise SpecError(f"{where}: low ({f.low}) must be below high ({f.high})")
        if f.max_step is not None and not f.max_step > 0:
            raise SpecError(f"{where}: max_step must be positive, got {f.max_step}")
        seen_names.add(f.name)
        seen_slots[slot] = f.name
    return np.array([f.slot for f in fields], dtype=np.intp)


_REGISTRY: dict[str, EmbodimentSpec] = {}


def register_embodiment(spec: EmbodimentSpec) -> EmbodimentSpec:
    """Add a spec to the registry. Registering a different spec under a taken name is an error."""
    existing = _REGISTRY.get(spec.name)
    if existing is not None and existing != spec:
        raise SpecError(f"embodiment {spec.name!r} is already registered with a different spec")
    _REGISTRY[spec.name] = spec
    return spec


def get_embodiment(name: str) -> EmbodimentSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(unknown_name_message("embodiment", name, _REGISTRY)) from None


def list_embodiments() -> list[str]:
    return sorted(_REGISTRY)


def unknown_name_message(what: str, name: str, known: Iterable[str]) -> str:
    """'unknown task 'pik_place'; did you mean: pick_place?' — shared by every registry."""
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    return f"unknown {what} {name!r}{hint} (known: {', '.join(names) or 'none'})"

"""The gate between every policy and every robot.

Whatever a policy produces, the robot receives a finite, correctly shaped action
inside its limits and step bounds. Bad actions are replaced or clipped, never passed
on, and every intervention is counted so evaluation can report it.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .embodiment import EmbodimentSpec


class SafetyFilter:
    """Shape and finiteness, joint/workspace limits (with a margin), per-tick step limits
    and an optional velocity limit (``max_velocity`` per second, as a per-tick step).

    A malformed or non-finite action is replaced by the hold action for the current
    state. Out-of-limit values are clipped. Absolute fields may move at most
    ``max_step`` from the last applied command (at first: the goal the robot holds, given
    to ``reset``, or else the measured state).
    """

    def __init__(
        self, spec: EmbodimentSpec, margin: float = 0.0, max_velocity: float | None = None
    ) -> None:
        self.spec = spec
        low, high = spec.action_low, spec.action_high
        span = np.where(np.isfinite(high - low), high - low, 0.0)
        self.low, self.high = low + margin * span, high - margin * span
        self._absolute = np.array([not f.kind.is_delta for f in spec.action_fields])
        self._max_step = np.array(
            [np.inf if f.max_step is None else f.max_step for f in spec.action_fields]
        )
        if max_velocity is not None:  # a tighter deployment limit, units per second
            if not max_velocity > 0:
                raise ValueError(f"max_velocity must be positive, got {max_velocity}")
            self._max_step = np.minimum(self._max_step, max_velocity * spec.dt)
        self.events: Counter[str] = Counter()
        self._last: np.ndarray | None = None

    def reset(self, reference: np.ndarray | None = None) -> None:
        """Start a new episode; the first step is bounded from ``reference`` (the goal the
        robot already holds) when given, else from the first measured state."""
        self._last = None if reference is None else np.asarray(reference, np.float64).copy()

    def filter(self, action: np.ndarray | None, state: np.ndarray) -> np.ndarray:
        """Return the action that may be sent. Never raises on bad policy output."""
        hold = self.spec.hold_action(state)
        candidate = self._well_formed(action, hold)
        clipped = np.clip(candidate, self.low, self.high)
        if not np.array_equal(clipped, candidate):
            self.events["clipped_to_limits"] += 1
        stepped = self._limit_step(clipped, hold)
        self._last = stepped
        return stepped

    def _well_formed(self, action: np.ndarray | None, hold: np.ndarray) -> np.ndarray:
        if action is None:
            self.events["no_action_hold"] += 1
            return hold
        action = np.asarray(action, dtype=np.float64)
        if action.shape != (self.spec.action_dim,):
            self.events["bad_shape_hold"] += 1
            return hold
        if not np.all(np.isfinite(action)):
            self.events["non_finite_hold"] += 1
            return hold
        return action

    def _limit_step(self, action: np.ndarray, hold: np.ndarray) -> np.ndarray:
        reference = np.where(self._absolute, hold if self._last is None else self._last, 0.0)
        step = np.clip(action - reference, -self._max_step, self._max_step)
        limited = reference + step
        if not np.allclose(limited, action):
            self.events["step_limited"] += 1
        return np.clip(limited, self.low, self.high)

"""The narrow contracts every robot, policy, scheduler and recorder meets.

A MuJoCo env, a servo-emulated arm and a physical arm are all ``Robot``; a scripted
expert, a trained model and a remote server are all ``Policy``. Structural typing keeps
the rooms from importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .embodiment import EmbodimentSpec
from .types import ActionChunk, Observation


@runtime_checkable
class Robot(Protocol):
    @property
    def spec(self) -> EmbodimentSpec: ...

    def connect(self) -> None: ...

    def observe(self) -> Observation: ...

    def send_action(self, action: np.ndarray) -> np.ndarray:
        """Apply a native action; return the action actually applied (after clipping)."""
        ...

    def disconnect(self) -> None:
        """Release the robot safely. Must be idempotent: teardown may call it twice."""
        ...


@runtime_checkable
class EpisodicRobot(Robot, Protocol):
    """A robot that knows when an episode is over (sim tasks: success, time limit, instability)."""

    def termination(self) -> str | None:
        """None while the episode runs, else why it ended ('success', 'timeout', ...)."""
        ...


@runtime_checkable
class CommandedRobot(Robot, Protocol):
    """A robot that knows the goal its actuators hold (a servo arm: what connect wrote).

    The control loop bounds its first command's step from this goal, not from the measured
    state, so a misread first state cannot make the first command jump."""

    def commanded_action(self) -> np.ndarray | None:
        """The action the hardware holds now, or None before the first goal."""
        ...


@runtime_checkable
class Policy(Protocol):
    def reset(self) -> None: ...

    def infer(self, observation: Observation) -> ActionChunk: ...


@dataclass
class Step:
    """What the recorder sees each tick: the observation and the action really applied."""

    tick: int
    observation: Observation
    action: np.ndarray
    requested_action: np.ndarray


@dataclass
class EpisodeInfo:
    embodiment: str
    instruction: str
    fps: float
    task: str = ""
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Recorder(Protocol):
    """The per-step recording hook. ``end_episode`` commits; ``abort`` discards."""

    def start_episode(self, info: EpisodeInfo) -> None: ...

    def record(self, step: Step) -> None: ...

    def end_episode(self, success: bool) -> None: ...

    def abort(self) -> None: ...

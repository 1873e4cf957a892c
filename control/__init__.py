"""Shared contracts and the one ControlLoop. Depends on numpy only."""

from .catalog import register_catalog
from .clock import Clock, SimClock, Tick, WallClock
from .embodiment import (
    EmbodimentSpec,
    Field,
    SpecError,
    get_embodiment,
    list_embodiments,
    register_embodiment,
    unknown_name_message,
)
from .loop import ControlLoop, LoopResult
from .protocols import EpisodeInfo, EpisodicRobot, Policy, Recorder, Robot, Step
from .recording import MemoryRecorder, RecordedEpisode
from .safety import SafetyFilter
from .scheduler import ActionScheduler, ExecuteNScheduler
from .timing import LoopStats
from .types import ActionChunk, Observation
from .universal import SLOT_BLOCKS, UNIVERSAL_DIM, FieldKind, slot_for

register_catalog()

__all__ = [
    "SLOT_BLOCKS",
    "UNIVERSAL_DIM",
    "ActionChunk",
    "ActionScheduler",
    "Clock",
    "ControlLoop",
    "EmbodimentSpec",
    "EpisodeInfo",
    "EpisodicRobot",
    "ExecuteNScheduler",
    "Field",
    "FieldKind",
    "LoopResult",
    "LoopStats",
    "MemoryRecorder",
    "Observation",
    "Policy",
    "RecordedEpisode",
    "Recorder",
    "Robot",
    "SafetyFilter",
    "SimClock",
    "SpecError",
    "Step",
    "Tick",
    "WallClock",
    "get_embodiment",
    "list_embodiments",
    "register_embodiment",
    "slot_for",
    "unknown_name_message",
]

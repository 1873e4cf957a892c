"""Shared contracts and the one ControlLoop. Depends on numpy only."""

from .async_inference import AsyncInference, SyncInference, make_inference
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
from .estop import EStop
from .loop import ControlLoop, LoopResult
from .protocols import (
    CommandedRobot,
    EpisodeInfo,
    EpisodicRobot,
    Policy,
    Recorder,
    Robot,
    Step,
)
from .recording import MemoryRecorder, RecordedEpisode
from .safety import SafetyFilter
from .schedulers import (
    ActionScheduler,
    ExecuteNScheduler,
    RTCScheduler,
    SimilarityEnsembleScheduler,
    TemporalEnsembleScheduler,
    list_schedulers,
    make_scheduler,
)
from .timing import LoopStats
from .types import ActionChunk, Observation
from .universal import SLOT_BLOCKS, UNIVERSAL_DIM, FieldKind, slot_for
from .watchdog import HealthLimits, StaleActionWatchdog

register_catalog()

__all__ = [
    "SLOT_BLOCKS",
    "UNIVERSAL_DIM",
    "ActionChunk",
    "ActionScheduler",
    "AsyncInference",
    "Clock",
    "CommandedRobot",
    "ControlLoop",
    "EStop",
    "EmbodimentSpec",
    "EpisodeInfo",
    "EpisodicRobot",
    "ExecuteNScheduler",
    "Field",
    "FieldKind",
    "HealthLimits",
    "LoopResult",
    "LoopStats",
    "MemoryRecorder",
    "Observation",
    "Policy",
    "RTCScheduler",
    "RecordedEpisode",
    "Recorder",
    "Robot",
    "SafetyFilter",
    "SimClock",
    "SimilarityEnsembleScheduler",
    "SpecError",
    "StaleActionWatchdog",
    "Step",
    "SyncInference",
    "TemporalEnsembleScheduler",
    "Tick",
    "WallClock",
    "get_embodiment",
    "list_embodiments",
    "list_schedulers",
    "make_inference",
    "make_scheduler",
    "register_embodiment",
    "slot_for",
    "unknown_name_message",
]

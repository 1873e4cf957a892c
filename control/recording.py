"""An in-memory recorder: the recording hook's simplest real implementation.

Evaluation uses it to keep rollouts for videos and metrics; the zarr ``EpisodeWriter``
in ``actloop.datasets`` implements the same ``Recorder`` protocol for disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .protocols import EpisodeInfo, Step


@dataclass
class RecordedEpisode:
    info: EpisodeInfo
    steps: list[Step] = field(default_factory=list)
    success: bool = False


class MemoryRecorder:
    """Keeps committed episodes in a list; an aborted episode is dropped whole."""

    def __init__(self) -> None:
        self.episodes: list[RecordedEpisode] = []
        self._current: RecordedEpisode | None = None

    def start_episode(self, info: EpisodeInfo) -> None:
        if self._current is not None:
            raise RuntimeError("start_episode called while an episode is still open")
        self._current = RecordedEpisode(info)

    def record(self, step: Step) -> None:
        if self._current is None:
            raise RuntimeError("record called with no open episode; call start_episode first")
        self._current.steps.append(step)

    def end_episode(self, success: bool) -> None:
        if self._current is None:
            raise RuntimeError("end_episode called with no open episode")
        self._current.success = success
        self.episodes.append(self._current)
        self._current = None

    def abort(self) -> None:
        self._current = None

"""The one ControlLoop: collection, evaluation and deployment all run through it.

Each tick: wait for the clock, observe, ask the policy only when the scheduler needs a
chunk, pass the scheduled action through safety, send it, record what was applied.
Teardown runs in ``finally`` and attempts every step even if an earlier one fails.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from .clock import Clock, Tick, WallClock
from .protocols import EpisodeInfo, EpisodicRobot, Policy, Recorder, Robot, Step
from .safety import SafetyFilter
from .scheduler import ActionScheduler, ExecuteNScheduler
from .timing import LoopStats

log = logging.getLogger(__name__)


@dataclass
class LoopResult:
    ticks: int
    termination: str  # "max_ticks", "stopped", or the robot's reason ("success", "timeout", ...)
    stats: dict[str, float]
    safety_events: dict[str, int] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.termination == "success"


class ControlLoop:
    """Runs any Robot with any Policy at the robot's rate."""

    def __init__(
        self,
        robot: Robot,
        policy: Policy,
        *,
        clock: Clock | None = None,
        scheduler: ActionScheduler | None = None,
        safety: SafetyFilter | None = None,
        recorder: Recorder | None = None,
        disconnect_on_exit: bool = True,
    ) -> None:
        self.robot = robot
        self.policy = policy
        self.clock = clock or WallClock(robot.spec.dt)
        self.scheduler = scheduler or ExecuteNScheduler(n_execute=8)
        self.safety = safety or SafetyFilter(robot.spec)
        self.recorder = recorder
        self.disconnect_on_exit = disconnect_on_exit
        self.stats = LoopStats()
        self._stop = threading.Event()

    def request_stop(self) -> None:
        """Thread-safe: the loop ends before its next tick."""
        self._stop.set()

    def run(self, max_ticks: int, episode: EpisodeInfo | None = None) -> LoopResult:
        self._begin(episode)
        committed = False
        try:
            termination = self._tick_until_done(max_ticks)
            if self.recorder is not None and episode is not None:
                self.recorder.end_episode(success=termination == "success")
                committed = True
            return LoopResult(
                self.stats.ticks, termination, self.stats.summary(), dict(self.safety.events)
            )
        finally:
            self._teardown(record_open=episode is not None and not committed)

    def _begin(self, episode: EpisodeInfo | None) -> None:
        self._stop.clear()
        self.stats = LoopStats()
        self.policy.reset()
        self.scheduler.reset()
        self.safety.reset()
        if self.recorder is not None and episode is not None:
            self.recorder.start_episode(episode)
        self.clock.start()

    def _tick_until_done(self, max_ticks: int) -> str:
        while not self._stop.is_set():
            tick = self.clock.next_tick()
            if tick.index >= max_ticks:
                return "max_ticks"
            self.stats.add_tick(tick.error, tick.skipped)
            self._step(tick)
            reason = self.robot.termination() if isinstance(self.robot, EpisodicRobot) else None
            if reason:
                return reason
        return "stopped"

    def _step(self, tick: Tick) -> None:
        observation = self.robot.observe()
        if self.scheduler.needs_chunk(tick.index):
            started = time.perf_counter()
            chunk = self.policy.infer(observation)
            self.stats.inference_latencies.append(time.perf_counter() - started)
            self.scheduler.add_chunk(dataclasses.replace(chunk, start_tick=tick.index))
        requested = self.scheduler.action_at(tick.index)
        safe = self.safety.filter(requested, observation.state)
        applied = np.asarray(self.robot.send_action(safe), dtype=np.float64)
        if self.recorder is not None:
            wanted = safe if requested is None else np.asarray(requested, dtype=np.float64)
            self.recorder.record(Step(tick.index, observation, applied, wanted))

    def _teardown(self, record_open: bool) -> None:
        """Every step is attempted; failures are logged, never allowed to skip the rest."""
        steps = [("stop policy", getattr(self.policy, "close", None))]
        if record_open and self.recorder is not None:
            steps.append(("discard unfinished episode", self.recorder.abort))
        if self.disconnect_on_exit:
            steps.append(("disconnect robot", self.robot.disconnect))
        for name, action in steps:
            if action is None:
                continue
            try:
                action()
            except Exception:
                log.exception("teardown step %r failed; continuing", name)

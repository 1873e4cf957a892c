"""The one ControlLoop: collection, evaluation and deployment all run through it.

Each tick: wait for the clock, observe, ask the policy only when the scheduler needs a
chunk (inline, or in a background worker so a tick never waits on the model), pass the
scheduled action through safety, send it, record what was applied. An e-stop, the
stale-action watchdog or a health limit ends the episode within the tick: hold, park,
torque off. Teardown runs in ``finally`` and attempts every step even if one fails.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import numpy as np

from .async_inference import InferenceDriver, make_inference
from .clock import Clock, Tick, WallClock
from .estop import EStop
from .protocols import (
    CommandedRobot,
    EpisodeInfo,
    EpisodicRobot,
    Policy,
    Recorder,
    Robot,
    Step,
)
from .safety import SafetyFilter
from .schedulers import ActionScheduler, ExecuteNScheduler
from .timing import LoopStats
from .watchdog import HealthLimits, StaleActionWatchdog

log = logging.getLogger(__name__)


@dataclass
class LoopResult:
    ticks: int
    termination: str  # "max_ticks", "stopped", or the robot's reason ("success", "timeout", ...)
    stats: dict[str, float]
    safety_events: dict[str, int] = field(default_factory=dict)
    detail: str = ""  # why a safety stop happened, in words

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
        inference: str | InferenceDriver = "sync",
        watchdog: StaleActionWatchdog | None = None,
        estop: EStop | None = None,
        health: HealthLimits | None = None,
    ) -> None:
        self.robot = robot
        self.policy = policy
        # Checked once: a runtime Protocol isinstance costs tens of microseconds per tick.
        self._termination = robot.termination if isinstance(robot, EpisodicRobot) else None
        self.clock = clock or WallClock(robot.spec.dt)
        self.scheduler = scheduler or ExecuteNScheduler(n_execute=8)
        self.safety = safety or SafetyFilter(robot.spec)
        self.recorder = recorder
        self.disconnect_on_exit = disconnect_on_exit
        self.stats = LoopStats()
        self.inference = make_inference(inference) if isinstance(inference, str) else inference
        self.watchdog = watchdog
        self.estop = estop
        self.health = health
        self._stop = threading.Event()
        self._instruction: str | None = None
        self._switch = threading.Event()
        self._detail = ""

    def request_stop(self) -> None:
        """Thread-safe: the tick in progress holds (queue flushed); the loop then ends."""
        self._stop.set()

    def switch_instruction(self, instruction: str) -> None:
        """Thread-safe: from the next tick the queue is flushed, that tick holds, and new
        chunks answer ``instruction``."""
        self._instruction = instruction
        self._switch.set()

    def run(self, max_ticks: int, episode: EpisodeInfo | None = None) -> LoopResult:
        self._begin(episode)
        committed = False
        try:
            termination = self._tick_until_done(max_ticks)
            if self.recorder is not None and episode is not None:
                self.recorder.end_episode(success=termination == "success")
                committed = True
            self.stats.inference_latencies = list(self.inference.latencies)
            return LoopResult(
                self.stats.ticks,
                termination,
                self.stats.summary(),
                dict(self.safety.events),
                self._detail,
            )
        finally:
            self._teardown(record_open=episode is not None and not committed)

    def _begin(self, episode: EpisodeInfo | None) -> None:
        self._stop.clear()
        self._detail = ""
        self.stats = LoopStats()
        self.policy.reset()
        self.scheduler.reset()
        commanded = (
            self.robot.commanded_action() if isinstance(self.robot, CommandedRobot) else None
        )
        self.safety.reset(commanded)
        for guard in (self.watchdog, self.health):
            if guard is not None:
                guard.reset()
        self.inference.latencies = []
        self.inference.start(self.policy, self.clock.period)
        if self.recorder is not None and episode is not None:
            self.recorder.start_episode(episode)
        self.clock.start()

    def _tick_until_done(self, max_ticks: int) -> str:
        while not self._stop.is_set():
            tick = self.clock.next_tick()
            if tick.index >= max_ticks:  # a late tick may skip past the end: count those misses
                self.stats.add_missed(max(0, max_ticks - (tick.index - tick.skipped)))
                return "max_ticks"
            self.stats.add_tick(tick.error, tick.skipped)
            stop_reason = self._step(tick)
            if stop_reason:
                return self._safe_stop(stop_reason)
            reason = self._termination() if self._termination is not None else None
            if reason:
                return reason
        return "stopped"

    def _step(self, tick: Tick) -> str | None:
        """One tick; returns a safety stop reason, if any, after sending a hold."""
        observation = self.robot.observe()
        hold = self._switch.is_set()  # an instruction switch: drop the old plan, hold once
        if hold:
            self._switch.clear()
            self._flush()
        if self._instruction is not None:
            observation.instruction = self._instruction
        if not hold:
            self.inference.feed(tick.index, observation, self.scheduler)
        requested = None if hold else self.scheduler.action_at(tick.index)
        stop_reason = self._guard(observation, requested is not None)
        if stop_reason or self._stop.is_set() or self.inference.error is not None:
            self._flush()
            requested = None
        self._send(tick, observation, requested)
        return stop_reason

    def _guard(self, observation, fresh: bool) -> str | None:
        if self.estop is not None and self.estop.tripped:
            return f"estop: {self.estop.reason}"
        if self.health is not None:
            reason = self.health.check(observation, self.robot.spec.state_names)
            if reason:
                return reason
        if self.watchdog is not None:
            return self.watchdog.check(self.clock.now(), fresh and self.inference.error is None)
        if self.inference.error is not None:  # no watchdog to hold-then-park: stop now
            return f"policy_error: {self.inference.error!r}"
        return None

    def _flush(self) -> None:
        self.scheduler.flush()
        self.inference.flush()

    def _safe_stop(self, reason: str) -> str:
        """Park, then torque off, each attempted even if the other fails; the robot may lack
        either (a sim env), and disconnect in teardown repeats both idempotently."""
        self._detail = reason
        kind = reason.split(":", 1)[0]
        self.safety.events[f"safe_stop_{kind}"] += 1
        for step in ("park", "torque_off"):
            action = getattr(self.robot, step, None)
            if action is None:
                continue
            try:
                action()
            except Exception:
                log.exception("safe stop step %r failed; continuing", step)
        return kind

    def _send(self, tick: Tick, observation, requested) -> None:
        safe = self.safety.filter(requested, observation.state)
        applied = np.asarray(self.robot.send_action(safe), dtype=np.float64)
        if self.recorder is not None:
            wanted = safe if requested is None else np.asarray(requested, dtype=np.float64)
            self.recorder.record(Step(tick.index, observation, applied, wanted))

    def _teardown(self, record_open: bool) -> None:
        """Every step is attempted; failures are logged, never allowed to skip the rest."""
        steps = [
            ("stop inference", self.inference.close),
            ("stop policy", getattr(self.policy, "close", None)),
        ]
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

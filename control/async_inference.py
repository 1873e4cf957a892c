"""How the loop gets chunks from a policy: inline, or from a background thread.

``SyncInference`` asks the policy on the tick that needs a chunk (sim, lock-step).
``AsyncInference`` runs the policy in a worker thread: a tick only polls for a finished
chunk and, when the scheduler will need one within the expected inference delay,
hands the worker the newest observation. A tick never waits on the model.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

from .embodiment import unknown_name_message
from .protocols import Policy
from .schedulers import ActionScheduler
from .types import ActionChunk, Observation

log = logging.getLogger(__name__)


class InferenceDriver(Protocol):
    latencies: list[float]
    error: BaseException | None

    def start(self, policy: Policy, period: float) -> None: ...

    def feed(self, tick: int, observation: Observation, scheduler: ActionScheduler) -> None: ...

    def flush(self) -> None:
        """Forget any chunk in flight (instruction switch, stop, e-stop)."""
        ...

    def close(self) -> None: ...


class SyncInference:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.error: BaseException | None = None
        self._policy: Policy | None = None

    def start(self, policy: Policy, period: float) -> None:
        self._policy = policy

    def feed(self, tick: int, observation: Observation, scheduler: ActionScheduler) -> None:
        if not scheduler.needs_chunk(tick):
            return
        started = time.perf_counter()
        chunk = self._policy.infer(observation)
        self.latencies.append(time.perf_counter() - started)
        scheduler.add_chunk(dataclasses.replace(chunk, start_tick=tick))

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class AsyncInference:
    """One worker thread, at most one request in flight, results tagged by generation."""

    def __init__(self, min_lookahead: int = 1, join_timeout: float = 1.0) -> None:
        self.latencies: list[float] = []
        self.error: BaseException | None = None
        self.min_lookahead = min_lookahead
        self.join_timeout = join_timeout
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._job: tuple[int, int, Observation] | None = None
        self._result: tuple[int, ActionChunk] | None = None
        self._busy = False
        self._generation = 0
        self._stop = False
        self._thread: threading.Thread | None = None

    def start(self, policy: Policy, period: float) -> None:
        self._policy, self._period = policy, period
        self._stop, self.error, self._result, self._job, self._busy = False, None, None, None, False
        self._thread = threading.Thread(target=self._work, name="async-inference", daemon=True)
        self._thread.start()

    @property
    def lookahead(self) -> int:
        """Expected inference delay in ticks (recent worst case), so requests go out early."""
        recent = self.latencies[-5:]
        if not recent:
            return self.min_lookahead
        return max(self.min_lookahead, math.ceil(max(recent) / self._period) + 1)

    def feed(self, tick: int, observation: Observation, scheduler: ActionScheduler) -> None:
        with self._lock:
            result, self._result = self._result, None
            idle = not self._busy and self.error is None
        if result is not None and result[0] == self._generation:
            scheduler.add_chunk(result[1])
        if idle and scheduler.needs_chunk(tick + self.lookahead):
            with self._lock:
                self._job, self._busy = (self._generation, tick, observation), True
                self._wake.notify()

    def flush(self) -> None:
        with self._lock:
            self._generation += 1
            self._result = None

    def close(self) -> None:
        with self._lock:
            self._stop = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(self.join_timeout)  # a hung model is left behind, never waited on

    def _work(self) -> None:
        while True:
            with self._lock:
                while self._job is None and not self._stop:
                    self._wake.wait(0.1)
                if self._stop:
                    return
                generation, tick, observation = self._job
                self._job = None
            try:
                started = time.perf_counter()
                chunk = self._policy.infer(observation)
                self.latencies.append(time.perf_counter() - started)
            except BaseException as exc:  # the loop sees it on its next tick and stops safely
                log.exception("policy failed in the inference worker")
                with self._lock:
                    self.error, self._busy = exc, False
                return
            with self._lock:
                self._result = (generation, dataclasses.replace(chunk, start_tick=tick))
                self._busy = False


INFERENCE: dict[str, Callable[[], InferenceDriver]] = {
    "sync": SyncInference,
    "async": AsyncInference,
}


def make_inference(name: str) -> InferenceDriver:
    try:
        return INFERENCE[name]()
    except KeyError:
        raise KeyError(unknown_name_message("inference mode", name, INFERENCE)) from None

"""What happens between chunks, chosen by name from config.

Policies return chunks; schedulers decide what runs. Keeping this out of model code
(openpi's ActionChunkBroker idea) gives every policy, local or remote, the same chunk
behaviour. Execute-n replans after n actions; the others merge overlapping chunks.

All of them index actions by tick: a chunk answers the observation of ``start_tick``,
so a chunk that arrives late (async or remote inference) has its stale head skipped
rather than replayed. What differs is how overlapping chunks are merged:

- ``temporal_ensemble`` (ACT): average every prediction for a tick, oldest weighted
  highest, w_i = exp(-k i).
- ``similarity_ensemble`` (CogACT): weight each prediction by exp(alpha cos(a_i, a_new)).
- ``rtc`` (real-time chunking): keep the unexecuted tail of the old plan for the first
  d ticks (d = inference delay in ticks), then hand over smoothly to the new chunk with
  weights that decay to 0 at H - s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from .embodiment import unknown_name_message
from .types import ActionChunk


class ActionScheduler(Protocol):
    def reset(self) -> None: ...

    def needs_chunk(self, tick: int) -> bool:
        """True when the loop should ask the policy for a new chunk on this tick."""
        ...

    def add_chunk(self, chunk: ActionChunk) -> None: ...

    def action_at(self, tick: int) -> np.ndarray | None:
        """The action for ``tick``, or None when nothing valid is queued (safety then holds)."""
        ...

    def flush(self) -> None:
        """Drop everything queued, e.g. on an instruction switch or a stop request."""
        ...


class ExecuteNScheduler:
    """Execute the first ``n`` actions of each chunk, then replan (Diffusion Policy style).

    Actions are indexed by tick, so ticks a wall clock skipped also skip their actions
    rather than delaying the whole chunk.
    """

    def __init__(self, n_execute: int) -> None:
        if n_execute < 1:
            raise ValueError(f"n_execute must be >= 1, got {n_execute}")
        self.n_execute = n_execute
        self._chunk: ActionChunk | None = None

    def reset(self) -> None:
        self._chunk = None

    def flush(self) -> None:
        self._chunk = None

    def needs_chunk(self, tick: int) -> bool:
        return self._chunk is None or tick - self._chunk.start_tick >= self._usable()

    def add_chunk(self, chunk: ActionChunk) -> None:
        self._chunk = chunk

    def action_at(self, tick: int) -> np.ndarray | None:
        if self._chunk is None or tick - self._chunk.start_tick >= self._usable():
            return None
        return self._chunk.action_at(tick)

    def _usable(self) -> int:
        assert self._chunk is not None
        return min(self.n_execute, self._chunk.horizon)


class _EnsembleScheduler:
    """Keeps every chunk that still covers a future tick and merges their predictions."""

    def __init__(self, query_every: int = 1) -> None:
        if query_every < 1:
            raise ValueError(f"query_every must be >= 1, got {query_every}")
        self.query_every = query_every
        self._chunks: list[ActionChunk] = []
        self._last_query: int | None = None

    def reset(self) -> None:
        self._chunks, self._last_query = [], None

    def flush(self) -> None:
        self.reset()

    def needs_chunk(self, tick: int) -> bool:
        return self._last_query is None or tick - self._last_query >= self.query_every

    def add_chunk(self, chunk: ActionChunk) -> None:
        self._last_query = chunk.start_tick
        self._chunks.append(chunk)

    def action_at(self, tick: int) -> np.ndarray | None:
        self._chunks = [c for c in self._chunks if c.start_tick + c.horizon > tick]
        predictions = [a for c in self._chunks if (a := c.action_at(tick)) is not None]
        if not predictions:
            return None
        stacked = np.stack(predictions)  # oldest first
        weights = self._weights(stacked)
        return (weights[:, None] * stacked).sum(axis=0) / weights.sum()

    def _weights(self, predictions: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class TemporalEnsembleScheduler(_EnsembleScheduler):
    """ACT: w_i = exp(-k i) with i = 0 for the oldest prediction."""

    def __init__(self, k: float = 0.01, query_every: int = 1) -> None:
        super().__init__(query_every)
        self.k = k

    def _weights(self, predictions: np.ndarray) -> np.ndarray:
        return np.exp(-self.k * np.arange(len(predictions)))


class SimilarityEnsembleScheduler(_EnsembleScheduler):
    """CogACT: w_i = exp(alpha * cos(a_i, a_newest)); dissimilar old predictions count less."""

    def __init__(self, alpha: float = 0.1, query_every: int = 1) -> None:
        super().__init__(query_every)
        self.alpha = alpha

    def _weights(self, predictions: np.ndarray) -> np.ndarray:
        newest = predictions[-1]
        norms = np.linalg.norm(predictions, axis=1) * np.linalg.norm(newest)
        cos = np.where(norms > 0, predictions @ newest / np.where(norms > 0, norms, 1.0), 1.0)
        return np.exp(self.alpha * cos)


class RTCScheduler:
    """Real-time chunking as a scheduler: blend each new chunk into the old plan's tail.

    ``execute_horizon`` (s) is how many ticks run between requests. When a chunk for the
    observation at tick t0 arrives at tick t0 + d, ticks before t0 + d were already run
    from the old plan; from there on the plan is w * old + (1 - w) * new with w = 1 for
    the first d steps, decaying exponentially to 0 at step H - s (RTC's soft mask).
    """

    def __init__(self, execute_horizon: int = 8) -> None:
        if execute_horizon < 1:
            raise ValueError(f"execute_horizon must be >= 1, got {execute_horizon}")
        self.execute_horizon = execute_horizon
        self.reset()

    def reset(self) -> None:
        self._plan: dict[int, np.ndarray] = {}
        self._last_start: int | None = None
        self._now = -1
        self.delays: list[int] = []

    def flush(self) -> None:
        self.reset()

    def needs_chunk(self, tick: int) -> bool:
        return self._last_start is None or tick - self._last_start >= self.execute_horizon

    def add_chunk(self, chunk: ActionChunk) -> None:
        delay = max(0, self._now + 1 - chunk.start_tick)
        self.delays.append(delay)
        weights = self.guidance_weights(chunk.horizon, delay, self.execute_horizon)
        for i, new in enumerate(chunk.actions):
            tick = chunk.start_tick + i
            if tick <= self._now:
                continue
            old = self._plan.get(tick)
            self._plan[tick] = new if old is None else weights[i] * old + (1 - weights[i]) * new
        self._last_start = chunk.start_tick

    def action_at(self, tick: int) -> np.ndarray | None:
        self._now = max(self._now, tick)
        for stale in [t for t in self._plan if t < tick]:
            del self._plan[stale]
        return self._plan.get(tick)

    @staticmethod
    def guidance_weights(horizon: int, delay: int, execute_horizon: int) -> np.ndarray:
        """1 for i < d, then c_i (e^c_i - 1)/(e - 1) with c_i = (H-s-i)/(H-s-d+1), 0 from H-s."""
        i = np.arange(horizon)
        end = max(horizon - execute_horizon, delay)
        c = np.clip((end - i) / max(end - delay + 1, 1), 0.0, 1.0)
        weights = c * np.expm1(c) / math.expm1(1.0)
        weights[i < delay] = 1.0
        return weights


# name -> (factory, the option that sets how many ticks pass between chunk requests)
SCHEDULERS: dict[str, tuple[Callable[..., ActionScheduler], str]] = {
    "execute_n": (lambda n_execute=8, **kw: ExecuteNScheduler(n_execute, **kw), "n_execute"),
    "temporal_ensemble": (TemporalEnsembleScheduler, "query_every"),
    "similarity_ensemble": (SimilarityEnsembleScheduler, "query_every"),
    "rtc": (RTCScheduler, "execute_horizon"),
}


def make_scheduler(name: str, every: int | None = None, **options: Any) -> ActionScheduler:
    """Build a scheduler by its config name, e.g. ``make_scheduler("rtc", execute_horizon=5)``.

    ``every`` sets the ticks between chunk requests whatever the scheduler calls it
    (``n_execute``, ``query_every``, ``execute_horizon``), so a CLI can offer one knob."""
    try:
        factory, every_option = SCHEDULERS[name]
    except KeyError:
        raise KeyError(unknown_name_message("action scheduler", name, SCHEDULERS)) from None
    if every is not None:
        options[every_option] = every
    return factory(**options)


def list_schedulers() -> list[str]:
    return sorted(SCHEDULERS)

"""What happens between chunks. Policies return chunks; schedulers decide what runs.

Keeping this out of model code (openpi's ActionChunkBroker idea) means every policy,
local or remote, gets the same chunk behaviour, chosen in config.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

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

"""Windowed samples for training: observation history, an action chunk, pad masks.

A policy declares the time offsets it needs (LeRobot's delta indices): ``obs_deltas``
(e.g. ``(-1, 0)`` for two steps of history, ``(-1, 0, 8)`` to add a future observation)
and ``action_deltas`` (``0..H-1`` for an H-step chunk). Offsets that fall outside the
episode repeat the edge frame and are flagged in ``obs_pad`` / ``action_pad``, as in
Diffusion Policy's sequence sampler.

``action_padding`` says what the chunk holds past an episode's end. "mask" (the default,
LeRobot ACT's ``action_is_pad``): edge frames, flagged, so the loss ignores them. "hold"
(Diffusion Policy trains on its padding; this is that, made right for delta control): past
the end of a *successful* episode the robot should stay where the task was done, so delta
fields are zero, absolute fields repeat the last action, and the steps are not flagged; the
policy is taught to stop at the goal instead of leaving the tail of its chunk untrained.

Each worker process opens its stores lazily (zarr handles are never shared across a
fork). Several stores, possibly of different embodiments, are concatenated; weights act
through ``weighted_sampler``, a seeded torch sampler, so an epoch is deterministic.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from actloop.control import get_embodiment, unknown_name_message
from torch.utils.data import Dataset, WeightedRandomSampler

from .errors import SchemaError
from .layout import EXTRAS_PREFIX, IMAGE_PREFIX
from .store import EpisodeStore

Transform = Callable[[dict], dict]


@dataclass(frozen=True)
class WindowSpec:
    obs_deltas: tuple[int, ...] = (0,)
    action_deltas: tuple[int, ...] = tuple(range(16))

    def __post_init__(self) -> None:
        for name in ("obs_deltas", "action_deltas"):
            deltas = tuple(int(d) for d in getattr(self, name))
            if not deltas:
                raise ValueError(f"WindowSpec.{name} must not be empty")
            object.__setattr__(self, name, deltas)

    @classmethod
    def chunk(cls, history: int = 1, horizon: int = 16, future: Sequence[int] = ()) -> WindowSpec:
        """``history`` observation steps ending now, an H-step chunk, optional future obs."""
        return cls(tuple(range(1 - history, 1)) + tuple(future), tuple(range(horizon)))


@dataclass(frozen=True)
class StoreSource:
    url: str
    weight: float = 1.0


@dataclass(frozen=True)
class _Index:
    """What the main process learns about one store: enough to map an index to a window."""

    url: str
    weight: float
    starts: np.ndarray
    ends: np.ndarray
    texts: tuple[tuple[str, str, str], ...]  # (instruction, embodiment, task) per episode
    cameras: tuple[str, ...]
    extras: tuple[str, ...] = ()  # recorded Observation.extras names (see EpisodeWriter)
    success: tuple[bool, ...] = ()  # per episode

    @property
    def frames(self) -> int:
        return int(self.ends[-1]) if len(self.ends) else 0


class WindowDataset(Dataset):
    """A torch ``Dataset`` of windows over every frame of one or more stores."""

    def __init__(
        self,
        sources: Sequence[str | StoreSource],
        spec: WindowSpec | None = None,
        *,
        transform: Transform | None = None,
        fps: float | None = None,
        action_key: str = "action",
        action_padding: str = "mask",
    ) -> None:
        if not sources:
            raise ValueError("WindowDataset needs at least one store")
        if action_padding not in ACTION_PADDINGS:
            raise ValueError(
                unknown_name_message("action padding", action_padding, ACTION_PADDINGS)
            )
        self.action_padding = action_padding
        self.spec = spec or WindowSpec()
        self.transform = transform
        self.action_key = action_key
        self.indexes = [_index(_as_source(s), fps, action_key) for s in sources]
        self._offsets = np.cumsum([0] + [ix.frames for ix in self.indexes])
        self._opened: dict[int, EpisodeStore] = {}
        self._pid = os.getpid()

    def __len__(self) -> int:
        return int(self._offsets[-1])

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"sample {index} outside 0..{len(self) - 1}")
        which = int(np.searchsorted(self._offsets, index, side="right") - 1)
        ix, frame = self.indexes[which], int(index - self._offsets[which])
        episode = int(np.searchsorted(ix.ends, frame, side="right"))
        sample = self._window(which, ix, episode, frame)
        return self.transform(sample) if self.transform is not None else sample

    def frame_weights(self) -> np.ndarray:
        """Per-sample weight: each store's weight spread evenly over its frames."""
        parts = [np.full(ix.frames, ix.weight / max(ix.frames, 1)) for ix in self.indexes]
        return np.concatenate(parts)

    def weighted_sampler(self, num_samples: int, seed: int) -> WeightedRandomSampler:
        """Samples stores in proportion to their weights; the same seed, the same order."""
        generator = torch.Generator().manual_seed(seed)
        weights = torch.as_tensor(self.frame_weights(), dtype=torch.double)
        return WeightedRandomSampler(weights, num_samples, replacement=True, generator=generator)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_opened": {}, "_pid": None}

    # -- internals -------------------------------------------------------------
    def _store(self, which: int) -> EpisodeStore:
        if self._pid != os.getpid():  # a forked or spawned worker: open afresh
            self._opened, self._pid = {}, os.getpid()
        if which not in self._opened:
            self._opened[which] = EpisodeStore(self.indexes[which].url, check_chunks=False)
        return self._opened[which]

    def _window(self, which: int, ix: _Index, episode: int, frame: int) -> dict:
        store = self._store(which)
        start, end = int(ix.starts[episode]), int(ix.ends[episode])
        obs_idx, obs_pad = _clamp(frame, self.spec.obs_deltas, start, end)
        act_idx, act_pad = _clamp(frame, self.spec.action_deltas, start, end)
        actions = store.lowdim(self.action_key)[act_idx].astype(np.float32, copy=False)
        instruction, embodiment, task = ix.texts[episode]
        if self.action_padding == "hold" and ix.success[episode]:
            after = act_pad & (frame + np.asarray(self.spec.action_deltas) >= end)
            actions, act_pad = _hold_after_end(actions, act_pad, after, embodiment)
        lo, hi = int(obs_idx.min()), int(obs_idx.max()) + 1
        images = {cam: store.read(IMAGE_PREFIX + cam, lo, hi)[obs_idx - lo] for cam in ix.cameras}
        return {
            "images": images,
            "state": store.lowdim("state")[obs_idx].astype(np.float32, copy=False),
            "action": actions,
            "obs_pad": obs_pad,
            "action_pad": act_pad,
            "instruction": instruction,
            "embodiment": embodiment,
            "task": task,
            "episode": episode,
            "frame": frame - start,
            "extras": {n: store.lowdim(EXTRAS_PREFIX + n)[obs_idx[-1]] for n in ix.extras},
        }


def _clamp(frame: int, deltas: tuple[int, ...], start: int, end: int):
    wanted = frame + np.asarray(deltas, dtype=np.int64)
    return np.clip(wanted, start, end - 1), (wanted < start) | (wanted >= end)


ACTION_PADDINGS = ("mask", "hold")


@functools.cache
def _delta_fields(embodiment: str) -> np.ndarray:
    """Which action fields are deltas: looked up once per embodiment, not per sample."""
    return np.array([f.kind.is_delta for f in get_embodiment(embodiment).action_fields])


def _hold_after_end(actions, act_pad, after, embodiment: str):
    """Steps ``after`` the episode's end become the hold action (see the module docstring)."""
    actions = actions.copy()
    actions[np.ix_(after, _delta_fields(embodiment))] = 0.0
    return actions, act_pad & ~after


def _check_same_width(url: str, schema: dict, action_key: str) -> None:
    """Labels read in place of the action must be actions of the same embodiment."""
    got, want = schema[action_key], schema["action"]
    if tuple(got["shape"]) != tuple(want["shape"]):
        raise SchemaError(
            f"{url}: action labels 'data/{action_key}' have shape {tuple(got['shape'])}, "
            f"but 'data/action' has {tuple(want['shape'])}"
        )


def _as_source(source: str | StoreSource) -> StoreSource:
    return source if isinstance(source, StoreSource) else StoreSource(str(source))


def _index(source: StoreSource, fps: float | None, action_key: str = "action") -> _Index:
    if not source.weight > 0:
        raise ValueError(f"{source.url}: weight must be positive, got {source.weight}")
    store = EpisodeStore(source.url)  # checks every committed chunk exists
    for meta in store.episodes:
        if fps is not None and abs(meta.fps - fps) > 1e-6:
            raise SchemaError(
                f"{source.url} episode {meta.index}: fps {meta.fps} != expected {fps}"
            )
    for key in ("state", "action", action_key):
        if key not in store.schema and store.num_episodes:
            raise SchemaError(f"{source.url}: key 'data/{key}' is missing from the store")
    if action_key != "action" and store.num_episodes:
        _check_same_width(source.url, store.schema, action_key)
    return _Index(
        url=source.url,
        weight=float(source.weight),
        starts=np.array([m.start for m in store.episodes], dtype=np.int64),
        ends=store.episode_ends,
        texts=tuple((m.instruction, m.embodiment, m.task) for m in store.episodes),
        cameras=tuple(store.cameras),
        extras=tuple(
            k.removeprefix(EXTRAS_PREFIX) for k in store.keys if k.startswith(EXTRAS_PREFIX)
        ),
        success=tuple(bool(m.success) for m in store.episodes),
    )

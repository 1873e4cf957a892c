"""``EpisodeWriter``: the ControlLoop's recording hook, writing to an episode store.

It implements the control ``Recorder`` protocol. The caller's thread only validates and
copies a step (microseconds) and puts it on a bounded queue; a writer thread compresses
and writes. So a 50 Hz loop never waits on disk unless the disk falls more than
``max_queued_steps`` behind, and then ``record`` blocks (back-pressure) rather than
drop data. ``end_episode`` only enqueues the commit; ``flush``/``close`` wait for it.
Errors from the thread are raised on the caller's next call.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import numpy as np
from actloop.control import EpisodeInfo, Step

from .episodes import check_fps
from .errors import SchemaError, WriterError
from .layout import EXTRAS_PREFIX, IMAGE_CHUNK_FRAMES, IMAGE_PREFIX, local_path
from .lock import WriterLock
from .sink import Frame, StoreSink

log = logging.getLogger(__name__)
_STOP = object()


class EpisodeWriter:
    """Creates or appends to the store at ``path_or_url``; one writer per store at a time,
    enforced for local stores (a second writer raises ``StoreLockedError``)."""

    def __init__(
        self,
        path_or_url: str,
        *,
        max_queued_steps: int = 2000,
        image_chunk_frames: int = IMAGE_CHUNK_FRAMES,
        record_extras: bool = False,
    ) -> None:
        self.url = str(path_or_url)
        self.record_extras = record_extras
        self._lock = _lock_local_store(self.url)
        try:
            self._sink = StoreSink(self.url, image_chunk_frames)  # opens here: errors here
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
        self._queue: queue.Queue = queue.Queue(maxsize=max_queued_steps)
        self._error: BaseException | None = None
        self._open_episode: EpisodeInfo | None = None
        self._first_shapes: dict[str, tuple[tuple[int, ...], np.dtype]] | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._drain, name="EpisodeWriter", daemon=True)
        self._thread.start()

    # -- Recorder protocol -----------------------------------------------------
    def start_episode(self, info: EpisodeInfo) -> None:
        self._check_usable()
        if self._open_episode is not None:
            raise RuntimeError("start_episode called while an episode is still open")
        meta = _episode_fields(info, self.url)
        self._open_episode, self._first_shapes = info, None
        self._queue.put(("begin", meta))

    def record(self, step: Step) -> None:
        self._check_usable()
        if self._open_episode is None:
            raise RuntimeError("record called with no open episode; call start_episode first")
        values = _step_values(step, self.record_extras)
        self._check_frame(values)
        self._queue.put(("add", Frame(values)))

    def end_episode(self, success: bool) -> None:
        self._check_usable()
        if self._open_episode is None:
            raise RuntimeError("end_episode called with no open episode")
        self._open_episode = None
        self._queue.put(("commit", bool(success)))

    def abort(self) -> None:
        if self._open_episode is not None and not self._closed:
            self._open_episode = None
            self._queue.put(("discard", None))

    # -- lifecycle -------------------------------------------------------------
    def flush(self) -> None:
        """Wait until every queued step and commit has been written."""
        self._queue.join()
        self._raise_thread_error()

    def close(self) -> None:
        """Finish queued work; an episode still open is discarded, never half-committed."""
        if self._closed:
            return
        if self._open_episode is not None:
            log.warning("%s: closing with an open episode; it is discarded", self.url)
            self.abort()
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        if self._lock is not None:
            self._lock.release()
        self._raise_thread_error()

    def __enter__(self) -> EpisodeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def num_episodes(self) -> int:
        """Episodes committed so far (call ``flush`` first to include queued ones)."""
        return len(self._sink.record["episodes"])

    # -- internals -------------------------------------------------------------
    def _check_usable(self) -> None:
        if self._closed:
            raise RuntimeError(f"{self.url}: EpisodeWriter is closed")
        self._raise_thread_error()

    def _raise_thread_error(self) -> None:
        if self._error is not None:
            raise WriterError(f"{self.url}: writer thread failed: {self._error}") from self._error

    def _check_frame(self, values: dict[str, np.ndarray]) -> None:
        shapes = {k: (v.shape, v.dtype) for k, v in values.items()}
        if self._first_shapes is None:
            self._check_against_store(values)
            self._first_shapes = shapes
            return
        if shapes != self._first_shapes:
            diff = {
                k: (shapes.get(k), self._first_shapes.get(k))
                for k in set(shapes) | set(self._first_shapes)
                if shapes.get(k) != self._first_shapes.get(k)
            }
            raise SchemaError(
                f"{self.url}: step differs from the episode's first step "
                f"(key: (got, expected)): {diff}"
            )

    def _check_against_store(self, values: dict[str, np.ndarray]) -> None:
        """The first step of an episode must fit the arrays already in the store."""
        schema = self._sink.schema
        if not schema:
            return
        if set(values) != set(schema):
            raise SchemaError(
                f"{self.url}: step keys {sorted(values)} differ from the store's {sorted(schema)}"
            )
        for key, value in values.items():
            want = schema[key]
            if list(value.shape) != list(want["shape"]) or str(value.dtype) != want["dtype"]:
                raise SchemaError(
                    f"{self.url}: {key!r} frames are {value.shape} {value.dtype}, "
                    f"the store holds {tuple(want['shape'])} {want['dtype']}"
                )

    def _drain(self) -> None:
        handlers = {
            "begin": self._sink.begin,
            "add": self._sink.add,
            "commit": self._sink.commit,
            "discard": lambda _: self._sink.discard(),
        }
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                if self._error is None:
                    kind, payload = item
                    handlers[kind](payload)
            except BaseException as exc:  # surfaced to the caller on its next call
                log.exception("%s: writer thread failed", self.url)
                self._error = exc
                self._sink.discard()
            finally:
                self._queue.task_done()


def _lock_local_store(url: str) -> WriterLock | None:
    path = local_path(url)
    if path is None:
        return None
    path.mkdir(parents=True, exist_ok=True)
    return WriterLock(path)


def _episode_fields(info: EpisodeInfo, url: str) -> dict[str, Any]:
    where = f"{url}: EpisodeInfo"
    for name in ("embodiment", "instruction", "task"):
        if not isinstance(getattr(info, name), str):
            raise SchemaError(f"{where}.{name} must be a str, got {getattr(info, name)!r}")
    if info.seed is not None and not isinstance(info.seed, int | np.integer):
        raise SchemaError(f"{where}.seed must be an int or None, got {info.seed!r}")
    return {
        "task": info.task,
        "instruction": info.instruction,
        "embodiment": info.embodiment,
        "fps": check_fps(info.fps, where),
        "seed": None if info.seed is None else int(info.seed),
        "extra": dict(info.extra),
    }


def _step_values(step: Step, record_extras: bool) -> dict[str, np.ndarray]:
    """Copies, so the robot may reuse its buffers the moment ``record`` returns. With
    ``record_extras`` every ``Observation.extras`` entry is kept too (as float32 under
    ``extras/<name>``): in sim these are the privileged task facts (where the goal is)
    that auxiliary training losses read; the keys must then be the same on every step."""
    obs = step.observation
    values = {
        f"{IMAGE_PREFIX}{cam}": np.array(img, dtype=np.uint8, copy=True)
        for cam, img in obs.images.items()
    }
    values["state"] = np.array(obs.state, dtype=np.float32, copy=True)
    values["action"] = np.array(step.action, dtype=np.float32, copy=True)
    values["requested_action"] = np.array(step.requested_action, dtype=np.float32, copy=True)
    values["timestamp"] = np.array(obs.timestamp, dtype=np.float64)
    if record_extras:
        for name, value in obs.extras.items():
            values[f"{EXTRAS_PREFIX}{name}"] = np.array(value, dtype=np.float32, copy=True)
    return values

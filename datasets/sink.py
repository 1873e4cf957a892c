"""The writer thread's side: frames into zarr arrays past the committed end, then commit.

Crash safety: an episode's frames go into ``data/*`` beyond the last committed frame;
nothing refers to them until ``commit`` rewrites the root ``zarr.json`` (one atomic write)
with the episode appended. A crash before that leaves only an ignored tail, which the
next writer overwrites. Every zarr file write is atomic (rename on local disk), so a
chunk shared with the previous committed episode is never torn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import google_crc32c
import numpy as np
import zarr

from .episodes import EpisodeMeta
from .errors import SchemaError
from .layout import (
    ATTR,
    FORMAT,
    IMAGE_CHUNK_FRAMES,
    LOWDIM_CHUNK_FRAMES,
    VERSION,
    data_path,
    image_codecs,
    is_lowdim,
    lowdim_codecs,
    open_store,
)
from .store import read_commit

WRITE_CONFIG = {"write_empty_chunks": True}  # every committed chunk exists: presence is checkable


@dataclass
class Frame:
    """One step, copied off the caller's arrays: key -> value, images under ``images/<cam>``."""

    values: dict[str, np.ndarray]


@dataclass
class _Pending:
    meta: dict[str, Any]
    start: int
    lowdim: dict[str, list[np.ndarray]] = field(default_factory=dict)
    images: dict[str, list[np.ndarray]] = field(default_factory=dict)
    image_start: dict[str, int] = field(default_factory=dict)
    crc: dict[str, int] = field(default_factory=dict)
    length: int = 0


class StoreSink:
    """Owns the zarr store for one writer; only the writer thread calls it."""

    def __init__(self, url: str, image_chunk_frames: int = IMAGE_CHUNK_FRAMES) -> None:
        self.url = url
        self.root = zarr.open_group(open_store(url, read_only=False), mode="a")
        if ATTR not in self.root.attrs:
            self.root.attrs[ATTR] = {
                "format": FORMAT,
                "version": VERSION,
                "schema": {},
                "episodes": [],
            }
        self.record = read_commit(self.root, url)
        self.image_chunk_frames = image_chunk_frames
        self.arrays: dict[str, zarr.Array] = {}
        self.pending: _Pending | None = None
        episodes = self.record["episodes"]
        self.total = episodes[-1]["start"] + episodes[-1]["length"] if episodes else 0

    @property
    def schema(self) -> dict[str, dict[str, Any]]:
        return self.record["schema"]

    def begin(self, meta: dict[str, Any]) -> None:
        self.pending = _Pending(meta=meta, start=self.total)

    def add(self, frame: Frame) -> None:
        pending = self.pending
        if pending.length == 0:
            self._prepare_arrays(frame)
        for key, value in frame.values.items():
            crc = pending.crc.get(key, 0)
            pending.crc[key] = google_crc32c.extend(crc, np.ascontiguousarray(value).tobytes())
            if is_lowdim(key):
                pending.lowdim.setdefault(key, []).append(value)
            else:
                self._add_image(pending, key, value)
        pending.length += 1

    def discard(self) -> None:
        self.pending = None

    def commit(self, success: bool) -> None:
        pending, self.pending = self.pending, None
        if pending.length == 0:
            return  # an episode without frames is not an episode; nothing to commit
        for key in list(pending.images):
            self._flush_image(pending, key)
        for key, values in pending.lowdim.items():
            self._write(key, pending.start, np.stack(values))
        meta = EpisodeMeta(
            index=len(self.record["episodes"]),
            start=pending.start,
            length=pending.length,
            success=bool(success),
            checksums=dict(pending.crc),
            **pending.meta,
        )
        record = dict(self.record, episodes=[*self.record["episodes"], meta.to_dict()])
        self.root.attrs[ATTR] = record  # THE commit point: one atomic write of zarr.json
        self.record, self.total = record, meta.end
        self._mirror_episode_ends()

    # -- arrays ----------------------------------------------------------------
    def _prepare_arrays(self, frame: Frame) -> None:
        shapes = {k: (list(v.shape), str(v.dtype)) for k, v in frame.values.items()}
        if self.schema:
            self._check_schema(shapes)
        for key, (shape, dtype) in shapes.items():
            if key not in self.arrays:
                self.arrays[key] = self._open_or_create(key, shape, dtype)
        if not self.schema:
            self.record["schema"] = {k: {"shape": s, "dtype": d} for k, (s, d) in shapes.items()}

    def _check_schema(self, shapes: dict[str, tuple[list[int], str]]) -> None:
        if set(shapes) != set(self.schema):
            raise SchemaError(
                f"{self.url}: episode keys {sorted(shapes)} differ from the "
                f"store's {sorted(self.schema)}"
            )
        for key, (shape, dtype) in shapes.items():
            want = self.schema[key]
            if shape != list(want["shape"]) or dtype != want["dtype"]:
                raise SchemaError(
                    f"{self.url}: {key!r} frames are {tuple(shape)} {dtype}, the "
                    f"store holds {tuple(want['shape'])} {want['dtype']}"
                )

    def _open_or_create(self, key: str, shape: list[int], dtype: str) -> zarr.Array:
        path = data_path(key)
        if self.schema:  # committed arrays exist and must be kept
            return self.root[path].with_config(WRITE_CONFIG)
        image = not is_lowdim(key)
        rows = self.image_chunk_frames if image else LOWDIM_CHUNK_FRAMES
        return self.root.create_array(
            path,
            shape=(0, *shape),
            chunks=(rows, *shape),
            dtype=dtype,
            overwrite=True,
            compressors=image_codecs() if image else lowdim_codecs(),
            fill_value=0,
            config=WRITE_CONFIG,
        )

    def _write(self, key: str, start: int, values: np.ndarray) -> None:
        array = self.arrays[key]
        stop = start + len(values)
        if array.shape[0] < stop:
            grown = max(stop, int(array.shape[0] * 1.5), array.chunks[0] * 16)
            array.resize((grown, *array.shape[1:]))
        array[start:stop] = values

    def _add_image(self, pending: _Pending, key: str, value: np.ndarray) -> None:
        frames = pending.images.setdefault(key, [])
        if not frames:
            pending.image_start[key] = pending.start + pending.length
        frames.append(value)
        if (pending.image_start[key] + len(frames)) % self.image_chunk_frames == 0:
            self._flush_image(pending, key)

    def _flush_image(self, pending: _Pending, key: str) -> None:
        frames = pending.images.pop(key, [])
        if frames:
            self._write(key, pending.image_start[key], np.stack(frames))

    def _mirror_episode_ends(self) -> None:
        """meta/episode_ends for plain-zarr (Diffusion Policy style) readers; written after
        the commit, so it can lag the commit by one episode but never lead it."""
        ends = np.array([e["start"] + e["length"] for e in self.record["episodes"]], np.int64)
        meta = self.root.require_group("meta")
        if "episode_ends" in meta:
            array = meta["episode_ends"]
            array.resize(ends.shape)
        else:
            array = meta.create_array(
                "episode_ends", shape=ends.shape, chunks=(65536,), dtype="int64"
            )
        array[:] = ends

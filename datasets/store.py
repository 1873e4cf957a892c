"""``EpisodeStore``: the read side. Opens a local path or any fsspec URL.

Only committed episodes are visible; frames written past the last commit (a crash mid
episode) are ignored. On open every chunk file that holds committed frames is checked to
exist, so zarr's fill-value-for-missing-chunk never turns into silent zeros.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import google_crc32c
import numpy as np
import zarr

from .chunks import ChunkedRows
from .episodes import EpisodeMeta
from .errors import CorruptDataError, SchemaError, StoreError
from .layout import ATTR, FORMAT, IMAGE_PREFIX, data_path, local_path, open_store
from .stats import NormStats


def read_commit(root: zarr.Group, where: str) -> dict[str, Any]:
    """The committed record (format, schema, episodes); an empty one for a fresh store."""
    record = root.attrs.get(ATTR)
    if record is None:
        raise StoreError(f"{where}: not an actloop episode store (no {ATTR!r} attributes)")
    if record.get("format") != FORMAT:
        raise StoreError(
            f"{where}: unknown store format {record.get('format')!r}, expected {FORMAT!r}"
        )
    return record


class EpisodeStore:
    """A read-only view of the committed episodes of one store."""

    def __init__(self, path_or_url: str, *, check_chunks: bool = True) -> None:
        self.url = str(path_or_url)
        try:
            self.root = zarr.open_group(open_store(self.url, read_only=True), mode="r")
        except FileNotFoundError as exc:
            raise StoreError(f"{self.url}: no episode store here ({exc})") from None
        record = read_commit(self.root, self.url)
        self.schema: dict[str, dict[str, Any]] = record.get("schema", {})
        self.episodes = [
            EpisodeMeta.from_dict(e, f"{self.url} episode {i}")
            for i, e in enumerate(record.get("episodes", []))
        ]
        self._local = local_path(self.url)
        self._rows: dict[str, ChunkedRows] = {}
        self._lowdim_cache: dict[str, np.ndarray] = {}
        if check_chunks:
            for key in self.schema:
                self.rows(key).check_present(self.num_frames)

    # -- shape of the store --------------------------------------------------
    @property
    def num_episodes(self) -> int:
        return len(self.episodes)

    @property
    def num_frames(self) -> int:
        return self.episodes[-1].end if self.episodes else 0

    @property
    def episode_ends(self) -> np.ndarray:
        return np.array([e.end for e in self.episodes], dtype=np.int64)

    @property
    def keys(self) -> list[str]:
        return sorted(self.schema)

    @property
    def cameras(self) -> list[str]:
        return sorted(k[len(IMAGE_PREFIX) :] for k in self.schema if k.startswith(IMAGE_PREFIX))

    @cached_property
    def norm_stats(self) -> NormStats | None:
        """Statistics saved by ``save_norm_stats``, or None if none were saved."""
        try:
            meta = self.root["meta"]
        except KeyError:
            return None
        saved = meta.attrs.get("norm_stats")
        return None if saved is None else NormStats.from_dict(saved)

    # -- reading -------------------------------------------------------------
    def rows(self, key: str) -> ChunkedRows:
        if key not in self._rows:
            self._rows[key] = ChunkedRows(self._array(key), self.url, self._local)
        return self._rows[key]

    def read(self, key: str, start: int, stop: int) -> np.ndarray:
        """Committed frames [start, stop) of one key (global frame indices)."""
        if not 0 <= start < stop <= self.num_frames:
            raise IndexError(f"{self.url}: frames {start}:{stop} outside 0:{self.num_frames}")
        return self.rows(key).read(start, stop)

    def lowdim(self, key: str) -> np.ndarray:
        """All committed frames of a small key, loaded once (7-D float32 is 28 MB per 1M
        frames) so that random window reads never go back to storage for them."""
        if key not in self._lowdim_cache:
            total = self.num_frames
            self._lowdim_cache[key] = self.read(key, 0, total) if total else np.zeros((0,))
        return self._lowdim_cache[key]

    def episode(self, index: int, *, verify: bool = True) -> dict[str, np.ndarray]:
        """Every key of one episode (images under ``images/<cam>``), checksum-verified."""
        meta = self.meta(index)
        arrays = {key: self.read(key, meta.start, meta.end) for key in self.keys}
        if verify:
            for key, values in arrays.items():
                self._verify(meta, key, values)
        return arrays

    def meta(self, index: int) -> EpisodeMeta:
        if not 0 <= index < self.num_episodes:
            raise IndexError(f"{self.url}: episode {index} outside 0..{self.num_episodes - 1}")
        return self.episodes[index]

    def verify(self) -> None:
        """Read every committed episode and check its checksums; raise on the first mismatch."""
        for index in range(self.num_episodes):
            self.episode(index, verify=True)

    def _verify(self, meta: EpisodeMeta, key: str, values: np.ndarray) -> None:
        expected = meta.checksums.get(key)
        if expected is None:
            raise CorruptDataError(f"{self.url} episode {meta.index}: no checksum for {key!r}")
        got = google_crc32c.value(np.ascontiguousarray(values).tobytes())
        if got != expected:
            raise CorruptDataError(
                f"{self.url} episode {meta.index} key {key!r}: checksum "
                f"{got:#010x} != committed {expected:#010x}"
            )

    def _array(self, key: str) -> zarr.Array:
        path = data_path(key)
        try:
            array = self.root[path]
        except KeyError:
            raise SchemaError(f"{self.url}: key {path!r} is missing from the store") from None
        want = self.schema[key]
        shape, dtype = tuple(array.shape[1:]), str(np.dtype(array.dtype))
        if list(shape) != list(want["shape"]) or dtype != want["dtype"]:
            raise SchemaError(
                f"{self.url}: {path!r} holds frames of {shape} {dtype}, the commit "
                f"says {tuple(want['shape'])} {want['dtype']}"
            )
        if array.shape[0] < self.num_frames:
            raise CorruptDataError(
                f"{self.url}: {path!r} has {array.shape[0]} frames, {self.num_frames} are committed"
            )
        return array

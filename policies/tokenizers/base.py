"""The universal action tokenizer interface and its registry.

Tokenizers work on normalised universal chunks: ``chunk`` (H, 32) float in roughly [-1, 1]
and ``mask`` (32,) bool marking the slots the embodiment uses. Only used slots are encoded,
so one vocabulary serves every embodiment. A token sequence that cannot be a chunk of the
given shape raises ``MalformedTokensError``: decoding never falls back to zeros.

Saved state is ``tokenizer.json`` (kind + settings) and, for array state,
``tokenizer.safetensors`` in one directory. Nothing is pickled.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from actloop.control import UNIVERSAL_DIM, unknown_name_message
from safetensors.numpy import load_file, save_file

META_FILE = "tokenizer.json"
ARRAYS_FILE = "tokenizer.safetensors"


class MalformedTokensError(ValueError):
    """A token sequence that does not decode to a chunk of the expected shape."""


class ActionTokenizer(ABC):
    kind: ClassVar[str]

    @property
    @abstractmethod
    def vocab_size(self) -> int: ...

    @abstractmethod
    def fit(self, chunks: np.ndarray, masks: np.ndarray) -> ActionTokenizer:
        """Learn from normalised chunks (N, H, 32) with masks (N, 32). Returns self."""

    @abstractmethod
    def encode(self, chunk: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One chunk (H, 32) -> 1-D int64 tokens in [0, vocab_size)."""

    @abstractmethod
    def decode(self, tokens, mask: np.ndarray, horizon: int) -> np.ndarray:
        """Tokens -> chunk (horizon, 32), zero on unused slots; malformed input raises."""

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """JSON-serialisable constructor arguments plus learned scalars."""

    def token_period(self, mask: np.ndarray) -> int | None:
        """Tokens per timestep, if the tokens of one timestep follow those of the previous
        one in a fixed layout (so a still robot repeats them); None if not. Jacobi decoding
        uses it to guess ahead."""
        return None

    def arrays(self) -> dict[str, np.ndarray]:
        return {}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        if arrays:
            raise ValueError(f"{self.kind} tokenizer has no array state, got {sorted(arrays)}")

    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"kind": self.kind, "settings": self.settings()}
        (directory / META_FILE).write_text(json.dumps(meta, indent=2))
        arrays = self.arrays()
        if arrays:
            save_file(
                {k: np.ascontiguousarray(v) for k, v in arrays.items()},
                str(directory / ARRAYS_FILE),
            )

    # -- helpers shared by the kinds -----------------------------------------
    def check_tokens(self, tokens, expected: int | None = None) -> np.ndarray:
        array = np.asarray(tokens)
        if array.ndim != 1 or (array.size and not np.issubdtype(array.dtype, np.integer)):
            raise MalformedTokensError(
                f"{self.kind}: tokens must be a 1-D integer sequence, got shape {array.shape} "
                f"dtype {array.dtype}"
            )
        array = array.astype(np.int64)
        bad = array[(array < 0) | (array >= self.vocab_size)]
        if bad.size:
            raise MalformedTokensError(
                f"{self.kind}: token ids {bad[:5].tolist()} outside the vocabulary "
                f"[0, {self.vocab_size})"
            )
        if expected is not None and array.size != expected:
            raise MalformedTokensError(
                f"{self.kind}: got {array.size} tokens, expected {expected} for this chunk shape"
            )
        return array


def used_slots(mask: np.ndarray) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (UNIVERSAL_DIM,):
        raise ValueError(f"slot mask must have shape ({UNIVERSAL_DIM},), got {mask.shape}")
    if not mask.any():
        raise ValueError("slot mask selects no slots")
    return np.flatnonzero(mask)


def check_chunk(chunk: np.ndarray) -> np.ndarray:
    chunk = np.asarray(chunk, dtype=np.float64)
    if chunk.ndim != 2 or chunk.shape[1] != UNIVERSAL_DIM:
        raise ValueError(f"chunk must be (H, {UNIVERSAL_DIM}), got shape {chunk.shape}")
    if not np.isfinite(chunk).all():
        raise ValueError("chunk holds NaN or inf")
    return chunk


TOKENIZERS: dict[str, type[ActionTokenizer]] = {}


def register_tokenizer(cls: type[ActionTokenizer]) -> type[ActionTokenizer]:
    if cls.kind in TOKENIZERS:
        raise ValueError(f"tokenizer kind {cls.kind!r} registered twice")
    TOKENIZERS[cls.kind] = cls
    return cls


def build_tokenizer(kind: str, **settings: Any) -> ActionTokenizer:
    if kind not in TOKENIZERS:
        raise KeyError(unknown_name_message("action tokenizer", kind, TOKENIZERS))
    return TOKENIZERS[kind](**settings)


def load_tokenizer(directory: str | Path) -> ActionTokenizer:
    directory = Path(directory)
    meta_path = directory / META_FILE
    if not meta_path.is_file():
        raise FileNotFoundError(f"no {META_FILE} in {directory}: not a saved action tokenizer")
    meta = json.loads(meta_path.read_text())
    tokenizer = build_tokenizer(meta["kind"], **meta["settings"])
    arrays_path = directory / ARRAYS_FILE
    tokenizer.load_arrays(load_file(str(arrays_path)) if arrays_path.is_file() else {})
    return tokenizer

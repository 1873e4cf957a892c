"""Per-slot quantile binning (RT-2 / OpenVLA style): one token per used slot per step.

Bin edges are quantiles of the fitted values of each slot, so dense regions get fine bins.
Each bin decodes to the mean of the training values that fell in it (the edge midpoint for
an empty bin), which makes discrete signals such as a binary gripper decode exactly.
Stated error: at most the width of the widest bin of a used slot (``max_error``).
"""

from __future__ import annotations

import numpy as np
from actloop.control import UNIVERSAL_DIM

from .base import ActionTokenizer, check_chunk, register_tokenizer, used_slots


@register_tokenizer
class BinningTokenizer(ActionTokenizer):
    kind = "binning"

    def __init__(self, n_bins: int = 256) -> None:
        self.n_bins = n_bins
        self.edges = np.tile(np.linspace(-1.0, 1.0, n_bins + 1), (UNIVERSAL_DIM, 1))
        self.values = (self.edges[:, 1:] + self.edges[:, :-1]) / 2

    @property
    def vocab_size(self) -> int:
        return self.n_bins

    def fit(self, chunks: np.ndarray, masks: np.ndarray) -> BinningTokenizer:
        chunks, masks = np.asarray(chunks, np.float64), np.asarray(masks, bool)
        quantiles = np.linspace(0.0, 1.0, self.n_bins + 1)
        for slot in range(UNIVERSAL_DIM):
            data = chunks[masks[:, slot], :, slot].ravel()
            if data.size == 0:
                continue
            self.edges[slot] = np.quantile(data, quantiles)
            bins = self._bin(data, slot)
            sums = np.bincount(bins, weights=data, minlength=self.n_bins)
            counts = np.bincount(bins, minlength=self.n_bins)
            midpoints = (self.edges[slot, 1:] + self.edges[slot, :-1]) / 2
            self.values[slot] = np.where(counts > 0, sums / np.maximum(counts, 1), midpoints)
        return self

    def _bin(self, values: np.ndarray, slot: int) -> np.ndarray:
        index = np.searchsorted(self.edges[slot, 1:-1], values, side="left")
        return np.clip(index, 0, self.n_bins - 1)

    def encode(self, chunk: np.ndarray, mask: np.ndarray) -> np.ndarray:
        chunk, slots = check_chunk(chunk), used_slots(mask)
        tokens = np.stack([self._bin(chunk[:, s], s) for s in slots], axis=1)
        return tokens.reshape(-1).astype(np.int64)

    def token_period(self, mask: np.ndarray) -> int:
        return len(used_slots(mask))

    def decode(self, tokens, mask: np.ndarray, horizon: int) -> np.ndarray:
        slots = used_slots(mask)
        tokens = self.check_tokens(tokens, horizon * len(slots)).reshape(horizon, len(slots))
        chunk = np.zeros((horizon, UNIVERSAL_DIM), dtype=np.float32)
        chunk[:, slots] = self.values[slots, tokens]
        return chunk

    def max_error(self, mask: np.ndarray) -> float:
        widths = np.diff(self.edges[used_slots(mask)], axis=1)
        return float(widths.max())

    def settings(self) -> dict:
        return {"n_bins": self.n_bins}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"edges": self.edges, "values": self.values}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        expected = (UNIVERSAL_DIM, self.n_bins + 1)
        if arrays.get("edges") is None or arrays["edges"].shape != expected:
            raise ValueError(f"binning tokenizer: 'edges' must have shape {expected}")
        self.edges, self.values = arrays["edges"], arrays["values"]

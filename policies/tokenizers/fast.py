"""FAST (pi0-FAST): DCT-II along time, quantise, byte-pair encode.

Steps: orthonormal DCT-II per used slot over the H steps; ``round(coef * scale)``; flatten
row-major over [frequency, slot] so every slot's low frequencies come first; shift to
non-negative symbols; BPE (Hugging Face ``tokenizers``) merges the frequent runs, mostly the
zero high-frequency tail, into few tokens.

Stated error: each coefficient is off by at most ``0.5 / scale``; the DCT is orthonormal,
so a slot's error over the chunk has L2 norm at most ``0.5 * sqrt(H) / scale``
(``max_error``), and RMS about ``0.29 / scale``. Values are clipped to ``±value_bound``.
"""

from __future__ import annotations

import math

import numpy as np
from actloop.control import UNIVERSAL_DIM
from scipy.fft import dct, idct
from tokenizers import Tokenizer, models, trainers

from .base import ActionTokenizer, MalformedTokensError, check_chunk, register_tokenizer, used_slots

SYMBOL_BASE = 0x100  # symbols start above Latin-1: no whitespace or control characters


@register_tokenizer
class FASTTokenizer(ActionTokenizer):
    kind = "fast"

    def __init__(
        self,
        scale: float = 10.0,
        bpe_vocab_size: int = 1024,
        value_bound: float = 2.0,
        horizon: int | None = None,
        bpe: str | None = None,
    ) -> None:
        self.scale, self.bpe_vocab_size, self.value_bound = scale, bpe_vocab_size, value_bound
        self.horizon = horizon
        self.bpe = Tokenizer.from_str(bpe) if bpe else None

    @property
    def vocab_size(self) -> int:
        return self._fitted().get_vocab_size()

    @property
    def symbol_bound(self) -> int:
        """Largest |quantised coefficient|: |coef| <= sqrt(H) * value_bound (orthonormal)."""
        return math.ceil(self.scale * self.value_bound * math.sqrt(self.horizon))

    def fit(self, chunks: np.ndarray, masks: np.ndarray) -> FASTTokenizer:
        chunks = np.asarray(chunks)
        self.horizon = chunks.shape[1]
        alphabet = [chr(SYMBOL_BASE + i) for i in range(2 * self.symbol_bound + 1)]
        trainer = trainers.BpeTrainer(
            vocab_size=self.bpe_vocab_size,
            initial_alphabet=alphabet,
            show_progress=False,
            special_tokens=[],
        )
        self.bpe = Tokenizer(models.BPE())
        strings = [self._symbols(c, m) for c, m in zip(chunks, np.asarray(masks), strict=True)]
        self.bpe.train_from_iterator(strings, trainer=trainer)
        return self

    def _fitted(self) -> Tokenizer:
        if self.bpe is None:
            raise RuntimeError("FAST tokenizer is not fitted: call fit(chunks, masks) first")
        return self.bpe

    def _symbols(self, chunk: np.ndarray, mask: np.ndarray) -> str:
        chunk, slots = check_chunk(chunk), used_slots(mask)
        if chunk.shape[0] != self.horizon:
            raise ValueError(f"FAST was fitted on horizon {self.horizon}, got {chunk.shape[0]}")
        values = np.clip(chunk[:, slots], -self.value_bound, self.value_bound)
        coefficients = dct(values, type=2, norm="ortho", axis=0)
        quantised = np.clip(
            np.rint(coefficients * self.scale), -self.symbol_bound, self.symbol_bound
        )
        shifted = quantised.astype(np.int64).reshape(-1) + self.symbol_bound
        return "".join(chr(SYMBOL_BASE + int(s)) for s in shifted)

    def encode(self, chunk: np.ndarray, mask: np.ndarray) -> np.ndarray:
        symbols = self._symbols(chunk, mask)
        return np.asarray(self._fitted().encode(symbols).ids, dtype=np.int64)

    def decode(self, tokens, mask: np.ndarray, horizon: int) -> np.ndarray:
        slots = used_slots(mask)
        if horizon != self.horizon:
            raise ValueError(f"FAST was fitted on horizon {self.horizon}, asked for {horizon}")
        ids = self.check_tokens(tokens)
        text = "".join(self._fitted().id_to_token(int(i)) for i in ids)
        shifted = np.array([ord(c) - SYMBOL_BASE for c in text], dtype=np.int64)
        expected = horizon * len(slots)
        if shifted.size != expected:
            raise MalformedTokensError(
                f"fast: tokens expand to {shifted.size} DCT coefficients, expected "
                f"{expected} ({horizon} steps x {len(slots)} used slots)"
            )
        coefficients = (shifted - self.symbol_bound).reshape(horizon, len(slots)) / self.scale
        chunk = np.zeros((horizon, UNIVERSAL_DIM), dtype=np.float32)
        chunk[:, slots] = idct(coefficients, type=2, norm="ortho", axis=0)
        return chunk

    def max_error(self, mask: np.ndarray) -> float:
        return 0.5 * math.sqrt(self.horizon) / self.scale

    def settings(self) -> dict:
        return {
            "scale": self.scale,
            "bpe_vocab_size": self.bpe_vocab_size,
            "value_bound": self.value_bound,
            "horizon": self.horizon,
            "bpe": self.bpe.to_str() if self.bpe else None,
        }

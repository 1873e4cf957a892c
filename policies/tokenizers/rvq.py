"""Learned residual VQ over chunks (VQ-VLA style).

A causal-convolution encoder turns a chunk (H, 32) into H/stride latent vectors; 4 residual
quantisers of 256 codes each turn every latent into 4 tokens; a causal decoder maps the
quantised latents back. Codebooks start from k-means on the first batch's residuals; the
loss is masked reconstruction + commitment (+ codebook) with a straight-through estimator.
Token ids are offset by level (level * codes + code), so the vocabulary is levels * codes
and a token in the wrong position is detected as malformed. Stated error: the RMSE on the
fitting data, measured after fitting and saved (``fit_rmse``).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from actloop.control import UNIVERSAL_DIM
from torch import nn

from .base import ActionTokenizer, MalformedTokensError, check_chunk, register_tokenizer, used_slots


class CausalConv(nn.Conv1d):
    """Conv1d padded on the left only: output t sees inputs <= t."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, (self.kernel_size[0] - self.stride[0], 0)))


class ChunkAutoencoder(nn.Module):
    def __init__(self, hidden: int, latent: int, stride: int, levels: int, codes: int) -> None:
        super().__init__()
        width = 2 * UNIVERSAL_DIM  # values and slot mask
        self.encoder = nn.Sequential(
            CausalConv(width, hidden, 3),
            nn.GELU(),
            CausalConv(hidden, hidden, stride, stride),
            nn.GELU(),
            CausalConv(hidden, hidden, 3),
            nn.GELU(),
            nn.Conv1d(hidden, latent, 1),
        )
        self.lift = nn.ConvTranspose1d(latent + UNIVERSAL_DIM, hidden, stride, stride)
        self.decoder = nn.Sequential(
            nn.GELU(),
            CausalConv(hidden, hidden, 3),
            nn.GELU(),
            CausalConv(hidden, hidden, 3),
            nn.GELU(),
            nn.Conv1d(hidden, UNIVERSAL_DIM, 1),
        )
        self.codebooks = nn.Parameter(torch.zeros(levels, codes, latent))

    def encode(self, chunk: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, H, 32), (B, 32) -> latents (B, T, latent)."""
        m = mask.float()[:, :, None].expand(-1, -1, chunk.shape[1])
        return self.encoder(torch.cat([chunk.transpose(1, 2) * m, m], dim=1)).transpose(1, 2)

    def decode(self, latents: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.float()[:, :, None].expand(-1, -1, latents.shape[1])
        x = self.lift(torch.cat([latents.transpose(1, 2), m], dim=1))
        return self.decoder(x).transpose(1, 2) * mask.float()[:, None]

    def quantise(self, latents: torch.Tensor):
        """Residual quantisation -> (quantised, codes (B, T, levels), commitment loss)."""
        residual, total, codes, loss = latents, torch.zeros_like(latents), [], 0.0
        for codebook in self.codebooks:
            index = (
                torch.cdist(residual.flatten(0, 1), codebook).argmin(-1).view(residual.shape[:2])
            )
            chosen = codebook[index]
            loss = (
                loss
                + F.mse_loss(chosen, residual.detach())
                + 0.25 * F.mse_loss(residual, chosen.detach())
            )
            residual = residual - chosen.detach()
            total = total + chosen
            codes.append(index)
        return latents + (total - latents).detach(), torch.stack(codes, -1), loss

    @torch.no_grad()
    def kmeans_init(self, latents: torch.Tensor, iterations: int = 10) -> None:
        residual = latents.flatten(0, 1)
        generator = torch.Generator().manual_seed(0)
        for codebook in self.codebooks:
            pick = torch.randint(0, residual.shape[0], (codebook.shape[0],), generator=generator)
            centres = residual[pick].clone()
            for _ in range(iterations):
                assign = torch.cdist(residual, centres).argmin(-1)
                sums = torch.zeros_like(centres).index_add_(0, assign, residual)
                counts = torch.bincount(assign, minlength=centres.shape[0])[:, None]
                centres = torch.where(counts > 0, sums / counts.clamp(min=1), centres)
            codebook.copy_(centres)
            residual = residual - centres[torch.cdist(residual, centres).argmin(-1)]


@register_tokenizer
class ResidualVQTokenizer(ActionTokenizer):
    kind = "rvq"

    def __init__(
        self,
        horizon: int | None = None,
        stride: int = 4,
        levels: int = 4,
        codes: int = 256,
        latent: int = 64,
        hidden: int = 96,
        steps: int = 1500,
        batch_size: int = 128,
        lr: float = 2e-3,
        seed: int = 0,
        fit_rmse: float | None = None,
    ) -> None:
        self.horizon, self.stride, self.levels, self.codes = horizon, stride, levels, codes
        self.latent, self.hidden, self.steps, self.batch_size = latent, hidden, steps, batch_size
        self.lr, self.seed, self.fit_rmse = lr, seed, fit_rmse
        torch.manual_seed(seed)
        self.model = ChunkAutoencoder(hidden, latent, stride, levels, codes)

    @property
    def vocab_size(self) -> int:
        return self.levels * self.codes

    def fit(self, chunks: np.ndarray, masks: np.ndarray) -> ResidualVQTokenizer:
        chunks = torch.as_tensor(np.asarray(chunks), dtype=torch.float32)
        masks = torch.as_tensor(np.asarray(masks), dtype=torch.bool)
        self.horizon = chunks.shape[1]
        if self.horizon % self.stride:
            raise ValueError(
                f"rvq: horizon {self.horizon} must be a multiple of stride {self.stride}"
            )
        torch.manual_seed(self.seed)
        with torch.no_grad():
            self.model.kmeans_init(self.model.encode(chunks[:4096], masks[:4096]))
        optimiser = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        for _ in range(self.steps):
            pick = torch.randint(0, chunks.shape[0], (min(self.batch_size, chunks.shape[0]),))
            loss = self._loss(chunks[pick], masks[pick])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        self.fit_rmse = self._rmse(chunks, masks)
        return self

    def _loss(self, chunk: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        quantised, _, commitment = self.model.quantise(self.model.encode(chunk, mask))
        weight = mask.float()[:, None].expand_as(chunk)
        error = (self.model.decode(quantised, mask) - chunk) ** 2 * weight
        return error.sum() / weight.sum() + commitment

    @torch.no_grad()
    def _rmse(self, chunks: torch.Tensor, masks: torch.Tensor) -> float:
        quantised, _, _ = self.model.quantise(self.model.encode(chunks, masks))
        weight = masks.float()[:, None].expand_as(chunks)
        error = (self.model.decode(quantised, masks) - chunks) ** 2 * weight
        return float((error.sum() / weight.sum()).sqrt())

    @torch.no_grad()
    def encode(self, chunk: np.ndarray, mask: np.ndarray) -> np.ndarray:
        chunk, _ = check_chunk(chunk), used_slots(mask)
        if chunk.shape[0] != self.horizon:
            raise ValueError(f"rvq was fitted on horizon {self.horizon}, got {chunk.shape[0]}")
        x = torch.as_tensor(chunk, dtype=torch.float32)[None]
        _, codes, _ = self.model.quantise(self.model.encode(x, torch.as_tensor(mask)[None]))
        offsets = torch.arange(self.levels) * self.codes
        return (codes[0] + offsets).reshape(-1).numpy().astype(np.int64)

    @torch.no_grad()
    def decode(self, tokens, mask: np.ndarray, horizon: int) -> np.ndarray:
        used_slots(mask)
        steps = horizon // self.stride
        ids = self.check_tokens(tokens, steps * self.levels).reshape(steps, self.levels)
        level = ids // self.codes
        if (level != np.arange(self.levels)).any():
            raise MalformedTokensError(
                f"rvq: token at position {int(np.flatnonzero(level != np.arange(self.levels))[0])} "
                f"belongs to the wrong quantiser level (each step is levels 0..{self.levels - 1})"
            )
        codes = torch.as_tensor(ids % self.codes)
        latents = sum(self.model.codebooks[lv][codes[:, lv]] for lv in range(self.levels))
        chunk = self.model.decode(latents[None], torch.as_tensor(mask)[None])[0]
        return chunk.numpy().astype(np.float32)

    def settings(self) -> dict:
        names = (
            "horizon",
            "stride",
            "levels",
            "codes",
            "latent",
            "hidden",
            "steps",
            "batch_size",
            "lr",
            "seed",
            "fit_rmse",
        )
        return {name: getattr(self, name) for name in names}

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: v.detach().numpy() for k, v in self.model.state_dict().items()}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.model.load_state_dict({k: torch.as_tensor(v) for k, v in arrays.items()})

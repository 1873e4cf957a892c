"""Transformer pieces shared by both heads: attention with an optional KV cache, MLP."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..cpu_kernels import attention


class Attention(nn.Module):
    """Multi-head attention. With a ``cache`` this call's keys/values are written at positions
    ``at..`` of it and the queries attend over everything cached up to them (decoding)."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], x.shape[1], self.n_heads, -1).transpose(1, 2)

    def keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k, v = self.kv(x).chunk(2, dim=-1)
        return self.split(k), self.split(v)

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        cache: StaticKV | None = None,
        at: int = 0,
        context_kv=None,
    ) -> torch.Tensor:
        q = self.split(self.q(x))
        k, v = (
            context_kv
            if context_kv is not None
            else self.keys_values(x if context is None else context)
        )
        if cache is not None:
            k, v = cache.write(at, k, v)
        y = attention(q, k, v, mask)
        return self.out(y.transpose(1, 2).flatten(2))


class StaticKV:
    """Preallocated keys/values of one attention layer for a whole decode. A pass writes its
    positions in place and attends over the prefix up to them: no per-pass concatenation,
    and guesses that failed verification are simply overwritten by the next pass."""

    def __init__(self, batch: int, n_heads: int, length: int, d_model: int, like: torch.Tensor):
        shape = (batch, n_heads, length, d_model // n_heads)
        self.k, self.v = like.new_empty(shape), like.new_empty(shape)

    def write(self, at: int, k: torch.Tensor, v: torch.Tensor):
        end = at + k.shape[2]
        self.k[:, :, at:end] = k
        self.v[:, :, at:end] = v
        return self.k[:, :, :end], self.v[:, :, :end]


class MLP(nn.Sequential):
    def __init__(self, d_model: int, ratio: int = 4) -> None:
        super().__init__(
            nn.Linear(d_model, ratio * d_model),
            nn.GELU(approximate="tanh"),
            nn.Linear(ratio * d_model, d_model),
        )


def key_mask(valid: torch.Tensor) -> torch.Tensor:
    """(B, S) validity -> an SDPA boolean mask (B, 1, 1, S) over keys."""
    return valid[:, None, None, :]


def causal_mask(queries: int, keys: int, device: torch.device) -> torch.Tensor:
    """Query i (the last ``queries`` of ``keys`` positions) sees keys up to its own position."""
    offset = keys - queries
    rows = torch.arange(queries, device=device)[:, None] + offset
    return torch.arange(keys, device=device)[None, :] <= rows


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal features of a (possibly fractional) diffusion time, as in DiT."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)

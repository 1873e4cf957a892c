"""DiT-style denoiser over an H-step universal action chunk.

Conditioning on the prefix is either cross-attention (CogACT-like: the prefix keys and
values are computed once per chunk and reused by every denoising step) or in-context
(Dita-like: prefix and action tokens share one self-attention). The choice was made by
measurement; see the policies section of BENCHMARKS.md.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from actloop.control import UNIVERSAL_DIM
from torch import nn

from .layers import MLP, Attention, key_mask, timestep_embedding


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale) + shift


class DiTBlock(nn.Module):
    def __init__(self, d_model: int, n_heads: int, cross: bool) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model, elementwise_affine=False)
        self.attn = Attention(d_model, n_heads)
        self.cross = Attention(d_model, n_heads) if cross else None
        self.norm_cross = nn.LayerNorm(d_model) if cross else None
        self.norm2 = nn.LayerNorm(d_model, elementwise_affine=False)
        self.mlp = MLP(d_model)
        self.ada = nn.Linear(d_model, 6 * d_model)
        nn.init.zeros_(self.ada.weight)
        nn.init.zeros_(self.ada.bias)

    def forward(self, x, cond, self_mask, prefix_kv=None, prefix_mask=None):
        s1, c1, g1, s2, c2, g2 = self.ada(F.silu(cond))[:, None].chunk(6, dim=-1)
        x = x + g1 * self.attn(modulate(self.norm1(x), s1, c1), mask=self_mask)
        if self.cross is not None:
            x = x + self.cross(self.norm_cross(x), mask=prefix_mask, context_kv=prefix_kv)
        return x + g2 * self.mlp(modulate(self.norm2(x), s2, c2))


class DiT(nn.Module):
    """Predicts the noise (or velocity / clean sample) for a noisy chunk (B, H, 32)."""

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        depth: int,
        horizon: int,
        conditioning: str,
        n_embodiments: int,
        adapters: bool,
    ) -> None:
        super().__init__()
        if conditioning not in ("cross", "in_context"):
            raise ValueError(f"conditioning must be 'cross' or 'in_context', got {conditioning!r}")
        self.cross = conditioning == "cross"
        self.d_model = d_model
        self.input = nn.Linear(2 * UNIVERSAL_DIM, d_model)
        self.position = nn.Parameter(torch.randn(horizon, d_model) * 0.02)
        self.time = nn.Sequential(
            nn.Linear(d_model, d_model), nn.SiLU(), nn.Linear(d_model, d_model)
        )
        self.blocks = nn.ModuleList(DiTBlock(d_model, n_heads, self.cross) for _ in range(depth))
        self.final_norm = nn.LayerNorm(d_model, elementwise_affine=False)
        self.final_ada = nn.Linear(d_model, 2 * d_model)
        self.output = nn.Linear(d_model, UNIVERSAL_DIM)
        for layer in (self.final_ada, self.output):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        # UniAct-style per-embodiment adapter: a zero-initialised scale and shift per slot.
        self.adapter = nn.Embedding(n_embodiments, 2 * UNIVERSAL_DIM) if adapters else None
        if self.adapter is not None:
            nn.init.zeros_(self.adapter.weight)

    def condition(self, prefix: torch.Tensor, valid: torch.Tensor) -> dict:
        """Everything that depends on the prefix only: computed once per chunk."""
        weights = valid.float()[..., None]
        pooled = (prefix * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        cond = {"prefix": prefix, "valid": valid, "pooled": pooled}
        if self.cross:
            cond["kv"] = [block.cross.keys_values(prefix) for block in self.blocks]
        return cond

    def forward(self, noisy, t, cond: dict, action_mask, embodiment_id) -> torch.Tensor:
        slot_mask = action_mask.float()[:, None].expand_as(noisy)
        x = self.input(torch.cat([noisy * slot_mask, slot_mask], dim=-1)) + self.position
        c = self.time(timestep_embedding(t, self.d_model)) + cond["pooled"]
        x = self._blocks(x, c, cond)
        shift, scale = self.final_ada(F.silu(c))[:, None].chunk(2, dim=-1)
        out = self.output(modulate(self.final_norm(x), shift, scale))
        if self.adapter is not None:
            a_scale, a_shift = self.adapter(embodiment_id.long())[:, None].chunk(2, dim=-1)
            out = out * (1 + a_scale) + a_shift
        return out

    def _blocks(self, x, c, cond) -> torch.Tensor:
        if self.cross:
            mask = key_mask(cond["valid"])
            for block, kv in zip(self.blocks, cond["kv"], strict=True):
                x = block(x, c, None, kv, mask)
            return x
        horizon = x.shape[1]
        ones = torch.ones(x.shape[0], horizon, dtype=torch.bool, device=x.device)
        mask = key_mask(torch.cat([cond["valid"], ones], dim=1))
        x = torch.cat([cond["prefix"], x], dim=1)
        for block in self.blocks:
            x = block(x, c, mask)
        return x[:, -horizon:]

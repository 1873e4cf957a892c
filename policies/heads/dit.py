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


def modulate(x: torch.Tensor, shift: torch.Tensor, gain: torch.Tensor) -> torch.Tensor:
    """adaLN: ``x * gain + shift``, one fused op; ``gain`` is ``1 + scale`` (``adaln_terms``)."""
    return torch.addcmul(shift, x, gain)


def adaln_terms(raw: torch.Tensor, parts: int) -> list[torch.Tensor]:
    """An adaLN linear's output (B, parts*d) as ``parts`` (B, 1, d) terms, in the order
    (shift, scale, gate) per sub-layer, each scale turned into its gain ``1 + scale``."""
    terms = list(raw[:, None].chunk(parts, dim=-1))
    for i in range(1, parts, 3):
        terms[i] = terms[i] + 1
    return terms


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

    def forward(self, x, terms, self_mask, prefix_kv=None, prefix_mask=None):
        """``terms``: this block's six ``adaln_terms`` for the step's time and prefix."""
        shift1, gain1, gate1, shift2, gain2, gate2 = terms
        x = torch.addcmul(
            x, gate1, self.attn(modulate(self.norm1(x), shift1, gain1), mask=self_mask)
        )
        if self.cross is not None:
            x = x + self.cross(self.norm_cross(x), mask=prefix_mask, context_kv=prefix_kv)
        return torch.addcmul(x, gate2, self.mlp(modulate(self.norm2(x), shift2, gain2)))


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

    def modulation(self, t: torch.Tensor, pooled: torch.Tensor) -> list[list[torch.Tensor]]:
        """The ``adaln_terms`` of every block (six) and of the final layer (two).

        They depend on the time and the pooled prefix only, so sampling computes them for all
        its steps in one batched pass (``sampling_plan``) instead of once per step."""
        c = F.silu(self.time(timestep_embedding(t, self.d_model)) + pooled)
        blocks = [adaln_terms(block.ada(c), 6) for block in self.blocks]
        return [*blocks, adaln_terms(self.final_ada(c), 2)]

    def sampling_plan(self, times: torch.Tensor, cond: dict, action_mask) -> list[dict]:
        """Everything a sampling step needs that the noisy chunk does not change, for each of
        ``times`` (S,): its modulation, and the input layer's share of the slot mask.

        On a CPU a small DiT is bound by per-operation overhead, not arithmetic; this removes
        the time MLP, every adaLN linear and half the input layer from the step loop."""
        batch, steps = cond["pooled"].shape[0], times.shape[0]
        t = times.to(cond["pooled"].device).repeat_interleave(batch)
        table = self.modulation(t, cond["pooled"].repeat(steps, 1))
        table = [[term.contiguous() for term in terms] for terms in table]  # so steps slice rows
        slot_mask = action_mask.float()[:, None].expand(batch, self.position.shape[0], -1)
        noisy_weight, mask_weight = self.input.weight.split(UNIVERSAL_DIM, dim=1)
        noisy_weight = noisy_weight.contiguous()  # a column slice would be copied every step
        constant = F.linear(slot_mask, mask_weight, self.input.bias) + self.position
        return [
            {
                "modulation": [[term[i * batch : (i + 1) * batch] for term in m] for m in table],
                "slot_mask": slot_mask,
                "noisy_weight": noisy_weight,
                "input_constant": constant,
            }
            for i in range(steps)
        ]

    def forward(
        self, noisy, t, cond: dict, action_mask, embodiment_id, plan: dict | None = None
    ) -> torch.Tensor:
        """``plan``: one step of ``sampling_plan`` (then ``t`` is not used); training passes
        none, so every term is computed from ``t`` and gets its gradient."""
        if plan is None:
            slot_mask = action_mask.float()[:, None].expand_as(noisy)
            x = self.input(torch.cat([noisy * slot_mask, slot_mask], dim=-1)) + self.position
            modulation = self.modulation(t, cond["pooled"])
        else:
            masked = noisy * plan["slot_mask"]
            x = F.linear(masked, plan["noisy_weight"]) + plan["input_constant"]
            modulation = plan["modulation"]
        x = self._blocks(x, modulation[:-1], cond)
        shift, gain = modulation[-1]
        out = self.output(modulate(self.final_norm(x), shift, gain))
        if self.adapter is not None:
            a_scale, a_shift = self.adapter(embodiment_id.long())[:, None].chunk(2, dim=-1)
            out = out * (1 + a_scale) + a_shift
        return out

    def _blocks(self, x, modulations, cond) -> torch.Tensor:
        if self.cross:
            mask = key_mask(cond["valid"])
            for block, m, kv in zip(self.blocks, modulations, cond["kv"], strict=True):
                x = block(x, m, None, kv, mask)
            return x
        horizon = x.shape[1]
        ones = torch.ones(x.shape[0], horizon, dtype=torch.bool, device=x.device)
        mask = key_mask(torch.cat([cond["valid"], ones], dim=1))
        x = torch.cat([cond["prefix"], x], dim=1)
        for block, m in zip(self.blocks, modulations, strict=True):
            x = block(x, m, mask)
        return x[:, -horizon:]

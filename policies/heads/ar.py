"""Autoregressive action-token head: a causal transformer over universal action tokens that
cross-attends to the backbone prefix. Decodes with a KV cache, greedily or by sampling;
parallel Jacobi decoding lives in ``jacobi.py`` and reuses ``step``."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..config import ARConfig
from .layers import MLP, Attention, causal_mask, key_mask

KV = tuple[torch.Tensor, torch.Tensor]


@dataclass
class Decoded:
    """Tokens per batch element (EOS stripped), mean top-1 probability, forward passes."""

    tokens: list[list[int]]
    confidence: list[float]
    passes: int
    finished: list[bool]


class ARBlock(nn.Module):
    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model) for _ in range(3))
        self.attn = Attention(d_model, n_heads)
        self.cross = Attention(d_model, n_heads)
        self.mlp = MLP(d_model)

    def forward(self, x, self_mask, past, prefix_kv, prefix_mask):
        attended, new_kv = self.attn(self.norm1(x), mask=self_mask, past=past)
        x = x + attended
        x = x + self.cross(self.norm2(x), mask=prefix_mask, context_kv=prefix_kv)[0]
        return x + self.mlp(self.norm3(x)), new_kv


class ARHead(nn.Module):
    def __init__(self, config: ARConfig, d_model: int, n_heads: int, action_vocab: int) -> None:
        super().__init__()
        self.config = config
        self.max_tokens = config.max_tokens
        self.pad, self.bos, self.eos = action_vocab, action_vocab + 1, action_vocab + 2
        self.vocab = action_vocab + 3
        self.embed = nn.Embedding(self.vocab, d_model)
        self.position = nn.Parameter(torch.randn(config.max_tokens, d_model) * 0.02)
        self.blocks = nn.ModuleList(ARBlock(d_model, n_heads) for _ in range(config.depth))
        self.norm = nn.LayerNorm(d_model)
        self.logits = nn.Linear(d_model, self.vocab)

    def memory(self, prefix: torch.Tensor, valid: torch.Tensor) -> dict:
        """Prefix keys/values per block, computed once per chunk."""
        return {"kv": [b.cross.keys_values(prefix) for b in self.blocks], "mask": key_mask(valid)}

    def step(self, inputs: torch.Tensor, start: int, memory: dict, past: list[KV] | None):
        """Run input positions ``start..start+T`` on top of ``past``; logits and their K/V."""
        x = self.embed(inputs) + self.position[start : start + inputs.shape[1]]
        keys = start + inputs.shape[1]
        mask = causal_mask(inputs.shape[1], keys, x.device) if inputs.shape[1] > 1 else None
        new_kvs = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, mask, past[i] if past else None, memory["kv"][i], memory["mask"])
            new_kvs.append(kv)
        return self.logits(self.norm(x)), new_kvs

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """Next-token distribution; PAD and BOS can never be emitted."""
        logits = logits.float().clone()
        logits[..., [self.pad, self.bos]] = float("-inf")
        return logits.softmax(-1)

    def loss(self, prefix, valid, targets: torch.Tensor) -> torch.Tensor:
        """Teacher-forced cross entropy; ``targets`` (B, max_tokens) end in EOS then PAD."""
        bos = torch.full_like(targets[:, :1], self.bos)
        inputs = torch.cat([bos, targets[:, :-1]], dim=1)
        if self.config.input_corruption > 0:
            noise = torch.randint_like(inputs, 0, self.pad)
            corrupt = torch.rand(inputs.shape, device=inputs.device) < self.config.input_corruption
            corrupt[:, 0] = False
            inputs = torch.where(corrupt, noise, inputs)
        inputs = inputs.masked_fill(targets == self.pad, self.pad)
        logits, _ = self.step(inputs, 0, self.memory(prefix, valid), None)
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=self.pad)

    @torch.no_grad()
    def decode(
        self, prefix, valid, temperature: float = 0.0, generator: torch.Generator | None = None
    ) -> Decoded:
        """Sequential decoding with a KV cache: greedy at temperature 0, else sampling."""
        memory, past = self.memory(prefix, valid), None
        batch = prefix.shape[0]
        inputs = torch.full((batch, 1), self.bos, dtype=torch.long, device=prefix.device)
        tokens, probs = [], []
        done = torch.zeros(batch, dtype=torch.bool, device=prefix.device)
        for position in range(self.max_tokens):
            logits, kv = self.step(inputs, position, memory, past)
            past = extend_cache(past, kv)
            p = self.probabilities(logits[:, -1])
            choice = pick(p, temperature, generator)
            tokens.append(choice)
            probs.append(p.gather(1, choice[:, None])[:, 0])
            done |= choice == self.eos
            if bool(done.all()):
                break
            inputs = choice[:, None]
        return finish(torch.stack(tokens, 1), torch.stack(probs, 1), self.eos, len(tokens))


def pick(p: torch.Tensor, temperature: float, generator) -> torch.Tensor:
    if temperature <= 0:
        return p.argmax(-1)
    scaled = (p.clamp_min(1e-12).log() / temperature).softmax(-1)
    return torch.multinomial(scaled, 1, generator=generator)[:, 0]


def extend_cache(past: list[KV] | None, new: list[KV], keep: int | None = None) -> list[KV]:
    """Append the first ``keep`` positions of this pass's K/V to the cache."""
    new = [(k[:, :, :keep], v[:, :, :keep]) for k, v in new]
    if past is None:
        return new
    return [
        (torch.cat([pk, k], 2), torch.cat([pv, v], 2))
        for (pk, pv), (k, v) in zip(past, new, strict=True)
    ]


def finish(tokens: torch.Tensor, probs: torch.Tensor, eos: int, passes: int) -> Decoded:
    """Cut each row at its first EOS; confidence is the mean top-1 probability up to it."""
    out, conf, finished = [], [], []
    for row, prob in zip(tokens.tolist(), probs, strict=True):
        end = row.index(eos) if eos in row else len(row)
        out.append(row[:end])
        conf.append(float(prob[: end + 1].mean()))
        finished.append(eos in row)
    return Decoded(out, conf, passes, finished)

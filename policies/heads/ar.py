"""Autoregressive action-token head: a causal transformer over universal action tokens that
cross-attends to the backbone prefix. Decodes with a preallocated KV cache, greedily or by
sampling; parallel Jacobi decoding lives in ``jacobi.py`` and reuses ``start_decode``/``step``,
so both decoders pay exactly the same per-pass cost."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..config import ARConfig
from .layers import MLP, Attention, StaticKV, key_mask


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

    def forward(self, x, self_mask, cache, at, prefix_kv, prefix_mask):
        x = x + self.attn(self.norm1(x), mask=self_mask, cache=cache, at=at)
        x = x + self.cross(self.norm2(x), mask=prefix_mask, context_kv=prefix_kv)
        return x + self.mlp(self.norm3(x))


class ARHead(nn.Module):
    def __init__(self, config: ARConfig, d_model: int, n_heads: int, action_vocab: int) -> None:
        super().__init__()
        self.config = config
        self.max_tokens = config.max_tokens
        self.pad, self.bos, self.eos = action_vocab, action_vocab + 1, action_vocab + 2
        self.vocab = action_vocab + 3
        self.n_heads = n_heads
        self.embed = nn.Embedding(self.vocab, d_model)
        self.position = nn.Parameter(torch.randn(config.max_tokens, d_model) * 0.02)
        self.blocks = nn.ModuleList(ARBlock(d_model, n_heads) for _ in range(config.depth))
        self.norm = nn.LayerNorm(d_model)
        self.logits = nn.Linear(d_model, self.vocab)
        # Not checkpointed: derived from the shapes. PAD and BOS can never be emitted.
        n = config.max_tokens
        self.register_buffer("causal", torch.ones(n, n, dtype=torch.bool).tril(), False)
        banned = torch.zeros(self.vocab)
        banned[[self.pad, self.bos]] = float("-inf")
        self.register_buffer("banned", banned, False)

    def memory(self, prefix: torch.Tensor, valid: torch.Tensor) -> dict:
        """Prefix keys/values per block, computed once per chunk."""
        mask = None if bool(valid.all()) else key_mask(valid)
        return {"kv": [b.cross.keys_values(prefix) for b in self.blocks], "mask": mask}

    def start_decode(self, prefix: torch.Tensor, valid: torch.Tensor) -> dict:
        """``memory`` plus an empty self-attention cache spanning all ``max_tokens``."""
        d, batch = prefix.shape[-1], prefix.shape[0]
        caches = [StaticKV(batch, self.n_heads, self.max_tokens, d, prefix) for _ in self.blocks]
        return {**self.memory(prefix, valid), "cache": caches}

    def step(self, inputs: torch.Tensor, start: int, memory: dict) -> torch.Tensor:
        """Logits for input positions ``start..start+T``. With a decode cache their K/V are
        written into it and they attend to every cached position before them."""
        end = start + inputs.shape[1]
        x = self.embed(inputs) + self.position[start:end]
        caches = memory.get("cache") or [None] * len(self.blocks)
        mask = self.causal[start:end, :end] if inputs.shape[1] > 1 else None
        for block, cache, kv in zip(self.blocks, caches, memory["kv"], strict=True):
            x = block(x, mask, cache, start, kv, memory["mask"])
        return self.logits(self.norm(x))

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """Next-token distribution; PAD and BOS can never be emitted."""
        return (logits.float() + self.banned).softmax(-1)

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
        logits = self.step(inputs, 0, self.memory(prefix, valid))
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=self.pad)

    @torch.inference_mode()
    def decode(
        self, prefix, valid, temperature: float = 0.0, generator: torch.Generator | None = None
    ) -> Decoded:
        """Sequential decoding with a KV cache: greedy at temperature 0, else sampling."""
        memory, batch, n = self.start_decode(prefix, valid), prefix.shape[0], self.max_tokens
        logits = prefix.new_empty(batch, n, self.vocab)
        tokens = torch.empty(batch, n, dtype=torch.long, device=prefix.device)
        inputs = torch.full((batch, 1), self.bos, dtype=torch.long, device=prefix.device)
        done = torch.zeros(batch, dtype=torch.bool, device=prefix.device)
        for position in range(n):
            logits[:, position] = self.step(inputs, position, memory)[:, -1] + self.banned
            tokens[:, position] = choice = pick(logits[:, position], temperature, generator)
            done |= choice == self.eos
            if bool(done.all()):
                break
            inputs = choice[:, None]
        used = position + 1
        return finish(tokens[:, :used], logits[:, :used], self.eos, used)


def pick(logits: torch.Tensor, temperature: float, generator) -> torch.Tensor:
    if temperature <= 0:
        return logits.argmax(-1)
    scaled = (logits.float() / temperature).softmax(-1)
    return torch.multinomial(scaled, 1, generator=generator)[:, 0]


def finish(tokens: torch.Tensor, logits: torch.Tensor, eos: int, passes: int) -> Decoded:
    """Cut each row at its first EOS; confidence is the mean probability of the chosen
    tokens up to it (``logits`` already exclude PAD/BOS), computed once after decoding."""
    probs = logits.float().softmax(-1).gather(-1, tokens[..., None])[..., 0]
    out, conf, finished = [], [], []
    for row, prob in zip(tokens.tolist(), probs, strict=True):
        end = row.index(eos) if eos in row else len(row)
        out.append(row[:end])
        conf.append(float(prob[: end + 1].mean()))
        finished.append(eos in row)
    return Decoded(out, conf, passes, finished)

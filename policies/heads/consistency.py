"""Consistency training for Jacobi decoding (the CLLM / PD-VLA idea), an optional AR loss.

Jacobi decoding needs fewer passes when the head predicts the right token at a position even
though some of the tokens before it are still wrong guesses: that token is then already in
place when the guesses before it converge. The teacher-forced loss never shows the head
such contexts, so this loss builds them: a true prefix up to a random position ``j``, then a
suffix as a Jacobi pass would see it, and asks for the TRUE next token at every position
in ONE parallel pass. Greedy (and therefore Jacobi) output is defined by the weights alone,
so this loss changes how fast Jacobi converges, never that it returns the greedy tokens.

Suffix builders (``ARConfig.consistency_states``):
- ``rollout``: the zero guess the decoder starts from, refined by 0..``consistency_iterations``
  no-grad Jacobi iterations of the current head (its own previous-iteration predictions);
- ``noise``: true tokens replaced by random ones at a random per-row rate (no extra passes).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from actloop.control import unknown_name_message


def teacher_inputs(head, targets: torch.Tensor) -> torch.Tensor:
    """Input ``i`` is the token fed at position ``i``: BOS then the targets shifted by one;
    positions whose target is PAD get PAD (they are never scored)."""
    bos = torch.full_like(targets[:, :1], head.bos)
    inputs = torch.cat([bos, targets[:, :-1]], dim=1)
    return inputs.masked_fill(targets == head.pad, head.pad)


def suffix_mask(targets: torch.Tensor, pad: int) -> torch.Tensor:
    """(B, n) True at input positions after a random per-row cut ``j`` in [0, length), where
    length counts the tokens and the EOS; input 0 (BOS) is never in the suffix."""
    lengths = (targets != pad).sum(1)
    cut = (torch.rand(lengths.shape, device=targets.device) * lengths).long()
    positions = torch.arange(targets.shape[1], device=targets.device)
    return (positions[None] > cut[:, None]) & (targets != pad)


def noise_states(head, memory: dict, inputs: torch.Tensor, suffix: torch.Tensor):
    rate = torch.rand(inputs.shape[0], 1, device=inputs.device)
    corrupt = suffix & (torch.rand(inputs.shape, device=inputs.device) < rate)
    return torch.where(corrupt, torch.randint_like(inputs, 0, head.pad), inputs)


@torch.no_grad()
def rollout_states(head, memory: dict, inputs: torch.Tensor, suffix: torch.Tensor):
    """Each row runs its own random number of Jacobi iterations (0 = the zero guess)."""
    rounds = torch.randint(0, head.config.consistency_iterations + 1, (inputs.shape[0], 1))
    state = inputs.masked_fill(suffix, 0)
    for done in range(int(rounds.max())):
        predicted = (head.step(state, 0, memory) + head.banned).argmax(-1)
        shifted = torch.cat([state[:, :1], predicted[:, :-1]], dim=1)
        state = torch.where(suffix & (rounds.to(state.device) > done), shifted, state)
    return state


SUFFIX_BUILDERS: dict[str, Callable] = {"rollout": rollout_states, "noise": noise_states}


def consistency_inputs(head, memory: dict, targets: torch.Tensor) -> torch.Tensor:
    """A Jacobi-like input state per row: true prefix, then a builder's suffix."""
    inputs = teacher_inputs(head, targets)
    suffix = suffix_mask(targets, head.pad)
    return suffix_builder(head.config.consistency_states)(head, memory, inputs, suffix)


def suffix_builder(name: str) -> Callable:
    if name not in SUFFIX_BUILDERS:
        raise KeyError(unknown_name_message("ARConfig.consistency_states", name, SUFFIX_BUILDERS))
    return SUFFIX_BUILDERS[name]


def consistency_loss(head, prefix, valid, targets: torch.Tensor) -> torch.Tensor:
    """Cross entropy of the TRUE tokens from one parallel pass over a Jacobi-like state;
    PAD positions (after EOS) are not scored, and columns past the longest row are dropped
    (causal attention: they cannot change the scored ones, only cost time)."""
    targets = targets[:, : int((targets != head.pad).sum(1).max())]
    memory = head.memory(prefix, valid)
    inputs = consistency_inputs(head, memory, targets)
    logits = head.step(inputs, 0, memory)
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=head.pad)

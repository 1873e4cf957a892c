"""Parallel fixed-point (Jacobi) decoding, as in PD-VLA, with exactness by construction.

Every pass re-predicts all unverified positions at once from the current guess. Position
``c`` (the first unverified one) only depends on verified tokens, so it is always right;
each later prediction is right if every guess before it matched the new prediction. Those
verified tokens, and their keys/values, are committed to the KV cache. The committed
sequence is therefore exactly the greedy sequence, and each pass commits at least one
token, so decoding never takes more passes than greedy and usually far fewer.
"""

from __future__ import annotations

import torch

from .ar import ARHead, Decoded, extend_cache, finish


@torch.no_grad()
def jacobi_decode(
    head: ARHead,
    prefix: torch.Tensor,
    valid: torch.Tensor,
    init: list[list[int]] | None = None,
    window: int | None = None,
) -> Decoded:
    """Greedy-identical tokens for each batch element; ``init`` seeds the guess (any tokens)."""
    results = [
        _decode_one(head, prefix[b : b + 1], valid[b : b + 1], init[b] if init else None, window)
        for b in range(prefix.shape[0])
    ]
    passes = max(r[2] for r in results)
    decoded = [finish(r[0], r[1], head.eos, passes) for r in results]
    return Decoded(
        [d.tokens[0] for d in decoded],
        [d.confidence[0] for d in decoded],
        passes,
        [d.finished[0] for d in decoded],
    )


def _decode_one(head: ARHead, prefix, valid, init: list[int] | None, window: int | None):
    n = head.max_tokens
    window = window or n
    device = prefix.device
    guess = torch.zeros(n, dtype=torch.long, device=device)  # an in-vocabulary guess
    if init:
        seed = torch.tensor(init[:n], dtype=torch.long, device=device)
        guess[: len(seed)] = seed
    memory, past = head.memory(prefix, valid), None
    bos = torch.tensor([head.bos], device=device)
    committed, passes = 0, 0
    probs = torch.zeros(n, device=device)
    while committed < n:
        end = min(n, committed + window)
        inputs = torch.cat([bos, guess[:-1]])[committed:end]
        logits, kv = head.step(inputs[None], committed, memory, past)
        p = head.probabilities(logits[0])
        prediction = p.argmax(-1)
        matched = (guess[committed : end - 1] == prediction[:-1]).long().cumprod(0).sum()
        accepted = 1 + int(matched)
        guess[committed:end] = prediction
        probs[committed:end] = p.gather(1, prediction[:, None])[:, 0]
        past = extend_cache(past, kv, accepted)
        committed += accepted
        passes += 1
        if bool((guess[:committed] == head.eos).any()):
            break
    return guess[None, :committed], probs[None, :committed], passes

"""Parallel fixed-point (Jacobi) decoding, as in PD-VLA, with exactness by construction.

Every pass re-predicts a window of unverified positions at once from the current guess.
Position ``c`` (the first unverified one) only depends on verified tokens, so it is always
right; each later prediction is right if every guess before it matched the new prediction.
Those verified tokens keep their keys/values in the preallocated cache, and the next pass
starts at the first unverified position, so passes run over a window that slides forward
and never recompute verified positions. The committed sequence is therefore exactly the
greedy sequence, and each pass commits at least one token, so decoding never takes more
passes than greedy and usually fewer.

How many tokens a pass commits depends on the guesses. Positions the window has not reached
yet would otherwise be guessed as token 0, so every pass stalled where the previous window
ended. With a ``period`` (tokens per timestep, ``ActionTokenizer.token_period``) they are
guessed as the same token one timestep earlier instead: an action chunk changes slowly, so
a binning tokenizer often emits the same bin at consecutive timesteps. The guess only decides
how fast decoding converges, never what it returns.
"""

from __future__ import annotations

import torch

from .ar import ARHead, Decoded, finish


@torch.inference_mode()
def jacobi_decode(
    head: ARHead,
    prefix: torch.Tensor,
    valid: torch.Tensor,
    init: list[list[int]] | None = None,
    window: int | None = None,
    periods: list[int | None] | None = None,
) -> Decoded:
    """Greedy-identical tokens for each batch element; ``init`` seeds the guess (any tokens)
    and ``periods`` (tokens per timestep, per element) guesses positions past the window."""
    results = [
        _decode_one(
            head,
            prefix[b : b + 1],
            valid[b : b + 1],
            init[b] if init else None,
            window,
            periods[b] if periods else None,
        )
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


def initial_inputs(head: ARHead, init: list[int] | None, device) -> tuple[torch.Tensor, list]:
    """Input ``i`` is the token fed at position ``i``: BOS, then the guess shifted by one.
    Tokens outside the action vocabulary (EOS/PAD in a seed) are kept; any token is a guess."""
    n = head.max_tokens
    guess = [0] * n  # an in-vocabulary guess
    if init:
        guess[: min(n, len(init))] = [int(t) for t in init[:n]]
    inputs = torch.tensor([head.bos, *guess], dtype=torch.long, device=device)
    return inputs, guess


def _decode_one(head: ARHead, prefix, valid, init, window: int | None, period: int | None):
    n = head.max_tokens
    window = window or n
    memory = head.start_decode(prefix, valid)
    inputs, guess = initial_inputs(head, init, prefix.device)
    seeded = len(init) if init else 0
    logits = prefix.new_empty(n, head.vocab)
    committed, passes = 0, 0
    while committed < n:
        end = min(n, committed + window)
        logits[committed:end] = head.step(inputs[None, committed:end], committed, memory)[0]
        logits[committed:end] += head.banned
        prediction = logits[committed:end].argmax(-1)
        inputs[committed + 1 : end + 1] = prediction
        predicted = prediction.tolist()
        accepted = verified_count(guess[committed:end], predicted)
        guess[committed:end] = predicted
        committed += accepted
        passes += 1
        if head.eos in predicted[:accepted]:
            break
        if period:  # the next window reaches positions no pass has predicted yet
            ahead = min(n, committed + window)
            repeat_last_timestep(guess, inputs, max(end, seeded), ahead, period)
    tokens = inputs[None, 1 : committed + 1]
    return tokens, logits[None, :committed], passes


def repeat_last_timestep(guess: list[int], inputs, start: int, stop: int, period: int) -> None:
    """Guess positions ``start..stop-1`` (never predicted yet) as the token ``period``
    earlier; ``inputs`` (BOS + guess) follows."""
    start = max(start, period)
    if start >= stop:
        return
    for position in range(start, stop):
        guess[position] = guess[position - period]
    inputs[start + 1 : stop + 1] = torch.as_tensor(guess[start:stop], device=inputs.device)


def verified_count(guess: list[int], predicted: list[int]) -> int:
    """Prediction ``j`` is exact when guesses ``0..j-1`` equal predictions ``0..j-1``: the
    first is always exact, and each matched guess verifies the next prediction."""
    accepted = 1
    while accepted < len(predicted) and guess[accepted - 1] == predicted[accepted - 1]:
        accepted += 1
    return accepted

"""Each head overfits a tiny batch, and Jacobi decoding equals greedy exactly."""

from __future__ import annotations

import pytest
import torch
from actloop.policies.config import ARConfig, DiffusionConfig
from actloop.policies.heads.ar import ARHead
from actloop.policies.heads.diffusion import DiffusionHead
from actloop.policies.heads.jacobi import jacobi_decode

D, HEADS, H = 32, 4, 8


def prefix_batch(batch: int = 2, length: int = 5, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    prefix = torch.randn(batch, length, D, generator=generator)
    valid = torch.ones(batch, length, dtype=torch.bool)
    valid[0, -1] = False
    return prefix, valid


def fit(module, loss_fn, steps: int, lr: float = 3e-3) -> tuple[float, float]:
    optimiser = torch.optim.Adam(module.parameters(), lr=lr)
    torch.manual_seed(123)
    before = float(loss_fn().detach())
    for _ in range(steps):
        loss = loss_fn()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    torch.manual_seed(123)
    return before, float(loss_fn().detach())


@pytest.mark.parametrize(("conditioning", "objective"), [("cross", "ddpm"), ("in_context", "flow")])
def test_diffusion_head_overfits_a_tiny_batch(conditioning, objective):
    torch.manual_seed(0)
    config = DiffusionConfig(
        depth=2,
        conditioning=conditioning,
        objective=objective,
        noise_draws=4,
        prediction_type="sample",
    )
    head = DiffusionHead(config, D, HEADS, H, n_embodiments=2, adapters=True)
    prefix, valid = prefix_batch()
    actions = torch.randn(2, H, 32).clamp(-1, 1)
    mask = torch.zeros(2, 32, dtype=torch.bool)
    mask[:, :7] = True
    pad = torch.zeros(2, H, dtype=torch.bool)
    emb = torch.tensor([0, 1])
    before, after = fit(head, lambda: head.loss(prefix, valid, actions, mask, pad, emb), 150)
    assert after < before / 10
    sample = head.sample(prefix, valid, mask, emb, steps=10)
    assert sample.shape == (2, H, 32)
    assert torch.all(sample[:, :, 7:] == 0)  # unused slots stay exactly zero


def random_head_and_inputs(conditioning: str, objective: str):
    """A diffusion head with every weight random (adaLN and output start at zero, so they
    would hide a wrong modulation), a prefix batch, slot masks and embodiment ids."""
    torch.manual_seed(0)
    config = DiffusionConfig(depth=2, conditioning=conditioning, objective=objective)
    head = DiffusionHead(config, D, HEADS, H, n_embodiments=2, adapters=True).eval()
    for parameter in head.parameters():
        torch.nn.init.normal_(parameter, std=0.2)
    prefix, valid = prefix_batch()
    mask = torch.zeros(2, 32, dtype=torch.bool)
    mask[0, :7], mask[1, :4] = True, True
    return head, prefix, valid, mask, torch.tensor([0, 1])


@pytest.mark.parametrize(("conditioning", "objective"), [("cross", "ddpm"), ("in_context", "flow")])
def test_a_sampling_plan_step_equals_the_plain_forward_at_its_time(conditioning, objective):
    """Sampling precomputes the modulation and the mask's input term for all its steps; each
    planned step must give what the training-time forward gives at that step's time."""
    head, prefix, valid, mask, emb = random_head_and_inputs(conditioning, objective)
    times = head.process.timesteps(10)
    with torch.no_grad():
        cond = head.dit.condition(prefix, valid)
        plan = head.dit.sampling_plan(times, cond, mask)
        noisy = torch.randn(2, H, 32)
        for i in (0, 4, 9):
            plain = head.dit(noisy, times[i].expand(2), cond, mask, emb)
            planned = head.dit(noisy, None, cond, mask, emb, plan[i])
            assert plain.abs().mean() > 0.1
            torch.testing.assert_close(planned, plain, rtol=1e-5, atol=1e-5)
        chunks = [
            head.sample(
                prefix,
                valid,
                mask,
                emb,
                generator=torch.Generator().manual_seed(3),
                precompute=precompute,
            )
            for precompute in (True, False)
        ]
    torch.testing.assert_close(chunks[0], chunks[1], rtol=1e-4, atol=1e-4)


def test_diffusion_loss_ignores_unused_slots_and_padded_steps():
    torch.manual_seed(0)
    head = DiffusionHead(DiffusionConfig(depth=1), D, HEADS, H, 1, False)
    prefix, valid = prefix_batch(1)
    actions = torch.zeros(1, H, 32)
    mask = torch.zeros(1, 32, dtype=torch.bool)
    mask[0, :3] = True
    pad = torch.zeros(1, H, dtype=torch.bool)
    pad[0, 4:] = True
    emb = torch.tensor([0])
    torch.manual_seed(5)
    reference = head.loss(prefix, valid, actions, mask, pad, emb)
    actions[0, :, 3:] = 100.0  # unused slots
    actions[0, 4:, :] = 100.0  # padded steps
    torch.manual_seed(5)
    assert torch.allclose(head.loss(prefix, valid, actions, mask, pad, emb), reference)


def tiny_ar(vocab: int = 40, max_tokens: int = 12, depth: int = 2) -> ARHead:
    torch.manual_seed(0)
    return ARHead(ARConfig(depth=depth, max_tokens=max_tokens), D, HEADS, vocab)


def test_ar_head_overfits_and_greedy_reproduces_the_targets():
    head = tiny_ar()
    prefix, valid = prefix_batch()
    targets = torch.full((2, 12), head.pad)
    targets[0, :6] = torch.tensor([1, 5, 9, 9, 3, head.eos])
    targets[1, :9] = torch.tensor([7, 7, 2, 0, 30, 31, 4, 4, head.eos])
    before, after = fit(head, lambda: head.loss(prefix, valid, targets), 200)
    assert after < before / 10
    decoded = head.decode(prefix, valid)
    assert decoded.tokens == [[1, 5, 9, 9, 3], [7, 7, 2, 0, 30, 31, 4, 4]]
    assert all(decoded.finished) and min(decoded.confidence) > 0.5
    jacobi = jacobi_decode(head, prefix, valid)
    assert jacobi.tokens == decoded.tokens
    assert jacobi.passes < decoded.passes


@pytest.mark.parametrize("seed", range(6))
def test_jacobi_equals_greedy_exactly_on_random_inputs(seed):
    head = tiny_ar(vocab=20, max_tokens=16, depth=2)
    torch.manual_seed(seed)
    with torch.no_grad():  # sharpen random logits so greedy runs are non-trivial
        for p in head.parameters():
            p.mul_(3.0)
    prefix, valid = prefix_batch(batch=3, seed=seed)
    greedy = head.decode(prefix, valid)
    jacobi = jacobi_decode(head, prefix, valid)
    assert jacobi.tokens == greedy.tokens
    assert jacobi.passes <= greedy.passes
    seeded = jacobi_decode(head, prefix, valid, init=[[*t, head.eos] for t in greedy.tokens])
    assert seeded.tokens == greedy.tokens
    assert seeded.passes == 1  # a correct guess is verified in one pass
    windowed = jacobi_decode(head, prefix, valid, window=4)
    assert windowed.tokens == greedy.tokens
    periodic = jacobi_decode(head, prefix, valid, window=4, periods=[3, 1, None])
    assert periodic.tokens == greedy.tokens


def test_guessing_the_last_timestep_again_verifies_a_steady_chunk_in_fewer_passes():
    """A robot moving steadily repeats its per-timestep tokens (3 slots here)."""
    head = tiny_ar(max_tokens=24)
    prefix, valid = prefix_batch()
    targets = torch.full((2, 24), head.pad)
    targets[0, :19] = torch.tensor([4, 17, 9] * 6 + [head.eos])
    targets[1, :19] = torch.tensor([30, 2, 2] * 6 + [head.eos])
    fit(head, lambda: head.loss(prefix, valid, targets), 300)
    greedy = head.decode(prefix, valid)
    assert greedy.tokens == [t[:18] for t in targets.tolist()]
    plain = jacobi_decode(head, prefix, valid, window=4)
    periodic = jacobi_decode(head, prefix, valid, window=4, periods=[3, 3])
    assert plain.tokens == periodic.tokens == greedy.tokens
    assert periodic.passes < plain.passes


def test_sampling_is_reproducible_with_a_generator_and_respects_vocabulary():
    head = tiny_ar()
    prefix, valid = prefix_batch()
    first = head.decode(prefix, valid, 1.0, torch.Generator().manual_seed(1))
    second = head.decode(prefix, valid, 1.0, torch.Generator().manual_seed(1))
    assert first.tokens == second.tokens
    assert all(0 <= t < head.pad for row in first.tokens for t in row)


def test_cached_passes_match_one_uncached_pass():
    """Writing K/V into the decode cache in uneven passes gives the teacher-forced logits."""
    head = tiny_ar(max_tokens=12).eval()
    prefix, valid = prefix_batch(batch=1)
    inputs = torch.randint(0, 40, (1, 12), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        full = head.step(inputs, 0, head.memory(prefix, valid))
        memory = head.start_decode(prefix, valid)
        parts = [head.step(inputs[:, a:b], a, memory) for a, b in ((0, 1), (1, 5), (5, 12))]
    assert torch.allclose(torch.cat(parts, 1), full, atol=1e-5)


def test_jacobi_accepts_seeds_with_special_tokens_and_reports_confidence():
    head = tiny_ar(vocab=20, max_tokens=16)
    prefix, valid = prefix_batch(batch=2, seed=4)
    greedy = head.decode(prefix, valid)
    junk = [[head.eos, head.pad, head.bos, 3], [head.eos] * 20]
    jacobi = jacobi_decode(head, prefix, valid, init=junk, window=5)
    assert jacobi.tokens == greedy.tokens
    assert jacobi.confidence == pytest.approx(greedy.confidence, abs=1e-5)
    assert all(0.0 < c <= 1.0 for c in jacobi.confidence)

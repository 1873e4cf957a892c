"""The Jacobi consistency loss: finite, scores only real tokens, keeps Jacobi == greedy."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from actloop.policies.config import ARConfig, PolicyConfig, get_preset
from actloop.policies.heads.ar import ARHead
from actloop.policies.heads.consistency import (
    consistency_inputs,
    consistency_loss,
    teacher_inputs,
)
from actloop.policies.heads.jacobi import jacobi_decode

D, HEADS, VOCAB, N = 32, 4, 20, 16


def head_with(states: str, iterations: int = 3) -> ARHead:
    torch.manual_seed(0)
    config = ARConfig(
        depth=2,
        max_tokens=N,
        consistency_weight=1.0,
        consistency_states=states,
        consistency_iterations=iterations,
    )
    return ARHead(config, D, HEADS, VOCAB)


def prefix_and_targets(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    prefix = torch.randn(3, 5, D, generator=generator)
    valid = torch.ones(3, 5, dtype=torch.bool)
    valid[0, -1] = False
    targets = torch.full((3, N), VOCAB)  # PAD
    for row, length in enumerate((4, 9, 15)):
        targets[row, :length] = torch.randint(0, VOCAB, (length,), generator=generator)
        targets[row, length] = VOCAB + 2  # EOS
    return prefix, valid, targets


@pytest.mark.parametrize("states", ["rollout", "noise"])
def test_states_keep_a_true_prefix_and_pad_after_eos(states):
    head = head_with(states)
    prefix, valid, targets = prefix_and_targets()
    clean = teacher_inputs(head, targets)
    torch.manual_seed(1)
    inputs = consistency_inputs(head, head.memory(prefix, valid), targets)
    scored = targets != head.pad
    assert torch.equal(inputs[~scored], clean[~scored])  # PAD where nothing is scored
    assert torch.all(inputs[:, 0] == head.bos)
    guesses = inputs[:, 1:][scored[:, 1:]]  # any token a Jacobi pass could emit
    assert torch.all((guesses != head.pad) & (guesses != head.bos))
    # Rows are true up to a cut, never corrupted before it.
    for row in range(3):
        wrong = (inputs[row] != clean[row]).nonzero()
        if len(wrong):
            first = int(wrong[0])
            assert torch.equal(inputs[row, :first], clean[row, :first])


@pytest.mark.parametrize("states", ["rollout", "noise"])
def test_loss_is_finite_and_scores_only_real_tokens(states):
    head = head_with(states)
    prefix, valid, targets = prefix_and_targets()
    torch.manual_seed(2)
    loss = consistency_loss(head, prefix, valid, targets)
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in head.parameters() if p.grad is not None)
    # The same random state, scored by hand over the non-PAD positions only.
    torch.manual_seed(2)
    memory = head.memory(prefix, valid)
    logits = head.step(consistency_inputs(head, memory, targets), 0, memory)
    scored = targets != head.pad
    by_hand = F.cross_entropy(logits[scored], targets[scored])
    assert float(loss.detach()) == pytest.approx(float(by_hand.detach()), rel=1e-5)
    # Logits at PAD positions get no gradient: nothing there is trained.
    logits.retain_grad()
    F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=head.pad).backward()
    assert torch.all(logits.grad[~scored] == 0) and torch.any(logits.grad[scored] != 0)


@pytest.mark.parametrize("states", ["rollout", "noise"])
def test_jacobi_still_equals_greedy_after_consistency_training(states):
    head = head_with(states, iterations=2)
    prefix, valid, targets = prefix_and_targets(seed=3)
    optimiser = torch.optim.Adam(head.parameters(), lr=3e-3)
    torch.manual_seed(4)
    for _ in range(30):
        loss = head.loss(prefix, valid, targets) + consistency_loss(head, prefix, valid, targets)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    randoms = [torch.randn(3, 5, D, generator=torch.Generator().manual_seed(s)) for s in range(3)]
    for inputs in [(prefix, valid)] + [(random_prefix, valid) for random_prefix in randoms]:
        greedy = head.decode(*inputs)
        jacobi = jacobi_decode(head, *inputs, window=6)
        assert jacobi.tokens == greedy.tokens
        assert jacobi.passes <= greedy.passes


def test_old_configs_load_with_consistency_defaults_and_bad_names_are_named():
    data = get_preset("tiny").to_dict()
    for key in ("consistency_weight", "consistency_states", "consistency_iterations"):
        del data["ar"][key]
    assert PolicyConfig.from_dict(data).ar == get_preset("tiny").ar
    head = ARHead(ARConfig(max_tokens=N, consistency_states="rolout"), D, HEADS, VOCAB)
    prefix, valid, targets = prefix_and_targets()
    with pytest.raises(KeyError, match="rollout"):
        consistency_loss(head, prefix, valid, targets)

"""The goal readout: an auxiliary 'where is the target' regression whose token both heads
attend to. Targets come from privileged sim facts and are needed only in training."""

from __future__ import annotations

import numpy as np
import torch
from actloop.policies import VLAPolicy, fake_batch, fake_observation, get_preset
from actloop.policies.heads.goal import GOAL_DIM, GOAL_SCALE, goal_targets


def _policy(stats, weight: float = 1.0) -> VLAPolicy:
    torch.manual_seed(0)
    return VLAPolicy.create(get_preset("tiny").replace(goal_weight=weight), stats)


def _with_goals(policy: VLAPolicy, batch_size: int = 4) -> dict:
    batch = fake_batch(policy, batch_size=batch_size)
    generator = torch.Generator().manual_seed(1)
    batch["goal"] = torch.randn(batch_size, GOAL_DIM, generator=generator)
    batch["goal_mask"] = torch.ones(batch_size, GOAL_DIM)
    return batch


def test_targets_are_scaled_offsets_from_the_gripper_and_masked_when_missing():
    extras = {"tcp_pos": np.array([0.5, 0.0, 0.2]), "goal_pos": np.array([0.6, -0.1, 0.05])}
    target, mask = goal_targets(extras)
    np.testing.assert_allclose(
        target[:3], [0.1 * GOAL_SCALE, -0.1 * GOAL_SCALE, -0.15 * GOAL_SCALE], rtol=1e-5
    )
    np.testing.assert_array_equal(mask, [1, 1, 1, 0, 0, 0])  # no object_pos in a reach task
    empty_target, empty_mask = goal_targets({})  # teleop or imported data: nothing to learn
    assert not empty_target.any() and not empty_mask.any()


def test_samples_without_facts_train_the_heads_but_not_the_readout(stats):
    policy = _policy(stats).train()
    batch = fake_batch(policy, batch_size=3)  # the transform found no extras
    assert not batch["goal_mask"].any()
    loss, metrics = policy.loss(batch)
    assert metrics["goal_loss"] == 0.0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is None or not p.grad.any() for p in policy.goal.predict.parameters())


def test_goal_readout_overfits_a_tiny_batch(stats):
    policy = _policy(stats).train()
    batch = _with_goals(policy)
    optimiser = torch.optim.Adam(policy.parameters(), lr=3e-3)
    history = []
    for _ in range(150):
        loss, metrics = policy.loss(batch)
        history.append(metrics["goal_loss"])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert history[-1] < history[0] / 10


def test_the_goal_token_conditions_the_heads_and_survives_save_and_load(stats, tmp_path):
    policy = _policy(stats).eval()
    batch = fake_batch(policy, batch_size=2)
    prefix, valid, _ = policy.encode(batch)
    plain_prefix, _ = policy.backbone(batch)
    assert prefix.shape[1] == plain_prefix.shape[1] + 1 and valid[:, -1].all()
    policy.save_pretrained(tmp_path / "ckpt")
    loaded = VLAPolicy.from_pretrained(tmp_path / "ckpt").eval()
    assert loaded.goal is not None
    observation = fake_observation(policy.config)
    chunks = []
    for model in (policy, loaded):
        torch.manual_seed(0)
        model.reset()
        chunks.append(model.infer(observation).actions)
    np.testing.assert_allclose(chunks[1], chunks[0], atol=1e-5)


def test_policies_without_the_readout_are_unchanged(tiny_policy):
    assert tiny_policy.goal is None and tiny_policy.config.goal_weight == 0.0

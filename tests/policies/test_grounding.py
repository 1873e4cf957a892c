"""Instruction-grounded keypoints: each role of the instruction finds what it names."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from actloop.policies import VLAPolicy, fake_batch, get_preset
from actloop.policies.grounding import GroundedKeypoints, grounding_targets
from actloop.policies.keypoints import image_grid


def test_each_query_finds_the_object_that_carries_its_feature():
    grounding = GroundedKeypoints(channels=2, roles=2, d_model=2)
    with torch.no_grad():
        grounding.keys.weight.copy_(torch.eye(2)[:, :, None, None])
        grounding.keys.bias.zero_()
        grounding.kernel.weight.copy_(torch.eye(2))
        grounding.kernel.bias.zero_()
        grounding.log_temperature.fill_(math.log(0.01))
    features = torch.zeros(1, 2, 6, 6)
    features[0, 0, 1, 5] = 1.0  # "red" at the top right
    features[0, 1, 5, 0] = 1.0  # "blue" at the bottom left
    queries = torch.eye(2)[None]  # role 0 asks for red, role 1 for blue
    weights, _ = grounding.match(features, queries)
    points = weights @ image_grid(6, 6, features)
    torch.testing.assert_close(
        points, torch.tensor([[[1.0, -0.6], [-1.0, 1.0]]]), atol=1e-3, rtol=0
    )


def grounded_tiny(roles: int, stage: int = 2):
    tiny = get_preset("tiny")
    vision = dataclasses.replace(tiny.vision, grounding=roles, grounding_stage=stage)
    return tiny.replace(vision=vision, goal_weight=1.0)


def test_grounded_tokens_join_the_prefix_and_the_readout_asks_once_per_role(stats):
    torch.manual_seed(0)
    policy = VLAPolicy.create(grounded_tiny(2), stats)
    plain = VLAPolicy.create(grounded_tiny(0), stats)
    batch = fake_batch(policy, 2, embodiment="panda")
    prefix, _, predicted = policy.encode(batch)
    plain_prefix, _, plain_predicted = plain.encode(batch)
    cameras = len(policy.config.cameras)
    assert prefix.shape[1] == plain_prefix.shape[1] + 2 * cameras + 1  # + one goal token
    assert predicted.shape == plain_predicted.shape
    policy.train()
    loss, _ = policy.loss(batch)
    loss.backward()
    assert policy.backbone.roles.queries.grad.abs().sum() > 0
    assert policy.backbone.vision.grounding.kernel.weight.grad.abs().sum() > 0


def test_a_saved_grounded_policy_loads_with_identical_outputs(stats, tmp_path):
    torch.manual_seed(0)
    policy = VLAPolicy.create(grounded_tiny(2), stats).eval()
    policy.save_pretrained(tmp_path)
    loaded = VLAPolicy.from_pretrained(tmp_path).eval()
    batch = fake_batch(policy, 2, embodiment="so101")
    for ours, theirs in zip(policy.encode(batch), loaded.encode(batch), strict=True):
        torch.testing.assert_close(ours, theirs, atol=0, rtol=0)


def test_a_grounding_stage_the_trunk_lacks_is_named(stats):
    with pytest.raises(ValueError, match="grounding_stage 9 is not a feature_info stage"):
        VLAPolicy.create(grounded_tiny(2, stage=9), stats)


def test_recorded_image_positions_become_masked_targets():
    extras = {
        "goal_pos_uv_front": np.array([0.5, -0.25]),
        "object_pos_uv_front": np.array([9.0, 9.0]),  # behind the camera
        "object_pos_uv_wrist": np.array([-0.1, 0.2]),
    }
    targets, masks = grounding_targets(extras, ("front", "wrist"))
    np.testing.assert_array_equal(targets["front"][0], [0.5, -0.25])
    np.testing.assert_array_equal(masks["front"], [1.0, 0.0])
    np.testing.assert_array_equal(masks["wrist"], [0.0, 1.0])


def test_the_grounding_loss_pulls_each_role_towards_its_recorded_position(stats):
    torch.manual_seed(0)
    policy = VLAPolicy.create(grounded_tiny(2), stats).train()
    batch = fake_batch(policy, 2, embodiment="panda")
    extras = {"object_pos_uv_front": np.array([0.6, 0.4])}
    targets, masks = grounding_targets(extras, policy.config.cameras)
    batch["ground_uv"] = {c: torch.as_tensor(t).expand(2, -1, -1) for c, t in targets.items()}
    batch["ground_mask"] = {c: torch.as_tensor(m).expand(2, -1) for c, m in masks.items()}

    def grounding_loss() -> torch.Tensor:
        policy.backbone.encode(batch)
        return policy._grounding_loss(batch, {})

    _, metrics = policy.loss(batch)
    assert metrics["grounding_loss"] > 0
    optimiser = torch.optim.Adam(policy.backbone.parameters(), lr=3e-3)
    for _ in range(30):
        optimiser.zero_grad()
        grounding_loss().backward()
        optimiser.step()
    assert float(grounding_loss().detach()) < metrics["grounding_loss"] / 4

"""Spatial-softmax keypoints read out where a feature fires, in image coordinates."""

from __future__ import annotations

import dataclasses
import math

import torch
from actloop.policies import VLAPolicy, fake_batch, get_preset
from actloop.policies.keypoints import SpatialSoftmax


def test_a_sharp_peak_is_read_out_at_its_image_position():
    softmax = SpatialSoftmax(channels=1, keypoints=1)
    with torch.no_grad():
        softmax.maps.weight.fill_(1.0)
        softmax.maps.bias.zero_()
        softmax.log_temperature.fill_(math.log(0.01))
    features = torch.zeros(2, 1, 5, 9)
    features[0, 0, 0, 8] = 1.0  # top right
    features[1, 0, 2, 4] = 1.0  # centre
    points = softmax(features)
    torch.testing.assert_close(
        points, torch.tensor([[[1.0, -1.0]], [[0.0, 0.0]]]), atol=1e-3, rtol=0
    )


def test_keypoint_tokens_join_the_prefix_and_learn(stats):
    tiny = get_preset("tiny")
    vision = dataclasses.replace(tiny.vision, keypoints=4, image_size=96)  # a 3x3 feature map
    config = tiny.replace(vision=vision)
    torch.manual_seed(0)
    policy = VLAPolicy.create(config, stats)
    plain = VLAPolicy.create(tiny.replace(vision=dataclasses.replace(vision, keypoints=0)), stats)
    batch = fake_batch(policy, 2, embodiment="panda")
    prefix, _ = policy.backbone(batch)
    plain_prefix, _ = plain.backbone(batch)
    assert prefix.shape[1] == plain_prefix.shape[1] + 4 * len(config.cameras)
    policy.train()
    loss, _ = policy.loss(batch)
    loss.backward()
    assert policy.backbone.vision.keypoints.softmax.maps.weight.grad.abs().sum() > 0

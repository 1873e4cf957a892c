"""FiLM: the instruction reaches the vision trunk; plain trunks ignore it; checkpoints keep it."""

from __future__ import annotations

import copy
import dataclasses
import warnings

import pytest
import torch
from actloop.policies import VLAPolicy, fake_batch, get_preset
from actloop.policies.film import FiLMStage
from actloop.policies.text import TextEncoder
from actloop.policies.vision import VisionEncoder


def film_config(film: bool = True):
    tiny = get_preset("tiny")
    return tiny.replace(vision=dataclasses.replace(tiny.vision, film=film))


def encoder_and_images(film: bool):
    config = film_config(film)
    torch.manual_seed(0)
    encoder = VisionEncoder(config.vision, config.cameras, n_obs_steps=1, d_model=16).eval()
    size = config.vision.image_size
    images = {
        cam: torch.randint(0, 256, (2, 1, size, size, 3), dtype=torch.uint8)
        for cam in config.cameras
    }
    return encoder, images


def randomise_generators(encoder) -> int:
    stages = [m for m in encoder.modules() if isinstance(m, FiLMStage)]
    for stage in stages:
        torch.nn.init.normal_(stage.generator.weight, std=0.1)
    return len(stages)


def test_every_timm_stage_is_modulated_and_the_condition_changes_the_tokens():
    encoder, images = encoder_and_images(film=True)
    assert randomise_generators(encoder) == len(encoder.trunk.feature_info)
    with torch.no_grad():
        first = encoder(images, condition=torch.randn(2, 16))
        second = encoder(images, condition=torch.randn(2, 16))
    assert not torch.allclose(first, second)


def test_film_starts_as_the_identity_of_the_plain_trunk():
    plain, images = encoder_and_images(film=False)
    filmed, _ = encoder_and_images(film=True)
    filmed.load_state_dict(plain.state_dict(), strict=False)  # same trunk weights, zero FiLM
    with torch.no_grad():
        expected = plain(images)
        actual = filmed(images, condition=torch.randn(2, 16))
    torch.testing.assert_close(actual, expected)


def test_a_film_trunk_without_a_condition_says_so():
    encoder, images = encoder_and_images(film=True)
    with pytest.raises(ValueError, match="FiLM: pass the instruction"):
        encoder(images)


def test_film_policy_trains_deep_copies_and_reloads_identically(stats, tmp_path):
    torch.manual_seed(0)
    policy = VLAPolicy.create(film_config(), stats)
    randomise_generators(policy)
    batch = fake_batch(policy, 2, embodiment="panda")
    policy.train()
    loss, _ = policy.loss(batch)
    loss.backward()
    grads = [m.generator.weight.grad for m in policy.modules() if isinstance(m, FiLMStage)]
    assert all(g is not None and g.abs().sum() > 0 for g in grads)
    twin = copy.deepcopy(policy).eval()  # an EMA copy must carry its own FiLM state
    policy.save_pretrained(tmp_path / "ckpt")
    loaded = VLAPolicy.from_pretrained(tmp_path / "ckpt").eval()
    policy.eval()
    with torch.no_grad():
        torch.manual_seed(1)
        expected, _ = policy.backbone(batch)
        torch.manual_seed(1)
        from_copy, _ = twin.backbone(batch)
        torch.manual_seed(1)
        from_disk, _ = loaded.backbone(batch)
    torch.testing.assert_close(from_copy, expected)
    torch.testing.assert_close(from_disk, expected)


def test_a_truncated_instruction_is_reported_once():
    config = get_preset("tiny").text
    encoder = TextEncoder(dataclasses.replace(config, max_length=12), d_model=8)
    with pytest.warns(UserWarning, match="only the first 12 are used"):
        encoder(["put the yellow cube on the purple pad"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same instruction again: no second warning
        encoder(["put the yellow cube on the purple pad", "short"])

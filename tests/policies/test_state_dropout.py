"""State dropout: the training-time cure for the proprioception shortcut.

Demos that start from one home pose and move in straight lines let the current state
predict every action after the first tick; a policy trained on them ignores the cameras
(measured in BENCHMARKS.md, train/eval section). ``state_dropout`` hides the whole state of
a share of training samples so the goal must be read from images and text, and never
touches inference.
"""

from __future__ import annotations

import torch
from actloop.policies import VLAPolicy, fake_batch, get_preset
from actloop.policies.config import PolicyConfig


def _policy(stats, dropout: float) -> VLAPolicy:
    torch.manual_seed(0)
    return VLAPolicy.create(get_preset("tiny").replace(state_dropout=dropout), stats)


def _with_other_state(batch: dict) -> dict:
    other = dict(batch)
    other["state"] = batch["state"] + 0.5
    return other


def test_full_dropout_hides_state_in_training_but_never_at_inference(stats):
    policy = _policy(stats, 1.0)
    batch = fake_batch(policy, batch_size=3)
    policy.train()
    torch.manual_seed(1)  # the text encoder's own dropout draws the same masks both times
    trained_a, _ = policy.backbone(batch)
    torch.manual_seed(1)
    trained_b, _ = policy.backbone(_with_other_state(batch))
    assert torch.equal(trained_a, trained_b)
    policy.eval()
    served_a, _ = policy.backbone(batch)
    served_b, _ = policy.backbone(_with_other_state(batch))
    assert not torch.allclose(served_a, served_b)


def test_partial_dropout_hides_whole_samples_at_the_configured_rate(stats):
    policy = _policy(stats, 0.5).train()
    mask = torch.ones(4000, 32)
    dropped = policy.backbone._drop_state(mask)
    per_sample = dropped.sum(dim=1)
    assert set(per_sample.unique().tolist()) == {0.0, 32.0}  # all of a sample's state or none
    assert 0.45 < float((per_sample == 0).float().mean()) < 0.55


def test_no_dropout_by_default_and_old_configs_load_without_the_field(stats):
    assert get_preset("small").state_dropout == 0.0
    data = get_preset("tiny").to_dict()
    del data["state_dropout"]  # a checkpoint saved before the field existed
    assert PolicyConfig.from_dict(data).state_dropout == 0.0
    policy = _policy(stats, 0.0).train()
    mask = torch.ones(8, 32)
    assert torch.equal(policy.backbone._drop_state(mask), mask)

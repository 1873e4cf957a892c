"""``VLAPolicy.compile_inference``: inductor kernels with frozen vision weights change how a
chunk is computed, never what it is; training stays eager, and changed weights are refused."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import torch
from actloop.policies import VLAPolicy, fake_batch, get_preset


@pytest.fixture(scope="module")
def eager_and_compiled(stats) -> tuple[VLAPolicy, VLAPolicy]:
    """A tiny policy with every trunk hook on (FiLM, grounding), and a compiled copy."""
    tiny = get_preset("tiny")
    vision = dataclasses.replace(tiny.vision, film=True, grounding=2)
    diffusion = dataclasses.replace(tiny.diffusion, inference_steps=3)  # unrolled: compiles faster
    config = tiny.replace(vision=vision, diffusion=diffusion, goal_weight=1.0)
    torch.manual_seed(0)
    eager = VLAPolicy.create(config, stats).eval()
    return eager, copy.deepcopy(eager).compile_inference()


def chunk(policy: VLAPolicy, batch: dict) -> torch.Tensor:
    torch.manual_seed(7)  # the same diffusion noise for both
    return torch.as_tensor(policy.predict(batch))


def test_compiled_inference_gives_the_eager_chunk(eager_and_compiled):
    from torch._dynamo.utils import counters

    eager, compiled = eager_and_compiled
    counters.clear()
    for seed in (0, 1):  # the second batch runs the kernels compiled by the first
        batch = fake_batch(eager, 1, embodiment="panda", seed=seed)
        torch.testing.assert_close(chunk(compiled, batch), chunk(eager, batch), rtol=0, atol=1e-4)
    assert counters["stats"]["unique_graphs"] >= 2  # the vision encoder and the sampling loop


def test_training_a_compiled_policy_runs_eagerly_and_its_stale_kernels_are_refused(stats):
    tiny = get_preset("tiny")
    vision = dataclasses.replace(tiny.vision, film=True)
    torch.manual_seed(0)
    policy = VLAPolicy.create(tiny.replace(vision=vision), stats).compile_inference()
    batch = fake_batch(policy, 1, embodiment="panda")
    policy.train()
    loss, _ = policy.loss(fake_batch(policy, 2, embodiment="panda"))
    loss.backward()
    film = policy.backbone.vision.trunk.layer1.generator  # FiLM's linear: zero at init
    assert film.weight.grad.abs().sum() > 0
    assert policy.diffusion.dit.output.weight.grad.abs().sum() > 0  # the DiT learns too
    torch.optim.SGD(policy.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match="weights changed after compile_inference froze"):
        policy.eval().predict(batch)

"""A real (untrained, tiny) LeRobot ACT policy runs through actloop eval's ControlLoop."""

from __future__ import annotations

import json

import pytest
import torch
from actloop.cli.main import main

pytest.importorskip("lerobot")
pytestmark = pytest.mark.lerobot

SIZE = 32


@pytest.fixture(scope="module")
def act_dir(tmp_path_factory):
    from lerobot.configs.types import FeatureType, NormalizationMode, PolicyFeature
    from lerobot.policies.act.configuration_act import ACTConfig
    from lerobot.policies.act.modeling_act import ACTPolicy
    from lerobot.policies.factory import make_pre_post_processors

    image = PolicyFeature(FeatureType.VISUAL, (3, SIZE, SIZE))
    inputs = {
        "observation.state": PolicyFeature(FeatureType.STATE, (6,)),
        "observation.images.front": image,
        "observation.images.wrist": image,
    }
    config = ACTConfig(
        input_features=inputs,
        output_features={"action": PolicyFeature(FeatureType.ACTION, (6,))},
        chunk_size=4,
        n_action_steps=4,
        pretrained_backbone_weights=None,
        dim_model=32,
        dim_feedforward=64,
        n_heads=2,
        n_encoder_layers=1,
        latent_dim=4,
        device="cpu",
    )
    config.normalization_mapping["VISUAL"] = NormalizationMode.IDENTITY
    stats = {
        key: {"mean": torch.zeros(6), "std": torch.full((6,), 0.1)}
        for key in ("observation.state", "action")
    }
    pre, post = make_pre_post_processors(config, dataset_stats=stats)
    out = tmp_path_factory.mktemp("act")
    for part in (ACTPolicy(config), pre, post):
        part.save_pretrained(out)
    return out


def test_adapter_returns_native_chunks(act_dir):
    from actloop.eval.lerobot_adapter import LeRobotPolicyAdapter
    from actloop.sim import make

    adapter = LeRobotPolicyAdapter.from_pretrained(act_dir)
    assert adapter.cameras == ["front", "wrist"] and adapter.image_size == SIZE
    env = make("so101/reach", image_size=SIZE)
    chunk = adapter.infer(env.reset(seed=0))
    assert chunk.actions.shape == (4, env.spec.action_dim)
    assert chunk.dt == pytest.approx(env.spec.dt)
    env.close()


def test_eval_runs_a_lerobot_policy(act_dir, tmp_path):
    code = main(
        [
            "eval",
            "--policy",
            f"lerobot:{act_dir}",
            "--task",
            "so101/reach",
            "--episodes",
            "1",
            "--workers",
            "1",
            "--videos",
            "0",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    result = json.loads((tmp_path / "result.json").read_text())
    episode = result["episodes"][0]
    assert episode["length"] > 0 and episode["termination"] in ("success", "timeout", "unstable")
    assert len(episode["inference_ms"]) >= episode["length"] // 8

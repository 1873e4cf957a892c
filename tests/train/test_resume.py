"""Exact resume: 2 steps, save, resume, 2 more == 4 steps straight (real tiny VLAPolicy)."""

from __future__ import annotations

import json

import pytest
import torch
from actloop.cli.main import main
from actloop.policies import VLAPolicy
from safetensors.torch import load_file


def _train(store: str, out, steps: int, *extra: str) -> int:
    return main(
        [
            "train",
            "--preset",
            "debug",
            "--data.stores",
            store,
            "--out_dir",
            str(out),
            "--steps",
            str(steps),
            "--checkpoint_every",
            "2",
            "--log_every",
            "1",
            "--batch_size",
            "4",
            "--optim.warmup_steps",
            "1",
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def runs(reach_store, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    evaluate = ["--eval.every", "4", "--eval.tasks", "panda/reach", "--eval.episodes", "1"]
    assert _train(reach_store, root / "straight", 4, *evaluate) == 0
    assert _train(reach_store, root / "resumed", 4, "--stop_at", "2") == 0  # "interrupted"
    assert _train(reach_store, root / "resumed", 4, "--resume") == 0
    return root


def _weights(run, step: int) -> dict[str, torch.Tensor]:
    return load_file(str(run / "checkpoints" / f"step_{step:07d}" / "model.safetensors"))


def test_resume_matches_straight_run_exactly(runs):
    straight, resumed = _weights(runs / "straight", 4), _weights(runs / "resumed", 4)
    assert straight.keys() == resumed.keys()
    for name in straight:
        assert torch.equal(straight[name], resumed[name]), name
    before = _weights(runs / "straight", 2)
    assert any(not torch.equal(before[n], straight[n]) for n in straight)  # it did train


def test_resume_is_exact_under_cpu_bf16_autocast(reach_store, tmp_path):
    bf16 = ("--mixed_precision", "bf16")
    assert _train(reach_store, tmp_path / "straight", 4, *bf16) == 0
    assert _train(reach_store, tmp_path / "resumed", 4, "--stop_at", "2", *bf16) == 0
    assert _train(reach_store, tmp_path / "resumed", 4, "--resume", *bf16) == 0
    straight, resumed = _weights(tmp_path / "straight", 4), _weights(tmp_path / "resumed", 4)
    assert all(torch.equal(straight[n], resumed[n]) for n in straight)
    assert all(w.dtype == torch.float32 for w in straight.values())  # autocast, fp32 weights


def test_optimizer_and_ema_match_too(runs):
    for name in ("optimizer.safetensors", "ema.safetensors"):
        a = load_file(str(runs / "straight" / "checkpoints" / "step_0000004" / name))
        b = load_file(str(runs / "resumed" / "checkpoints" / "step_0000004" / name))
        assert all(torch.equal(a[k], b[k]) for k in a), name


def test_checkpoint_holds_no_pickle(runs):
    checkpoint = runs / "resumed" / "checkpoints" / "step_0000004"
    state = json.loads((checkpoint / "state.json").read_text())
    assert state["step"] == 4 and state["sampler"] == {"next_batch": 4}
    suffixes = {p.suffix for p in checkpoint.rglob("*") if p.is_file()}
    assert suffixes <= {".json", ".safetensors", ".txt", ".model"}, suffixes


def test_exported_policy_loads_and_acts(runs):
    from actloop.sim import make

    policy = VLAPolicy.from_pretrained(runs / "straight" / "policy")
    env = make("panda/reach", image_size=policy.config.vision.image_size)
    chunk = policy.infer(env.reset(seed=5))
    assert chunk.actions.shape == (policy.config.horizon, env.spec.action_dim)
    env.close()


def test_periodic_eval_ran_on_the_checkpoint(runs):
    result = json.loads((runs / "straight" / "evals" / "step_4" / "result.json").read_text())
    assert result["policy"].endswith("step_0000004/policy")
    assert result["summary"]["tasks"]["panda/reach"]["episodes"] == 1
    assert list((runs / "straight" / "tensorboard").glob("events.out.tfevents.*"))


def test_image_size_mismatch_is_named_before_training(reach_store, tmp_path, capsys):
    code = main(
        [
            "train",
            "--preset",
            "debug",
            "--data.stores",
            reach_store,
            "--image_size",
            "64",
            "--out_dir",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert "are (32, 32, 3), but policy 'tiny' takes (64, 64, 3)" in capsys.readouterr().err
    assert not (tmp_path / "checkpoints").exists()

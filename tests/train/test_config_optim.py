"""Configs, overrides, LR schedule, sampler and pickle-free optimizer state."""

from __future__ import annotations

import argparse
import itertools
import json

import numpy as np
import pytest
import torch
from actloop.policies import get_preset as get_policy_preset
from actloop.train.config import OptimConfig, TrainConfig, get_preset, list_presets
from actloop.train.optim import EMA, build_optimizer, lr_at
from actloop.train.overrides import (
    add_config_flags,
    apply_overrides,
    flags_given,
    load_override_file,
)
from actloop.train.sampler import BatchPlan, mixture_probabilities
from actloop.train.state import TrainState, load_checkpoint, save_checkpoint


def test_unknown_preset_suggests_close_names():
    with pytest.raises(KeyError, match="did you mean: cpu-quick"):
        get_preset("cpu-quik")
    assert {"debug", "cpu-quick", "cpu-full"} <= set(list_presets())


def test_presets_are_independent_copies():
    a = get_preset("debug")
    a.data.stores.append("x")
    assert get_preset("debug").data.stores == []


def test_file_then_flags_override_with_type_checks(tmp_path):
    config_file = tmp_path / "run.yaml"
    config_file.write_text("steps: 7\noptim:\n  lr: 1\n  betas: [0.8, 0.9]\ndata:\n  stores: [a]\n")
    cfg = apply_overrides(get_preset("debug"), load_override_file(config_file), "run.yaml")
    parser = argparse.ArgumentParser()
    add_config_flags(parser, TrainConfig)
    apply_overrides(cfg, flags_given(parser.parse_args(["--steps", "9", "--wandb"])))
    assert (cfg.steps, cfg.optim.lr, cfg.optim.betas) == (9, 1.0, (0.8, 0.9))
    assert cfg.data.stores == ["a"] and cfg.wandb is True and cfg.batch_size == 4


def test_bad_overrides_name_the_key(tmp_path):
    with pytest.raises(KeyError, match=r"did you mean: optim\.lr"):
        apply_overrides(TrainConfig(), {"optim.lrr": 1.0})
    with pytest.raises(ValueError, match=r"optim\.warmup_steps: expected int"):
        apply_overrides(TrainConfig(), {"optim.warmup_steps": "ten"})
    code = tmp_path / "evil.yaml"
    code.write_text("steps: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ValueError, match="cannot parse config"):
        load_override_file(code)


def test_lr_warms_up_then_decays_to_floor():
    cfg = OptimConfig(lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    lrs = [lr_at(s, 110, cfg) for s in range(110)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(lrs[10:]))
    assert lr_at(110, 110, cfg) == pytest.approx(0.1)


def test_mixture_weights_and_rank_slices():
    p = mixture_probabilities([10, 30], [3.0, 1.0])
    assert p[:10].sum() == pytest.approx(0.75) and p[10:].sum() == pytest.approx(0.25)
    draws = np.concatenate([BatchPlan(p, 64, seed=1).indices(k) for k in range(200)])
    assert (draws < 10).mean() == pytest.approx(0.75, abs=0.03)
    whole = BatchPlan(p, 8, seed=3).indices(5)
    halves = [BatchPlan(p, 8, seed=3, rank=r, world_size=2).indices(5) for r in (0, 1)]
    assert halves[0] + halves[1] == whole
    with pytest.raises(ValueError, match="store 1 has weight"):
        mixture_probabilities([4, 0], [1.0, 1.0])


def test_ema_tracks_weights():
    model = torch.nn.Linear(2, 2)
    ema = EMA(model, decay=0.5)
    before = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(2.0)
    ema.update(model)
    assert torch.allclose(ema.shadow["weight"], before + 1.0)
    raw = ema.copy_to(model)
    assert torch.allclose(model.weight, before + 1.0)
    EMA.restore(model, raw)
    assert torch.allclose(model.weight, before + 2.0)


def test_checkpoint_is_pickle_free_and_restores_everything(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    optimizer = build_optimizer(model, OptimConfig())
    ema = EMA(model, 0.9)
    model(torch.randn(5, 3)).sum().backward()
    optimizer.step()
    save_checkpoint(tmp_path, model, optimizer, ema, TrainState(1, {"next_batch": 1}, {}))
    expected_noise = torch.randn(3)
    saved_moments = optimizer.state_dict()["state"][0]["exp_avg"].clone()
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json"] * 3 + [".safetensors"] * 4
    json.loads((tmp_path / "optimizer.json").read_text())  # plain JSON, no pickle

    fresh = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    fresh_opt = build_optimizer(fresh, OptimConfig())
    state = load_checkpoint(tmp_path, fresh, fresh_opt, EMA(fresh, 0.9))
    assert state.step == 1 and state.sampler == {"next_batch": 1}
    assert torch.equal(fresh[0].weight, model[0].weight)
    assert torch.equal(fresh_opt.state_dict()["state"][0]["exp_avg"], saved_moments)
    assert fresh_opt.param_groups[0]["betas"] == optimizer.param_groups[0]["betas"]
    assert torch.equal(torch.randn(3), expected_noise)  # RNG restored to the save point


def test_state_dropout_reaches_the_policy_config_and_negative_keeps_the_preset():
    from actloop.train.data import policy_config

    cfg = get_preset("debug")
    preset_value = policy_config(cfg).state_dropout
    cfg.state_dropout = 0.5
    assert policy_config(cfg).state_dropout == 0.5
    cfg.state_dropout = -1.0
    assert policy_config(cfg).state_dropout == preset_value


def test_random_shift_reaches_the_vision_config_and_negative_keeps_the_preset():
    from actloop.train.data import policy_config

    cfg = get_preset("cpu-full")
    preset_value = policy_config(cfg).vision.random_shift
    assert preset_value > 0  # the small preset shifts, so 0 is a real change
    cfg.random_shift = 0
    assert policy_config(cfg).vision.random_shift == 0
    cfg.random_shift = -1
    assert policy_config(cfg).vision.random_shift == preset_value


def test_noise_draws_reach_the_diffusion_config_and_zero_keeps_the_preset():
    from actloop.train.data import policy_config

    cfg = get_preset("debug")
    preset_value = policy_config(cfg).diffusion.noise_draws
    cfg.noise_draws = 3
    assert policy_config(cfg).diffusion.noise_draws == 3
    cfg.noise_draws = 0
    assert policy_config(cfg).diffusion.noise_draws == preset_value
    cfg.noise_draws = -1
    with pytest.raises(ValueError, match="noise_draws must be >= 0"):
        policy_config(cfg)


def test_the_word_vocabulary_is_fitted_on_every_instruction_in_the_stores(reach_store):
    from actloop.datasets import EpisodeStore, StoreSource
    from actloop.policies.text import load_text_tokenizer
    from actloop.train.data import instructions

    store = EpisodeStore(reach_store)
    expected = sorted({store.meta(i).instruction for i in range(store.num_episodes)})
    assert instructions([StoreSource(reach_store, 1.0)]) == expected
    tokenizer = load_text_tokenizer(get_policy_preset("small").text, instructions=expected)
    assert all(tokenizer.unk_token_id not in tokenizer(text)["input_ids"] for text in expected)

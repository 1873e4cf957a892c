"""The early goal-readout check: a run whose goal loss has not fallen by the check step is
stopped or restarted with the next seed, and its files are kept aside, not lost."""

from __future__ import annotations

import json

import pytest
from actloop.cli.main import main
from actloop.policies import get_preset, list_policies, register_preset
from actloop.train.goal_check import GoalLossWatch, GoalReadoutStalled

GOAL_POLICY = "tiny-goal"  # the tiny preset with the goal readout the small one has


def _watch(early: float, late: float, step: int = 800) -> GoalLossWatch:
    watch = GoalLossWatch(step, max_ratio=0.5)
    for done in range(1, step + 1):
        watch.observe(done, {"goal_loss": early if done <= step // 2 else late})
    return watch


def test_session_18s_learning_runs_pass_and_its_stalled_run_stops():
    learned = _watch(0.223, 0.035).check(800)  # the control run's means (BENCHMARKS.md)
    assert learned is not None and learned.ratio == pytest.approx(0.157, abs=1e-3)
    assert _watch(0.236, 0.050).check(800) is not None  # seed 1 on the centred demos
    with pytest.raises(GoalReadoutStalled, match=r"averaged 0\.371 over steps 401-800"):
        _watch(0.390, 0.371).check(800)  # run E, 2/100 after the hour


def test_it_judges_only_at_its_step_and_only_what_it_fully_saw():
    assert _watch(1.0, 0.9).check(799) is None  # not the check step: no verdict, no raise
    assert _watch(0.0, 0.0).check(800) is None  # no sample had the sim facts
    assert GoalLossWatch(800, 0.5).check(800) is None  # no goal readout: no goal_loss metric
    resumed = GoalLossWatch(4, 0.5)
    for done in (3, 4):  # a run resumed at step 2 saw only half of the window
        resumed.observe(done, {"goal_loss": 1.0})
    assert resumed.check(4) is None
    assert GoalLossWatch(0, 0.5).check(0) is None  # off
    with pytest.raises(ValueError, match=r"goal_check\.max_ratio must be > 0"):
        GoalLossWatch(800, 0.0)


@pytest.fixture(scope="module")
def goal_policy() -> str:
    if GOAL_POLICY not in list_policies():
        register_preset(get_preset("tiny").replace(name=GOAL_POLICY, goal_weight=1.0))
    return GOAL_POLICY


def _train(store: str, out, max_ratio: float, restarts: int, policy: str, *extra: str) -> int:
    flags = {
        "--preset": "debug",
        "--policy": policy,
        "--data.stores": store,
        "--out_dir": str(out),
        "--steps": "6",
        "--checkpoint_every": "2",
        "--goal_check.step": "4",
        "--goal_check.max_ratio": str(max_ratio),
        "--goal_check.restarts": str(restarts),
    }
    return main(["train", *(part for pair in flags.items() for part in pair), *extra])


def test_a_stalled_run_restarts_with_the_next_seed_then_stops(
    reach_store_with_facts, goal_policy, tmp_path, capsys
):
    # no real loss falls a millionfold in 4 steps: every attempt stalls
    assert _train(reach_store_with_facts, tmp_path, 1e-6, 1, goal_policy) == 3
    output = capsys.readouterr()
    assert "restarting with --seed 1" in output.out
    assert "goal readout has not begun to localise the target" in output.err
    aside = tmp_path / "stalled" / "seed_0"
    assert (aside / "tensorboard").is_dir() and (aside / "checkpoints" / "step_0000002").is_dir()
    last_attempt = json.loads(
        (tmp_path / "checkpoints" / "step_0000004" / "state.json").read_text()
    )
    assert last_attempt["config"]["seed"] == 1
    assert not (tmp_path / "checkpoints" / "step_0000006").exists()  # stopped at the check
    # resuming the stopped run continues its own seed's batch plan, not the flag's seed 0
    assert _train(reach_store_with_facts, tmp_path, 1e-6, 0, goal_policy, "--resume") == 0
    assert "resuming with --seed 1" in capsys.readouterr().out
    resumed = json.loads((tmp_path / "checkpoints" / "step_0000006" / "state.json").read_text())
    assert resumed["config"]["seed"] == 1


def test_a_learning_run_passes_the_check_and_trains_to_the_end(
    reach_store_with_facts, goal_policy, tmp_path, capsys
):
    assert _train(reach_store_with_facts, tmp_path, 1e6, 0, goal_policy) == 0
    assert "goal readout check passed: train/goal_loss averaged" in capsys.readouterr().out
    assert (tmp_path / "policy").is_dir() and not (tmp_path / "stalled").exists()

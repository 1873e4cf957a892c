"""Task milestones: latched by the real env under the scripted expert, counted per task in
the result JSON, printed and reported, and absent from results written before they existed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from actloop.control import ControlLoop, SimClock
from actloop.eval import EpisodeOutcome, EvalResult, load_result
from actloop.eval.evaluate import format_summary
from actloop.eval.report import write_report
from actloop.sim import make, make_expert


def _expert_episode(task: str, seed: int):
    env = make(task, seed=seed, render=False)
    env.reset(seed=seed)
    loop = ControlLoop(
        env, make_expert(task, seed=seed), clock=SimClock(env.spec.dt), disconnect_on_exit=False
    )
    return env, loop.run(env.max_ticks + 1)


@pytest.mark.parametrize("task", ["panda/pick_place", "so101/pick_place", "panda/stack"])
def test_a_successful_pick_meets_every_milestone_in_order(task):
    env, result = _expert_episode(task, seed=3)
    assert result.success
    assert list(env.milestones) == ["reached", "lifted", "over_goal"]
    ticks = list(env.milestones.values())
    assert ticks == sorted(ticks) and ticks[0] > 0 and ticks[-1] <= result.ticks


def test_holding_still_meets_no_milestone_and_reset_clears_them():
    env, _ = _expert_episode("panda/pick_place", seed=4)
    assert env.milestones
    env.reset(seed=4)
    assert env.milestones == {}
    hold = env.spec.hold_action(env.robot.state())
    for _ in range(20):
        env.send_action(hold)
    assert env.milestones == {}


def test_tasks_without_milestones_record_none():
    env, result = _expert_episode("panda/reach", seed=1)
    assert result.success and env.milestones == {}


def _outcome(seed: int, milestones: dict[str, int], success: bool = False) -> EpisodeOutcome:
    ending = "success" if success else "timeout"
    return EpisodeOutcome("panda/pick_place", seed, success, 240, ending, [1.0], None, milestones)


def _result() -> EvalResult:
    reached, lifted, placed = {"reached": 14}, {"reached": 15, "lifted": 30}, {"over_goal": 40}
    episodes = [
        _outcome(0, reached),
        _outcome(1, lifted),
        _outcome(2, {**lifted, **placed}, success=True),
        _outcome(3, {}),
    ]
    return EvalResult("p", episodes, {})


def test_summary_counts_milestones_in_the_order_episodes_reach_them(tmp_path):
    row = _result().summary()["tasks"]["panda/pick_place"]
    assert list(row["milestones"].items()) == [("reached", 3), ("lifted", 2), ("over_goal", 1)]
    loaded = load_result(_result().save(tmp_path / "r.json"))
    assert loaded.episodes[2].milestones == {"reached": 15, "lifted": 30, "over_goal": 40}
    assert loaded.summary() == _result().summary()


def test_milestones_are_printed_and_reported(tmp_path):
    text = format_summary(_result())
    assert "milestones: reached 3/4, lifted 2/4, over_goal 1/4" in text
    report = write_report(_result(), tmp_path).read_text()
    assert "## How far episodes got" in report
    assert "| panda/pick_place | reached 3/4, lifted 2/4, over_goal 1/4 |" in report


def test_a_result_written_before_milestones_still_loads(tmp_path):
    data = _result().to_json()
    for episode in data["episodes"]:
        del episode["milestones"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    loaded = load_result(path)
    assert all(e.milestones == {} for e in loaded.episodes)
    assert "milestones" not in loaded.summary()["tasks"]["panda/pick_place"]
    assert np.isclose(loaded.summary()["overall"]["success_rate"], 0.25)

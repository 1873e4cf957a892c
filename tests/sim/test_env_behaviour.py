"""Determinism, clipping, instability handling, linger and the so101 builder contract."""

import mujoco
import numpy as np
import pytest
from actloop.control import (
    ControlLoop,
    EpisodeInfo,
    ExecuteNScheduler,
    MemoryRecorder,
    SimClock,
    get_embodiment,
)
from actloop.sim import make, make_expert
from actloop.sim.robots.so101 import build_so101


def _rollout(task, seed, ticks=15):
    env = make(task, seed=seed, image_size=24)
    expert = make_expert(task, seed=seed)
    obs = env.reset(seed)
    frames = [obs]
    for _ in range(ticks):
        env.send_action(expert.infer(obs).actions[0])
        obs = env.observe()
        frames.append(obs)
    env.close()
    return frames


def test_same_seed_gives_identical_observations():
    a, b = _rollout("panda/pick_place", 5), _rollout("panda/pick_place", 5)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.state, y.state)
        assert all(np.array_equal(x.images[c], y.images[c]) for c in x.images)
        assert x.instruction == y.instruction


def test_different_seeds_differ():
    env = make("so101/pick_place", render=False)
    first, second = env.reset(1), env.reset(2)
    assert not np.array_equal(first.extras["object_pos"], second.extras["object_pos"])


def test_out_of_range_actions_are_clipped_and_counted():
    env = make("panda/reach", render=False)
    applied = env.send_action(np.array([1.0, -1.0, 0.5, 3.0, 0.0, 0.0, 7.0]))
    spec = env.spec
    assert np.all(applied <= spec.action_high) and np.all(applied >= spec.action_low)
    assert env.events["clipped"] == 1
    assert np.all(np.isfinite(env.observe().state))


def test_blow_up_ends_episode_as_unstable_with_finite_observation():
    env = make("so101/reach", render=False)
    before = env.observe().state
    env.data.qvel[:] = 1e6  # a physics explosion
    env.send_action(env.spec.hold_action(before))
    assert env.termination() == "unstable"
    obs = env.observe()
    assert np.all(np.isfinite(obs.state))


def test_collect_path_through_control_loop_records_applied_actions():
    env = make("so101/reach", image_size=24)
    recorder = MemoryRecorder()
    loop = ControlLoop(
        env,
        make_expert("so101/reach"),
        clock=SimClock(env.spec.dt),
        scheduler=ExecuteNScheduler(1),
        recorder=recorder,
        disconnect_on_exit=False,
    )
    obs = env.reset(0)
    info = EpisodeInfo("so101", obs.instruction, env.spec.control_hz, "so101/reach", 0)
    result = loop.run(env.max_ticks + 1, info)
    assert result.termination == "success"
    episode = recorder.episodes[0]
    assert episode.success and len(episode.steps) == result.ticks
    assert all(step.observation.images["front"].shape == (24, 24, 3) for step in episode.steps)


def _expert_rollout(env, seed):
    expert, obs = make_expert(env.task.name, seed=seed), env.reset(seed)
    distances, first_success = [], None
    while env.termination() is None:
        env.send_action(expert.infer(obs).actions[0])
        obs = env.observe()
        distances.append(np.linalg.norm(obs.extras["tcp_pos"] - obs.extras["goal_pos"]))
        if first_success is None and env.success():
            first_success = env.ticks
    return env.ticks, first_success, distances


def test_linger_keeps_a_succeeded_episode_running_so_demos_show_staying_at_the_goal():
    plain_ticks, plain_first, _ = _expert_rollout(make("panda/reach", render=False), 3)
    env = make("panda/reach", render=False, linger=10)
    ticks, first, distances = _expert_rollout(env, 3)
    assert plain_ticks == plain_first and first == plain_first  # same run up to success
    assert ticks == first + 10 and env.termination() == "success"
    tolerance = env.task.tolerance
    assert distances[first - 1] < tolerance <= distances[first - 2]
    assert max(distances[first:]) < tolerance and distances[-1] < 0.3 * tolerance


def test_a_negative_linger_is_refused_by_name():
    with pytest.raises(ValueError, match="linger"):
        make("panda/reach", render=False, linger=-1)


def test_build_so101_standalone_tracks_position_targets():
    spec = build_so101(prefix="arm_")
    model = spec.compile()
    data = mujoco.MjData(model)
    names = get_embodiment("so101").state_names
    for name in names:
        assert model.actuator(f"arm_{name}").trntype == mujoco.mjtTrn.mjTRN_JOINT
    target = np.array([0.3, 0.2, 0.0, 0.3, 0.3, 0.5])
    data.ctrl[:] = target
    for _ in range(1000):
        mujoco.mj_step(model, data)
    assert np.allclose(data.qpos, target, atol=0.03)

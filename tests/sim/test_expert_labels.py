"""DART labels: a noisy expert also says what it would have done without the noise, and
``actloop collect`` stores that beside the action really applied."""

import numpy as np
import pytest
from actloop.cli.main import main
from actloop.datasets import EpisodeStore
from actloop.sim import make, make_expert
from actloop.sim.experts.drivers import PandaDriver


def _labelled_ticks(task: str, noise: float, seed: int = 3, **expert_options):
    """(state before, expert, action, label) for every tick of one episode."""
    env = make(task, render=False)
    expert = make_expert(task, noise=noise, seed=seed, **expert_options)
    obs, ticks = env.reset(seed), []
    while env.termination() is None:
        action = expert.infer(obs).actions[0]
        ticks.append((np.array(obs.state), expert.plan[expert.index], action, expert.label))
        env.send_action(action)
        obs = env.observe()
    env.close()
    return ticks


@pytest.mark.parametrize("task", ["panda/reach", "so101/reach"])
def test_without_noise_the_label_is_the_action(task):
    for _, _, action, label in _labelled_ticks(task, noise=0.0):
        np.testing.assert_array_equal(label, action)


def test_a_noisy_panda_expert_labels_each_tick_with_its_noise_free_step():
    ticks = _labelled_ticks("panda/reach", noise=0.5)
    driver = PandaDriver()
    differs = 0
    for state, waypoint, action, label in ticks:
        np.testing.assert_allclose(label, driver.action(state, waypoint, np.zeros(3)), atol=1e-12)
        differs += not np.allclose(label, action)
    assert differs >= len(ticks) // 2  # the noise really moved most commands


def test_a_noisy_so101_label_aims_the_jaws_at_the_clean_command_not_the_noisy_one():
    env, expert = make("so101/reach", render=False), make_expert("so101/reach", noise=0.5, seed=1)
    obs, closer = env.reset(1), []
    while env.termination() is None:
        action = expert.infer(obs).actions[0]
        command = expert.driver.command
        miss = [np.linalg.norm(expert.driver.tcp(q) - command) for q in (action, expert.label)]
        closer.append(miss[1] < miss[0])
        env.send_action(action)
        obs = env.observe()
    env.close()
    assert np.mean(closer) > 0.8


def test_collect_stores_the_labels_beside_the_noisy_applied_actions(tmp_path):
    out = tmp_path / "noisy.zarr"
    args = ["collect", "--task", "panda/reach", "--episodes", "2", "--out", str(out)]
    assert main([*args, "--image-size", "32", "--noise", "0.5"]) == 0
    store = EpisodeStore(str(out))
    labels, requested = store.lowdim("extras/expert_action"), store.lowdim("requested_action")
    assert labels.shape == requested.shape == (store.num_frames, 7)
    np.testing.assert_allclose(labels[:, 3:], requested[:, 3:], atol=1e-6)  # turn and grip
    moved = np.linalg.norm(labels[:, :3] - requested[:, :3], axis=1) > 1e-4
    assert moved.mean() > 0.5  # positions differ by the noise on most frames


def _noise_near_waypoints(noise_fade: float) -> float:
    """Mean size of the applied noise on ticks within 2 cm of the waypoint being approached."""
    driver, near = PandaDriver(), []
    ticks = _labelled_ticks("panda/pick_place", 0.3, noise_fade=noise_fade)
    for state, waypoint, action, label in ticks:
        if np.linalg.norm(driver.point(state, waypoint.tool) - waypoint.pos) < 0.02:
            near.append(np.linalg.norm(action[:3] - label[:3]))
    assert near, "the episode never came within 2 cm of a waypoint"
    return float(np.mean(near))


def test_a_shorter_noise_fade_keeps_the_noise_closer_to_the_waypoint():
    assert _noise_near_waypoints(0.005) > 2 * _noise_near_waypoints(0.05)


def test_a_negative_noise_fade_is_an_error_that_names_it():
    with pytest.raises(ValueError, match="noise_fade"):
        make_expert("panda/reach", noise=0.3, noise_fade=-0.01)


def test_injected_noise_shrinks_with_the_waypoint_speed():
    """The drawer pull runs at half speed; full-size noise there would be twice as large
    relative to the motion (on a slow descent it bumped cubes and stalled noisy demos)."""
    env = make("panda/open_drawer", render=False)
    expert = make_expert("panda/open_drawer", noise=0.3, seed=2)
    obs, slow = env.reset(2), []
    while env.termination() is None:
        action = expert.infer(obs).actions[0]
        waypoint = expert.plan[expert.index]
        if waypoint.speed < 1:
            push = np.linalg.norm(action[:3] - expert.label[:3])
            slow.append((push, PandaDriver.step * waypoint.speed * np.linalg.norm(expert.ou)))
        env.send_action(action)
        obs = env.observe()
    env.close()
    assert slow and max(push for push, _ in slow) > 0  # the noise is on while pulling
    assert all(push <= bound + 1e-12 for push, bound in slow)

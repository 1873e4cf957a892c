"""Experts re-plan from live task facts: a cube knocked out of the jaws is re-grasped,
and the new contact tasks (push, drawer, SO-101 buttons) do what their success says."""

import numpy as np
from actloop.sim import make, make_expert

LIFT_WAYPOINT = 4  # pick-and-place plans: rise, above, down, close, lift (holding)


def _run(env, expert, obs, until=None):
    while env.termination() is None and not (until and until()):
        env.send_action(expert.infer(obs).actions[0])
        obs = env.observe()
    return obs


def test_pick_place_expert_regrasps_a_cube_knocked_out_of_its_jaws():
    env = make("panda/pick_place", render=False)
    expert = make_expert("panda/pick_place")
    obs = env.reset(3)
    obs = _run(env, expert, obs, until=lambda: expert.plan and expert.index > LIFT_WAYPOINT)
    cube = f"cube{int(obs.extras['object_index'][0])}"
    start = np.asarray(obs.extras["object_pos"])
    env.world.set_free_pose(cube, [start[0] - 0.08, start[1] * 0.5, 0.02], 0.3)  # dropped
    env.data.qvel[:] = 0.0
    obs = _run(env, expert, env.observe())
    assert expert.replans >= 1
    assert env.termination() == "success"


def test_open_drawer_expert_actually_pulls_the_drawer_out():
    env = make("panda/open_drawer", render=False)
    expert = make_expert("panda/open_drawer")
    obs = env.reset(1)
    assert obs.extras["drawer_opening"][0] < 0.03
    _run(env, expert, obs)
    assert env.termination() == "success"
    assert env.world.joint_pos("drawer") >= 0.65 * 0.15


def test_push_moves_the_named_cube_into_its_zone_without_grasping():
    env = make("panda/push", render=False)
    expert = make_expert("panda/push")
    obs = env.reset(2)
    zone = np.asarray(obs.extras["goal_pos"])[:2]
    before = np.linalg.norm(np.asarray(obs.extras["object_pos"])[:2] - zone)
    closures = []
    while env.termination() is None:
        env.send_action(expert.infer(obs).actions[0])
        obs = env.observe()
        closures.append(obs.state[-1])
    after = np.linalg.norm(np.asarray(obs.extras["object_pos"])[:2] - zone)
    assert env.termination() == "success" and after < 0.05 < before
    assert min(closures[5:]) > 0.9  # jaws stay closed: it pushed, it did not carry


def test_so101_presses_only_the_named_button():
    env = make("so101/press_button", render=False)
    expert = make_expert("so101/press_button")
    obs = env.reset(4)
    target = int(obs.extras["object_index"][0])
    _run(env, expert, obs)
    assert env.termination() == "success"
    depths = [env.world.joint_pos(f"button{i}") for i in range(3)]
    assert depths[target] < -0.006
    assert all(d > -0.003 for i, d in enumerate(depths) if i != target)

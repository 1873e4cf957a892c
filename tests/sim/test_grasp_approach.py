"""The pick-and-place expert lines up over the object before it descends, and descends
slowly: demos then show the wrist-camera alignment a policy must copy to grasp."""

import numpy as np
from actloop.sim import make, make_expert
from actloop.sim.experts.drivers import PandaDriver
from actloop.sim.experts.plans import ALIGN_TOLERANCE, DESCENT_SPEED

ABOVE, DESCENT = 1, 2  # plan indices: over the object, then down to it


def _ticks(noise: float, seed: int = 4):
    """(waypoint index, tcp, object position, action, label, OU state) for every tick."""
    env, expert = make("panda/pick_place", render=False), make_expert("panda/pick_place", noise)
    obs, ticks = env.reset(seed), []
    while env.termination() is None:
        action = expert.infer(obs).actions[0]
        tcp, cube = np.array(obs.state[7:10]), np.array(obs.extras["object_pos"])
        ticks.append((expert.index, tcp, cube, action, expert.label, expert.ou.copy()))
        env.send_action(action)
        obs = env.observe()
    assert env.termination() == "success"
    env.close()
    return ticks


def test_the_descent_starts_only_once_the_hand_is_centred_over_the_object():
    ticks = _ticks(noise=0.0)
    first_descent = next(i for i, t in enumerate(ticks) if t[0] == DESCENT)
    assert ticks[first_descent - 1][0] == ABOVE
    _, tcp, cube, *_ = ticks[first_descent]
    assert np.linalg.norm(tcp[:2] - cube[:2]) < ALIGN_TOLERANCE


def test_the_descent_moves_at_most_half_the_top_speed_per_tick():
    descent = [t for t in _ticks(noise=0.0) if t[0] == DESCENT]
    assert len(descent) >= 6  # 12 cm at 1 cm per tick, not 6 ticks of 2 cm
    steps = [np.linalg.norm(action[:3]) for _, _, _, action, _, _ in descent]
    assert max(steps) <= PandaDriver.step * DESCENT_SPEED + 1e-9


def test_injected_noise_shrinks_with_the_waypoint_speed():
    """Full-size noise on a half-speed descent bumped the cube and stalled noisy demos."""
    ticks = _ticks(noise=0.3, seed=5)
    descent = [t for t in ticks if t[0] == DESCENT]
    pushes = [np.linalg.norm(action[:3] - label[:3]) for _, _, _, action, label, _ in descent]
    bounds = [PandaDriver.step * DESCENT_SPEED * np.linalg.norm(ou) for *_, ou in descent]
    assert max(pushes) > 0  # the noise is on during the descent
    assert all(push <= bound + 1e-12 for push, bound in zip(pushes, bounds, strict=True))

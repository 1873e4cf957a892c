"""Camera framing for 96x96 policy inputs, measured with MuJoCo's segmentation render:
the fixed front camera shows every object a task randomises (and the hand) at a useful
size, and the wrist camera sees both jaws and the object while grasping."""

import actloop.sim  # noqa: F401  (sets MUJOCO_GL before mujoco loads)
import mujoco
import numpy as np
import pytest
from actloop.sim import get_task, list_tasks, make, make_expert

SIZE = 96
HAND_BODIES = {"hand", "gripper_body", "moving_jaw"}
# a jaw is a geom or a body's geoms
JAWS = {"panda": ("finger_left_body", "finger_right_body"), "so101": ("fixed_jaw", "moving_jaw")}
LIFT_WAYPOINT = 4  # pick-and-place plans: rise, above, down, close, lift (holding)


def _segment(env, camera: str) -> np.ndarray:
    renderer = mujoco.Renderer(env.model, SIZE, SIZE)
    renderer.enable_segmentation_rendering()
    renderer.update_scene(env.data, camera=camera)
    ids = renderer.render()[..., 0].copy()
    renderer.close()
    return ids


def _pixels(env, ids: np.ndarray, geom: str) -> int:
    return int((ids == env.model.geom(geom).id).sum())


def _jaw_pixels(env, ids: np.ndarray, jaw: str) -> int:
    model = env.model
    geoms = [
        g
        for g in range(model.ngeom)
        if jaw in (model.geom(g).name, model.body(model.geom_bodyid[g]).name)
    ]
    return int(np.isin(ids, geoms).sum())


def _task_objects(task_name: str) -> list[str]:
    lay = get_task(task_name).layout
    counts = {"cube": lay.cubes, "pad": lay.pads, "button": lay.buttons, "marker": lay.markers}
    names = [f"{kind}{i}" for kind, n in counts.items() for i in range(n)]
    return [*names, "drawer_handle"] if task_name.endswith("open_drawer") else names


@pytest.mark.parametrize("task", list_tasks())
def test_front_camera_frames_every_task_object_and_the_hand(task):
    env = make(task, render=False)
    for seed in (0, 1):
        env.reset(seed)
        ids = _segment(env, "front")
        for name in _task_objects(task):
            assert _pixels(env, ids, name) >= 25, f"{task} seed {seed}: {name} barely visible"
        hand = sum(_jaw_pixels(env, ids, body) for body in HAND_BODIES)
        assert hand >= 100, f"{task} seed {seed}: hand out of frame"


@pytest.mark.parametrize("task", ["panda/pick_place", "so101/pick_place"])
def test_wrist_camera_sees_both_jaws_and_the_object_while_grasping(task):
    env = make(task, render=False)
    expert = make_expert(task)
    obs = env.reset(0)
    while expert.plan is None or expert.index < LIFT_WAYPOINT:
        env.send_action(expert.infer(obs).actions[0])
        obs = env.observe()
    ids = _segment(env, "wrist")
    cube = f"cube{int(obs.extras['object_index'][0])}"
    assert _pixels(env, ids, cube) >= 300
    for jaw in JAWS[task.split("/")[0]]:
        assert _jaw_pixels(env, ids, jaw) >= 100, f"{task}: {jaw} not in the wrist view"


@pytest.mark.parametrize("task", ["panda/reach", "so101/pick_place", "panda/pick_place"])
def test_recorded_image_positions_land_on_the_named_objects(task):
    """``<fact>_uv_<camera>`` extras (World.project) point at the pixels of the object the
    fact locates: the segmentation render there shows a geom of a body within 3 cm, unless
    the robot is in front of it (the jaws often are, in the wrist view)."""
    env = make(task, image_size=SIZE)
    robot = env.model.body_rootid[env.model.site("tcp").bodyid]
    checked = 0
    for seed in range(6):
        extras = env.reset(seed).extras
        for camera in env.spec.cameras:
            ids = _segment(env, camera)
            for fact in ("goal_pos", "object_pos"):
                x, y = extras.get(f"{fact}_uv_{camera}", (9.0, 9.0))
                if max(abs(x), abs(y)) > 0.95:
                    continue  # not in this camera's view
                row, col = int((y + 1) / 2 * SIZE), int((x + 1) / 2 * SIZE)
                body = env.model.geom_bodyid[ids[row, col]]
                if env.model.body_rootid[body] == robot:
                    continue  # occluded by the robot
                assert np.linalg.norm(env.data.xpos[body] - extras[fact]) < 0.03, (seed, camera)
                checked += 1
    env.close()
    assert checked >= 6

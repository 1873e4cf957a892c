"""The table-top scene shared by every task: table, cubes, target pads, buttons, a drawer,
visual distractors and the two cameras, assembled with MjSpec around either robot.

Everything a task randomises per episode (poses, colours) is set on the compiled model
and data at reset, so one compiled model serves every seed and reset stays cheap.
Rendering defaults favour CPU speed: no shadows, no reflections, no multisampling.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from .robots.parts import BOX, CYLINDER, SPHERE, axis_angle_quat, geom, visual

COLORS: dict[str, tuple[float, float, float, float]] = {
    "red": (0.85, 0.15, 0.12, 1),
    "green": (0.15, 0.7, 0.2, 1),
    "blue": (0.15, 0.3, 0.9, 1),
    "yellow": (0.95, 0.85, 0.1, 1),
    "purple": (0.6, 0.2, 0.75, 1),
    "orange": (1.0, 0.5, 0.05, 1),
}
TABLE_TOP = 0.0
GRIP_SURFACE = {"condim": 4, "friction": [1.2, 0.02, 0.002]}


@dataclass(frozen=True)
class Layout:
    """What a task needs in its scene. Sizes are half-extents in metres."""

    cubes: int = 0
    cube_half: float = 0.02
    pads: int = 0
    pad_radius: float = 0.05
    buttons: int = 0
    button_radius: float = 0.025
    drawer: bool = False
    markers: int = 0
    distractors: int = 3


@dataclass(frozen=True)
class CameraView:
    """Fixed third-person camera, given by eye and look-at point."""

    eye: tuple[float, float, float]
    target: tuple[float, float, float]
    fovy: float = 50.0


def build_scene(robot_builder, layout: Layout, view: CameraView) -> mujoco.MjSpec:
    spec = mujoco.MjSpec()
    spec.modelname = "actloop_scene"
    spec.compiler.degree = False
    spec.option.timestep = 0.002
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    _fast_visuals(spec)
    _add_room(spec)
    robot_builder(spec)
    _add_camera(spec, view)
    for i in range(layout.cubes):
        _add_cube(spec, i, layout.cube_half)
    for i in range(layout.pads):
        body = spec.worldbody.add_body(name=f"pad{i}", pos=[0.3, 0, TABLE_TOP])
        visual(body, CYLINDER, (layout.pad_radius, 0.001), (0, 0, 0.001), name=f"pad{i}")
    for i in range(layout.buttons):
        _add_button(spec, i, layout.button_radius)
    for i in range(layout.markers):
        body = spec.worldbody.add_body(name=f"marker{i}", pos=[0.3, 0, 0.2])
        visual(body, SPHERE, (0.02,), name=f"marker{i}")
    for i in range(layout.distractors):
        body = spec.worldbody.add_body(name=f"distractor{i}", pos=[0.3, 0.3, TABLE_TOP])
        visual(body, CYLINDER, (0.015, 0.025), (0, 0, 0.025), name=f"distractor{i}")
    if layout.drawer:
        _add_drawer(spec)
    return spec


def _fast_visuals(spec) -> None:
    spec.visual.quality.shadowsize = 0
    spec.visual.quality.offsamples = 0
    spec.visual.headlight.ambient = [0.45, 0.45, 0.45]
    spec.visual.headlight.diffuse = [0.5, 0.5, 0.5]


def _add_room(spec) -> None:
    geom(
        spec.worldbody,
        mujoco.mjtGeom.mjGEOM_PLANE,
        (3, 3, 0.05),
        (0, 0, -0.75),
        (0.3, 0.32, 0.36, 1),
        name="floor",
    )
    geom(
        spec.worldbody,
        BOX,
        (0.6, 0.7, 0.02),
        (0.35, 0, TABLE_TOP - 0.02),
        (0.62, 0.5, 0.36, 1),
        name="table",
        **GRIP_SURFACE,
    )
    for x in (-0.2, 0.9):
        for y in (-0.65, 0.65):
            visual(spec.worldbody, BOX, (0.025, 0.025, 0.365), (x, y, -0.385), (0.4, 0.3, 0.2, 1))
    spec.worldbody.add_light(
        pos=[0.4, -0.3, 1.5], dir=[0, 0.2, -1], diffuse=[0.6, 0.6, 0.6], castshadow=False
    )


def _add_camera(spec, view: CameraView) -> None:
    eye, target = np.array(view.eye), np.array(view.target)
    forward = (target - eye) / np.linalg.norm(target - eye)
    right = np.cross(forward, [0, 0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    spec.worldbody.add_camera(name="front", pos=list(eye), fovy=view.fovy, xyaxes=[*right, *up])


def _add_cube(spec, i: int, half: float) -> None:
    body = spec.worldbody.add_body(name=f"cube{i}", pos=[0.3 + 0.1 * i, 0, half])
    body.add_freejoint(name=f"cube{i}")
    mass = 0.05 if half < 0.018 else 0.08
    geom(body, BOX, (half, half, half), name=f"cube{i}", mass=mass, priority=1, **GRIP_SURFACE)


def _add_button(spec, i: int, radius: float) -> None:
    """A spring-loaded push button: the cap slides down 1 cm; pressed below 5 mm."""
    base = spec.worldbody.add_body(name=f"button{i}", pos=[0.3, 0.1 * i, TABLE_TOP])
    geom(base, CYLINDER, (radius * 1.5, 0.01), (0, 0, 0.01), (0.2, 0.2, 0.2, 1))
    cap = base.add_body(name=f"button{i}_cap", pos=[0, 0, 0.02])
    cap.add_joint(
        name=f"button{i}",
        type=mujoco.mjtJoint.mjJNT_SLIDE,
        axis=[0, 0, 1],
        range=[-0.012, 0],
        limited=mujoco.mjtLimited.mjLIMITED_TRUE,
        stiffness=60.0,
        damping=2.0,
        springref=0.005,  # preloaded: the cap rests at the top, not sagging 3 mm
    )
    geom(cap, CYLINDER, (radius, 0.012), (0, 0, 0.012), name=f"button{i}", mass=0.02)
    # the cap sinks into its housing: it must not collide with it (the base is welded to
    # the world, so MuJoCo's parent-child filter does not apply)
    spec.add_exclude(bodyname1=f"button{i}", bodyname2=f"button{i}_cap")


DRAWER_TRAVEL = 0.15
DRAWER_FRONT_X = -0.106  # outer face of the drawer front, in the drawer frame
# The pull bar, in the drawer frame: 4.6 cm clear of the front so closed jaws fit behind it
# (hooking, no grasp needed), and high enough that the hand clears the drawer front's top.
HANDLE_POS = (-0.16, 0.0, 0.08)
HANDLE_RADIUS = 0.008


def _add_drawer(spec) -> None:
    """A cabinet whose drawer slides out towards the robot (-x) by up to 15 cm."""
    cabinet = spec.worldbody.add_body(name="cabinet", pos=[0.5, 0.42, TABLE_TOP])
    wood = (0.55, 0.4, 0.3, 1)
    for pos, size in (
        ((0.0, 0.0, 0.005), (0.1, 0.12, 0.005)),
        ((0.0, 0.0, 0.125), (0.1, 0.12, 0.005)),
        ((0.0, 0.125, 0.065), (0.1, 0.005, 0.065)),
        ((0.0, -0.125, 0.065), (0.1, 0.005, 0.065)),
        ((0.105, 0.0, 0.065), (0.005, 0.13, 0.065)),
    ):
        geom(cabinet, BOX, size, pos, wood)
    drawer = cabinet.add_body(name="drawer", pos=[0, 0, 0.015])
    drawer.add_joint(
        name="drawer",
        type=mujoco.mjtJoint.mjJNT_SLIDE,
        axis=[-1, 0, 0],
        range=[0, DRAWER_TRAVEL],
        limited=mujoco.mjtLimited.mjLIMITED_TRUE,
        damping=3.0,
        frictionloss=0.2,
    )
    front = (0.8, 0.7, 0.6, 1)
    geom(drawer, BOX, (0.006, 0.115, 0.05), (-0.1, 0, 0.05), front, name="drawer_front", mass=0.3)
    geom(drawer, BOX, (0.09, 0.11, 0.004), (0, 0, 0.004), wood, mass=0.2)
    _add_handle(drawer)


def _add_handle(drawer) -> None:
    metal = (0.3, 0.3, 0.3, 1)
    bar = dict(quat=axis_angle_quat((1, 0, 0), np.pi / 2), name="drawer_handle", mass=0.05)
    geom(drawer, CYLINDER, (HANDLE_RADIUS, 0.05), HANDLE_POS, metal, **bar)
    reach = DRAWER_FRONT_X - HANDLE_POS[0]  # standoff length, front face to bar axis
    for y in (-0.045, 0.045):
        pos = (DRAWER_FRONT_X - reach / 2, y, HANDLE_POS[2])
        geom(drawer, BOX, (reach / 2, 0.005, 0.005), pos, metal)

"""Franka-Panda-class 7-DoF arm + parallel gripper, built with MjSpec from its DH table.

The chain uses Franka's published modified (Craig) Denavit-Hartenberg parameters:
d1=0.333, d3=0.316, a4=0.0825, a5=-0.0825, d5=0.384, a7=0.088, flange 0.107. In that
convention link i sits at RotX(alpha) · TransX(a) · RotZ(q) · TransZ(d) from link i-1,
which maps one-to-one onto an MjSpec body (pos, quat) with a z-axis hinge.

Links are capsules; the hand is a box with two slide fingers coupled by an equality
constraint (one actuator drives both, like Franka's single-motor gripper). Arm bodies
use gravity compensation, so stiff position servos track joint targets closely: the
differential-IK controller in ``actloop.sim.control`` only has to produce targets.
"""

from __future__ import annotations

import math

import mujoco
from actloop.control import get_embodiment

from .parts import (
    BOX,
    CAPSULE,
    CYLINDER,
    axis_angle_quat,
    position_actuator,
    robot_geom,
    standalone_spec,
)

# (a, d, alpha) per joint, modified DH, from Franka's robot documentation.
DH = (
    (0.0, 0.333, 0.0),
    (0.0, 0.0, -math.pi / 2),
    (0.0, 0.316, math.pi / 2),
    (0.0825, 0.0, math.pi / 2),
    (-0.0825, 0.384, -math.pi / 2),
    (0.0, 0.0, math.pi / 2),
    (0.088, 0.0, math.pi / 2),
)
FLANGE = 0.107
HAND_TO_TCP = 0.1034  # flange -> centre of the finger pads
FINGER_TRAVEL = 0.04  # per finger; 8 cm fully open
# tcp 25 cm above the table at x=0.45, pointing down: low enough that the front camera
# frames the table tightly and still sees the hand at home.
HOME = (0.0, -0.185, 0.0, -2.497, 0.0, 2.312, math.pi / 4)

LINK_MASS = (4.0, 4.0, 3.0, 3.0, 2.5, 1.5, 0.5)
KP = (4500.0, 4500.0, 3500.0, 3500.0, 2000.0, 2000.0, 2000.0)
FINGER_KP, FINGER_FORCE = 800.0, 40.0
WHITE, GREY = (0.95, 0.95, 0.95, 1), (0.25, 0.25, 0.28, 1)


def build_panda(spec: mujoco.MjSpec | None = None, prefix: str = "") -> mujoco.MjSpec:
    """Add the arm at the world origin; joints ``joint1..7``, fingers, site ``tcp``."""
    if spec is None:
        spec = standalone_spec("panda", prefix)
    base = spec.worldbody.add_body(name=f"{prefix}link0")
    parent = base
    for i, (a, d, alpha) in enumerate(DH):
        parent = _add_link(spec, parent, prefix, i, a, d, alpha)
    _add_hand(spec, parent, prefix)
    return spec


def _add_link(spec, parent, prefix: str, i: int, a: float, d: float, alpha: float):
    pos = [a, -math.sin(alpha) * d, math.cos(alpha) * d]
    body = parent.add_body(
        name=f"{prefix}link{i + 1}", pos=pos, quat=axis_angle_quat((1, 0, 0), alpha), gravcomp=1.0
    )
    limits = get_embodiment("panda").state_fields[i]
    low, high = limits.low, limits.high
    scale = 180.0 / math.pi if spec.compiler.degree else 1.0
    body.add_joint(
        name=f"{prefix}joint{i + 1}",
        axis=[0, 0, 1],
        range=[low * scale, high * scale],
        limited=mujoco.mjtLimited.mjLIMITED_TRUE,
        damping=1.0,
        armature=0.1,
    )
    _segment(parent, pos, LINK_MASS[i])
    kp = KP[i]
    torque = 87.0 if i < 4 else 12.0  # Franka's rated joint torques
    position_actuator(
        spec,
        f"{prefix}joint{i + 1}",
        f"{prefix}joint{i + 1}",
        kp,
        kp / 25,
        (low * scale, high * scale),
        (-torque, torque),
    )
    return body


def _segment(body, to, mass: float) -> None:
    """The link between two DH frames is fixed in the first one: draw it there."""
    if math.dist(to, (0, 0, 0)) > 1e-6:
        robot_geom(body, CAPSULE, (0.05, 0), mass=mass, rgba=WHITE, fromto=[0, 0, 0, *to])
    else:
        robot_geom(body, CYLINDER, (0.055, 0.05), mass=mass, rgba=WHITE)


def _add_hand(spec, link7, prefix: str) -> None:
    _segment(link7, (0, 0, FLANGE - 0.01), 0.3)
    hand = link7.add_body(
        name=f"{prefix}hand",
        pos=[0, 0, FLANGE],
        quat=axis_angle_quat((0, 0, 1), -math.pi / 4),
        gravcomp=1.0,
    )
    robot_geom(hand, CYLINDER, (0.04, 0.01), (0, 0, 0.0), GREY, mass=0.2)
    robot_geom(hand, BOX, (0.025, 0.1, 0.025), (0, 0, 0.035), WHITE, mass=0.5)
    hand.add_site(
        name=f"{prefix}tcp", pos=[0, 0, HAND_TO_TCP], size=[0.005, 0, 0], rgba=[1, 0, 0, 0], group=3
    )
    # Below the palm on the robot's side, aimed at the finger pads: both pads and the
    # grasped object sit mid-image, with the workspace ahead of the hand behind them.
    hand.add_camera(
        name=f"{prefix}wrist", pos=[-0.06, 0, 0.055], fovy=75, xyaxes=[0, 1, 0, 0.665, 0, -0.747]
    )
    for side in (1, -1):
        _add_finger(spec, hand, prefix, side)
    spec.add_equality(
        type=mujoco.mjtEq.mjEQ_JOINT,
        name1=f"{prefix}finger_left",
        name2=f"{prefix}finger_right",
        data=[0, 1, 0, 0, 0] + [0] * 6 + [0],
        solref=[0.005, 1],
    )
    position_actuator(
        spec,
        f"{prefix}gripper",
        f"{prefix}finger_left",
        FINGER_KP,
        30.0,
        (0.0, FINGER_TRAVEL),
        (-FINGER_FORCE, FINGER_FORCE),
    )


def _add_finger(spec, hand, prefix: str, side: int) -> None:
    name = "finger_left" if side > 0 else "finger_right"
    finger = hand.add_body(name=f"{prefix}{name}_body", pos=[0, 0, 0.0584], gravcomp=1.0)
    finger.add_joint(
        name=f"{prefix}{name}",
        type=mujoco.mjtJoint.mjJNT_SLIDE,
        axis=[0, side, 0],
        range=[0, FINGER_TRAVEL],
        limited=mujoco.mjtLimited.mjLIMITED_TRUE,
        damping=5.0,
        armature=0.1,
    )
    robot_geom(finger, BOX, (0.01, 0.008, 0.025), (0, side * 0.008, 0.02), GREY, mass=0.05)
    robot_geom(
        finger,
        BOX,
        (0.01, 0.004, 0.012),
        (0, side * 0.004, 0.045),
        GREY,
        mass=0.02,
        condim=4,
        friction=[1.5, 0.02, 0.002],
        priority=1,
        name=f"{prefix}{name}_pad",
    )

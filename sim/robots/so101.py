"""SO-101-class 5-DoF arm + rotating-jaw gripper, built with MjSpec from primitives.

Link lengths follow the published SO-101 follower kinematics (TheRobotStudio SO-ARM100:
pan axis 62 mm above the base, lift pivot 30 mm forward and 54 mm above it, upper arm
113 mm up with a 28 mm forward offset, forearm 135 mm, wrist to gripper 61 mm). Joint
names and ranges are exactly those of ``get_embodiment("so101")`` so that sim, the servo
emulators and the real arm share one interface.

Zero pose (the calibrated middle of every range): upper arm vertical, forearm, wrist
and gripper pointing forward (+x), jaws closed. Positive shoulder_lift / elbow_flex /
wrist_flex pitch the chain forward and down; positive gripper opens the moving jaw.

Each joint has a position actuator of the same name, tuned like an STS3215 (~3 N·m
stall torque, stiff P loop with damping), so ``data.ctrl`` takes radians.
"""

from __future__ import annotations

import math

import mujoco
from actloop.control import get_embodiment

from .parts import (
    BOX,
    CAPSULE,
    CYLINDER,
    position_actuator,
    robot_geom,
    standalone_spec,
    visual,
)

# STS3215 at 12 V: ~2.9 N·m stall. kp/kv give ~5 mm static error under gravity at full reach.
SERVO_KP, SERVO_KV, SERVO_TORQUE = 50.0, 0.5, 2.9
GRIPPER_KP, GRIPPER_KV, GRIPPER_TORQUE = 6.0, 0.3, 1.0
JOINT_DAMPING, JOINT_ARMATURE, JOINT_FRICTION = 0.1, 0.02, 0.01

BASE_HEIGHT = 0.0624
LIFT_PIVOT = (0.0304, 0.0, 0.0542)  # from the pan axis
UPPER_ARM = (0.028, 0.0, 0.11257)  # lift pivot -> elbow at zero pose
FOREARM = 0.1349  # elbow -> wrist_flex
WRIST_TO_ROLL = 0.0611  # wrist_flex -> gripper (roll) frame
JAW_HINGE_X = 0.02
TCP_OFFSET = (0.088, 0.012, 0.0)  # grasp centre in the gripper frame, between the jaws

_UNIT = [1.0]  # joint-range unit of the spec being built (1 = radians)
ARM_RGBA = (0.95, 0.55, 0.15, 1)
SERVO_RGBA = (0.12, 0.12, 0.12, 1)


def build_so101(spec: mujoco.MjSpec | None = None, prefix: str = "") -> mujoco.MjSpec:
    """Add an SO-101 arm to ``spec`` (a new spec with floor and light when None).

    Bodies, joints, actuators and sites are named ``prefix + name``; joints and
    actuators use the embodiment field names (``shoulder_pan`` ... ``gripper``), and
    the grasp centre is the site ``{prefix}tcp``. The base sits at the world origin.
    """
    if spec is None:
        spec = standalone_spec("so101", prefix)
    # A caller's spec may keep MJCF's degree default; ranges are given in its unit.
    _UNIT[0] = 180.0 / math.pi if spec.compiler.degree else 1.0
    base = spec.worldbody.add_body(name=f"{prefix}base")
    robot_geom(
        base, CYLINDER, (0.045, BASE_HEIGHT / 2), (0, 0, BASE_HEIGHT / 2), ARM_RGBA, mass=0.3
    )
    shoulder = _link(base, prefix, "shoulder", (0, 0, BASE_HEIGHT), "shoulder_pan", (0, 0, 1))
    robot_geom(shoulder, BOX, (0.035, 0.03, 0.03), (0.01, 0, 0.03), SERVO_RGBA, mass=0.1)
    upper = _link(shoulder, prefix, "upper_arm", LIFT_PIVOT, "shoulder_lift", (0, 1, 0))
    robot_geom(upper, CAPSULE, (0.016, 0), mass=0.1, rgba=ARM_RGBA, fromto=[0, 0, 0, *UPPER_ARM])
    lower = _link(upper, prefix, "lower_arm", UPPER_ARM, "elbow_flex", (0, 1, 0))
    robot_geom(lower, CAPSULE, (0.014, 0), mass=0.1, rgba=ARM_RGBA, fromto=[0, 0, 0, FOREARM, 0, 0])
    wrist = _link(lower, prefix, "wrist", (FOREARM, 0, 0), "wrist_flex", (0, 1, 0))
    robot_geom(wrist, BOX, (0.025, 0.02, 0.018), (0.03, 0, 0), SERVO_RGBA, mass=0.08)
    gripper = _link(wrist, prefix, "gripper_body", (WRIST_TO_ROLL, 0, 0), "wrist_roll", (1, 0, 0))
    _add_jaws(gripper, prefix)
    _add_actuators(spec, prefix)
    return spec


def _link(parent, prefix: str, body: str, pos, joint: str, axis):
    low, high = _ranges()[joint]
    low, high = low * _UNIT[0], high * _UNIT[0]
    child = parent.add_body(name=f"{prefix}{body}", pos=list(pos))
    child.add_joint(
        name=f"{prefix}{joint}",
        axis=list(axis),
        range=[low, high],
        limited=mujoco.mjtLimited.mjLIMITED_TRUE,
        damping=JOINT_DAMPING,
        armature=JOINT_ARMATURE,
        frictionloss=JOINT_FRICTION,
    )
    return child


def _add_jaws(gripper, prefix: str) -> None:
    """Fixed jaw on -y, moving jaw hinged about z at the palm; 0 rad = closed."""
    grip = dict(condim=4, friction=[1.5, 0.02, 0.002], priority=1)
    robot_geom(gripper, BOX, (0.015, 0.022, 0.02), (0.0, 0.006, 0), SERVO_RGBA, mass=0.08)
    robot_geom(
        gripper,
        BOX,
        (0.045, 0.004, 0.014),
        (0.06, -0.007, 0),
        ARM_RGBA,
        mass=0.02,
        name=f"{prefix}fixed_jaw",
        **grip,
    )
    jaw = _link(gripper, prefix, "moving_jaw", (JAW_HINGE_X, 0, 0), "gripper", (0, 0, 1))
    robot_geom(
        jaw,
        BOX,
        (0.04, 0.004, 0.012),
        (0.04, 0.001 + 0.004, 0),
        ARM_RGBA,
        mass=0.02,
        name=f"{prefix}moving_jaw_pad",
        **grip,
    )
    gripper.add_site(
        name=f"{prefix}tcp", pos=list(TCP_OFFSET), size=[0.004, 0, 0], rgba=[1, 0, 0, 0.0], group=3
    )
    # Just past the palm, looking 32 degrees down along the jaws at the grasp centre: the
    # palm stays out of frame, both jaw tips and the grasped object fill the middle.
    gripper.add_camera(
        name=f"{prefix}wrist", pos=[0.015, 0.0, 0.045], xyaxes=[0, -1, 0, 0.53, 0, 0.848], fovy=75
    )
    visual(gripper, CYLINDER, (0.008, 0.006), (0.0, 0, 0.05), SERVO_RGBA)


def _add_actuators(spec, prefix: str) -> None:
    for name, (low, high) in _ranges().items():
        gains = (
            (GRIPPER_KP, GRIPPER_KV, GRIPPER_TORQUE)
            if name == "gripper"
            else (SERVO_KP, SERVO_KV, SERVO_TORQUE)
        )
        kp, kv, torque = gains
        position_actuator(
            spec, f"{prefix}{name}", f"{prefix}{name}", kp, kv, (low, high), (-torque, torque)
        )


def _ranges() -> dict[str, tuple[float, float]]:
    """Joint ranges straight from the registered embodiment, so they can never drift."""
    return {f.name: (f.low, f.high) for f in get_embodiment("so101").state_fields}

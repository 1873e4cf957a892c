"""The embodiments actloop ships, registered once so sim, hardware and policies agree.

These are interface contracts (names, kinds, units, limits), not robot models: the
MuJoCo models live in ``sim/`` and the servo drivers in ``hardware/``, and both build
from the spec registered here so that data recorded on one is valid on the other.
"""

from __future__ import annotations

import math

from .embodiment import EmbodimentSpec, Field, register_embodiment
from .universal import FieldKind as K

# Franka Panda joint limits (rad), from Franka's published robot specification.
PANDA_JOINT_LIMITS = (
    (-2.8973, 2.8973),
    (-1.7628, 1.7628),
    (-2.8973, 2.8973),
    (-3.0718, -0.0698),
    (-2.8973, 2.8973),
    (-0.0175, 3.7525),
    (-2.8973, 2.8973),
)

# SO-101 follower (TheRobotStudio SO-ARM100, 5 DoF + gripper), radians about the
# calibrated zero, as in the SO-101 calibrated description.
SO101_JOINTS = (
    ("shoulder_pan", -1.91986, 1.91986),
    ("shoulder_lift", -1.74533, 1.74533),
    ("elbow_flex", -1.69, 1.69),
    ("wrist_flex", -1.65806, 1.65806),
    ("wrist_roll", -2.74385, 2.84121),
)
SO101_GRIPPER = ("gripper", -0.174533, 1.74533)

# Koch v1.1 follower (Dynamixel XL430/XL330): same joint naming as SO-101.
KOCH_JOINTS = (
    ("shoulder_pan", -2.6, 2.6),
    ("shoulder_lift", -1.9, 1.9),
    ("elbow_flex", -1.9, 1.9),
    ("wrist_flex", -1.9, 1.9),
    ("wrist_roll", -2.9, 2.9),
)
KOCH_GRIPPER = ("gripper", -0.2, 1.6)


def _panda() -> EmbodimentSpec:
    """7-DoF arm driven by end-effector deltas; the gripper is a closure command in [0, 1]."""
    xyz, rpy = "xyz", ("rx", "ry", "rz")
    actions = (
        *(Field(f"d{a}", K.EEF_POS_DELTA, i, -0.03, 0.03) for i, a in enumerate(xyz)),
        *(Field(f"d{a}", K.EEF_ROT_DELTA, i, -0.2, 0.2) for i, a in enumerate(rpy)),
        Field("gripper", K.GRIPPER, 0, 0.0, 1.0, max_step=0.5),
    )
    state = (
        *(
            Field(f"joint{i + 1}", K.JOINT_POS, i, lo, hi)
            for i, (lo, hi) in enumerate(PANDA_JOINT_LIMITS)
        ),
        *(Field(f"eef_{a}", K.EEF_POS, i) for i, a in enumerate(xyz)),
        *(Field(f"eef_{a}", K.EEF_ROT, i, -math.pi, math.pi) for i, a in enumerate(rpy)),
        Field("gripper", K.GRIPPER, 0, 0.0, 1.0),
    )
    return EmbodimentSpec(
        "panda",
        actions,
        state,
        ("front", "wrist"),
        20.0,
        "Franka-Panda-class 7-DoF arm, end-effector delta control",
    )


def _joint_arm(
    name: str, joints, gripper, hz: float, max_step: float, about: str
) -> EmbodimentSpec:
    """A 5-DoF arm + gripper under absolute joint-position control (actions mirror state)."""
    fields = (
        *(Field(n, K.JOINT_POS, i, lo, hi, max_step) for i, (n, lo, hi) in enumerate(joints)),
        Field(gripper[0], K.GRIPPER, 0, gripper[1], gripper[2], max_step),
    )
    return EmbodimentSpec(name, fields, fields, ("front", "wrist"), hz, about)


def register_catalog() -> None:
    register_embodiment(_panda())
    # STS3215 at 7.4 V turns ~4.7 rad/s; 0.15 rad per 30 Hz tick stays under it.
    register_embodiment(
        _joint_arm(
            "so101",
            SO101_JOINTS,
            SO101_GRIPPER,
            30.0,
            0.15,
            "SO-101-class 5-DoF arm + gripper, joint position control",
        )
    )
    register_embodiment(
        _joint_arm(
            "koch",
            KOCH_JOINTS,
            KOCH_GRIPPER,
            30.0,
            0.15,
            "Koch v1.1 5-DoF arm + gripper (Dynamixel), joint position control",
        )
    )

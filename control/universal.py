"""The universal action space: one fixed-width vector shared by every robot.

Every native field names a semantic kind and an index within that kind. A kind owns a
fixed block of slots, so "gripper" or "joint 3 position" lands in the same slot on every
embodiment, and one model can be trained on data from many robots. A boolean mask marks
the slots an embodiment uses; masked slots never contribute to a loss.

Layout (``UNIVERSAL_DIM = 32``):

=====  ======================  ======================================================
slots  kind                    meaning
=====  ======================  ======================================================
0-2    ``eef_pos_delta``       end-effector translation per tick, metres (x, y, z)
3-5    ``eef_rot_delta``       end-effector rotation per tick, axis-angle radians
6      ``gripper``             gripper command or opening (units set by the robot)
7-18   ``joint_pos``           absolute joint positions, radians, joint i -> slot 7+i
19-21  ``eef_pos``             absolute end-effector position, metres
22-24  ``eef_rot``             absolute end-effector orientation, axis-angle radians
25-27  ``base_vel``            mobile base velocity (vx, vy, yaw rate)
28-31  ``other``               embodiment-specific extras; not shared across robots
=====  ======================  ======================================================
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

UNIVERSAL_DIM = 32


class FieldKind(StrEnum):
    """The controlled vocabulary of what a native action or state dimension means."""

    EEF_POS_DELTA = "eef_pos_delta"
    EEF_ROT_DELTA = "eef_rot_delta"
    GRIPPER = "gripper"
    JOINT_POS = "joint_pos"
    EEF_POS = "eef_pos"
    EEF_ROT = "eef_rot"
    BASE_VEL = "base_vel"
    OTHER = "other"

    @property
    def is_delta(self) -> bool:
        """Delta and velocity kinds hold still at zero; absolute kinds hold at the state."""
        return self in _RELATIVE_KINDS


_RELATIVE_KINDS = frozenset({FieldKind.EEF_POS_DELTA, FieldKind.EEF_ROT_DELTA, FieldKind.BASE_VEL})

# kind -> (first slot, number of slots)
SLOT_BLOCKS: dict[FieldKind, tuple[int, int]] = {
    FieldKind.EEF_POS_DELTA: (0, 3),
    FieldKind.EEF_ROT_DELTA: (3, 3),
    FieldKind.GRIPPER: (6, 1),
    FieldKind.JOINT_POS: (7, 12),
    FieldKind.EEF_POS: (19, 3),
    FieldKind.EEF_ROT: (22, 3),
    FieldKind.BASE_VEL: (25, 3),
    FieldKind.OTHER: (28, 4),
}


def slot_for(kind: FieldKind, index: int) -> int:
    """The universal slot of the ``index``-th dimension of ``kind``."""
    start, width = SLOT_BLOCKS[kind]
    if not 0 <= index < width:
        raise ValueError(f"{kind.value} has {width} universal slot(s); index {index} is outside")
    return start + index


def scatter(native: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Place native values (..., D) into universal slots (..., UNIVERSAL_DIM) with a mask."""
    values = np.zeros((*native.shape[:-1], UNIVERSAL_DIM), dtype=native.dtype)
    values[..., slots] = native
    mask = np.zeros(UNIVERSAL_DIM, dtype=bool)
    mask[slots] = True
    return values, mask

"""Cartesian waypoint plans per task family, shared by every robot.

A plan is a list of ``Waypoint``s for the tool centre point; robot drivers turn the
motion between them into native actions. Plans read only the facts a task puts in
``Observation.extras`` (privileged state that a learned policy never sees). A waypoint
may carry a ``check`` on those live facts; when it fails (the cube slipped out of the
jaws, was bumped, or fell off the stack) the expert re-plans from where things are now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Check = Callable[[dict, np.ndarray], bool]  # (extras, measured tcp) -> still on plan?


@dataclass(frozen=True)
class Waypoint:
    pos: np.ndarray
    grip: float  # closure in [0, 1]: 0 open, 1 closed
    yaw: float = 0.0
    tolerance: float = 0.008
    settle: int = 0  # ticks to wait here after arriving (let the gripper close/open)
    speed: float = 1.0  # fraction of the driver's top speed (slow for pushing and pulling)
    precise: bool = False  # inject no noise on the way here (threading into a narrow gap)
    tool: str = "tcp"  # the point brought to ``pos``: "tcp" or "tips" (closed jaw tips)
    check: Check | None = None


# Grasp slightly above the cube centre so jaw tips clear the table on both robots.
GRASP_ABOVE_CENTRE = np.array([0.0, 0.0, 0.004])
RELEASE_ABOVE = np.array([0.0, 0.0, 0.004])


def object_unmoved(planned: np.ndarray, tolerance: float = 0.015) -> Check:
    """The object is still where the plan assumed it was."""
    return lambda extras, tcp: bool(np.linalg.norm(extras["object_pos"] - planned) < tolerance)


def object_held(tolerance: float = 0.03) -> Check:
    """The object travels with the jaws."""
    return lambda extras, tcp: bool(np.linalg.norm(extras["object_pos"] - tcp) < tolerance)


def object_placed(extras: dict, tcp: np.ndarray) -> bool:
    """The released object stayed within the goal's radius (did not tip off the target)."""
    offset = extras["object_pos"][:2] - extras["goal_pos"][:2]
    return bool(np.linalg.norm(offset) < extras["goal_radius"][0])


def rise(goal: dict, height: float) -> Waypoint:
    """Straight up to ``height`` first (no-op when already above), so a re-plan started
    next to the table never sweeps the hand through the objects."""
    tcp = np.asarray(goal["tcp_pos"], dtype=float)
    return Waypoint(np.array([tcp[0], tcp[1], max(tcp[2], height)]), 1.0, tolerance=0.03)


def plan_reach(goal: dict, lift: float) -> list[Waypoint]:
    return [Waypoint(goal["goal_pos"], 0.0, tolerance=0.01, settle=200)]


def plan_press(goal: dict, lift: float) -> list[Waypoint]:
    top = goal["goal_pos"]
    above = top + np.array([0, 0, lift / 2])  # low: the SO-101 cannot point down when high
    # the closed jaw tips push the cap 10 mm down (it travels 12 mm, counts from 6 mm)
    return [
        Waypoint(above, 1.0, tool="tips"),
        Waypoint(top - np.array([0, 0, 0.01]), 1.0, tolerance=0.02, settle=200, tool="tips"),
    ]


def plan_pick_place(goal: dict, lift: float) -> list[Waypoint]:
    obj = goal["object_pos"] + GRASP_ABOVE_CENTRE
    dest, yaw = goal["goal_pos"] + RELEASE_ABOVE, float(goal["object_yaw"][0])
    up = np.array([0, 0, lift])
    unmoved, held = object_unmoved(goal["object_pos"]), object_held()
    start = rise(goal, obj[2] + lift)
    return [
        Waypoint(start.pos, 0.0, tolerance=start.tolerance),
        Waypoint(obj + up, 0.0, yaw, tolerance=0.01, check=unmoved),
        Waypoint(obj, 0.0, yaw, tolerance=0.006, settle=3, check=unmoved),
        Waypoint(obj, 1.0, yaw, settle=8),
        Waypoint(obj + up, 1.0, yaw, tolerance=0.015, check=held),
        Waypoint(dest + up, 1.0, yaw, tolerance=0.012, check=held),
        Waypoint(dest, 1.0, yaw, tolerance=0.008, settle=2, check=held),
        Waypoint(dest, 0.0, yaw, settle=8),
        Waypoint(dest + up, 0.0, yaw, tolerance=0.02, settle=200, check=object_placed),
    ]

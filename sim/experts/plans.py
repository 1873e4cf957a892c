"""Cartesian waypoint plans per task family, shared by every robot.

A plan is a list of ``Waypoint``s for the tool centre point; robot drivers turn the
motion between them into native actions. Plans read only the goal facts a task puts in
``Observation.extras`` (privileged state that a learned policy never sees).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Waypoint:
    pos: np.ndarray
    grip: float  # closure in [0, 1]: 0 open, 1 closed
    yaw: float = 0.0
    tolerance: float = 0.008
    settle: int = 0  # ticks to wait here after arriving (let the gripper close/open)


# Grasp slightly above the cube centre so jaw tips clear the table on both robots.
GRASP_ABOVE_CENTRE = np.array([0.0, 0.0, 0.004])


def plan_reach(goal: dict, lift: float) -> list[Waypoint]:
    return [Waypoint(goal["goal_pos"], 0.0, tolerance=0.01, settle=200)]


def plan_press(goal: dict, lift: float) -> list[Waypoint]:
    top = goal["goal_pos"]
    above = top + np.array([0, 0, lift])
    # tool tips sit 12 mm below the tcp on both robots: push the cap ~10 mm down
    return [
        Waypoint(above, 1.0),
        Waypoint(top - np.array([0, 0, 0.01]), 1.0, tolerance=0.02, settle=200),
    ]


def plan_pick_place(goal: dict, lift: float) -> list[Waypoint]:
    obj, dest, yaw = (
        goal["object_pos"] + GRASP_ABOVE_CENTRE,
        goal["goal_pos"],
        float(goal["object_yaw"][0]),
    )
    up = np.array([0, 0, lift])
    return [
        Waypoint(obj + up, 0.0, yaw, tolerance=0.01),
        Waypoint(obj, 0.0, yaw, tolerance=0.006, settle=3),
        Waypoint(obj, 1.0, yaw, settle=8),
        Waypoint(obj + up, 1.0, yaw, tolerance=0.015),
        Waypoint(dest + up, 1.0, yaw, tolerance=0.012),
        Waypoint(dest + np.array([0, 0, 0.004]), 1.0, yaw, tolerance=0.008, settle=2),
        Waypoint(dest + np.array([0, 0, 0.004]), 0.0, yaw, settle=8),
        Waypoint(dest + up, 0.0, yaw, tolerance=0.02, settle=200),
    ]


PLANS = {
    "reach": plan_reach,
    "press_button": plan_press,
    "pick_place": plan_pick_place,
    "stack": plan_pick_place,
}

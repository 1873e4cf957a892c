"""Plans for tasks done by pushing or pulling with closed jaws instead of grasping.

Both re-plan from live facts: a pushed cube that slides off the jaws' line is approached
again from behind, and a hook that slips off the drawer handle goes back to it.
"""

from __future__ import annotations

import numpy as np

from ..scene import DRAWER_FRONT_X, HANDLE_POS, HANDLE_RADIUS
from .plans import Check, Waypoint, object_unmoved, rise

PUSH_HEIGHT = 0.02  # tcp height while pushing: jaw tips 8 mm above the table
PUSH_CLEARANCE = 0.025  # from the cube's face to the jaws' centre when lining up


def plan_push(goal: dict, lift: float) -> list[Waypoint]:
    cube, zone, half = goal["object_pos"], goal["goal_pos"], float(goal["object_half"][0])
    line = (zone - cube)[:2]
    direction = np.array([*(line / np.linalg.norm(line)), 0.0])
    yaw = float(np.arctan2(direction[1], direction[0]))
    low = np.array([0, 0, PUSH_HEIGHT])
    behind = cube * [1, 1, 0] - direction * (half + PUSH_CLEARANCE) + low
    end = zone * [1, 1, 0] - direction * (half + 0.01) + low
    unmoved = object_unmoved(cube, 0.01)
    return [
        rise(goal, PUSH_HEIGHT + lift / 2),
        Waypoint(behind + np.array([0, 0, lift / 2]), 1.0, yaw, tolerance=0.01, check=unmoved),
        Waypoint(behind, 1.0, yaw, tolerance=0.006, precise=True, check=unmoved),
        # no injected noise while in contact: a sideways shove only loses the cube
        Waypoint(end, 1.0, yaw, speed=0.3, precise=True, check=ahead_on_line(direction, half)),
        Waypoint(end, 1.0, yaw, settle=200),
    ]


def ahead_on_line(direction: np.ndarray, half: float) -> Check:
    """The cube is still in front of the jaws and centred on the pushing line."""

    def check(extras: dict, tcp: np.ndarray) -> bool:
        offset = (extras["object_pos"] - tcp)[:2]
        along = float(offset @ direction[:2])
        across = abs(float(offset @ np.array([-direction[1], direction[0]])))
        return bool(along > 0 and across < 0.6 * half)

    return check


# tcp x relative to the bar's axis when hooked: centred in the gap between bar and front
HOOK_X = (HANDLE_RADIUS + (DRAWER_FRONT_X - HANDLE_POS[0])) / 2
HOOK_BELOW_BAR = 0.002


def plan_open_drawer(goal: dict, lift: float) -> list[Waypoint]:
    handle = goal["handle_pos"]
    hook = handle + np.array([HOOK_X, 0, -HOOK_BELOW_BAR])
    still_to_go = float(goal["goal_opening"][0] - goal["drawer_opening"][0])
    pulled = hook - np.array([still_to_go + 0.03, 0, 0])
    above = hook + np.array([0, 0, lift / 2])
    return [
        rise(goal, above[2]),
        Waypoint(above, 1.0, tolerance=0.006),
        Waypoint(hook, 1.0, tolerance=0.008, precise=True),
        Waypoint(pulled, 1.0, speed=0.5, check=hooked),
        Waypoint(pulled, 1.0, settle=200),
    ]


def hooked(extras: dict, tcp: np.ndarray) -> bool:
    """The jaws are still behind the bar, low enough to drag it."""
    offset = tcp - extras["handle_pos"]
    return bool(abs(offset[0] - HOOK_X) < 0.02 and abs(offset[1]) < 0.04 and offset[2] < 0.015)

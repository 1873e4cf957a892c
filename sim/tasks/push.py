"""Push a named cube into a marked zone of a named colour, with closed jaws.

The layout is drawn so the push is possible: the cube starts 12-20 cm from its zone, the
spot behind it (where the jaws line up) is inside the region, and the other cube keeps
clear of the pushing lane.
"""

from __future__ import annotations

import numpy as np

from ..world import World
from .base import EpisodeSetup, Task, pick_colors

LANE_CLEARANCE = 0.08  # other cubes keep this far from the lane's centre line
PUSH_DISTANCE = (0.12, 0.2)


class Push(Task):
    templates = (
        "push the {cube} cube into the {pad} zone",
        "slide the {cube} block onto the {pad} area",
        "push the {cube} cube to the {pad} circle",
    )

    def setup(self, rng, world: World) -> EpisodeSetup:
        lay = self.layout
        colors = pick_colors(rng, lay.cubes + lay.pads)
        zones, cubes = self._layout(rng)
        for i, xy in enumerate(zones):
            world.set_body_pos(f"pad{i}", [*xy, 0.0])
            world.set_color(f"pad{i}", colors[lay.cubes + i])
        line = zones[0] - cubes[0]
        heading = np.arctan2(line[1], line[0])  # the target cube starts roughly face-on
        yaws = [heading + rng.uniform(-0.2, 0.2), *rng.uniform(-0.6, 0.6, size=lay.cubes - 1)]
        for i, xy in enumerate(cubes):
            world.set_free_pose(f"cube{i}", [*xy, lay.cube_half], yaws[i])
            world.set_color(f"cube{i}", colors[i])
        self.scatter_distractors(rng, world, [*zones, *cubes])
        goal = {
            "object_pos": np.array([*cubes[0], lay.cube_half]),
            "object_half": np.array([lay.cube_half]),
            "goal_pos": np.array([*zones[0], lay.cube_half]),
            "object_index": np.array([0]),
        }
        words = {"cube": colors[0], "pad": colors[lay.cubes]}
        return EpisodeSetup(self.instruction(rng, **words), goal)

    def _layout(self, rng) -> tuple[list, list]:
        """Zones and cubes, index 0 being the target pair; pure function of the rng."""
        for _ in range(2000):
            zones = [self._uniform(rng) for _ in range(self.layout.pads)]
            target = self._cube_near(rng, zones[0])
            others = [self._uniform(rng) for _ in range(self.layout.cubes - 1)]
            if target is not None and self._clear(zones, target, others):
                return zones, [target, *others]
        raise RuntimeError(f"{self.name}: could not lay out a feasible push")

    def _uniform(self, rng) -> np.ndarray:
        x0, x1, y0, y1 = self.region
        return rng.uniform([x0, y0], [x1, y1])

    def _cube_near(self, rng, zone: np.ndarray) -> np.ndarray | None:
        angle, distance = rng.uniform(-np.pi, np.pi), rng.uniform(*PUSH_DISTANCE)
        unit = np.array([np.cos(angle), np.sin(angle)])
        cube, start = zone + distance * unit, zone + (distance + 0.06) * unit
        return cube if self._inside(cube) and self._inside(start) else None

    def _inside(self, xy: np.ndarray) -> bool:
        x0, x1, y0, y1 = self.region
        return bool(x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1)

    def _clear(self, zones: list, target: np.ndarray, others: list) -> bool:
        spread = 2.2 * self.layout.pad_radius
        zones_apart = all(np.linalg.norm(z - zones[0]) > spread for z in zones[1:])
        lane = (target, zones[0])
        return zones_apart and all(
            _segment_distance(o, *lane) > LANE_CLEARANCE
            and np.linalg.norm(o - target) > LANE_CLEARANCE
            for o in others
        )

    def success(self, world: World, setup: EpisodeSetup) -> bool:
        pos = world.body_pos("cube0")
        in_zone = np.linalg.norm(pos[:2] - setup.goal["goal_pos"][:2]) < self.layout.pad_radius
        return bool(in_zone and pos[2] < 1.5 * self.layout.cube_half)

    def live(self, world: World, setup: EpisodeSetup) -> dict[str, np.ndarray]:
        return {"object_pos": world.body_pos("cube0")}


def _segment_distance(point: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    t = np.clip((point - a) @ ab / (ab @ ab), 0.0, 1.0)
    return float(np.linalg.norm(point - (a + t * ab)))

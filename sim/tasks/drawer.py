"""Open the drawer: pull it out past a threshold. The cabinet's place and the drawer
front's colour are randomised; it always faces the robot (-x)."""

from __future__ import annotations

import numpy as np

from ..scene import COLORS, DRAWER_TRAVEL
from ..world import World
from .base import EpisodeSetup, Task

CABINET_HALF = (0.105, 0.13)  # x, y half extents of the cabinet's footprint


class OpenDrawer(Task):
    templates = (
        "open the drawer",
        "pull the drawer open",
        "slide the drawer out",
        "pull out the drawer by its handle",
    )
    cabinet_region = (0.56, 0.62, -0.14, 0.14)  # x0, x1, y0, y1 of the cabinet centre
    open_fraction = 0.65  # success once the drawer is out this far of its travel

    def setup(self, rng, world: World) -> EpisodeSetup:
        x0, x1, y0, y1 = self.cabinet_region
        centre = rng.uniform([x0, y0], [x1, y1])
        world.set_body_pos("cabinet", [*centre, 0.0])
        world.set_color("drawer_front", str(rng.choice(list(COLORS))))
        world.data.qpos[world.model.joint("drawer").qposadr[0]] = rng.uniform(0.0, 0.02)
        self.scatter_distractors(rng, world, self._footprint(centre))
        goal = {"goal_opening": np.array([self.open_fraction * DRAWER_TRAVEL])}
        return EpisodeSetup(self.instruction(rng), goal)

    def _footprint(self, centre: np.ndarray) -> list:
        """Points covering the cabinet and the open drawer, so distractors keep clear."""
        hx, hy = CABINET_HALF
        xs = np.arange(centre[0] - hx - DRAWER_TRAVEL - 0.06, centre[0] + hx + 0.01, 0.04)
        ys = np.arange(centre[1] - hy, centre[1] + hy + 0.01, 0.04)
        return [np.array([x, y]) for x in xs for y in ys]

    def success(self, world: World, setup: EpisodeSetup) -> bool:
        return world.joint_pos("drawer") >= setup.goal["goal_opening"][0]

    def live(self, world: World, setup: EpisodeSetup) -> dict[str, np.ndarray]:
        return {
            "handle_pos": world.geom_pos("drawer_handle"),
            "drawer_opening": np.array([world.joint_pos("drawer")]),
        }

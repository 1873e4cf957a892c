"""Task families, written once and instantiated per robot with sizes and regions.

Each ``setup`` places objects and returns the goal facts under fixed keys the experts
read: ``object_pos``/``object_yaw`` (what to grasp), ``goal_pos`` (where to go or put it).
"""

from __future__ import annotations

import numpy as np

from ..world import World
from .base import EpisodeSetup, Task, pick_colors, place_groups


class Reach(Task):
    """Move the gripper to the named coloured marker; markers float at different heights."""

    templates = (
        "move the gripper to the {color} ball",
        "reach the {color} marker",
        "touch the {color} sphere",
    )
    heights = (0.08, 0.3)
    tolerance = 0.03

    def setup(self, rng, world: World) -> EpisodeSetup:
        n = self.layout.markers
        colors = pick_colors(rng, n)
        (spots,) = place_groups(rng, self.region, [(n, 0.06)])
        for i, (xy, color) in enumerate(zip(spots, colors, strict=True)):
            world.set_body_pos(f"marker{i}", [*xy, rng.uniform(*self.heights)])
            world.set_color(f"marker{i}", color)
        self.scatter_distractors(rng, world, list(spots))
        target = int(rng.integers(n))
        goal = np.array(
            [*spots[target], world.model.body_pos[world.model.body(f"marker{target}").id][2]]
        )
        return EpisodeSetup(self.instruction(rng, color=colors[target]), {"goal_pos": goal})

    def success(self, world: World, setup: EpisodeSetup) -> bool:
        return bool(np.linalg.norm(world.tcp_pos() - setup.goal["goal_pos"]) < self.tolerance)


class PickPlace(Task):
    """Put the named cube on the named pad; other cubes and pads are there to confuse."""

    templates = (
        "put the {cube} cube on the {pad} pad",
        "place the {cube} block onto the {pad} mat",
        "pick up the {cube} cube and put it on the {pad} pad",
    )

    def setup(self, rng, world: World) -> EpisodeSetup:
        lay = self.layout
        colors = pick_colors(rng, lay.cubes + lay.pads)
        pads, cubes = place_groups(
            rng,
            self.region,
            [(lay.pads, 2.2 * lay.pad_radius), (lay.cubes, lay.pad_radius + 3 * lay.cube_half)],
        )
        taken = [*pads, *cubes]
        for i, xy in enumerate(pads):
            world.set_body_pos(f"pad{i}", [*xy, 0.0])
            world.set_color(f"pad{i}", colors[lay.cubes + i])
        yaws = rng.uniform(-0.6, 0.6, size=lay.cubes)
        for i, xy in enumerate(cubes):
            world.set_free_pose(f"cube{i}", [*xy, lay.cube_half], yaws[i])
            world.set_color(f"cube{i}", colors[i])
        self.scatter_distractors(rng, world, taken)
        cube, pad = int(rng.integers(lay.cubes)), int(rng.integers(lay.pads))
        goal = {
            "object_pos": np.array([*cubes[cube], lay.cube_half]),
            "object_yaw": yaws[[cube]],
            "goal_pos": np.array([*pads[pad], lay.cube_half]),
            "goal_radius": np.array([lay.pad_radius]),
            "object_index": np.array([cube]),
        }
        words = {"cube": colors[cube], "pad": colors[lay.cubes + pad]}
        return EpisodeSetup(self.instruction(rng, **words), goal)

    def success(self, world: World, setup: EpisodeSetup) -> bool:
        body = f"cube{int(setup.goal['object_index'][0])}"
        pos = world.body_pos(body)
        on_pad = np.linalg.norm(pos[:2] - setup.goal["goal_pos"][:2]) < self.layout.pad_radius
        resting = pos[2] < 1.5 * self.layout.cube_half and world.speed(body) < 0.05
        return bool(on_pad and resting and not world.touching_robot(body))

    def live(self, world: World, setup: EpisodeSetup) -> dict[str, np.ndarray]:
        body = f"cube{int(setup.goal['object_index'][0])}"
        return {"object_pos": world.body_pos(body), "object_yaw": np.array([world.body_yaw(body)])}

    def milestones(self, world: World, setup: EpisodeSetup) -> dict[str, bool]:
        """Reached: the tool centre is within a cube width of the cube. Lifted: the robot
        holds it with its centre at least half a cube above where it rests on the table
        (higher than a cube tipped on its edge). Over the goal: lifted and
        within the goal's radius (the live goal, so a stack's base may have moved)."""
        body = f"cube{int(setup.goal['object_index'][0])}"
        pos, half = world.body_pos(body), self.layout.cube_half
        goal = self.live(world, setup).get("goal_pos", setup.goal["goal_pos"])
        lifted = bool(pos[2] > 2 * half and world.touching_robot(body))
        near_goal = np.linalg.norm(pos[:2] - goal[:2]) < float(setup.goal["goal_radius"][0])
        return {
            "reached": bool(np.linalg.norm(world.tcp_pos() - pos) < 2 * half),
            "lifted": lifted,
            "over_goal": bool(lifted and near_goal),
        }


class Stack(PickPlace):
    """Stack the named cube on another named cube."""

    templates = (
        "stack the {cube} cube on the {base} cube",
        "put the {cube} block on top of the {base} block",
    )

    def setup(self, rng, world: World) -> EpisodeSetup:
        lay = self.layout
        colors = pick_colors(rng, lay.cubes)
        (cubes,) = place_groups(rng, self.region, [(lay.cubes, 6 * lay.cube_half)])
        taken = list(cubes)
        yaws = rng.uniform(-0.6, 0.6, size=lay.cubes)
        for i, xy in enumerate(cubes):
            world.set_free_pose(f"cube{i}", [*xy, lay.cube_half], yaws[i])
            world.set_color(f"cube{i}", colors[i])
        self.scatter_distractors(rng, world, taken)
        top, base = (int(i) for i in rng.choice(lay.cubes, size=2, replace=False))
        goal = {
            "object_pos": np.array([*cubes[top], lay.cube_half]),
            "object_yaw": yaws[[top]],
            "goal_pos": np.array([*cubes[base], 3 * lay.cube_half]),
            "goal_radius": np.array([0.8 * lay.cube_half]),
            "object_index": np.array([top]),
            "base_index": np.array([base]),
        }
        return EpisodeSetup(self.instruction(rng, cube=colors[top], base=colors[base]), goal)

    def success(self, world: World, setup: EpisodeSetup) -> bool:
        top = f"cube{int(setup.goal['object_index'][0])}"
        base = f"cube{int(setup.goal['base_index'][0])}"
        offset = world.body_pos(top) - world.body_pos(base)
        half = self.layout.cube_half
        aligned = np.linalg.norm(offset[:2]) < half and abs(offset[2] - 2 * half) < 0.3 * half
        return bool(aligned and world.speed(top) < 0.05 and not world.touching_robot(top))

    def live(self, world: World, setup: EpisodeSetup) -> dict[str, np.ndarray]:
        base = world.body_pos(f"cube{int(setup.goal['base_index'][0])}")
        above = base + np.array([0, 0, 2 * self.layout.cube_half])
        return {**super().live(world, setup), "goal_pos": above}


class PressButton(Task):
    """Press the button of the named colour; pressing another one does not count."""

    templates = (
        "press the {color} button",
        "push the {color} button down",
        "hit the {color} button",
    )
    press_depth = 0.006

    def setup(self, rng, world: World) -> EpisodeSetup:
        n = self.layout.buttons
        colors = pick_colors(rng, n)
        (spots,) = place_groups(rng, self.region, [(n, 4 * self.layout.button_radius)])
        taken = list(spots)
        for i, (xy, color) in enumerate(zip(spots, colors, strict=True)):
            world.set_body_pos(f"button{i}", [*xy, 0.0])
            world.set_color(f"button{i}", color)
        self.scatter_distractors(rng, world, taken)
        target = int(rng.integers(n))
        goal = {
            "goal_pos": np.array([*spots[target], 0.044]),
            "object_index": np.array([target]),
        }  # cap top
        return EpisodeSetup(self.instruction(rng, color=colors[target]), goal)

    def success(self, world: World, setup: EpisodeSetup) -> bool:
        return world.joint_pos(f"button{int(setup.goal['object_index'][0])}") < -self.press_depth

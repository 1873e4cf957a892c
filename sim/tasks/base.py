"""Tasks: scene layout, instruction templates, seeded randomisation, success, time limit.

A task is registered once with ``@register_task``; everything else (env factory, the
registry-driven tests, ``actloop collect``) discovers it from ``TASKS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from actloop.control import unknown_name_message

from ..scene import COLORS, Layout
from ..world import World


@dataclass
class EpisodeSetup:
    """What reset produced: the instruction and the privileged facts experts plan from."""

    instruction: str
    goal: dict[str, np.ndarray] = field(default_factory=dict)


class Task:
    name: str = ""
    robot: str = ""
    layout: Layout = Layout()
    time_limit: float = 10.0  # seconds of simulated time
    templates: tuple[str, ...] = ()
    region: tuple[float, float, float, float] = (0.35, 0.65, -0.25, 0.25)  # x0, x1, y0, y1
    distractor_margin: float = 0.05  # how far outside ``region`` distractors may sit (m)

    def setup(self, rng: np.random.Generator, world: World) -> EpisodeSetup:
        """Place and colour everything for one episode; called after the robot is homed."""
        raise NotImplementedError

    def success(self, world: World, setup: EpisodeSetup) -> bool:
        raise NotImplementedError

    def live(self, world: World, setup: EpisodeSetup) -> dict[str, np.ndarray]:
        """Privileged facts that change during the episode (where the object is now), so
        experts can notice a dropped or bumped object and re-plan. Overrides ``goal`` keys."""
        return {}

    def milestones(self, world: World, setup: EpisodeSetup) -> dict[str, bool]:
        """Named stages on the way to success, in the order an episode meets them, and
        whether each holds now. A timeout alone says nothing about where a policy fails;
        the env latches the first tick of each, so evaluation can report how far failures
        got (reached the cube, lifted it, carried it over the goal). None by default."""
        return {}

    def instruction(self, rng: np.random.Generator, **words: str) -> str:
        return self.templates[int(rng.integers(len(self.templates)))].format(**words)

    def scatter_distractors(self, rng: np.random.Generator, world: World, taken: list) -> None:
        """Visual distractors in random colours, kept clear of everything task-relevant."""
        x0, x1, y0, y1 = self.region  # visual only: they may sit around the work area too
        m = self.distractor_margin  # small, so the fixed camera still frames them
        around = (x0 - m, x1 + m, y0 - m, y1 + m)
        spots = sample_positions(rng, self.layout.distractors, around, 0.05, taken)
        for i, xy in enumerate(spots):
            world.set_body_pos(f"distractor{i}", [*xy, 0.0])
            world.set_color(f"distractor{i}", str(rng.choice(list(COLORS))))


TASKS: dict[str, Task] = {}


def register_task(cls: type[Task]) -> type[Task]:
    task = cls()
    if task.name in TASKS:
        raise ValueError(f"task {task.name!r} is registered twice")
    if not task.name.startswith(f"{task.robot}/"):
        raise ValueError(f"task {task.name!r} must be named '{task.robot}/<task>'")
    TASKS[task.name] = task
    return cls


def get_task(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(unknown_name_message("task", name, TASKS)) from None


def list_tasks() -> list[str]:
    return sorted(TASKS)


def pick_colors(rng: np.random.Generator, n: int) -> list[str]:
    return [str(c) for c in rng.choice(list(COLORS), size=n, replace=False)]


def sample_positions(rng, n: int, region, min_dist: float, taken: list | None = None) -> list:
    """``n`` xy points in ``region`` at least ``min_dist`` from each other and ``taken``.

    ``taken`` is extended in place, so successive calls keep clear of earlier ones.
    Rejection sampling with a fixed budget: the regions are sized so it always fits.
    """
    taken = [] if taken is None else taken
    x0, x1, y0, y1 = region
    placed = []
    for _ in range(300):
        if len(placed) == n:
            return placed
        xy = rng.uniform([x0, y0], [x1, y1])
        if all(np.linalg.norm(xy - np.asarray(t)) >= min_dist for t in taken):
            placed.append(xy)
            taken.append(xy)
    raise RuntimeError(f"could not place {n} objects {min_dist} m apart in {region}")


def place_groups(rng, region, groups: list[tuple[int, float]]) -> list[list]:
    """Place several groups ((count, min spacing) each) jointly, restarting on dead ends.

    Sequential rejection sampling can paint itself into a corner in small regions; a
    full restart from the same generator keeps the result a pure function of the seed.
    """
    for _ in range(200):
        taken: list = []
        try:
            return [sample_positions(rng, n, region, spacing, taken) for n, spacing in groups]
        except RuntimeError:
            continue
    raise RuntimeError(f"could not place {groups} in region {region}")

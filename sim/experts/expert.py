"""Scripted experts: a control ``Policy`` that follows a task's waypoint plan.

Closed loop: every tick it looks at the measured tool position, so injected noise
(an Ornstein-Uhlenbeck perturbation of the commanded motion) produces demos that
wander off and recover, which is what a learned policy needs to see. When a waypoint's
check on the live task facts fails (a dropped or bumped cube, a lost handle) the expert
re-plans from the current state, so the demos also show re-grasps.

``label`` is the last action with its noise taken out. Training on those labels (DART,
Laskey et al. 2017) teaches the recoveries the noise provoked without also teaching the
wandering that caused them.
"""

from __future__ import annotations

import numpy as np
from actloop.control import ActionChunk, Observation, get_embodiment

from ..tasks import get_task
from .contact_plans import plan_open_drawer, plan_push
from .drivers import DRIVERS
from .plans import plan_pick_place, plan_press, plan_reach

LIFT = {"panda": 0.12, "so101": 0.05}
PLANS = {
    "reach": plan_reach,
    "press_button": plan_press,
    "pick_place": plan_pick_place,
    "stack": plan_pick_place,
    "push": plan_push,
    "open_drawer": plan_open_drawer,
}
# m: noise fades to zero over the last few centimetres to a waypoint, so demos still
# succeed; a shorter fade leaves the tool off target closer to a grasp, so the demos
# show the last-centimetre corrections a policy's own errors call for
NOISE_FADE = 0.05


class ScriptedExpert:
    def __init__(
        self, task_name: str, noise: float = 0.0, seed: int = 0, noise_fade: float = NOISE_FADE
    ) -> None:
        if noise < 0 or noise_fade < 0:
            raise ValueError(f"expert noise and noise_fade must be >= 0, got {noise}, {noise_fade}")
        task = get_task(task_name)
        family = task_name.split("/", 1)[1]
        self.robot = task.robot
        self.dt = get_embodiment(task.robot).dt
        self.plan_fn = PLANS[family]
        self.driver = DRIVERS[task.robot]()
        self.noise, self.noise_fade, self.seed = float(noise), float(noise_fade), seed
        self._episode = 0
        self.reset()

    def reset(self) -> None:
        self.rng = np.random.default_rng([self.seed, self._episode])
        self._episode += 1
        self.plan = None
        self.label: np.ndarray | None = None  # the last action without its noise (DART)
        self.index, self.waited, self.replans = 0, 0, 0
        self.ou = np.zeros(3)

    def infer(self, observation: Observation) -> ActionChunk:
        state = np.asarray(observation.state, dtype=float)
        if self.plan is None:
            self._replan(observation.extras, state)
        elif not self._on_plan(observation.extras, state):
            self.replans += 1
            self._replan(observation.extras, state)
        self._advance(state, self.plan[self.index])
        point = self.plan[self.index]
        # perturb transit, not the last centimetres: demos show recoveries yet still succeed
        distance = float(np.linalg.norm(self.driver.point(state, point.tool) - point.pos))
        fade = 0.0 if point.precise else self._fade(distance)
        # scaled with the waypoint's speed: the same relative perturbation when moving slowly
        noise = self._noise() * fade * point.speed
        action = self.driver.action(state, point, noise)
        self.label = self.driver.label(action, noise)
        return ActionChunk(action[None, :], start_tick=0, dt=self.dt)

    def _replan(self, extras: dict, state: np.ndarray) -> None:
        self.plan = self.plan_fn(extras, LIFT[self.robot])
        self.index, self.waited = 0, 0
        self.driver.reset(state)

    def _on_plan(self, extras: dict, state: np.ndarray) -> bool:
        check = self.plan[self.index].check
        return check is None or check(extras, self.driver.tcp(state))

    def _advance(self, state: np.ndarray, point) -> None:
        if self.index == len(self.plan) - 1:
            return
        if np.linalg.norm(self.driver.point(state, point.tool) - point.pos) < point.tolerance:
            self.waited += 1
            if self.waited > point.settle:
                self.index, self.waited = self.index + 1, 0

    def _fade(self, distance: float) -> float:
        """1 far from a waypoint, falling to 0 over its last ``noise_fade`` metres (0: never)."""
        return 1.0 if self.noise_fade == 0 else min(1.0, distance / self.noise_fade)

    def _noise(self) -> np.ndarray:
        if self.noise <= 0:
            return np.zeros(3)
        self.ou = 0.85 * self.ou + self.noise * self.rng.normal(size=3)
        return self.ou


def make_expert(
    task_name: str, noise: float = 0.0, seed: int = 0, noise_fade: float = NOISE_FADE
) -> ScriptedExpert:
    """The scripted expert for ``task_name``; ``noise`` ~0.3 gives visibly perturbed demos."""
    return ScriptedExpert(task_name, noise=noise, seed=seed, noise_fade=noise_fade)

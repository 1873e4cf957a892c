"""Scripted experts: a control ``Policy`` that follows a task's waypoint plan.

Closed loop: every tick it looks at the measured tool position, so injected noise
(an Ornstein-Uhlenbeck perturbation of the commanded motion) produces demos that
wander off and recover, which is what a learned policy needs to see.
"""

from __future__ import annotations

import numpy as np
from actloop.control import ActionChunk, Observation, get_embodiment

from ..tasks import get_task
from .drivers import DRIVERS
from .plans import PLANS

LIFT = {"panda": 0.12, "so101": 0.05}


class ScriptedExpert:
    def __init__(self, task_name: str, noise: float = 0.0, seed: int = 0) -> None:
        task = get_task(task_name)
        family = task_name.split("/", 1)[1]
        self.robot = task.robot
        self.dt = get_embodiment(task.robot).dt
        self.plan_fn = PLANS[family]
        self.driver = DRIVERS[task.robot]()
        self.noise, self.seed = float(noise), seed
        self._episode = 0
        self.reset()

    def reset(self) -> None:
        self.rng = np.random.default_rng([self.seed, self._episode])
        self._episode += 1
        self.plan = None
        self.index, self.waited = 0, 0
        self.ou = np.zeros(3)

    def infer(self, observation: Observation) -> ActionChunk:
        state = np.asarray(observation.state, dtype=float)
        if self.plan is None:
            self.plan = self.plan_fn(observation.extras, LIFT[self.robot])
            self.driver.reset(state)
        point = self.plan[self.index]
        self._advance(state, point)
        point = self.plan[self.index]
        # perturb transit, not the last centimetres: demos show recoveries yet still succeed
        distance = float(np.linalg.norm(self.driver.tcp(state) - point.pos))
        noise = self._noise() * min(1.0, distance / 0.05)
        action = self.driver.action(state, point.pos, point.yaw, point.grip, noise)
        return ActionChunk(action[None, :], start_tick=0, dt=self.dt)

    def _advance(self, state: np.ndarray, point) -> None:
        if self.index == len(self.plan) - 1:
            return
        if np.linalg.norm(self.driver.tcp(state) - point.pos) < point.tolerance:
            self.waited += 1
            if self.waited > point.settle:
                self.index, self.waited = self.index + 1, 0

    def _noise(self) -> np.ndarray:
        if self.noise <= 0:
            return np.zeros(3)
        self.ou = 0.85 * self.ou + self.noise * self.rng.normal(size=3)
        return self.ou


def make_expert(task_name: str, noise: float = 0.0, seed: int = 0) -> ScriptedExpert:
    """The scripted expert for ``task_name``; ``noise`` ~0.3 gives visibly perturbed demos."""
    return ScriptedExpert(task_name, noise=noise, seed=seed)

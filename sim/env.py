"""The simulated robot: a task's scene under one robot, stepping in lock-step.

``SimEnv`` implements the control ``EpisodicRobot`` protocol plus ``reset(seed)``. The
episode state is the MjData, the task setup and the tick counter, all rebuilt from the
seed at reset, so the same seed yields identical observations. Bad actions are clipped
(and counted); a physics blow-up restores the last good state and ends the episode as
"unstable" instead of ever returning NaNs.

``linger`` keeps an episode running for that many ticks after its task first succeeds
(success is then latched). Demos recorded that way show the robot arriving at the goal
and staying there, not only crossing the success threshold: with ``linger=0`` no
recorded state ever lies inside the goal's tolerance, so a policy never learns what to
do there and drifts off on a near miss. Evaluation keeps ``linger=0``.
"""

from __future__ import annotations

import math
from collections import Counter

import mujoco
import numpy as np
from actloop.control import EmbodimentSpec, Observation, get_embodiment

from .control import ROBOTS
from .scene import build_scene
from .tasks import EpisodeSetup, get_task
from .world import World

PHYSICS_DT = 0.002  # seconds; substeps per control tick = ceil(tick / PHYSICS_DT)
MAX_SPEED = 50.0  # rad/s or m/s; anything faster is treated as a blow-up
# facts also recorded as image positions (``<fact>_uv_<camera>``, ``World.project``), so a
# policy can learn to point at them in the pixels (policies/grounding.py)
PROJECTED_FACTS = ("goal_pos", "object_pos")


class SimEnv:
    """``make("panda/pick_place")`` returns one of these. Not thread-safe; one per process."""

    def __init__(
        self,
        task: str,
        seed: int = 0,
        image_size: int = 96,
        render: bool = True,
        fancy_render: bool = False,
        linger: int = 0,
    ) -> None:
        if linger < 0:
            raise ValueError(f"linger must be >= 0 ticks, got {linger}")
        self.linger = int(linger)
        self.task = get_task(task)
        self.robot = ROBOTS[self.task.robot]()
        self._spec = get_embodiment(self.task.robot)
        scene = build_scene(self.robot.build, self.task.layout, self.robot.view)
        self.model = scene.compile()
        self.n_substeps = math.ceil(self._spec.dt / PHYSICS_DT - 1e-9)
        self.model.opt.timestep = self._spec.dt / self.n_substeps
        self.data = mujoco.MjData(self.model)
        self.robot.bind(self.model, self.data)
        self.world = World(self.model, self.data, self.robot)
        self.image_size = image_size
        self._renderer = None
        if render:
            from .render import CameraRenderer

            self._renderer = CameraRenderer(
                self.model, self._spec.cameras, image_size, fancy_render
            )
        self.events: Counter[str] = Counter()
        self.seed = seed
        self.reset(seed)

    # -- Robot protocol ----------------------------------------------------------
    @property
    def spec(self) -> EmbodimentSpec:
        return self._spec

    def connect(self) -> None:
        """Nothing to open: the simulator is ready once constructed."""

    def disconnect(self) -> None:
        """Idempotent; rendering resources stay until ``close``."""

    def observe(self) -> Observation:
        images = self._renderer.render(self.data) if self._renderer else {}
        return Observation(
            images=images,
            state=self.robot.state(),
            instruction=self.setup.instruction,
            embodiment=self._spec.name,
            timestamp=self.ticks * self._spec.dt,
            extras=self._extras(),
        )

    def send_action(self, action: np.ndarray) -> np.ndarray:
        action = np.asarray(action, dtype=np.float64)
        if action.shape != (self._spec.action_dim,):
            raise ValueError(
                f"{self.task.name}: action must have shape "
                f"({self._spec.action_dim},), got {action.shape}"
            )
        applied = self._clip(action)
        if self._status is None:
            self.robot.apply(applied)
            self._advance()
        return applied

    def termination(self) -> str | None:
        return self._status

    # -- episodes ----------------------------------------------------------------
    def reset(self, seed: int | None = None) -> Observation:
        self.seed = self.seed if seed is None else int(seed)
        rng = np.random.default_rng(self.seed)
        mujoco.mj_resetData(self.model, self.data)
        self.robot.reset()
        self.setup: EpisodeSetup = self.task.setup(rng, self.world)
        mujoco.mj_forward(self.model, self.data)
        if hasattr(self.robot, "target_pos"):
            self.robot.reset()  # re-anchor the IK target after objects moved
        self.ticks, self._status, self.events = 0, None, Counter()
        self._succeeded_at: int | None = None
        self.milestones: dict[str, int] = {}  # task milestone -> the first tick it held
        self.max_ticks = round(self.task.time_limit * self._spec.control_hz)
        self._good_state = self._snapshot()
        return self.observe()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def success(self) -> bool:
        return self.task.success(self.world, self.setup)

    # -- internals ---------------------------------------------------------------
    def _clip(self, action: np.ndarray) -> np.ndarray:
        finite = np.where(np.isfinite(action), action, self._spec.hold_action(self.robot.state()))
        applied = np.clip(finite, self._spec.action_low, self._spec.action_high)
        if not np.array_equal(applied, action):
            self.events["clipped"] += 1
        return applied

    def _advance(self) -> None:
        for _ in range(self.n_substeps):
            mujoco.mj_step(self.model, self.data)
        self.ticks += 1
        if not self._stable():
            self._restore(self._good_state)
            self.events["unstable"] += 1
            self._status = "unstable"
            return
        self._good_state = self._snapshot()
        for name, holds in self.task.milestones(self.world, self.setup).items():
            if holds:
                self.milestones.setdefault(name, self.ticks)
        if self._succeeded_at is None and self.success():
            self._succeeded_at = self.ticks
        if self._succeeded_at is not None:
            lingered = self.ticks - self._succeeded_at >= self.linger
            self._status = "success" if lingered or self.ticks >= self.max_ticks else None
        elif self.ticks >= self.max_ticks:
            self._status = "timeout"

    def _stable(self) -> bool:
        qpos, qvel = self.data.qpos, self.data.qvel
        # MuJoCo resets the data itself on a bad acceleration; its warning counter remembers
        if self.data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number > 0:
            self.data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number = 0
            return False
        return bool(
            np.all(np.isfinite(qpos))
            and np.all(np.isfinite(qvel))
            and np.max(np.abs(qvel), initial=0.0) < MAX_SPEED
        )

    def _snapshot(self) -> tuple[np.ndarray, ...]:
        return (
            self.data.qpos.copy(),
            self.data.qvel.copy(),
            self.data.ctrl.copy(),
            np.array([self.data.time]),
        )

    def _restore(self, state) -> None:
        qpos, qvel, ctrl, time = state
        self.data.qpos[:], self.data.qvel[:], self.data.ctrl[:] = qpos, qvel, ctrl
        self.data.time = float(time[0])
        mujoco.mj_forward(self.model, self.data)

    def _extras(self) -> dict[str, np.ndarray]:
        facts = {**self.setup.goal, **self.task.live(self.world, self.setup)}
        extras = {k: np.asarray(v, dtype=np.float64) for k, v in facts.items()}
        extras["tcp_pos"] = self.robot.tcp_pos()
        for fact in (f for f in PROJECTED_FACTS if f in extras):
            for camera in self._spec.cameras:
                extras[f"{fact}_uv_{camera}"] = self.world.project(camera, extras[fact])
        return extras


def make(
    task: str, seed: int = 0, image_size: int = 96, render: bool = True, linger: int = 0
) -> SimEnv:
    """The sim env for ``task`` (an ``EpisodicRobot``), reset with ``seed``."""
    return SimEnv(task, seed=seed, image_size=image_size, render=render, linger=linger)

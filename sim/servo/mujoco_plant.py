"""A MuJoCo SO-101 behind emulated STS3215 servos.

Each servo's goal register drives the position actuator of its joint; present position,
velocity and load are read back from the simulation. Torque off zeroes the actuator's
gains, so an arm cut loose without parking first really falls under gravity.
Physics advances lazily to the wall clock whenever the bus is polled.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence

import mujoco
import numpy as np

from .servo import EmulatedServo

MAX_STEPS_PER_SYNC = 500  # a long idle gap is not simulated in full; the arm settles anyway


class MujocoPlant:
    def __init__(
        self, servos: Sequence[EmulatedServo], joints: Sequence[str], model: mujoco.MjModel
    ) -> None:
        if len(servos) != len(joints):
            raise ValueError(f"{len(servos)} servos for {len(joints)} joints")
        self.servos = list(servos)
        self.model = model
        self.data = mujoco.MjData(model)
        self.lock = threading.RLock()
        self._qpos = [model.joint(j).qposadr[0] for j in joints]
        self._dof = [model.joint(j).dofadr[0] for j in joints]
        self._actuators = [model.actuator(j).id for j in joints]
        self._gains = model.actuator_gainprm.copy(), model.actuator_biasprm.copy()
        self._torque = [True] * len(joints)
        mujoco.mj_forward(model, self.data)
        self._t0 = time.perf_counter()
        self.sync()

    def _steps_per_rad(self, servo: EmulatedServo) -> float:
        return servo.model.steps_per_turn / (2 * math.pi)

    def _to_physical(self, servo: EmulatedServo, angle: float) -> float:
        return (
            servo.model.steps_per_turn // 2
            + servo.mount_offset
            + angle * self._steps_per_rad(servo)
        )

    def _to_angle(self, servo: EmulatedServo, physical: float) -> float:
        return (
            physical - servo.model.steps_per_turn // 2 - servo.mount_offset
        ) / self._steps_per_rad(servo)

    def sync(self) -> None:
        with self.lock:
            self._apply_goals()
            due = int((time.perf_counter() - self._t0) / self.model.opt.timestep) - self._steps()
            for _ in range(min(max(due, 0), MAX_STEPS_PER_SYNC)):
                mujoco.mj_step(self.model, self.data)
            if due > MAX_STEPS_PER_SYNC:  # drop the gap instead of replaying it
                self._t0 += (due - MAX_STEPS_PER_SYNC) * self.model.opt.timestep
            self._publish(self.model.opt.timestep * min(max(due, 0), MAX_STEPS_PER_SYNC))

    def _steps(self) -> int:
        return round(self.data.time / self.model.opt.timestep)

    def _apply_goals(self) -> None:
        for i, servo in enumerate(self.servos):
            goal = servo.physical_goal()
            self._set_torque(i, goal is not None)
            if goal is not None:
                self.data.ctrl[self._actuators[i]] = self._to_angle(servo, goal)

    def _set_torque(self, i: int, on: bool) -> None:
        if self._torque[i] == on:
            return
        self._torque[i] = on
        a = self._actuators[i]
        gain, bias = self._gains
        self.model.actuator_gainprm[a] = gain[a] if on else 0.0
        self.model.actuator_biasprm[a] = bias[a] if on else 0.0

    def _publish(self, dt: float) -> None:
        for i, servo in enumerate(self.servos):
            angle = float(self.data.qpos[self._qpos[i]])
            velocity = float(self.data.qvel[self._dof[i]]) * self._steps_per_rad(servo)
            limit = float(np.max(np.abs(self.model.actuator_forcerange[self._actuators[i]]))) or 1.0
            load = float(self.data.actuator_force[self._actuators[i]]) / limit
            servo.update(self._to_physical(servo, angle), velocity, load, dt)

    def move_by_hand(self, index: int, physical: float) -> None:
        with self.lock:
            servo = self.servos[index]
            self.data.qpos[self._qpos[index]] = self._to_angle(servo, physical)
            self.data.qvel[self._dof[index]] = 0.0
            mujoco.mj_forward(self.model, self.data)
            self._publish(0.0)


def so101_plant(servos: list[EmulatedServo], robot: str) -> MujocoPlant:
    """The SO-101 from ``actloop.sim.robots`` (only that arm has a MuJoCo model)."""
    if robot != "so101":
        raise ValueError(f"no MuJoCo model for {robot!r}; the mujoco plant supports 'so101'")
    from actloop.sim.robots import build_so101

    from .arm import JOINTS

    return MujocoPlant(servos, JOINTS, build_so101().compile())

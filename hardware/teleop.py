"""Teleoperation: a leader arm (torque off, moved by a person) is a ``Policy``.

Each call reads the leader's joints through its own calibration and returns them as a
one-step chunk, so recording demonstrations runs through the same ControlLoop, safety
layer and recorder as a learned policy.
"""

from __future__ import annotations

import numpy as np
from actloop.control import ActionChunk, EmbodimentSpec, Observation

from .calibration import ArmCalibration
from .motors import MotorBus


class LeaderArm:
    def __init__(self, bus: MotorBus, calibration: ArmCalibration, spec: EmbodimentSpec) -> None:
        self.bus = bus
        self.calibration = calibration
        self.spec = spec
        self.joints = [f.name for f in spec.action_fields]

    def connect(self) -> None:
        self.bus.connect()
        self.calibration.check_against(self.spec.name, self.bus)
        self.bus.disable_torque()  # a leader is moved by hand

    def read(self) -> np.ndarray:
        steps = self.bus.sync_read_positions(self.joints)
        return np.array([self.calibration.motors[j].to_radians(steps[j]) for j in self.joints])

    def disconnect(self) -> None:
        if self.bus.is_connected:
            self.bus.disconnect()


class TeleopPolicy:
    """Follow the leader: one action per tick, the leader's joint angles."""

    def __init__(self, leader: LeaderArm) -> None:
        self.leader = leader

    def reset(self) -> None:
        pass

    def infer(self, observation: Observation) -> ActionChunk:
        return ActionChunk(self.leader.read()[None, :], start_tick=0, dt=self.leader.spec.dt)

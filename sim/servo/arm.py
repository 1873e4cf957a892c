"""Emulated follower/leader arms: servos, a plant behind them, and a pty bus in front.

An arm's joints carry arbitrary mount offsets (a real horn is never assembled at 2048),
so a driver only reads sensible angles after it has calibrated, exactly as on hardware.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .emulator import ServoBusEmulator
from .faults import FaultPlan
from .framing import FRAMINGS
from .models import MODELS
from .plant import KinematicPlant, Plant
from .servo import EmulatedServo

JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")
MOUNT_OFFSETS = (-310, 415, -128, 260, -75, 190)


@dataclass(frozen=True)
class ArmLayout:
    protocol: str
    models: tuple[str, ...]  # one servo model per joint, ids 1..6


LAYOUTS: dict[str, ArmLayout] = {
    "so101": ArmLayout("feetech", ("sts3215",) * 6),
    "koch": ArmLayout("dynamixel", ("xl430-w250",) * 2 + ("xl330-m288",) * 4),
}

PlantFactory = Callable[[list[EmulatedServo], str], Plant]


def kinematic_plant(servos: list[EmulatedServo], robot: str) -> Plant:
    return KinematicPlant(servos)


def mujoco_plant(servos: list[EmulatedServo], robot: str) -> Plant:
    from .mujoco_plant import so101_plant  # MuJoCo is imported only when asked for

    return so101_plant(servos, robot)


PLANTS: dict[str, PlantFactory] = {"kinematic": kinematic_plant, "mujoco": mujoco_plant}


class EmulatedArm:
    """Context manager: ``with EmulatedArm("so101") as arm: FeetechBus(arm.port, ...)``."""

    def __init__(
        self,
        robot: str = "so101",
        *,
        plant: str = "kinematic",
        faults: FaultPlan | None = None,
        homed: bool = False,
    ) -> None:
        from actloop.control import unknown_name_message

        if robot not in LAYOUTS:
            raise KeyError(unknown_name_message("emulated arm", robot, LAYOUTS))
        if plant not in PLANTS:
            raise KeyError(unknown_name_message("servo plant", plant, PLANTS))
        layout = LAYOUTS[robot]
        self.robot = robot
        self.servos = [
            EmulatedServo(i + 1, MODELS[model], MOUNT_OFFSETS[i])
            for i, model in enumerate(layout.models)
        ]
        for servo in self.servos:
            if homed:  # factory-homed: the joint's zero reads half a turn
                servo.set("homing_offset", -servo.model.homing_sign * servo.mount_offset)
            servo.heating_per_s = faults.overheat.get(servo.id, 0.0) if faults else 0.0
        self.plant = PLANTS[plant](self.servos, robot)
        for servo in self.servos:  # at power-up a servo's goal is where it stands
            servo.set("goal_position", servo.get("present_position"))
        self.emulator = ServoBusEmulator(FRAMINGS[layout.protocol](), self.plant, faults)
        self.port = self.emulator.port
        self.faults = self.emulator.faults

    def __enter__(self) -> EmulatedArm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.emulator.close()
        close = getattr(self.plant, "close", None)
        if close is not None:
            close()

    def steps_per_radian(self, index: int) -> float:
        return self.servos[index].model.steps_per_turn / (2 * math.pi)

    def _angle(self, index: int, physical: float) -> float:
        servo = self.servos[index]
        zero = servo.model.steps_per_turn // 2 + servo.mount_offset
        return (physical - zero) / self.steps_per_radian(index)

    def joint_angles(self) -> list[float]:
        """Joint angles (rad) as the mechanism has them, independent of any calibration."""
        self.plant.sync()
        return [self._angle(i, s.physical) for i, s in enumerate(self.servos)]

    def joint_angles_at_torque_off(self) -> list[float | None]:
        """Where each joint was when a driver last wrote its torque off (None: never).

        Whether an arm was parked before being cut loose is read here, not from where it
        rests later: after torque off it creeps under gravity for as long as the wall clock
        runs, which a loaded box stretches."""
        return [
            None if s.physical_at_torque_off is None else self._angle(i, s.physical_at_torque_off)
            for i, s in enumerate(self.servos)
        ]

    def move_by_hand(self, joint: str, angle: float) -> None:
        """Backdrive a joint to ``angle`` rad, as a person moving a leader arm would."""
        i = JOINTS.index(joint)
        s = self.servos[i]
        self.plant.move_by_hand(
            i, s.model.steps_per_turn // 2 + s.mount_offset + angle * self.steps_per_radian(i)
        )

    def unplug(self, servo_id: int) -> None:
        """A persistent fault: the servo stops answering (cable out, brown-out)."""
        self.faults.missing_ids.add(servo_id)

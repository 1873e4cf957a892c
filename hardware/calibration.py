"""Calibration: homing offsets and ranges that turn encoder steps into joint radians.

The homing offset is written into each servo so that the middle of a joint's travel
reads half a turn (2048 of 4096); angle = sign * (steps - half turn) * 2pi / resolution.
The file is JSON. On connect it is checked against the servos themselves, because a
file from another arm (or a servo swapped since) would command the wrong angles.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from .motors.bus import MotorBus

FORMAT_VERSION = 1
T = TypeVar("T")


def _patient(function: Callable[..., T]) -> Callable[..., T]:
    """Run a setup procedure on ``bus`` (its first argument) with patient reply timeouts."""

    @functools.wraps(function)
    def wrapper(bus: MotorBus, *args: Any, **kwargs: Any) -> T:
        with bus.patient():
            return function(bus, *args, **kwargs)

    return wrapper


class CalibrationError(ValueError):
    """A calibration file that is malformed or does not match the connected arm."""


@dataclass(frozen=True)
class MotorCalibration:
    id: int
    model: str
    homing_offset: int
    drive_sign: int  # +1 or -1: which way the joint angle grows
    range_min: int  # steps, as read after homing
    range_max: int
    resolution: int = 4096

    def to_radians(self, steps: float) -> float:
        return self.drive_sign * (steps - self.resolution // 2) * 2 * math.pi / self.resolution

    def to_steps(self, angle: float) -> int:
        steps = round(
            self.resolution // 2 + self.drive_sign * angle * self.resolution / (2 * math.pi)
        )
        return min(max(steps, self.range_min), self.range_max)


@dataclass(frozen=True)
class ArmCalibration:
    robot: str
    motors: dict[str, MotorCalibration]

    def save(self, path: str | Path) -> None:
        data = {
            "format_version": FORMAT_VERSION,
            "robot": self.robot,
            "motors": {name: asdict(m) for name, m in self.motors.items()},
        }
        Path(path).write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> ArmCalibration:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"calibration file {path} does not exist; run `actloop calibrate`"
            )
        try:
            data = json.loads(path.read_text())
            if data.get("format_version") != FORMAT_VERSION:
                raise CalibrationError(
                    f"format_version {data.get('format_version')!r}, expected {FORMAT_VERSION}"
                )
            motors = {name: MotorCalibration(**fields) for name, fields in data["motors"].items()}
            return cls(str(data["robot"]), motors)
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise CalibrationError(f"{path}: not a valid calibration file ({exc!r})") from None
        except CalibrationError as exc:
            raise CalibrationError(f"{path}: {exc}") from None

    def check_against(self, robot: str, bus: MotorBus) -> None:
        """Raise ``CalibrationError`` listing every way the file and the servos disagree."""
        problems = [] if robot == self.robot else [f"file is for {self.robot!r}, arm is {robot!r}"]
        if set(self.motors) != set(bus.motors):
            problems.append(f"file has motors {sorted(self.motors)}, arm has {sorted(bus.motors)}")
        with bus.patient():
            for name in sorted(set(self.motors) & set(bus.motors)):
                problems += _motor_problems(name, self.motors[name], bus)
        if problems:
            raise CalibrationError(
                "calibration does not match the arm: "
                + "; ".join(problems)
                + ". Re-run `actloop calibrate` for this arm."
            )


def _motor_problems(name: str, cal: MotorCalibration, bus: MotorBus) -> list[str]:
    motor = bus.motors[name]
    if (cal.id, cal.model) != (motor.id, motor.model):
        return [f"{name}: file says id {cal.id} {cal.model}, arm has id {motor.id} {motor.model}"]
    offset = bus.read("homing_offset", name)
    if offset != cal.homing_offset:
        return [
            f"{name} (id {motor.id}): homing_offset on the servo is {offset}, "
            f"file says {cal.homing_offset}"
        ]
    return []


@_patient
def calibrate(
    bus: MotorBus,
    robot: str,
    *,
    wait_for_middle: Callable[[], None],
    record_seconds: float,
    on_sample: Callable[[dict[str, int]], None] | None = None,
    drive_signs: dict[str, int] | None = None,
) -> ArmCalibration:
    """The procedure on a connected bus: torque off, home at the middle, record ranges."""
    bus.disable_torque()
    for name in bus.motors:
        bus.unlock_eeprom(name)
        bus.write("homing_offset", name, 0)
    wait_for_middle()
    physical = bus.sync_read("present_position")
    half = {n: bus.models[m.model].resolution // 2 for n, m in bus.motors.items()}
    offsets = {n: bus.homing_sign * (half[n] - physical[n]) for n in bus.motors}
    for name, offset in offsets.items():
        bus.write("homing_offset", name, offset)
        bus.lock_eeprom(name)
    low, high = _record_ranges(bus, record_seconds, on_sample)
    motors = {
        n: MotorCalibration(
            m.id,
            m.model,
            offsets[n],
            (drive_signs or {}).get(n, 1),
            low[n],
            high[n],
            bus.models[m.model].resolution,
        )
        for n, m in bus.motors.items()
    }
    return ArmCalibration(robot, motors)


def _record_ranges(
    bus: MotorBus, seconds: float, on_sample
) -> tuple[dict[str, int], dict[str, int]]:
    first = bus.sync_read("present_position")
    low, high = dict(first), dict(first)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        sample = bus.sync_read("present_position")
        if on_sample is not None:
            on_sample(sample)
        for name, value in sample.items():
            low[name], high[name] = min(low[name], value), max(high[name], value)
        time.sleep(0.01)
    return low, high


@_patient
def calibration_from_limits(
    bus: MotorBus, robot: str, limits: dict[str, tuple[float, float]]
) -> ArmCalibration:
    """Adopt the offsets already in the servos, with ranges from known joint limits.

    For an arm homed before (or a factory-homed emulator): no motion is needed."""
    motors = {}
    for name, motor in bus.motors.items():
        res = bus.models[motor.model].resolution
        lo, hi = limits[name]
        steps = [round(res // 2 + a * res / (2 * math.pi)) for a in (lo, hi)]
        motors[name] = MotorCalibration(
            motor.id, motor.model, bus.read("homing_offset", name), 1, min(steps), max(steps), res
        )
    return ArmCalibration(robot, motors)

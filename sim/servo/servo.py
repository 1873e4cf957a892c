"""One emulated servo: a register file plus the firmware rules that matter to a driver.

The plant (kinematic or MuJoCo) owns where the horn physically is; the servo turns that
into present registers through its homing offset, and turns goal writes back into a
physical target, so calibration written over the wire really moves the zero.
"""

from __future__ import annotations

import threading

from .models import ServoModel


class EmulatedServo:
    def __init__(self, servo_id: int, model: ServoModel, mount_offset: int = 0) -> None:
        self.id = servo_id
        self.model = model
        self.mount_offset = mount_offset  # physical steps where the joint's zero sits
        self.memory = bytearray(model.memory_size)
        self.lock = threading.RLock()
        for name, value in model.defaults.items():
            self.set(name, value)
        self.set("id", servo_id)
        self.physical = float(model.steps_per_turn // 2 + mount_offset)
        self.temperature = float(model.defaults.get("present_temperature", 30))
        self.heating_per_s = 0.0  # fault injection: an overheating servo

    # -- registers by name -------------------------------------------------------
    def get(self, name: str) -> int:
        reg = self.model.registers[name]
        return reg.decode(bytes(self.memory[reg.address : reg.address + reg.size]))

    def set(self, name: str, value: int) -> None:
        reg = self.model.registers[name]
        self.memory[reg.address : reg.address + reg.size] = reg.encode(int(value))

    # -- the wire's view ---------------------------------------------------------
    def read(self, address: int, length: int) -> bytes | None:
        """Register bytes, or None for a read past the end (the servo answers an error)."""
        if address + length > len(self.memory) or length <= 0:
            return None
        with self.lock:
            return bytes(self.memory[address : address + length])

    def write(self, address: int, data: bytes) -> bool:
        if address + len(data) > len(self.memory) or not data:
            return False
        with self.lock:
            self.memory[address : address + len(data)] = data
        return True

    @property
    def torque_on(self) -> bool:
        return self.get("torque_enable") == 1

    @property
    def error_bits(self) -> int:
        return self.model.overheat_error_bit if self.overheated else 0

    @property
    def overheated(self) -> bool:
        return self.temperature >= self.get("max_temperature_limit")

    # -- the plant's view ----------------------------------------------------------
    def physical_goal(self) -> float | None:
        """Where the horn is commanded to go in physical steps, or None with torque off."""
        if not self.torque_on:
            return None
        return float(self.get("goal_position") - self.model.homing_sign * self.get("homing_offset"))

    def update(self, physical: float, velocity: float, load: float, dt: float) -> None:
        """Refresh present registers from the plant; heat up under load or from a fault."""
        with self.lock:
            self.physical = physical
            present = round(physical) + self.model.homing_sign * self.get("homing_offset")
            self.set("present_position", present)
            self.set("present_velocity", round(velocity))
            self.set("present_load", max(-1000, min(1000, round(load * 1000))))
            self.set("moving", int(abs(velocity) > 2))
            self.temperature += dt * (
                self.heating_per_s + 2.0 * abs(load) - 0.05 * (self.temperature - 30)
            )
            self.temperature = max(self.temperature, 20.0)
            self.set("present_temperature", min(255, round(self.temperature)))
            if self.overheated and self.torque_on:
                self.set("torque_enable", 0)  # firmware overheat protection

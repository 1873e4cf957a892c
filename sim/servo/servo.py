"""One emulated servo: a register file plus the firmware rules that matter to a driver.

The plant (kinematic or MuJoCo) owns where the horn physically is; the servo turns that
into present registers through its homing offset, and turns goal writes back into a
physical target, so calibration written over the wire really moves the zero.
"""

from __future__ import annotations

import threading
import time

from .models import ServoModel

WATCHDOG_UNIT_S = 0.02  # Dynamixel Bus Watchdog (98) counts in 20 ms
GOAL_REGISTERS = ("goal_position", "goal_velocity")


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
        self.last_instruction = time.perf_counter()  # any packet on the bus counts
        self.physical_at_torque_off: float | None = None  # where the horn was when cut loose

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
        """False for a write the firmware refuses (answered with a range error)."""
        if address + len(data) > len(self.memory) or not data:
            return False
        if self.watchdog_tripped and self._touches_goal(address, len(data)):
            return False  # goal registers are read-only until Bus Watchdog is cleared
        with self.lock:
            was_on = self.torque_on
            self.memory[address : address + len(data)] = data
            if was_on and not self.torque_on:
                self.physical_at_torque_off = self.physical
        return True

    @property
    def torque_on(self) -> bool:
        return self.get("torque_enable") == 1

    @property
    def error_bits(self) -> int:
        return self.model.overheat_error_bit if self.overheated else 0

    # -- Dynamixel Bus Watchdog (98) ---------------------------------------------
    @property
    def watchdog_tripped(self) -> bool:
        return "bus_watchdog" in self.model.registers and self.get("bus_watchdog") == -1

    def watchdog_expired(self, now: float) -> bool:
        """X-series firmware: with torque on and Bus Watchdog at N > 0, a bus silent for
        longer than N x 20 ms stops the horn where it is and latches the register at -1."""
        if "bus_watchdog" not in self.model.registers or not self.torque_on:
            return False
        period = self.get("bus_watchdog")
        return period > 0 and now - self.last_instruction > period * WATCHDOG_UNIT_S

    def trip_watchdog(self) -> None:
        with self.lock:
            self.set("goal_position", self.get("present_position"))
            self.set("bus_watchdog", -1)

    def _touches_goal(self, address: int, length: int) -> bool:
        registers = self.model.registers
        return any(
            address < registers[name].address + registers[name].size
            and registers[name].address < address + length
            for name in GOAL_REGISTERS
            if name in registers
        )

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

"""Dynamixel X-series servos (Koch arms) over ``dynamixel-sdk``, Protocol 2.0."""

from __future__ import annotations

from .bus import MotorBus
from .tables import DYNAMIXEL_MODELS


class DynamixelBus(MotorBus):
    vendor = "dynamixel"
    sdk_module = "dynamixel_sdk"
    protocol = 2.0
    homing_sign = 1  # present = physical + homing offset
    models = DYNAMIXEL_MODELS
    bus_watchdog_unit_s = 0.02  # Bus Watchdog (98), X-series firmware >= v38
    refusal_bits = 0x7F  # Protocol 2.0 error number (range, length, access...); 0x80: alert

    def unlock_eeprom(self, motor: str) -> None:
        """X-series EEPROM is writable only with torque off."""
        self.write("torque_enable", motor, 0)

    def lock_eeprom(self, motor: str) -> None:
        """Nothing to do: EEPROM locks again when torque comes on."""

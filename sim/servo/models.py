"""Servo firmware models: what lives at which address, and how signs are encoded.

These tables are the emulated firmware's own. The drivers in ``actloop.hardware`` keep
their own copies from the vendors' manuals, so a mismatch between the two shows up as
a failing hardware test instead of silently agreeing with itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Register:
    address: int
    size: int
    sign_bit: int | None = None  # sign-magnitude bit (Feetech); None = unsigned
    signed: bool = False  # two's complement (Dynamixel)

    def encode(self, value: int) -> bytes:
        if self.sign_bit is not None and value < 0:
            value = (-value) | (1 << self.sign_bit)
        elif self.signed:
            value &= (1 << (8 * self.size)) - 1
        return int(value).to_bytes(self.size, "little")

    def decode(self, data: bytes) -> int:
        value = int.from_bytes(data, "little")
        if self.sign_bit is not None and value & (1 << self.sign_bit):
            return -(value & ~(1 << self.sign_bit))
        if self.signed and value >= 1 << (8 * self.size - 1):
            return value - (1 << (8 * self.size))
        return value


@dataclass(frozen=True)
class ServoModel:
    """One servo type. ``homing_sign``: present = physical + homing_sign * offset."""

    name: str
    model_number: int
    memory_size: int
    registers: dict[str, Register]
    defaults: dict[str, int]
    homing_sign: int
    overheat_error_bit: int
    steps_per_turn: int = 4096
    max_speed_steps: float = 3000.0  # steps per second under no load
    temperature_limit: int = 70
    extras: dict[str, int] = field(default_factory=dict)


R = Register
STS3215 = ServoModel(
    name="sts3215",
    model_number=777,
    memory_size=86,
    registers={
        "model_number": R(3, 2),
        "id": R(5, 1),
        "baud_rate": R(6, 1),
        "min_position_limit": R(9, 2),
        "max_position_limit": R(11, 2),
        "max_temperature_limit": R(13, 1),
        "homing_offset": R(31, 2, sign_bit=11),
        "operating_mode": R(33, 1),
        "torque_enable": R(40, 1),
        "acceleration": R(41, 1),
        "goal_position": R(42, 2, sign_bit=15),
        "goal_time": R(44, 2),
        "goal_velocity": R(46, 2, sign_bit=15),
        "torque_limit": R(48, 2),
        "lock": R(55, 1),
        "present_position": R(56, 2, sign_bit=15),
        "present_velocity": R(58, 2, sign_bit=15),
        "present_load": R(60, 2, sign_bit=10),
        "present_voltage": R(62, 1),
        "present_temperature": R(63, 1),
        "moving": R(66, 1),
        "present_current": R(69, 2),
    },
    defaults={
        "model_number": 777,
        "baud_rate": 0,
        "max_position_limit": 4095,
        "max_temperature_limit": 70,
        "torque_limit": 1000,
        "lock": 1,
        "present_voltage": 74,
        "present_temperature": 30,
    },
    homing_sign=-1,
    overheat_error_bit=0x04,
)

_DXL_REGISTERS = {
    "model_number": R(0, 2),
    "firmware_version": R(6, 1),
    "id": R(7, 1),
    "baud_rate": R(8, 1),
    "drive_mode": R(10, 1),
    "operating_mode": R(11, 1),
    "homing_offset": R(20, 4, signed=True),
    "max_temperature_limit": R(31, 1),
    "max_position_limit": R(48, 4),
    "min_position_limit": R(52, 4),
    "torque_enable": R(64, 1),
    "led": R(65, 1),
    "hardware_error_status": R(70, 1),
    "bus_watchdog": R(98, 1, signed=True),
    "goal_velocity": R(104, 4, signed=True),
    "goal_position": R(116, 4, signed=True),
    "moving": R(122, 1),
    "present_load": R(126, 2, signed=True),
    "present_velocity": R(128, 4, signed=True),
    "present_position": R(132, 4, signed=True),
    "present_input_voltage": R(144, 2),
    "present_temperature": R(146, 1),
}


def _dynamixel(name: str, model_number: int) -> ServoModel:
    return ServoModel(
        name=name,
        model_number=model_number,
        memory_size=147,
        registers=_DXL_REGISTERS,
        defaults={
            "model_number": model_number,
            "firmware_version": 48,
            "baud_rate": 3,
            "operating_mode": 3,
            "max_temperature_limit": 72,
            "max_position_limit": 4095,
            "present_input_voltage": 50,
            "present_temperature": 30,
        },
        homing_sign=+1,
        overheat_error_bit=0x80,
        temperature_limit=72,
    )


XL430 = _dynamixel("xl430-w250", 1060)
XL330 = _dynamixel("xl330-m288", 1200)

MODELS: dict[str, ServoModel] = {m.name: m for m in (STS3215, XL430, XL330)}

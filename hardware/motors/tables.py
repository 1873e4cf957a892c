"""Control tables from the vendors' manuals, one registry per vendor.

A register is found by name; its address, size and sign encoding come from here, so a
bus never branches on the model. Adding a servo model is adding an entry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Register:
    address: int
    size: int
    sign_bit: int | None = None  # sign-magnitude (Feetech): the bit that carries the sign
    twos_complement: bool = False  # two's complement (Dynamixel)

    def encode(self, value: int) -> int:
        """A signed host value as the unsigned word the servo stores."""
        value = int(value)
        if self.sign_bit is not None:
            magnitude = abs(value)
            if magnitude >= 1 << self.sign_bit:
                raise ValueError(
                    f"{value} does not fit a sign-magnitude field with sign bit {self.sign_bit}"
                )
            return magnitude | (1 << self.sign_bit) if value < 0 else magnitude
        bits = 8 * self.size
        if self.twos_complement:
            if not -(1 << (bits - 1)) <= value < 1 << (bits - 1):
                raise ValueError(f"{value} does not fit a signed {bits}-bit field")
            return value & ((1 << bits) - 1)
        if not 0 <= value < 1 << bits:
            raise ValueError(f"{value} does not fit an unsigned {bits}-bit field")
        return value

    def decode(self, raw: int) -> int:
        if self.sign_bit is not None and raw & (1 << self.sign_bit):
            return -(raw & ((1 << self.sign_bit) - 1))
        bits = 8 * self.size
        if self.twos_complement and raw >= 1 << (bits - 1):
            return raw - (1 << bits)
        return raw


@dataclass(frozen=True)
class MotorModel:
    name: str
    model_number: int
    table: dict[str, Register]
    resolution: int = 4096  # encoder steps per turn

    def register(self, name: str) -> Register:
        try:
            return self.table[name]
        except KeyError:
            from actloop.control import unknown_name_message

            raise KeyError(
                unknown_name_message(f"{self.name} register", name, self.table)
            ) from None


R = Register
STS_TABLE = {
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
    "goal_velocity": R(46, 2, sign_bit=15),
    "torque_limit": R(48, 2),
    "lock": R(55, 1),
    "present_position": R(56, 2, sign_bit=15),
    "present_velocity": R(58, 2, sign_bit=15),
    "present_load": R(60, 2, sign_bit=10),
    "present_voltage": R(62, 1),
    "present_temperature": R(63, 1),
    "moving": R(66, 1),
}
XL_TABLE = {
    "model_number": R(0, 2),
    "id": R(7, 1),
    "baud_rate": R(8, 1),
    "drive_mode": R(10, 1),
    "operating_mode": R(11, 1),
    "homing_offset": R(20, 4, twos_complement=True),
    "max_temperature_limit": R(31, 1),
    "max_position_limit": R(48, 4),
    "min_position_limit": R(52, 4),
    "torque_enable": R(64, 1),
    "led": R(65, 1),
    "hardware_error_status": R(70, 1),
    "bus_watchdog": R(98, 1, twos_complement=True),
    "goal_velocity": R(104, 4, twos_complement=True),
    "goal_position": R(116, 4, twos_complement=True),
    "moving": R(122, 1),
    "present_load": R(126, 2, twos_complement=True),
    "present_velocity": R(128, 4, twos_complement=True),
    "present_position": R(132, 4, twos_complement=True),
    "present_temperature": R(146, 1),
}

FEETECH_MODELS = {m.name: m for m in (MotorModel("sts3215", 777, STS_TABLE),)}
DYNAMIXEL_MODELS = {
    m.name: m
    for m in (
        MotorModel("xl430-w250", 1060, XL_TABLE),
        MotorModel("xl330-m288", 1200, XL_TABLE),
        MotorModel("xl330-m077", 1190, XL_TABLE),
    )
}

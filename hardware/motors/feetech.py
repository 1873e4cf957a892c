"""Feetech STS/SMS servos (SO-100/SO-101 arms) over ``feetech-servo-sdk``."""

from __future__ import annotations

from .bus import MotorBus
from .tables import FEETECH_MODELS


class FeetechBus(MotorBus):
    vendor = "feetech"
    sdk_module = "scservo_sdk"
    protocol = 0  # the SDK's "protocol_end": 0 = little-endian STS
    homing_sign = -1  # present = physical - homing offset
    models = FEETECH_MODELS

    def unlock_eeprom(self, motor: str) -> None:
        """STS servos keep EEPROM (IDs, offsets, limits) locked until ``lock`` is 0."""
        self.write("lock", motor, 0)

    def lock_eeprom(self, motor: str) -> None:
        self.write("lock", motor, 1)

"""Motor buses over the vendors' own SDKs, one class per vendor on a shared base."""

from .bus import BusError, Motor, MotorBus, TransactionStats, make_bus
from .dynamixel import DynamixelBus
from .feetech import FeetechBus
from .tables import DYNAMIXEL_MODELS, FEETECH_MODELS, MotorModel, Register

__all__ = [
    "DYNAMIXEL_MODELS",
    "FEETECH_MODELS",
    "BusError",
    "DynamixelBus",
    "FeetechBus",
    "Motor",
    "MotorBus",
    "MotorModel",
    "Register",
    "TransactionStats",
    "make_bus",
]

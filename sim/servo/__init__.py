"""Servo emulators: a simulated arm on a pseudo-terminal at the servos' wire protocol.

The real vendor SDKs talk to these exactly as to a USB servo adapter, so hardware code
is tested end to end without an arm attached. Physics-free (kinematic) or MuJoCo-backed.
"""

from .arm import JOINTS, LAYOUTS, PLANTS, EmulatedArm
from .emulator import ServoBusEmulator
from .faults import FaultPlan
from .framing import FRAMINGS, DynamixelFraming, FeetechFraming, crc16
from .models import MODELS, ServoModel
from .plant import KinematicPlant
from .servo import EmulatedServo

__all__ = [
    "FRAMINGS",
    "JOINTS",
    "LAYOUTS",
    "MODELS",
    "PLANTS",
    "DynamixelFraming",
    "EmulatedArm",
    "EmulatedServo",
    "FaultPlan",
    "FeetechFraming",
    "KinematicPlant",
    "ServoBusEmulator",
    "ServoModel",
    "crc16",
]

"""Real arms: motor buses over the vendor SDKs, calibration, robots, teleoperation,
and the policy server and client. Imports only ``actloop.control``; tests drive the real
SDKs against ``actloop.sim.servo``'s pty emulators.
"""

from .calibration import ArmCalibration, CalibrationError, MotorCalibration
from .motors import BusError, DynamixelBus, FeetechBus, Motor, MotorBus, make_bus
from .robot import ARMS, RobotFault, ServoArm, arm_definition
from .scripted import SinePolicy

__all__ = [
    "ARMS",
    "ArmCalibration",
    "BusError",
    "CalibrationError",
    "DynamixelBus",
    "FeetechBus",
    "Motor",
    "MotorBus",
    "MotorCalibration",
    "RobotFault",
    "ServoArm",
    "SinePolicy",
    "arm_definition",
    "make_bus",
]

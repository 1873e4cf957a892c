"""Emulated arms behind ptys, closed after every test so no thread or pty outlives it."""

import sys

import pytest
from actloop.control import get_embodiment
from actloop.hardware.calibration import calibration_from_limits
from actloop.hardware.motors import make_bus
from actloop.hardware.robot import ServoArm, arm_definition
from actloop.sim.servo import EmulatedArm


@pytest.fixture(autouse=True)
def responsive_emulator_thread():
    """The emulated servos answer from a thread of this process, so they share the GIL with
    the SDK under test, whose receive loop spins holding it. Real servos answer from their
    own silicon; a short switch interval keeps the emulator's reply latency near that
    (drivers without retries, like LeRobot's ping, otherwise miss the odd reply)."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    yield
    sys.setswitchinterval(previous)


@pytest.fixture
def emulated():
    """Factory: ``emulated("so101", plant=..., faults=...)``; every arm is closed at teardown."""
    arms = []

    def make(robot="so101", **options):
        arm = EmulatedArm(robot, **options)
        arms.append(arm)
        return arm

    yield make
    for arm in arms:
        arm.close()


def homed_calibration(robot: str, port: str):
    definition, spec = arm_definition(robot), get_embodiment(robot)
    bus = make_bus(definition.vendor, port, definition.motors)
    bus.connect()
    try:
        return calibration_from_limits(
            bus, robot, {f.name: (f.low, f.high) for f in spec.action_fields}
        )
    finally:
        bus.disconnect()


@pytest.fixture
def calibrate_homed():
    """The calibration matching a factory-homed emulator (offsets read from the servos)."""
    return homed_calibration


@pytest.fixture
def servo_arm(emulated):
    """Factory: a connected-ready ServoArm on a factory-homed emulator, and the emulator."""
    robots = []

    def make(robot="so101", **options):
        arm = emulated(robot, homed=True, **options)
        robots.append(ServoArm(arm_definition(robot), arm.port, homed_calibration(robot, arm.port)))
        return robots[-1], arm

    yield make
    for robot in robots:
        robot.disconnect()

"""Dynamixel's Bus Watchdog, over the real dynamixel-sdk against the emulated firmware rule:
a silent bus stops the motors, the host finds out, and teardown still parks the arm."""

from __future__ import annotations

import time

import numpy as np
import pytest
from actloop.hardware.motors import BusError, make_bus
from actloop.hardware.robot import RobotFault, arm_definition


@pytest.fixture
def koch_bus(emulated):
    arm = emulated("koch")
    bus = make_bus("dynamixel", arm.port, arm_definition("koch").motors)
    bus.connect()
    yield bus, arm
    bus.disconnect()


def test_a_silent_bus_stops_the_motor_which_then_refuses_goals_until_cleared(koch_bus):
    bus, arm = koch_bus
    motor = "elbow_flex"
    start = bus.read("present_position", motor)
    bus.write("torque_enable", motor, 1)
    assert bus.arm_bus_watchdog(0.06, [motor])
    assert bus.read("bus_watchdog", motor) == 3  # 60 ms in 20 ms units
    bus.write("goal_position", motor, start + 3000)  # far: seconds away at full speed
    time.sleep(0.3)  # the host goes silent
    assert bus.tripped_bus_watchdog() == [motor]
    stopped = bus.read("present_position", motor)
    assert start < stopped < start + 3000  # it moved, then stopped short of the goal
    assert arm.emulator.counts["bus_watchdog_trips"] == 1
    with pytest.raises(BusError, match=r"refused by the motor: .*out of range"):
        bus.write("goal_position", motor, start)
    assert bus.clear_bus_watchdog([motor]) == [motor]
    bus.write("goal_position", motor, start)  # accepted again
    assert bus.read("goal_position", motor) == start


def test_feetech_has_no_bus_watchdog_and_says_so(emulated):
    arm = emulated("so101")
    bus = make_bus("feetech", arm.port, arm_definition("so101").motors)
    bus.connect()
    try:
        assert bus.arm_bus_watchdog(0.1) is False
        assert bus.clear_bus_watchdog() == [] and bus.tripped_bus_watchdog() == []
    finally:
        bus.disconnect()


def test_the_arm_reports_a_trip_and_still_parks_and_torques_off(servo_arm):
    robot, arm = servo_arm("koch", plant="kinematic")
    robot.connect()
    state = robot.observe().state
    for _ in range(3):
        robot.send_action(state)
        time.sleep(robot.spec.dt)
    assert robot.bus.read("bus_watchdog", "shoulder_pan") == 5  # 100 ms by default
    time.sleep(0.4)  # the control loop hangs
    with pytest.raises(RobotFault, match="bus watchdog stopped"):
        for _ in range(robot.health_every):
            robot.observe()
    robot.disconnect()
    assert robot.teardown_report["torque_off_failed"] == []
    assert "failed" not in str(robot.teardown_report["park"])
    joints = [f.name for f in robot.spec.action_fields]
    park = np.array([robot.definition.park_pose.get(j, 0.0) for j in joints])
    assert np.allclose(arm.joint_angles(), park, atol=0.08)  # the cleared motors moved

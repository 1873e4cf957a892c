"""LeRobot's own SO-101 driver, through the adapter, against the servo emulator."""

import json
import re
import time

import numpy as np
import pytest
from actloop.control import ControlLoop, get_embodiment
from actloop.control.schedulers import make_scheduler
from actloop.hardware.lerobot_adapter import LeRobotArm
from actloop.hardware.scripted import SinePolicy
from actloop.sim.servo import JOINTS
from actloop.sim.servo.faults import FaultPlan

pytest.importorskip("scservo_sdk")  # the [hardware] extra: vendor SDKs

pytestmark = pytest.mark.lerobot
pytest.importorskip("lerobot")


def _lerobot_arm(arm, tmp_path) -> LeRobotArm:
    from lerobot.robots.so_follower import SO101FollowerConfig
    from lerobot.robots.so_follower.so_follower import SOFollower

    calibration = {  # LeRobot's calibration format; ranges centred where our zero is
        name: {
            "id": s.id,
            "drive_mode": 0,
            "homing_offset": s.get("homing_offset"),
            "range_min": 2048 - 1000,
            "range_max": 2048 + 1000,
        }
        for name, s in zip(JOINTS, arm.servos, strict=True)
    }
    (tmp_path / "emu.json").write_text(json.dumps(calibration))
    config = SO101FollowerConfig(port=arm.port, id="emu", calibration_dir=tmp_path)
    follower = SOFollower(config)
    _tolerate_host_stalls(follower.bus.port_handler)
    return LeRobotArm(follower, get_embodiment("so101"), "wave")


REPLY_SLACK_MS = 250.0


def _tolerate_host_stalls(port_handler) -> None:
    """The emulator answers from a thread of this process. A CPU-throttled CI container can
    pause that thread past LeRobot's ~50 ms reply window for seconds on end (CI failed a
    handshake 5 times so, each on a different read), which a servo answering from its own
    silicon never does. Widening every window the SDK sets leaves only the faults a test
    plans to be lost; a lost reply still times out, only later."""
    for name in ("setPacketTimeout", "setPacketTimeoutMillis"):
        set_window = getattr(port_handler, name)

        def widened(value, set_window=set_window):
            set_window(value)
            port_handler.packet_timeout += REPLY_SLACK_MS

        setattr(port_handler, name, widened)


class DropFirstReply(FaultPlan):
    """The first reply on the bus that ``matches`` never arrives (a late reply on a busy host
    reads the same)."""

    def __init__(self, matches=lambda reply: True) -> None:
        super().__init__()
        self.matches = matches

    def apply(self, reply: bytes):
        if self.matches(reply) and not self.counts["dropped"]:
            self.counts["dropped"] += 1
            return None, 0.0
        return reply, 0.0


def one_data_byte(reply: bytes) -> bool:
    """A status packet's LENGTH field is 2 + its parameters: LeRobot's firmware-version read
    (after its pings passed) is the handshake's first reply with one."""
    return reply[3] == 3


def test_a_lost_handshake_reply_is_retried_not_fatal(tmp_path, emulated):
    arm = emulated("so101", homed=True, faults=DropFirstReply())
    robot = _lerobot_arm(arm, tmp_path)
    robot.connect()  # LeRobot's own check pings each servo once and fails on the first
    assert robot.robot.is_connected and arm.emulator.faults.counts["dropped"] == 1
    robot.disconnect()


def test_a_lost_firmware_read_in_the_handshake_is_retried_not_fatal(tmp_path, emulated):
    arm = emulated("so101", homed=True, faults=DropFirstReply(one_data_byte))
    robot = _lerobot_arm(arm, tmp_path)
    robot.connect()  # LeRobot raises ConnectionError for it, as for a port that never opens
    assert robot.robot.is_connected and arm.emulator.faults.counts["dropped"] == 1
    robot.disconnect()


def test_a_port_that_does_not_open_fails_at_once_without_retries(tmp_path, emulated):
    arm = emulated("so101", homed=True)
    robot = _lerobot_arm(arm, tmp_path)
    robot.robot.bus.port_handler.port_name = str(tmp_path / "no-such-port")
    # retried, it would end in RuntimeError("LeRobot's handshake failed 5 times ...")
    with pytest.raises(ConnectionError, match="Could not connect"):
        robot.connect()


class DropServo(FaultPlan):
    """One servo never answers: unplugged, or a wrong ID."""

    def apply(self, reply: bytes):
        return (None, 0.0) if reply[2] == 2 else (reply, 0.0)


def test_a_servo_that_never_answers_fails_connect_naming_it_on_every_attempt(tmp_path, emulated):
    arm = emulated("so101", homed=True, faults=DropServo())
    robot = _lerobot_arm(arm, tmp_path)
    robot.retry_backoff_s = 0.01
    with pytest.raises(RuntimeError, match="failed 5 times") as failure:
        robot.connect()
    # servo 2 fails every attempt. On a loaded host a starved emulator thread can miss
    # other servos' replies too ("ids 1, 2 failed it", "ids 2, 3, 4 failed it")
    attempts = re.findall(r"attempt \d+: ids ([\d, ]+) failed it", str(failure.value))
    assert len(attempts) == 5
    assert all("2" in ids.split(", ") for ids in attempts), attempts
    assert not robot.robot.bus.port_handler.is_open  # nothing left holding the port


def test_a_lost_position_reply_is_read_again_not_fatal(tmp_path, emulated):
    arm = emulated("so101", homed=True)
    robot = _lerobot_arm(arm, tmp_path)
    robot.connect()
    arm.emulator.faults = DropFirstReply()  # from now on: servo 1's next reply is lost
    try:
        assert np.allclose(robot.observe().state[:5], arm.joint_angles()[:5], atol=3e-3)
        assert arm.emulator.faults.counts["dropped"] == 1
    finally:
        robot.disconnect()


def test_lerobot_so101_follower_runs_in_the_control_loop_on_the_emulator(tmp_path, emulated):
    arm = emulated("so101", homed=True)
    robot = _lerobot_arm(arm, tmp_path)
    robot.connect()
    target = np.array([0.2, -0.1, 0.3, 0.0, 0.1, 0.5])
    applied = robot.send_action(target)
    assert np.allclose(applied, target, atol=2e-3)  # LeRobot sent what we asked, in our units
    for _ in range(100):
        if np.allclose(arm.joint_angles()[:5], target[:5], atol=3e-3):
            break
        time.sleep(0.01)
    assert np.allclose(arm.joint_angles()[:5], target[:5], atol=3e-3)
    assert np.allclose(robot.observe().state[:5], target[:5], atol=3e-3)
    loop = ControlLoop(
        robot,
        SinePolicy(robot.spec, amplitude=0.2),
        inference="async",
        scheduler=make_scheduler("rtc"),
    )
    result = loop.run(max_ticks=20)
    assert result.termination == "max_ticks"
    assert not robot.robot.is_connected
    # The emulator's mechanism moved the way the body-joint commands said, in radians.
    angles = np.array(arm.joint_angles()[:5])
    assert np.abs(angles).max() > 0.02
    assert len(arm.emulator.goal_log) >= 6 * 10

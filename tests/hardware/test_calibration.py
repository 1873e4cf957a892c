"""Calibration over the wire: homing written to the servos, ranges recorded, file checked."""

import json

import numpy as np
import pytest
from actloop.cli.main import main
from actloop.hardware.calibration import ArmCalibration, CalibrationError
from actloop.hardware.robot import ServoArm, arm_definition

pytest.importorskip("scservo_sdk")  # the [hardware] extra: vendor SDKs


def test_actloop_calibrate_homes_the_emulator_and_the_file_drives_the_arm(tmp_path, emulated):
    out = tmp_path / "so101.json"
    assert (
        main(
            [
                "calibrate",
                "--robot",
                "so101",
                "--emulate",
                "--out",
                str(out),
                "--seconds",
                "0.6",
                "--yes",
            ]
        )
        == 0
    )
    cal = ArmCalibration.load(out)
    # The emulated horns are mounted off-centre; homing must recover exactly those offsets.
    from actloop.sim.servo.arm import MOUNT_OFFSETS

    assert [m.homing_offset for m in cal.motors.values()] == list(MOUNT_OFFSETS)
    assert all(m.range_min < 2048 < m.range_max for m in cal.motors.values())

    arm = emulated("so101", homed=True)  # a factory-homed arm with the same mounting
    robot = ServoArm(arm_definition("so101"), arm.port, cal)
    robot.connect()
    try:
        robot.torque_off()  # a person can only backdrive a limp joint
        arm.move_by_hand("elbow_flex", 0.3)
        assert robot.observe().state[2] == pytest.approx(0.3, abs=2e-3)
        assert np.allclose(arm.joint_angles()[:2], robot.observe().state[:2], atol=2e-3)
    finally:
        robot.disconnect()


def test_a_file_from_another_arm_is_refused_with_the_motor_named(
    tmp_path, emulated, calibrate_homed
):
    arm = emulated("so101", homed=True)
    cal = calibrate_homed("so101", arm.port)
    path = tmp_path / "cal.json"
    cal.save(path)
    data = json.loads(path.read_text())
    data["motors"]["wrist_flex"]["homing_offset"] += 40
    path.write_text(json.dumps(data))
    robot = ServoArm(arm_definition("so101"), arm.port, ArmCalibration.load(path))
    with pytest.raises(
        CalibrationError,
        match=r"wrist_flex \(id 4\): homing_offset on the servo is 260, file says 300",
    ):
        robot.connect()
    assert not robot.bus.is_connected
    koch_file = ArmCalibration("koch", cal.motors)
    with pytest.raises(CalibrationError, match="file is for 'koch'"):
        ServoArm(arm_definition("so101"), arm.port, koch_file).connect()


def test_malformed_calibration_files_say_what_is_wrong(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format_version": 1, "robot": "so101", "motors": {"a": {"id": 1}}}')
    with pytest.raises(CalibrationError, match="not a valid calibration file"):
        ArmCalibration.load(path)
    path.write_text('{"format_version": 9}')
    with pytest.raises(CalibrationError, match="format_version 9"):
        ArmCalibration.load(path)
    with pytest.raises(FileNotFoundError, match="actloop calibrate"):
        ArmCalibration.load(tmp_path / "missing.json")

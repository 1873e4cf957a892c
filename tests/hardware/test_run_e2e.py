"""End to end: ControlLoop -> safety -> ServoArm -> real vendor SDK -> pty emulator."""

import json
import math
import time

import numpy as np
import pytest
from actloop.cli.main import main
from actloop.control import ControlLoop, EpisodeInfo, MemoryRecorder
from actloop.control.schedulers import make_scheduler
from actloop.control.watchdog import HealthLimits, StaleActionWatchdog
from actloop.hardware.robot import RobotFault
from actloop.hardware.scripted import SinePolicy
from actloop.sim.servo import FaultPlan

pytest.importorskip("scservo_sdk")  # the [hardware] extra: vendor SDKs

STEP = 2 * math.pi / 4096  # one encoder step in radians


def goals_in_radians(arm, robot):
    """Every goal the servos received, per joint, as angles through the calibration."""
    cal = robot.calibration.motors
    by_id = {m.id: name for name, m in cal.items()}
    out = {name: [] for name in cal}
    for _, servo_id, steps in arm.emulator.goal_log:
        out[by_id[servo_id]].append(cal[by_id[servo_id]].to_radians(steps))
    return {k: np.array(v) for k, v in out.items()}


def assert_commands_within_limits(arm, robot):
    spec = robot.spec
    for field in spec.action_fields:
        goals = goals_in_radians(arm, robot)[field.name]
        assert goals.size > 0
        assert goals.min() >= field.low - STEP and goals.max() <= field.high + STEP
        assert np.abs(np.diff(goals)).max() <= field.max_step + 2 * STEP


def test_actloop_run_drives_the_emulated_so101_through_the_feetech_sdk(capsys):
    code = main(
        [
            "run",
            "--robot",
            "so101",
            "--emulate",
            "--plant",
            "mujoco",
            "--policy",
            "sine",
            "--ticks",
            "45",
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    ticks = report["ticks"]
    assert code == 0 and report["termination"] == "max_ticks"
    assert ticks + report["stats"]["missed_ticks"] == 45  # a loaded machine may skip ticks
    assert report["stats"]["inferences"] >= 2
    assert report["emulator"]["goals_written"] >= ticks * 6  # every tick reached every servo
    assert report["bus"]["transactions"] >= ticks  # a sync read per tick, at least
    assert report["teardown"]["torque_off_failed"] == [] and report["teardown"]["park"] is None


def test_five_percent_faults_keep_the_loop_running_within_limits(servo_arm):
    robot, arm = servo_arm("so101", plant="kinematic", faults=FaultPlan.uniform(0.05, seed=1))
    robot.connect()
    loop = ControlLoop(
        robot,
        SinePolicy(robot.spec, amplitude=0.6),
        inference="async",
        scheduler=make_scheduler("rtc"),
        watchdog=StaleActionWatchdog(1.0),
    )
    result = loop.run(max_ticks=60)
    assert result.termination == "max_ticks" and result.ticks + result.stats["missed_ticks"] == 60
    assert robot.bus.stats.retries > 0
    assert sum(arm.faults.counts[k] for k in ("dropped", "corrupted", "delayed")) > 0
    assert_commands_within_limits(arm, robot)
    assert not any(s.torque_on for s in arm.servos) and not robot.bus.is_connected


def test_a_servo_that_stops_answering_stops_the_arm_safely_and_is_reported(servo_arm):
    robot, arm = servo_arm("so101", plant="kinematic")
    robot.connect()

    class UnplugMidEpisode(SinePolicy):
        def infer(self, observation):
            if self.calls == 3:
                arm.unplug(3)
            return super().infer(observation)

    loop = ControlLoop(robot, UnplugMidEpisode(robot.spec), scheduler=make_scheduler("execute_n"))
    with pytest.raises(RobotFault, match="consecutive failed reads"):
        loop.run(max_ticks=200)
    assert robot.teardown_report["torque_off_failed"] == ["elbow_flex"]
    assert [s.torque_on for s in arm.servos] == [False, False, True, False, False, False]
    assert not robot.bus.is_connected


def test_an_overheating_gripper_ends_the_episode_parked_and_torqued_off(servo_arm):
    robot, arm = servo_arm("so101", plant="kinematic", faults=FaultPlan(overheat={6: 120.0}))
    robot.health_every = 1
    robot.connect()
    loop = ControlLoop(
        robot,
        SinePolicy(robot.spec),
        inference="async",
        health=HealthLimits(max_temperature=50.0),
        disconnect_on_exit=False,
    )
    result = loop.run(max_ticks=300)
    assert result.termination == "overheat" and "gripper" in result.detail
    assert result.safety_events["safe_stop_overheat"] == 1
    assert not any(s.torque_on for s in arm.servos)


def test_killing_the_policy_holds_within_a_tick_then_parks_and_torques_off(servo_arm):
    robot, arm = servo_arm("so101", plant="kinematic")
    robot.connect()

    class DiesMidEpisode(SinePolicy):
        died_at = math.inf

        def infer(self, observation):
            if self.calls == 4:
                type(self).died_at = time.time()
                raise RuntimeError("inference process killed")
            return super().infer(observation)

    recorder = MemoryRecorder()
    loop = ControlLoop(
        robot,
        DiesMidEpisode(robot.spec, horizon=30),
        inference="async",
        watchdog=StaleActionWatchdog(park_after=0.3),
        recorder=recorder,
    )
    result = loop.run(max_ticks=600, episode=EpisodeInfo("so101", "wave", 30.0))
    assert result.termination == "watchdog" and "no fresh action" in result.detail
    [episode] = recorder.episodes
    assert not episode.success
    dt = robot.spec.dt
    after = [st for st in episode.steps if st.observation.timestamp >= DiesMidEpisode.died_at + dt]
    assert after, "the episode must go on past the policy's death (held, then parked)"
    for step in after:  # every tick after the death holds where the arm is
        assert np.allclose(step.action, step.observation.state, atol=2 * STEP)
    park = [robot.definition.park_pose.get(f.name, 0.0) for f in robot.spec.action_fields]
    assert np.allclose(arm.joint_angles(), park, atol=0.05)
    assert not any(s.torque_on for s in arm.servos) and not robot.bus.is_connected


@pytest.mark.slow
def test_parking_before_torque_off_keeps_the_mujoco_arm_from_dropping(servo_arm):
    robot, arm = servo_arm("so101", plant="mujoco")
    robot.connect()
    reach_out = np.zeros(robot.spec.action_dim)
    reach_out[1], reach_out[2] = 0.5, -0.5  # leaning forward, forearm level: held against gravity

    def hold_out():
        for _ in range(40):
            robot.send_action(
                np.clip(reach_out, robot._last_command - 0.15, robot._last_command + 0.15)
            )
            time.sleep(robot.spec.dt)

    hold_out()
    before = np.array(arm.joint_angles())
    robot.torque_off()  # the field failure: torque cut without parking
    time.sleep(0.6)
    dropped = np.abs(np.array(arm.joint_angles()) - before).max()
    robot.bus.enable_torque()
    robot.send_action(arm.joint_angles())
    robot.park()
    parked = np.array(arm.joint_angles())
    robot.torque_off()
    time.sleep(0.6)
    assert dropped > 0.3  # unparked, the arm falls
    assert np.abs(np.array(arm.joint_angles()) - parked).max() < 0.05  # parked, it stays


def test_a_one_off_temperature_misread_is_not_taken_for_an_overheat(servo_arm):
    """A Feetech reply that arrives late answers the wrong request (its status packet does
    not name the register); one wrong byte on the wire must not read as 255 C."""
    robot, arm = servo_arm("so101", plant="kinematic")
    robot.connect()
    robot.observe()  # the first health sample
    servo = arm.plant.servos[2]  # elbow_flex
    address = servo.model.registers["present_temperature"].address
    honest_read, wrong_replies = servo.read, [255]

    def one_wrong_reply(start: int, length: int):
        data = honest_read(start, length)
        if start == address and wrong_replies:
            return bytes([wrong_replies.pop()]) + data[1:]
        return data

    servo.read = one_wrong_reply
    for _ in range(robot.health_every):
        temperatures = robot.observe().extras["temperature"]
    assert not wrong_replies  # the wrong byte was sent
    assert temperatures.max() < 60

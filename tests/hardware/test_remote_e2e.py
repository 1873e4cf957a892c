"""`actloop serve` in its own process; the arm runs on its chunks until the server dies."""

import os
import subprocess
import sys

import numpy as np
import pytest
from actloop.cli.main import main
from actloop.control import ControlLoop
from actloop.control.schedulers import make_scheduler
from actloop.control.watchdog import StaleActionWatchdog
from actloop.hardware.server import RemotePolicy
from websockets.exceptions import InvalidStatus

pytest.importorskip("scservo_sdk")  # the [hardware] extra: vendor SDKs
pytest.importorskip("dynamixel_sdk")  # the [hardware] extra: vendor SDKs


@pytest.fixture
def served():
    env = {**os.environ, "ACTLOOP_TOKEN": "secret"}
    process = subprocess.Popen(
        [sys.executable, "-m", "actloop.cli", "serve", "--policy", "sine", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("serving sine on ws://"), line
        yield process, line.split(" on ")[1].split(" ")[0]
    finally:
        process.kill()
        process.wait(timeout=10)


def test_killing_the_policy_server_mid_episode_parks_and_torques_off(served, servo_arm):
    process, url = served
    robot, arm = servo_arm("so101", plant="kinematic")
    robot.connect()
    policy = RemotePolicy(url, token="secret", timeout=2.0)
    assert policy.metadata["policy"] == "sine" and policy.metadata["source"] == "sine"

    calls = {"n": 0}
    original = policy.infer

    def infer(observation):
        calls["n"] += 1
        if calls["n"] == 3:
            process.kill()  # the inference process dies mid-episode
        return original(observation)

    policy.infer = infer
    loop = ControlLoop(
        robot,
        policy,
        inference="async",
        scheduler=make_scheduler("rtc"),
        watchdog=StaleActionWatchdog(park_after=0.3),
    )
    result = loop.run(max_ticks=900)
    assert result.termination == "watchdog"
    assert result.safety_events["no_action_hold"] >= 1
    park = [robot.definition.park_pose.get(f.name, 0.0) for f in robot.spec.action_fields]
    assert np.allclose(arm.joint_angles(), park, atol=0.05)
    assert not any(s.torque_on for s in arm.servos) and not robot.bus.is_connected


def test_unauthenticated_clients_are_refused_by_the_served_process(served):
    _, url = served
    with pytest.raises(InvalidStatus, match="401"):
        RemotePolicy(url, token="wrong")


def test_actloop_run_drives_the_emulated_koch_through_the_dynamixel_sdk(capsys):
    import json

    code = main(
        [
            "run",
            "--robot",
            "koch",
            "--emulate",
            "--policy",
            "sine",
            "--ticks",
            "30",
            "--scheduler",
            "temporal_ensemble",
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["termination"] == "max_ticks"
    assert report["emulator"]["goals_written"] >= report["ticks"] * 6
    assert report["teardown"]["torque_off_failed"] == []


def test_actloop_run_with_a_server_url_drives_the_emulated_arm(served, capsys):
    import json

    _, url = served
    code = main(
        [
            "run",
            "--robot",
            "so101",
            "--emulate",
            "--plant",
            "kinematic",
            "--server",
            url,
            "--token",
            "secret",
            "--ticks",
            "30",
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["termination"] == "max_ticks"
    assert report["stats"]["inferences"] >= 2 and report["emulator"]["goals_written"] > 0

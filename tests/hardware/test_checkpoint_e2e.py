"""A saved VLAPolicy checkpoint drives the emulated SO-101 through the real Feetech SDK:
`actloop run --policy CKPT` in process, and `actloop serve --policy CKPT` in its own process
with `actloop run --server URL`. The emulator renders the policy's cameras from MuJoCo."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from actloop.cli.main import main
from actloop.control import get_embodiment
from actloop.hardware.robot import arm_definition

pytest.importorskip("scservo_sdk")  # the [hardware] extra: vendor SDKs

STEP = 2 * np.pi / 4096  # one encoder step in radians
SPREAD = 0.01  # radians: the statistics of a dataset of small motions about home


def stats_near_home(spec, spread: float) -> dict:
    """Statistics (datasets layout) of smooth small motions about the zero pose.

    An untrained policy samples anywhere inside its normalisation range; with the range of a
    real dataset it chatters across the whole workspace and the servos rightly overload. These
    statistics keep its chunks small, so the episode runs to its end."""
    t = np.linspace(0.0, 2 * np.pi, 256)[:, None]
    width = spec.action_dim
    data = spread * np.sin(t * np.arange(1, width + 1) + np.arange(width))
    entry = {
        "mean": data.mean(0),
        "std": data.std(0),
        "min": data.min(0),
        "max": data.max(0),
        "q01": np.quantile(data, 0.01, axis=0),
        "q99": np.quantile(data, 0.99, axis=0),
    }
    assert spec.state_dim == width  # so101 state: the six joint angles
    return {spec.name: {"action": entry, "state": entry}}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from actloop.policies import VLAPolicy

    spec = get_embodiment("so101")
    torch.manual_seed(0)
    policy = VLAPolicy.create("tiny", stats_near_home(spec, SPREAD)).eval()
    assert set(policy.config.cameras) <= set(spec.cameras)
    path = tmp_path_factory.mktemp("so101_tiny") / "ckpt"
    policy.save_pretrained(path)
    return str(path)


def run_json(argv, capsys) -> tuple[int, dict]:
    # The emulator shares this process (and its GIL) with MuJoCo rendering and the model, and
    # the box with other jobs: a 30 ms reply timeout, not a USB adapter's 8, keeps a starved
    # emulator thread from reading as a dead bus. For the same reason the watchdog waits 3 s,
    # not 0.5: on a CI box loaded to twice its usual test time, one served chunk took over
    # 0.5 s and parked the arm. The watchdog itself is tested in test_run_e2e.py.
    fixed = ["run", "--robot", "so101", "--emulate", "--render-cameras", "--latency-ms", "30"]
    fixed += ["--park-after", "3"]
    code = main([*fixed, "--json", *argv])
    return code, json.loads(capsys.readouterr().out)


def assert_whole_episode_within_limits_then_parked(report, ticks: int):
    assert report["termination"] == "max_ticks" and report["policy_error"] is None
    assert report["ticks"] + report["stats"]["missed_ticks"] == ticks  # a loaded box skips some
    assert report["stats"]["inferences"] >= 2
    emulator = report["emulator"]
    assert emulator["goals_written"] >= report["ticks"] * 6  # every tick reached every servo
    for field in get_embodiment("so101").action_fields:
        low, high = emulator["goal_range"][field.name]
        assert field.low - STEP <= low and high <= field.high + STEP, field.name
        assert emulator["goal_max_step"][field.name] <= field.max_step + 2 * STEP, field.name
    park = arm_definition("so101").park_pose  # 0.85 to 1.7 rad from where the episode ran
    # Parked when torque was cut; where it rests later depends on how long a loaded box takes.
    for name, angle in emulator["joint_angles_at_torque_off"].items():
        assert angle is not None and abs(angle - park.get(name, 0.0)) < 0.1, name
    assert not any(emulator["torque_on_at_end"].values())
    assert report["teardown"]["torque_off_failed"] == []


@pytest.mark.timeout(60)
def test_actloop_run_drives_the_emulated_so101_with_a_saved_checkpoint(checkpoint, capsys):
    code, report = run_json(["--policy", checkpoint, "--ticks", "45"], capsys)
    assert code == 0, report
    assert_whole_episode_within_limits_then_parked(report, 45)


@pytest.mark.timeout(60)
def test_a_checkpoint_needing_cameras_the_robot_lacks_is_refused_before_the_arm_moves(
    checkpoint, capsys
):
    code = main(["run", "--robot", "so101", "--emulate", "--policy", checkpoint, "--ticks", "30"])
    err = capsys.readouterr().err
    assert code == 2
    assert "missing camera(s) ['front', 'wrist']" in err and "--render-cameras" in err


@pytest.fixture
def served_checkpoint(checkpoint):
    env = {**os.environ, "ACTLOOP_TOKEN": "s3cret", "MUJOCO_GL": "egl"}
    process = subprocess.Popen(
        [sys.executable, "-m", "actloop.cli", "serve", "--policy", checkpoint, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith(f"serving {checkpoint} on ws://"), line
        yield line.split(" on ")[1].split(" ")[0]
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.mark.timeout(90)
def test_actloop_run_drives_the_emulated_so101_from_a_served_checkpoint(served_checkpoint, capsys):
    argv = ["--server", served_checkpoint, "--token", "s3cret", "--ticks", "45"]
    code, report = run_json(argv, capsys)
    assert code == 0, report
    assert_whole_episode_within_limits_then_parked(report, 45)


def test_compile_is_refused_for_a_built_in_policy_before_anything_runs(capsys):
    code = main(["serve", "--policy", "sine", "--port", "0", "--compile"])
    assert code == 2
    assert "--compile needs a VLAPolicy checkpoint directory, not 'sine'" in capsys.readouterr().err

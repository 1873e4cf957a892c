"""``actloop record``: teleoperate a follower from a leader arm into the episode store."""

from __future__ import annotations

import argparse
import contextlib

from ._hardware import add_robot_arguments, load_calibration, open_port

NAME = "record"
HELP = "Record teleoperated episodes (leader arm -> follower) into an actloop zarr store."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_robot_arguments(parser)
    parser.add_argument("--leader-port", help="serial port of the leader arm (with --port)")
    parser.add_argument("--leader-calibration", help="leader calibration JSON (with --port)")
    parser.add_argument("--store", required=True, help="zarr store path or URL")
    parser.add_argument("--instruction", required=True, help="what the demonstrations do")
    parser.add_argument("--episodes", type=int, default=1)
    parser.add_argument("--ticks", type=int, default=300, help="ticks per episode")


def run(args: argparse.Namespace) -> int:
    from actloop.control import ControlLoop, EpisodeInfo, ExecuteNScheduler, get_embodiment
    from actloop.datasets import EpisodeWriter
    from actloop.hardware.robot import ServoArm, arm_definition
    from actloop.hardware.teleop import LeaderArm, TeleopPolicy

    definition, spec = arm_definition(args.robot), get_embodiment(args.robot)
    writer = EpisodeWriter(args.store)
    with open_port(args) as (port, _emulated), _leader(args) as (leader_port, leader_cal):
        follower = ServoArm(
            definition, port, load_calibration(args, port), instruction=args.instruction
        )
        from actloop.hardware.motors import make_bus

        leader = LeaderArm(
            make_bus(definition.vendor, leader_port, definition.motors),
            leader_cal or load_calibration(args, leader_port),
            spec,
        )
        leader.connect()
        follower.connect()
        loop = ControlLoop(
            follower,
            TeleopPolicy(leader),
            scheduler=ExecuteNScheduler(1),
            recorder=writer,
            disconnect_on_exit=False,
        )
        try:
            for index in range(args.episodes):
                result = loop.run(
                    args.ticks, EpisodeInfo(spec.name, args.instruction, spec.control_hz)
                )
                print(f"episode {index}: {result.ticks} ticks, {result.termination}")
        finally:
            follower.disconnect()
            leader.disconnect()
            getattr(writer, "close", lambda: None)()
    return 0


@contextlib.contextmanager
def _leader(args: argparse.Namespace):
    """The leader's port and calibration; emulated, a scripted hand moves it."""
    if not args.emulate:
        if not (args.leader_port and args.leader_calibration):
            raise ValueError("--leader-port and --leader-calibration are required with --port")
        from actloop.hardware.calibration import ArmCalibration

        yield args.leader_port, ArmCalibration.load(args.leader_calibration)
        return
    from actloop.sim.servo import EmulatedArm
    from actloop.sim.servo.hand import ScriptedHand

    with EmulatedArm(args.robot, plant="kinematic", homed=True) as leader:
        hand = ScriptedHand(leader, amplitude=0.4).start()
        try:
            yield leader.port, None
        finally:
            hand.stop()

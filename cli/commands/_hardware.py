"""Shared plumbing for the hardware commands (run, record, calibrate, serve).

Not a command itself (leading underscore). Opens a real port or starts a servo emulator,
loads or derives a calibration, and builds the policy named on the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from typing import Any


def add_robot_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--robot", default="so101", help="follower arm: so101 (Feetech) or koch (Dynamixel)"
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="serial port of the servo bus, e.g. /dev/ttyACM0")
    where.add_argument(
        "--emulate",
        action="store_true",
        help="start a servo emulator on a pseudo-terminal and use it as the port",
    )
    parser.add_argument("--calibration", help="calibration JSON (required with --port)")
    parser.add_argument(
        "--plant", default="mujoco", help="emulator physics: mujoco (so101) or kinematic"
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="emulator: fraction of replies dropped, corrupted or delayed",
    )
    parser.add_argument(
        "--camera",
        action="append",
        default=[],
        metavar="NAME=DEVICE",
        help="an OpenCV camera, e.g. front=0 or wrist=/dev/video2 (repeatable)",
    )
    parser.add_argument(
        "--render-cameras",
        action="store_true",
        help="emulator: render the spec's cameras from the MuJoCo scene",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=8.0,
        help="reply timeout beyond transfer time (USB latency timer)",
    )


@contextlib.contextmanager
def open_port(args: argparse.Namespace) -> Iterator[tuple[str, Any]]:
    """Yield (port path, emulated arm or None); the emulator is closed on exit."""
    if not args.emulate:
        yield args.port, None
        return
    from actloop.sim.servo import EmulatedArm, FaultPlan

    plant = args.plant if args.robot == "so101" else "kinematic"
    with EmulatedArm(
        args.robot, plant=plant, faults=FaultPlan.uniform(args.fault_rate), homed=True
    ) as arm:
        yield arm.port, arm


def load_calibration(args: argparse.Namespace, port: str):
    """The calibration file, or for a factory-homed emulator the offsets it already holds."""
    from actloop.control import get_embodiment
    from actloop.hardware.calibration import ArmCalibration, calibration_from_limits
    from actloop.hardware.motors import make_bus
    from actloop.hardware.robot import arm_definition

    if args.calibration:
        return ArmCalibration.load(args.calibration)
    if not args.emulate:
        raise ValueError("--calibration is required with --port (run `actloop calibrate` first)")
    definition, spec = arm_definition(args.robot), get_embodiment(args.robot)
    bus = make_bus(definition.vendor, port, definition.motors, latency_ms=args.latency_ms)
    bus.connect()
    try:
        return calibration_from_limits(
            bus, args.robot, {f.name: (f.low, f.high) for f in spec.action_fields}
        )
    finally:
        bus.disconnect()


BUILTIN_POLICIES = {"sine": "actloop.hardware.scripted:SinePolicy"}


def load_policy(name_or_dir: str, spec, compile_inference: bool = False) -> Any:
    """A VLAPolicy checkpoint directory, or a built-in scripted policy by name.
    ``compile_inference``: the checkpoint's inference runs compiled (``--compile``)."""
    if os.path.isdir(name_or_dir):
        from actloop.policies import VLAPolicy

        policy = VLAPolicy.from_pretrained(name_or_dir)
        return policy.compile_inference() if compile_inference else policy
    if compile_inference:
        raise ValueError(f"--compile needs a VLAPolicy checkpoint directory, not {name_or_dir!r}")
    if name_or_dir not in BUILTIN_POLICIES:
        from actloop.control import unknown_name_message

        raise KeyError(
            f"{name_or_dir!r} is not a checkpoint directory; "
            + unknown_name_message("built-in policy", name_or_dir, BUILTIN_POLICIES)
        )
    import importlib

    module, cls = BUILTIN_POLICIES[name_or_dir].split(":")
    return getattr(importlib.import_module(module), cls)(spec)


def make_cameras(args: argparse.Namespace, spec, emulated) -> dict[str, Any]:
    """OpenCV cameras from ``--camera NAME=DEVICE``, or the emulator's scene cameras."""
    from actloop.hardware.camera import ThreadedCamera, opencv_camera

    cameras = {}
    for item in args.camera:
        name, sep, device = item.partition("=")
        if not sep or name not in spec.cameras:
            raise ValueError(
                f"--camera {item!r}: expected NAME=DEVICE, NAME in {list(spec.cameras)}"
            )
        cameras[name] = opencv_camera(name, int(device) if device.isdigit() else device)
    if args.render_cameras and emulated is not None:
        from actloop.sim.servo.camera import SceneCamera

        model_cameras = {"wrist": "wrist"}  # the others view the scene from a free camera
        for name in spec.cameras:
            cameras.setdefault(
                name,
                ThreadedCamera(
                    name, lambda n=name: SceneCamera(emulated.plant, model_cameras.get(n))
                ),
            )
    return cameras

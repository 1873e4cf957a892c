"""``actloop calibrate``: home a servo arm at mid-range, record joint ranges, save JSON."""

from __future__ import annotations

import argparse

from ._hardware import add_robot_arguments, open_port

NAME = "calibrate"
HELP = "Calibrate a servo arm (homing offsets + ranges) and write the calibration JSON."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_robot_arguments(parser)
    parser.add_argument("--out", required=True, help="where to write the calibration JSON")
    parser.add_argument(
        "--seconds",
        type=float,
        default=10.0,
        help="how long to record ranges while the joints are moved",
    )
    parser.add_argument("--yes", action="store_true", help="do not wait for Enter (scripts)")


def run(args: argparse.Namespace) -> int:
    from actloop.hardware.calibration import calibrate
    from actloop.hardware.motors import make_bus
    from actloop.hardware.robot import arm_definition

    args.plant = "kinematic"  # a hand moves the emulated joints; no gravity to fight
    definition = arm_definition(args.robot)
    with open_port(args) as (port, emulated):
        bus = make_bus(definition.vendor, port, definition.motors, latency_ms=args.latency_ms)
        bus.connect()
        hands: list = []
        try:
            calibration = calibrate(
                bus,
                args.robot,
                wait_for_middle=lambda: _prompt(args, emulated, hands),
                record_seconds=args.seconds,
            )
        finally:
            for hand in hands:
                hand.stop()
            bus.disable_torque()
            bus.disconnect()
    calibration.save(args.out)
    for name, m in calibration.motors.items():
        print(
            f"  {name:<14} id {m.id}  offset {m.homing_offset:+5d}  "
            f"range {m.range_min}..{m.range_max}"
        )
    print(f"wrote {args.out}")
    return 0


def _prompt(args: argparse.Namespace, emulated, hands: list) -> None:
    if emulated is not None:  # the emulated "person": centre every joint, then sweep them
        from actloop.sim.servo import JOINTS
        from actloop.sim.servo.hand import ScriptedHand

        for joint in JOINTS:
            emulated.move_by_hand(joint, 0.0)
        emulated.plant.sync()
        hands.append(ScriptedHand(emulated, amplitude=1.2, period_s=max(args.seconds, 0.5)))
        hands[-1].start()
        return
    print("Torque is off. Move every joint to the middle of its range, then press Enter.")
    if not args.yes:
        input()
    print(f"Now move every joint through its full range for {args.seconds:.0f} s.")

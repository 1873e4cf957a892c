"""``actloop run``: drive a follower arm (real or emulated) with a policy for one episode."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ._hardware import (
    add_robot_arguments,
    load_calibration,
    load_policy,
    make_cameras,
    open_port,
)

NAME = "run"
HELP = "Run a policy (checkpoint, built-in, or remote server) on a servo arm or its emulator."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_robot_arguments(parser)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--policy", help="VLAPolicy checkpoint directory, or a built-in: sine")
    source.add_argument("--server", help="policy server URL, e.g. ws://host:8765")
    parser.add_argument("--token", help="policy server token")
    parser.add_argument("--instruction", default="", help="language instruction")
    parser.add_argument(
        "--compile",
        action="store_true",
        help="run vision and diffusion sampling through torch.compile (the first chunk compiles)",
    )
    parser.add_argument("--ticks", type=int, default=300, help="episode length in control ticks")
    parser.add_argument(
        "--scheduler",
        default="rtc",
        help="execute_n, temporal_ensemble, similarity_ensemble or rtc",
    )
    parser.add_argument("--inference", default="async", help="async (background) or sync")
    parser.add_argument(
        "--park-after",
        type=float,
        default=0.5,
        help="seconds without a fresh action before park and torque off",
    )
    parser.add_argument("--max-temperature", type=float, default=65.0)
    parser.add_argument(
        "--limit-margin",
        type=float,
        default=0.02,
        help="keep this fraction of each joint's range clear of its limits",
    )
    parser.add_argument(
        "--max-velocity",
        type=float,
        default=None,
        help="optional joint speed limit in rad/s (on top of the per-tick step)",
    )
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="run the loop at SCHED_FIFO priority 10 (Linux, needs CAP_SYS_NICE)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from actloop.control import ControlLoop, SafetyFilter, get_embodiment
    from actloop.control.estop import EStop
    from actloop.control.schedulers import make_scheduler
    from actloop.control.watchdog import HealthLimits, StaleActionWatchdog
    from actloop.hardware.robot import ServoArm, arm_definition

    if args.realtime:  # threads started later (inference, emulator) inherit it
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    definition, spec = arm_definition(args.robot), get_embodiment(args.robot)
    scheduler = make_scheduler(args.scheduler)
    with open_port(args) as (port, emulated):
        calibration = load_calibration(args, port)
        policy = _policy(args, spec)
        robot = ServoArm(
            definition,
            port,
            calibration,
            instruction=args.instruction,
            cameras=make_cameras(args, spec, emulated),
            latency_ms=args.latency_ms,
        )
        estop = EStop()
        estop.install_signal()
        loop = ControlLoop(
            robot,
            policy,
            scheduler=scheduler,
            safety=SafetyFilter(spec, args.limit_margin, args.max_velocity),
            inference=args.inference,
            watchdog=StaleActionWatchdog(args.park_after),
            estop=estop,
            health=HealthLimits(args.max_temperature),
        )
        robot.connect()
        refusal = _first_inference(policy, robot)
        if refusal:
            robot.disconnect()  # parks and torques off; the arm never moved
            print(refusal, file=sys.stderr)
            return 2
        result = loop.run(args.ticks)
        report = {
            "termination": result.termination,
            "detail": result.detail,
            "ticks": result.ticks,
            "stats": result.stats,
            "safety_events": result.safety_events,
            "policy_error": _error_text(loop.inference.error),
            "bus": robot.bus.stats.summary(),
            "teardown": robot.teardown_report,
        }
        if emulated is not None:
            report["emulator"] = _emulator_report(emulated, calibration)
    _print(report, args.json)
    return 0 if result.termination in ("max_ticks", "success", "stopped") else 1


def _policy(args: argparse.Namespace, spec):
    if args.server:
        from actloop.hardware.server import RemotePolicy

        return RemotePolicy(args.server, token=args.token)
    return load_policy(args.policy, spec, compile_inference=args.compile)


def _emulator_report(emulated, calibration) -> dict:
    """What the emulated servos saw, in calibrated radians: every goal they were written
    (range and largest tick-to-tick step per joint), and how the arm was left at the end."""
    import numpy as np

    motors = calibration.motors
    name_of = {m.id: name for name, m in motors.items()}
    goals: dict[str, list[float]] = {name: [] for name in motors}
    for _, servo_id, steps in list(emulated.emulator.goal_log):
        goals[name_of[servo_id]].append(motors[name_of[servo_id]].to_radians(steps))
    return {
        "faults": dict(emulated.faults.counts),
        "goals_written": sum(len(v) for v in goals.values()),
        "goal_range": {n: [min(v), max(v)] for n, v in goals.items() if v},
        "goal_max_step": {n: float(np.abs(np.diff(v)).max(initial=0.0)) for n, v in goals.items()},
        "torque_on_at_end": {name_of[s.id]: s.torque_on for s in emulated.servos},
        "joint_angles_at_torque_off": {
            name_of[s.id]: angle
            for s, angle in zip(emulated.servos, emulated.joint_angles_at_torque_off(), strict=True)
        },
        "joint_angles_at_end": {
            name_of[s.id]: angle
            for s, angle in zip(emulated.servos, emulated.joint_angles(), strict=True)
        },
    }


def _first_inference(policy, robot) -> str | None:
    """Run one inference on a real observation before the episode starts.

    A checkpoint that cannot serve this robot (a camera it lacks, another embodiment, a
    different state width) is refused here, with the policy's own message, while the arm still
    holds where it is; inside the loop the same error would only surface as a watchdog stop.
    It also warms the model (and a server connection) up, so the first chunk is not the slow one.
    """
    try:
        policy.infer(robot.observe())
    except Exception as exc:
        return (
            f"the policy refused this robot's observation: {_error_text(exc)}\n"
            f"this robot provides cameras {sorted(robot.cameras)} "
            "(add --camera NAME=DEVICE, or --render-cameras with --emulate)"
        )
    return None


def _error_text(error: BaseException | None) -> str | None:
    return None if error is None else f"{type(error).__name__}: {error}"


def _print(report: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2, default=str))
        return
    stats = report["stats"]
    print(f"{report['termination']} after {report['ticks']} ticks {report['detail']}".rstrip())
    print(
        f"  period error p99 {stats.get('period_error_ms_p99', float('nan')):.2f} ms, "
        f"missed ticks {stats['missed_ticks']}, inferences {stats['inferences']}"
    )
    print(f"  bus: {report['bus']}")
    print(f"  safety: {report['safety_events']}")
    if report["policy_error"]:
        print(f"  policy error: {report['policy_error']}")

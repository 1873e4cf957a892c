"""``actloop run``: drive a follower arm (real or emulated) with a policy for one episode."""

from __future__ import annotations

import argparse
import json
import os

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
        result = loop.run(args.ticks)
        report = {
            "termination": result.termination,
            "detail": result.detail,
            "ticks": result.ticks,
            "stats": result.stats,
            "safety_events": result.safety_events,
            "bus": robot.bus.stats.summary(),
            "teardown": robot.teardown_report,
        }
        if emulated is not None:
            report["emulator"] = {
                "faults": dict(emulated.faults.counts),
                "goals_written": len(emulated.emulator.goal_log),
            }
    _print(report, args.json)
    return 0 if result.termination in ("max_ticks", "success", "stopped") else 1


def _policy(args: argparse.Namespace, spec):
    if args.server:
        from actloop.hardware.server import RemotePolicy

        return RemotePolicy(args.server, token=args.token)
    return load_policy(args.policy, spec)


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

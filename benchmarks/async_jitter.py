"""Tick jitter at 50 Hz with a slow model: async (background) vs sync (inline) inference.

Inference (default 60 ms) is shorter than a chunk's execution time (8 of 16 actions at
50 Hz = 160 ms), so an async loop should never miss a tick; an inline loop must.

    python benchmarks/async_jitter.py [--ticks 500] [--inference-ms 60] [--emulated] [--spin-ms 2]

``--emulated`` runs the same comparison on the emulated SO-101 through the real Feetech SDK.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os

from actloop.control import ControlLoop, WallClock
from actloop.control.schedulers import make_scheduler
from actloop.hardware.scripted import SinePolicy

PERIOD = 0.02


@contextlib.contextmanager
def make_robot(emulated: bool, fault_rate: float = 0.0):
    if not emulated:
        from _arm_toys import RecordingArm

        yield RecordingArm()
        return
    from actloop.control import get_embodiment
    from actloop.hardware.calibration import calibration_from_limits
    from actloop.hardware.motors import make_bus
    from actloop.hardware.robot import ServoArm, arm_definition
    from actloop.sim.servo import EmulatedArm, FaultPlan

    faults = FaultPlan.uniform(fault_rate, seed=0)
    with EmulatedArm("so101", plant="kinematic", homed=True, faults=faults) as arm:
        definition, spec = arm_definition("so101"), get_embodiment("so101")
        bus = make_bus("feetech", arm.port, definition.motors)
        bus.connect()
        cal = calibration_from_limits(
            bus, "so101", {f.name: (f.low, f.high) for f in spec.action_fields}
        )
        bus.disconnect()
        robot = ServoArm(definition, arm.port, cal)
        robot.connect()
        yield robot


def measure(
    mode: str, ticks: int, inference_s: float, emulated: bool, spin: float, fault_rate: float
) -> dict:
    with make_robot(emulated, fault_rate) as robot:
        policy = SinePolicy(robot.spec, horizon=16, delay_s=inference_s)
        loop = ControlLoop(
            robot,
            policy,
            clock=WallClock(PERIOD, spin=spin),
            inference=mode,
            scheduler=make_scheduler("execute_n", n_execute=8),
        )
        stats = loop.run(max_ticks=ticks).stats
        bus = getattr(robot, "bus", None)
        if bus is not None:  # the servo bus's own evidence: retries and failed transactions
            stats |= {f"bus_{k}": v for k, v in bus.stats.summary().items()}
    return {k: round(v, 3) for k, v in stats.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ticks", type=int, default=500)
    parser.add_argument("--inference-ms", type=float, default=60.0)
    parser.add_argument("--emulated", action="store_true")
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="with --emulated: fraction of servo replies dropped/corrupted/late",
    )
    parser.add_argument(
        "--spin-ms",
        type=float,
        default=2.0,
        help="busy-wait this long before each deadline (sleep overshoots on a busy box)",
    )
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="SCHED_FIFO priority 10, as a deployed loop would run (CAP_SYS_NICE)",
    )
    args = parser.parse_args()
    if args.realtime:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    rows = {
        mode: measure(
            mode,
            args.ticks,
            args.inference_ms / 1e3,
            args.emulated,
            args.spin_ms / 1e3,
            args.fault_rate,
        )
        for mode in ("async", "sync")
    }
    print(json.dumps(rows, indent=2))
    a, s = rows["async"], rows["sync"]
    print(
        f"async: p99 period error {a['period_error_ms_p99']:.3f} ms, "
        f"missed {a['missed_ticks']:.0f}; "
        f"sync (baseline): p99 {s['period_error_ms_p99']:.3f} ms, missed {s['missed_ticks']:.0f}; "
        f"missed-tick ratio sync/async = {s['missed_ticks'] / max(a['missed_ticks'], 1):.0f}x"
    )


if __name__ == "__main__":
    main()

"""ControlLoop jitter at 50 Hz: the absolute-deadline WallClock vs a naive relative-sleep loop.

A no-op robot and a policy that answers in 5 ms (every ``--n-execute`` ticks), for
``--seconds`` each. The baseline is the loop most robot scripts write (LeRobot's record
loop does the same): do the work, then ``sleep(period - elapsed)``. Its errors
accumulate, so we report its drift too.

    python benchmarks/loop_jitter.py --seconds 30
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
from actloop.control import (
    ActionChunk,
    ControlLoop,
    ExecuteNScheduler,
    Observation,
    WallClock,
    get_embodiment,
)

HZ = 50.0


class NoOpRobot:
    spec = get_embodiment("so101")

    def __init__(self) -> None:
        self.state = np.zeros(self.spec.state_dim)
        self.tick_times: list[float] = []

    def connect(self) -> None: ...

    def observe(self) -> Observation:
        self.tick_times.append(time.perf_counter())
        return Observation({}, self.state, "", self.spec.name, time.time())

    def send_action(self, action: np.ndarray) -> np.ndarray:
        return action

    def disconnect(self) -> None: ...


class FiveMsPolicy:
    def __init__(self, horizon: int) -> None:
        self.chunk = np.zeros((horizon, NoOpRobot.spec.action_dim))

    def reset(self) -> None: ...

    def infer(self, observation: Observation) -> ActionChunk:
        time.sleep(0.005)
        return ActionChunk(self.chunk, start_tick=0, dt=1 / HZ)


def interval_figures(tick_times: list[float], missed: int) -> dict[str, float]:
    """The same measure for both loops: how far each tick-to-tick interval is from the period."""
    times = np.asarray(tick_times)
    error = np.abs(np.diff(times) - 1 / HZ) * 1e3
    drift = (times[-1] - times[0] - (len(times) - 1 + missed) / HZ) * 1e3
    return {
        "period_error_ms_p50": float(np.percentile(error, 50)),
        "period_error_ms_p99": float(np.percentile(error, 99)),
        "period_error_ms_max": float(error.max()),
        "drift_ms_after_run": float(drift),
        "missed_ticks": missed,
        "ticks": len(times),
    }


def run_actloop(seconds: float, n_execute: int, realtime: bool) -> dict[str, float]:
    robot = NoOpRobot()
    loop = ControlLoop(
        robot,
        FiveMsPolicy(n_execute),
        clock=WallClock(1 / HZ, realtime=realtime),
        scheduler=ExecuteNScheduler(n_execute),
    )
    stats = loop.run(max_ticks=int(seconds * HZ)).stats
    return {
        **interval_figures(robot.tick_times, int(stats["missed_ticks"])),
        "deadline_error_ms_p99": stats["period_error_ms_p99"],
        "inference_ms_p50": stats["inference_ms_p50"],
    }


def run_naive(seconds: float, n_execute: int) -> dict[str, float]:
    """Relative sleeps: each tick starts 'period after the previous tick finished its work'."""
    robot, policy, period = NoOpRobot(), FiveMsPolicy(n_execute), 1 / HZ
    for tick in range(int(seconds * HZ)):
        began = time.perf_counter()
        observation = robot.observe()
        if tick % n_execute == 0:
            policy.infer(observation)
        robot.send_action(np.zeros(robot.spec.action_dim))
        time.sleep(max(0.0, period - (time.perf_counter() - began)))
    return interval_figures(robot.tick_times, missed=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--n-execute", type=int, default=8)
    parser.add_argument("--realtime", action="store_true", help="SCHED_FIFO for the loop thread")
    args = parser.parse_args()
    ours = run_actloop(args.seconds, args.n_execute, args.realtime)
    naive = run_naive(args.seconds, args.n_execute)
    ratio = naive["period_error_ms_p99"] / max(ours["period_error_ms_p99"], 1e-9)
    print(
        json.dumps(
            {
                "machine": platform.processor() or platform.machine(),
                "hz": HZ,
                "seconds": args.seconds,
                "realtime": args.realtime,
                "actloop": ours,
                "naive_relative_sleep": naive,
                "p99_ratio_naive_over_actloop": ratio,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

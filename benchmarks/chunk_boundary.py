"""Jerk at chunk boundaries: the largest step between consecutive commands, per scheduler.

A multimodal model samples a different mode per call (here: a sine sweep plus one random
offset per chunk, std ``--mode-noise``), and inference takes ~3 ticks in a background
thread. Naive execute-n jumps at every switch; ensembling and real-time chunking blend.
The sweep alone moves at most ~0.008 rad per tick, so larger steps are boundary jumps.

    python benchmarks/chunk_boundary.py [--ticks 400] [--mode-noise 0.05] [--inference-ms 60]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from _arm_toys import RecordingArm
from actloop.control import ControlLoop, EpisodeInfo, MemoryRecorder, WallClock
from actloop.control.schedulers import make_scheduler
from actloop.hardware.scripted import SinePolicy

PERIOD = 0.02
SCHEDULERS = {
    "execute_n (naive)": ("execute_n", {"n_execute": 8}),
    "temporal_ensemble": ("temporal_ensemble", {}),
    "similarity_ensemble": ("similarity_ensemble", {}),
    "rtc": ("rtc", {"execute_horizon": 4}),
}


def measure(name: str, options: dict, ticks: int, noise: float, inference_s: float) -> dict:
    robot = RecordingArm()
    policy = SinePolicy(robot.spec, horizon=16, mode_noise=noise, delay_s=inference_s, seed=0)
    recorder = MemoryRecorder()
    loop = ControlLoop(
        robot,
        policy,
        clock=WallClock(PERIOD),
        inference="async",
        scheduler=make_scheduler(name, **options),
        recorder=recorder,
    )
    result = loop.run(max_ticks=ticks, episode=EpisodeInfo("so101", "wave", 1 / PERIOD))
    # The scheduler's output before safety: the step limit would otherwise hide the jumps.
    steps_taken = recorder.episodes[0].steps[10:]  # skip the approach from rest
    sent = np.array([s.requested_action for s in steps_taken])
    steps = np.abs(np.diff(sent, axis=0)).max(axis=1)
    return {
        "max_step": float(steps.max()),
        "p99_step": float(np.percentile(steps, 99)),
        "inferences": result.stats["inferences"],
        "missed_ticks": result.stats["missed_ticks"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ticks", type=int, default=400)
    parser.add_argument("--mode-noise", type=float, default=0.05)
    parser.add_argument("--inference-ms", type=float, default=60.0)
    args = parser.parse_args()
    rows = {
        label: measure(name, options, args.ticks, args.mode_noise, args.inference_ms / 1e3)
        for label, (name, options) in SCHEDULERS.items()
    }
    print(json.dumps(rows, indent=2))
    naive = rows["execute_n (naive)"]["max_step"]
    for label, row in rows.items():
        print(
            f"{label:<22} largest step {row['max_step']:.4f} rad  "
            f"({naive / row['max_step']:.1f}x smaller than naive)"
        )


if __name__ == "__main__":
    main()

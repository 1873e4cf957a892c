"""``actloop collect``: record scripted-expert demos into a zarr episode store.

Every episode runs through the one ``ControlLoop`` (lock-step ``SimClock``), so the
store holds exactly what a deployed policy would see and the actions really applied,
plus the expert's noise-free action per tick (the DART label, see ``ExpertLabels``).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

NAME = "collect"
HELP = "Record scripted-expert demonstrations of a sim task into a zarr episode store."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, help="task name, e.g. panda/pick_place")
    parser.add_argument("--episodes", type=int, required=True, help="episodes to attempt")
    parser.add_argument("--out", required=True, help="store path or URL (created or appended)")
    parser.add_argument("--seed", type=int, default=0, help="first episode seed")
    parser.add_argument("--noise", type=float, default=0.0, help="expert noise (0.3 = visible)")
    parser.add_argument(
        "--noise-fade",
        type=float,
        default=0.05,
        help="metres over which the noise fades out before each waypoint (the expert's "
        "NOISE_FADE by default; 0.02 keeps it on until the last 2 cm of a grasp, so demos "
        "show the last-centimetre corrections a policy's own errors call for)",
    )
    parser.add_argument("--image-size", type=int, default=96)
    parser.add_argument(
        "--linger",
        type=int,
        default=0,
        help="ticks to keep recording after the task succeeds, so demos show arriving and "
        "staying at the goal (see actloop.sim.env)",
    )
    parser.add_argument(
        "--keep-failures", action="store_true", help="also store episodes the expert failed"
    )


class ExpertLabels:
    """A Recorder wrapper that adds the expert's noise-free action to each step's extras
    (``extras/expert_action``), beside the noisy action really applied: both are kept,
    and ``actloop train --data.action_key extras/expert_action`` learns from the labels."""

    def __init__(self, recorder, expert) -> None:
        self.recorder, self.expert = recorder, expert

    def start_episode(self, info) -> None:
        self.recorder.start_episode(info)

    def record(self, step) -> None:
        extras = {**step.observation.extras, "expert_action": self.expert.label}
        observation = dataclasses.replace(step.observation, extras=extras)
        self.recorder.record(dataclasses.replace(step, observation=observation))

    def end_episode(self, success: bool) -> None:
        self.recorder.end_episode(success)

    def abort(self) -> None:
        self.recorder.abort()


class SuccessFilter:
    """A Recorder wrapper that discards failed episodes unless asked to keep them."""

    def __init__(self, recorder, keep_failures: bool) -> None:
        self.recorder, self.keep_failures = recorder, keep_failures

    def start_episode(self, info) -> None:
        self.recorder.start_episode(info)

    def record(self, step) -> None:
        self.recorder.record(step)

    def end_episode(self, success: bool) -> None:
        if success or self.keep_failures:
            self.recorder.end_episode(success)
        else:
            self.recorder.abort()

    def abort(self) -> None:
        self.recorder.abort()


def run(args: argparse.Namespace) -> int:
    from actloop.control import ControlLoop, EpisodeInfo, ExecuteNScheduler, SimClock
    from actloop.datasets import EpisodeWriter
    from actloop.sim import make, make_expert
    from tqdm import tqdm

    if args.episodes < 1:
        raise ValueError(f"--episodes must be >= 1, got {args.episodes}")
    env = make(args.task, seed=args.seed, image_size=args.image_size, linger=args.linger)
    expert = make_expert(args.task, noise=args.noise, seed=args.seed, noise_fade=args.noise_fade)
    successes = frames = 0
    started = time.perf_counter()
    with EpisodeWriter(args.out, record_extras=True) as writer:  # privileged facts kept
        recorder = SuccessFilter(ExpertLabels(writer, expert), args.keep_failures)
        loop = ControlLoop(
            env,
            expert,
            clock=SimClock(env.spec.dt),
            recorder=recorder,
            scheduler=ExecuteNScheduler(1),
            disconnect_on_exit=False,
        )
        for seed in tqdm(range(args.seed, args.seed + args.episodes), desc=args.task):
            obs = env.reset(seed)
            info = EpisodeInfo(env.spec.name, obs.instruction, env.spec.control_hz, args.task, seed)
            result = loop.run(env.max_ticks + 1, info)
            successes += result.success
            frames += result.ticks if (result.success or args.keep_failures) else 0
    env.close()
    elapsed = time.perf_counter() - started
    print(
        f"{args.task}: success {successes}/{args.episodes} "
        f"({100 * successes / args.episodes:.1f}%), {frames} frames stored, "
        f"{elapsed:.1f} s ({frames / max(elapsed, 1e-9):.0f} frames/s) -> {args.out}"
    )
    return 0

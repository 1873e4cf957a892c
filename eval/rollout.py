"""Parallel sim rollouts through the one ControlLoop.

Each worker process builds its own env (``actloop.sim.make``) and policy once per task,
and runs episodes with ``SimClock`` (lock-step, so results do not depend on machine
load), a ``MemoryRecorder`` for frames, and ``disconnect_on_exit=False`` so the env is
reused across episodes. Workers are spawned, not forked: torch and EGL contexts do not
survive a fork.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

from .results import EpisodeOutcome, EvalResult

EVAL_SEED_BASE = 1_000_000  # far from the seeds demos are collected with


@dataclass
class RolloutSettings:
    policy: str
    tasks: list[str]
    episodes: int = 50
    workers: int = 1
    seed_base: int = EVAL_SEED_BASE
    image_size: int = 0  # 0: the checkpoint's image size or the env default
    scheduler: str = "execute_n"  # a control.schedulers name
    n_execute: int = 8  # ticks between chunk requests: actions run per chunk for execute_n
    scheduler_options: dict = field(default_factory=dict)  # e.g. temporal_ensemble's k
    max_ticks: int = 0  # 0: the task's own time limit decides (timeout)
    mode: str | None = None
    compile_inference: bool = False  # VLAPolicy checkpoints: compiled vision and sampling
    video_dir: str | None = None
    videos_per_outcome: int = 2
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    task: str
    index: int
    seed: int


def run_rollouts(settings: RolloutSettings) -> EvalResult:
    """Run every (task, episode) job, in parallel when ``workers > 1``; keep a few videos."""
    if settings.episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {settings.episodes}")
    _check_tasks(settings.tasks)
    jobs = [
        Job(t, i, settings.seed_base + i) for t in settings.tasks for i in range(settings.episodes)
    ]
    workers = max(1, min(settings.workers, len(jobs)))
    if workers == 1:
        try:
            outcomes = [run_episode(settings, job) for job in jobs]
        finally:
            _release_cache()
    else:
        with ProcessPoolExecutor(
            workers, mp_context=get_context("spawn"), initializer=limit_threads
        ) as pool:
            outcomes = list(pool.map(run_episode, [settings] * len(jobs), jobs))
    _keep_some_videos(outcomes, settings.videos_per_outcome)
    recorded = {k: v for k, v in asdict(settings).items() if k not in ("extra", "video_dir")}
    return EvalResult(settings.policy, outcomes, {**recorded, **settings.extra})


def run_episode(settings: RolloutSettings, job: Job) -> EpisodeOutcome:
    """One episode in this process; envs and policies are cached per (policy, task)."""
    from actloop.control import MemoryRecorder

    recorder = MemoryRecorder() if settings.video_dir else None
    result, loop, env = play_episode(settings, job, recorder)
    outcome = EpisodeOutcome(
        job.task,
        job.seed,
        result.success,
        result.ticks,
        result.termination,
        [s * 1e3 for s in loop.stats.inference_latencies],
        milestones=dict(env.milestones),
    )
    if recorder is not None and recorder.episodes:
        outcome.video = _write_video(
            settings, job, recorder.episodes[0], result.success, env.spec.control_hz
        )
    return outcome


def play_episode(settings: RolloutSettings, job: Job, recorder=None) -> tuple:
    """One seeded episode through the ControlLoop exactly as evaluation runs it, for callers
    that read the recorded steps themselves (benchmarks/grasp_offsets.py).
    Returns (the loop's result, the loop, the env)."""
    from actloop.control import ControlLoop, EpisodeInfo, SimClock, make_scheduler

    env, policy = _cached_env_and_policy(settings, job.task)
    _seed_policy_noise(job.seed)
    observation = env.reset(seed=job.seed)
    scheduler = make_scheduler(
        settings.scheduler, every=settings.n_execute, **settings.scheduler_options
    )
    loop = ControlLoop(
        env,
        policy,
        clock=SimClock(env.spec.dt),
        scheduler=scheduler,
        recorder=recorder,
        disconnect_on_exit=False,
    )
    info = EpisodeInfo(
        env.spec.name, observation.instruction, env.spec.control_hz, job.task, job.seed
    )
    return loop.run(settings.max_ticks or _time_limit(env), episode=info), loop, env


_CACHE: dict[tuple[str, str], tuple] = {}


def _cached_env_and_policy(settings: RolloutSettings, task: str):
    key = (settings.policy, task)
    if key not in _CACHE:
        os.environ.setdefault("MUJOCO_GL", "egl")
        from actloop.sim import make

        from .sources import compiled_inference, load_policy

        policy = load_policy(settings.policy, task, settings.mode)
        if settings.compile_inference:
            policy = compiled_inference(policy, settings.policy)
        image_size = settings.image_size or _policy_image_size(policy)
        kwargs = {"image_size": image_size} if image_size else {}
        _CACHE[key] = (make(task, seed=settings.seed_base, **kwargs), policy)
    return _CACHE[key]


def _seed_policy_noise(seed: int) -> None:
    """Sampling policies (diffusion noise) draw from torch's RNG: seeding per episode makes
    every episode's result independent of which worker ran it, and of how many there were."""
    import torch

    torch.manual_seed(seed)


def _release_cache() -> None:
    """In-process runs (e.g. evaluation during training) must not keep envs and models alive."""
    for env, _ in _CACHE.values():
        env.close()
    _CACHE.clear()


def _policy_image_size(policy) -> int | None:
    """The camera resolution a learned policy was trained at; None for scripted experts."""
    config = getattr(policy, "config", None)
    vision = getattr(config, "vision", None)
    return getattr(vision, "image_size", None) or getattr(policy, "image_size", None)


def _time_limit(env) -> int:
    """Upper bound on ticks; the task itself normally ends the episode first (timeout)."""
    limit = getattr(env, "max_ticks", None)
    return int(limit) + 1 if limit else 10_000


def _write_video(settings: RolloutSettings, job: Job, episode, success: bool, fps: float) -> str:
    from .video import frames_from_steps, write_mp4

    task = job.task.replace("/", "-")
    name = f"{task}_seed{job.seed}_{'success' if success else 'failure'}.mp4"
    return str(write_mp4(Path(settings.video_dir) / name, frames_from_steps(episode.steps), fps))


def _keep_some_videos(outcomes: list[EpisodeOutcome], per_outcome: int) -> None:
    """Keep the first ``per_outcome`` success and failure videos of each task; delete the rest."""
    kept: dict[tuple[str, bool], int] = {}
    for outcome in outcomes:
        if outcome.video is None:
            continue
        slot = (outcome.task, outcome.success)
        if kept.get(slot, 0) < per_outcome:
            kept[slot] = kept.get(slot, 0) + 1
            continue
        Path(outcome.video).unlink(missing_ok=True)
        outcome.video = None


def _check_tasks(tasks: list[str]) -> None:
    from actloop.control import unknown_name_message
    from actloop.sim import list_tasks

    if not tasks:
        raise ValueError("no tasks to evaluate: give at least one --task")
    known = list_tasks()
    for task in tasks:
        if task not in known:
            raise KeyError(unknown_name_message("task", task, known))


def limit_threads() -> None:
    """Each worker gets one intra-op thread: N workers x N threads thrashes the cores."""
    import torch

    torch.set_num_threads(1)

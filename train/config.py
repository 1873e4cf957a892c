"""Training configuration: typed, frozen-by-convention dataclasses and named presets.

Configs are data, never code: presets live in one list checked for unique names, files
override them through safe JSON/YAML parsing (``overrides.py``), and nothing is ever
``eval``-ed or ``exec``-ed.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

from actloop.control import unknown_name_message


@dataclass
class DataConfig:
    """Where demonstrations come from. Several stores are mixed with ``weights``."""

    stores: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)  # empty: every store weighs 1
    num_workers: int = 0  # 0 keeps resume exact: batches depend only on the saved RNG
    # what the policy learns to output: "action" (what was applied) or, for demos
    # recorded with `actloop collect --noise`, "extras/expert_action" (DART labels)
    action_key: str = "action"
    # a chunk past an episode's end: "mask" (ignored by the loss) or "hold" (after a
    # successful episode: stay there; see datasets/sampler.py)
    action_padding: str = "mask"


@dataclass
class OptimConfig:
    lr: float = 3e-4
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.95)
    warmup_steps: int = 200
    min_lr_ratio: float = 0.05  # cosine decays to lr * min_lr_ratio
    grad_clip: float = 1.0
    ema_decay: float = 0.999  # 0 disables the EMA copy


@dataclass
class EvalConfig:
    """Sim evaluation during training; ``every`` = 0 turns it off."""

    every: int = 0
    tasks: list[str] = field(default_factory=list)
    episodes: int = 10
    workers: int = 1


@dataclass
class GoalCheckConfig:
    """Stop a run whose goal readout has not begun to localise the target by ``step``
    (``goal_check.py``); ``restarts`` > 0 starts it again that many times, each with the
    next seed. ``step`` = 0 turns the check off."""

    step: int = 0
    max_ratio: float = 0.5  # late-half / early-half mean goal loss allowed at ``step``
    restarts: int = 0


@dataclass
class TrainConfig:
    name: str = "custom"
    policy: str = "small"  # a VLAPolicy preset
    mode: str = "diffusion"  # inference mode saved with the policy: diffusion | ar | ensemble
    heads: str = "both"  # which heads train: both | diffusion | ar (CPU runs save ~40% on one)
    steps: int = 5000  # the schedule's length (warmup + cosine)
    stop_at: int = 0  # stop early at this step, e.g. a time-sliced job; 0: run to `steps`
    batch_size: int = 32
    seed: int = 0
    out_dir: str = "runs/train"
    checkpoint_every: int = 1000
    keep_checkpoints: int = 2
    log_every: int = 50
    # auto: bf16 autocast where native (CUDA, AVX512-BF16/AMX CPUs); or "no"/"bf16"/"fp16"
    mixed_precision: str = "auto"
    wandb: bool = False
    wandb_project: str = "actloop"
    image_size: int = 0  # 0: the policy preset's own
    state_dropout: float = -1.0  # < 0: the policy preset's own (see Backbone._drop_state)
    random_shift: int = -1  # training pad-and-crop shift in pixels; < 0: the preset's own
    # (noise, time) draws per sample in the diffusion loss; 0: the policy preset's own.
    # Each draw reruns only the DiT, not the trunk: a lower-variance loss for 6-21% a draw.
    noise_draws: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    goal_check: GoalCheckConfig = field(default_factory=GoalCheckConfig)


def _preset(name: str, **changes) -> TrainConfig:
    nested = {k: changes.pop(k) for k in ("data", "optim", "eval", "goal_check") if k in changes}
    base = TrainConfig(name=name, out_dir=f"runs/{name}", **changes)
    for key, values in nested.items():
        setattr(base, key, dataclasses.replace(getattr(base, key), **values))
    return base


PRESETS: tuple[TrainConfig, ...] = (
    # Seconds on CPU: checks wiring end to end (tests, smoke runs).
    _preset(
        "debug",
        policy="tiny",
        steps=20,
        batch_size=4,
        checkpoint_every=10,
        log_every=5,
        optim={"warmup_steps": 5, "ema_decay": 0.9},
    ),
    # The pipeline's quick default: the small policy, diffusion head, 2 CPU cores, ~10 min.
    _preset(
        "cpu-quick",
        policy="small",
        heads="diffusion",
        steps=600,
        batch_size=32,
        checkpoint_every=200,
        log_every=20,
        optim={"lr": 1e-3, "warmup_steps": 50, "ema_decay": 0.99},
    ),
    # The BENCHMARKS run: the small policy on CPU within an hour.
    _preset(
        "cpu-full",
        policy="small",
        heads="diffusion",
        steps=2500,
        batch_size=32,
        checkpoint_every=500,
        log_every=50,
        optim={"lr": 1e-3, "warmup_steps": 100, "ema_decay": 0.995},
        # a stalled goal readout loses the hour (BENCHMARKS.md, session 18)
        goal_check={"step": 800, "restarts": 2},
    ),
    # A GPU run of the base model, both heads (bf16 autocast, DDP via accelerate).
    _preset(
        "gpu-base",
        policy="base",
        steps=100_000,
        batch_size=128,
        checkpoint_every=5000,
        optim={"lr": 3e-4, "warmup_steps": 2000},
    ),
)


def _check_unique(presets: tuple[TrainConfig, ...]) -> dict[str, TrainConfig]:
    names = [p.name for p in presets]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"training presets repeat names: {duplicates}")
    return {p.name: p for p in presets}


_BY_NAME = _check_unique(PRESETS)


def list_presets() -> list[str]:
    return sorted(_BY_NAME)


def get_preset(name: str) -> TrainConfig:
    """A fresh copy of a named preset; unknown names get a 'did you mean'."""
    if name not in _BY_NAME:
        raise KeyError(unknown_name_message("training preset", name, _BY_NAME))
    return copy.deepcopy(_BY_NAME[name])

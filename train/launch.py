"""Command-line entry for training, shared by ``actloop train`` and ``python -m
actloop.train`` (which is what ``accelerate launch`` and ``torchrun`` start).

Precedence: preset < ``--config`` file < ``--dotted.key`` flags.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import torch.distributed as dist

from .config import TrainConfig, get_preset, list_presets
from .goal_check import GoalReadoutStalled
from .overrides import add_config_flags, apply_overrides, flags_given, load_override_file
from .state import STATE_FILE, latest_checkpoint


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset", default="cpu-quick", help=f"named starting config: {', '.join(list_presets())}"
    )
    parser.add_argument(
        "--config",
        dest="config_file",
        default=None,
        help="JSON or YAML file of overrides (data only, never code)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue exactly from the newest checkpoint in out_dir",
    )
    parser.add_argument(
        "--print-config", action="store_true", help="print the resolved config as JSON and exit"
    )
    add_config_flags(parser, TrainConfig)


def resolve_config(args: argparse.Namespace) -> TrainConfig:
    cfg = get_preset(args.preset)
    if args.config_file:
        apply_overrides(cfg, load_override_file(args.config_file), args.config_file)
    return apply_overrides(cfg, flags_given(args), "command line")


def run_training(args: argparse.Namespace) -> int:
    cfg = resolve_config(args)
    if args.print_config:
        print(json.dumps(dataclasses.asdict(cfg), indent=2))
        return 0
    try:
        outcome = train_with_restarts(cfg, resume=args.resume)
    except GoalReadoutStalled as stall:
        print(f"actloop train: error: {stall}", file=sys.stderr)
        return 3
    if outcome.is_main:
        loss = outcome.last_metrics.get("loss", float("nan"))
        print(f"trained {outcome.steps} steps; final loss {loss:.4f}")
        print(f"policy:      {outcome.policy_dir}")
        print(f"checkpoints: {outcome.run_dir / 'checkpoints'}")
        print(f"tensorboard: {outcome.run_dir / 'tensorboard'}")
    return 0


def train_with_restarts(cfg: TrainConfig, resume: bool = False):
    """``train``, started again with the next seed when its goal readout stalls, up to
    ``cfg.goal_check.restarts`` times. Each stalled attempt's files move to
    ``out_dir/stalled/seed_N`` so that nothing resumes from them and nothing is lost."""
    from .loop import train

    if resume:
        cfg = _seed_of_latest_checkpoint(cfg)
    for attempt in range(cfg.goal_check.restarts + 1):
        try:
            return train(cfg, resume=resume and attempt == 0)
        except GoalReadoutStalled as stall:
            if attempt == cfg.goal_check.restarts:
                raise
            kept = _set_aside(Path(cfg.out_dir), cfg.seed)
            cfg = dataclasses.replace(cfg, seed=cfg.seed + 1)
            if _is_main_process():
                print(f"{stall}\nrestarting with --seed {cfg.seed}; the stalled run is in {kept}")
    raise AssertionError("unreachable: the last attempt returns or raises")


def _seed_of_latest_checkpoint(cfg: TrainConfig) -> TrainConfig:
    """A run that restarted trained on with a later seed; resuming it must use that seed,
    or the batch plan it continues would not be the one it saved."""
    checkpoint = latest_checkpoint(Path(cfg.out_dir))
    if checkpoint is None:
        return cfg
    saved = json.loads((checkpoint / STATE_FILE).read_text()).get("config", {})
    seed = saved.get("seed", cfg.seed)
    if seed != cfg.seed and _is_main_process():
        print(f"resuming with --seed {seed}, the seed {checkpoint} was trained with")
    return dataclasses.replace(cfg, seed=seed)


def _is_main_process() -> bool:
    return not dist.is_initialized() or dist.get_rank() == 0


def _set_aside(run_dir: Path, seed: int) -> Path:
    target = run_dir / "stalled" / f"seed_{seed}"
    if _is_main_process():
        target.mkdir(parents=True, exist_ok=True)
        for entry in list(run_dir.iterdir()):
            if entry.name != "stalled":
                entry.rename(target / entry.name)
    if dist.is_initialized():
        dist.barrier()
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actloop.train", description=__doc__)
    add_train_arguments(parser)
    return run_training(parser.parse_args(argv))

"""Command-line entry for training, shared by ``actloop train`` and ``python -m
actloop.train`` (which is what ``accelerate launch`` and ``torchrun`` start).

Precedence: preset < ``--config`` file < ``--dotted.key`` flags.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence

from .config import TrainConfig, get_preset, list_presets
from .overrides import add_config_flags, apply_overrides, flags_given, load_override_file


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
    from .loop import train

    outcome = train(cfg, resume=args.resume)
    if outcome.is_main:
        loss = outcome.last_metrics.get("loss", float("nan"))
        print(f"trained {outcome.steps} steps; final loss {loss:.4f}")
        print(f"policy:      {outcome.policy_dir}")
        print(f"checkpoints: {outcome.run_dir / 'checkpoints'}")
        print(f"tensorboard: {outcome.run_dir / 'tensorboard'}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actloop.train", description=__doc__)
    add_train_arguments(parser)
    return run_training(parser.parse_args(argv))

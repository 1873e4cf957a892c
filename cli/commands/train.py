"""``actloop train``: train a VLAPolicy from one or more episode stores."""

from __future__ import annotations

import argparse

NAME = "train"
HELP = (
    "Train a policy from zarr episode stores (presets, config files, exact resume; "
    "multi-GPU via `accelerate launch -m actloop.train`)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from actloop.train.launch import add_train_arguments

    add_train_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from actloop.train.launch import run_training

    return run_training(args)

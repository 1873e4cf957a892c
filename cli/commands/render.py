"""``actloop render``: save the first frame of every camera of a task's scene as PNG."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "render"
HELP = "Render the first frame of each camera of a sim task to PNG files."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, help="task name, e.g. panda/pick_place")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--image-size", type=int, default=256)


def run(args: argparse.Namespace) -> int:
    import imageio.v3 as iio
    from actloop.sim import make

    env = make(args.task, seed=args.seed, image_size=args.image_size)
    obs = env.reset(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = args.task.replace("/", "_")
    for camera, image in obs.images.items():
        path = out / f"{stem}_seed{args.seed}_{camera}.png"
        iio.imwrite(path, image)
        print(path)
    print(f"instruction: {obs.instruction}")
    env.close()
    return 0

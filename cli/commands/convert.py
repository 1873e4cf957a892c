"""``actloop convert``: move episodes between LeRobot v3 datasets and actloop zarr stores."""

from __future__ import annotations

import argparse

NAME = "convert"
HELP = "Convert between LeRobot v3 datasets and actloop zarr episode stores."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="direction", metavar="DIRECTION", required=True)
    to_zarr = sub.add_parser(
        "lerobot-to-zarr",
        help="import a local LeRobot v3 dataset (appends to DST, creating it if needed)",
    )
    to_zarr.add_argument("src", metavar="SRC", help="LeRobot dataset root (holds meta/info.json)")
    to_zarr.add_argument("dst", metavar="DST", help="zarr store path or fsspec URL")
    to_zarr.add_argument("--repo-id", default=None, help="dataset name (default: SRC's folder)")
    to_lerobot = sub.add_parser(
        "zarr-to-lerobot", help="export a store as a new LeRobot v3 dataset"
    )
    to_lerobot.add_argument("src", metavar="SRC", help="zarr store path or fsspec URL")
    to_lerobot.add_argument("dst", metavar="DST", help="new LeRobot dataset root (must not exist)")
    to_lerobot.add_argument("--repo-id", required=True, help="dataset name, e.g. me/pick_place")
    to_lerobot.add_argument(
        "--vcodec",
        default="libsvtav1",
        choices=("libsvtav1", "h264", "hevc"),
        help="video codec for the image streams (default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    from actloop.datasets import lerobot_to_zarr, zarr_to_lerobot

    if args.direction == "lerobot-to-zarr":
        store = lerobot_to_zarr(args.src, args.dst, args.repo_id)
        print(f"{args.dst}: {store.num_episodes} episodes, {store.num_frames} frames")
    else:
        root = zarr_to_lerobot(args.src, args.dst, args.repo_id, vcodec=args.vcodec)
        print(f"{root}: LeRobot v3 dataset {args.repo_id}")
    return 0

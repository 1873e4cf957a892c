"""Subprocess for the crash test: appends episodes to a store until it is SIGKILLed.

Episode ``e`` has ``episode_length(e)`` frames whose values are synthetic.frame_values(e, t),
so the parent can check every committed episode without sharing memory with this process.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def episode_length(episode: int) -> int:
    return 5 + (episode * 7) % 30


def main(path: str) -> None:
    spec = importlib.util.spec_from_file_location(
        "synthetic", Path(__file__).with_name("synthetic.py")
    )
    synthetic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synthetic)
    from actloop.datasets import EpisodeStore, EpisodeWriter

    first = EpisodeStore(path).num_episodes if Path(path).exists() else 0
    writer = EpisodeWriter(path, max_queued_steps=16)
    print("ready", flush=True)
    episode = first
    while True:
        synthetic.write_episode(writer, episode, episode_length(episode), size=32)
        print("queued", flush=True)  # lets the parent kill after real progress, under any load
        episode += 1


if __name__ == "__main__":
    main(sys.argv[1])

"""SIGKILL a recording process at random points: committed episodes stay intact, no half
episode ever shows, and the next writer appends after the crash."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from actloop.datasets import EpisodeStore

HERE = Path(__file__).parent
KILLS = 20


def length_of(episode: int) -> int:
    return 5 + (episode * 7) % 30  # mirrors record_until_killed.episode_length


def check_store(path: str, synthetic) -> int:
    store = EpisodeStore(path)  # opening checks every committed chunk file exists
    for index, meta in enumerate(store.episodes):
        assert meta.length == length_of(meta.seed), f"episode {index} is partial"
        arrays = store.episode(index)  # verifies per-episode checksums
        for frame in (0, meta.length // 2, meta.length - 1):
            want = synthetic.frame_values(meta.seed, frame, size=32)
            np.testing.assert_array_equal(arrays["images/front"][frame], want["images"]["front"])
            np.testing.assert_array_equal(arrays["images/wrist"][frame], want["images"]["wrist"])
            np.testing.assert_array_equal(arrays["state"][frame], want["state"])
    seeds = [m.seed for m in store.episodes]
    assert seeds == list(range(len(seeds))), "episodes must be consecutive, none lost or repeated"
    return store.num_episodes


def kill_once(path: str, rng: random.Random) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "record_until_killed.py"), path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        # Progress is counted in episodes, not seconds, so a loaded machine still commits:
        # with at most 16 steps queued, by the 2nd or 3rd queued episode the writer thread
        # has reached the first one's commit. Then a random point in the writer's work.
        for _ in range(rng.randint(2, 3)):
            proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.1))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_sigkill_at_random_points_never_shows_half_an_episode(tmp_path, synthetic):
    path = str(tmp_path / "crash_store")
    rng = random.Random(1234)
    counts = []
    for _ in range(KILLS):
        kill_once(path, rng)
        counts.append(check_store(path, synthetic))
    assert counts == sorted(counts), "committed episodes must never disappear"
    assert counts[-1] > KILLS // 2, f"too few episodes committed to be a real test: {counts}"

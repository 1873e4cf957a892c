"""One writer per local store: a second one fails at once and names the holder."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from actloop.datasets import EpisodeStore, EpisodeWriter, StoreLockedError


def test_a_second_writer_is_refused_and_names_the_first(tmp_path, synthetic):
    path = str(tmp_path / "s")
    with EpisodeWriter(path) as first:
        synthetic.write_episode(first, 0, 5)
        with pytest.raises(StoreLockedError, match=f"pid {os.getpid()}"):
            EpisodeWriter(path)
        synthetic.write_episode(first, 1, 4)  # the refused writer took nothing from the first
    with EpisodeWriter(path) as again:  # closed: the store is free
        synthetic.write_episode(again, 2, 3)
    store = EpisodeStore(path)
    assert store.episode_ends.tolist() == [5, 9, 12]
    store.verify()


def test_a_writer_killed_mid_episode_leaves_the_store_writable(tmp_path, synthetic):
    path = tmp_path / "s"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from actloop.datasets import EpisodeWriter; "
            "w = EpisodeWriter(sys.argv[1]); print('locked', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreLockedError, match=f"pid {holder.pid}"):
            EpisodeWriter(str(path))
    finally:
        holder.kill()
        holder.wait()
    with EpisodeWriter(str(path)) as writer:  # the kernel dropped the dead holder's lock
        synthetic.write_episode(writer, 0, 3)
    assert EpisodeStore(str(path)).episode_ends.tolist() == [3]

"""Teleoperation into the dataset store: leader arm -> ControlLoop -> EpisodeWriter."""

import numpy as np
import pytest
from actloop.cli.main import main

pytest.importorskip("scservo_sdk")  # the [hardware] extra: vendor SDKs


def test_actloop_record_writes_teleoperated_episodes_to_the_store(tmp_path, capsys):
    store_path = tmp_path / "demos.zarr"
    code = main(
        [
            "record",
            "--robot",
            "so101",
            "--emulate",
            "--plant",
            "kinematic",
            "--store",
            str(store_path),
            "--instruction",
            "wave hello",
            "--episodes",
            "2",
            "--ticks",
            "20",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.count("max_ticks") == 2
    from actloop.datasets import EpisodeStore

    store = EpisodeStore(str(store_path))
    assert store.num_episodes == 2 and store.num_frames == 40
    assert np.diff(store.episode_ends).tolist() == [20]
    episode = store.episode(1)
    assert store.meta(1).instruction == "wave hello" and store.meta(1).embodiment == "so101"
    # The scripted hand keeps the leader moving, and the follower was told to follow it.
    assert np.ptp(episode["requested_action"], axis=0).max() > 0.01
    assert np.abs(episode["action"] - episode["requested_action"]).max() <= 0.15 + 1e-6

"""Recorded ``Observation.extras``: opt-in, stored under ``extras/<name>``, served per frame."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from actloop.datasets import EpisodeStore, EpisodeWriter, SchemaError
from actloop.datasets.sampler import WindowDataset, WindowSpec


def _with_extras(step, episode: int, frame: int, names=("goal_pos", "tcp_pos")):
    facts = {"goal_pos": np.array([episode, 0.5, 0.1]), "tcp_pos": np.array([0.0, 0.0, frame])}
    observation = dataclasses.replace(step.observation, extras={n: facts[n] for n in names})
    return dataclasses.replace(step, observation=observation)


def _record(path: str, synthetic, record_extras: bool, episodes=2, frames=5, size=16):
    with EpisodeWriter(path, record_extras=record_extras) as writer:
        for episode in range(episodes):
            writer.start_episode(synthetic.make_info(episode))
            for frame in range(frames):
                step = synthetic.make_step(episode, frame, size=size)
                writer.record(_with_extras(step, episode, frame))
            writer.end_episode(True)


def test_extras_are_stored_per_frame_and_served_with_each_window(tmp_path, synthetic):
    path = str(tmp_path / "s")
    _record(path, synthetic, record_extras=True)
    store = EpisodeStore(path)
    assert {"extras/goal_pos", "extras/tcp_pos"} <= set(store.keys)
    store.verify()  # checksummed like every other key
    samples = WindowDataset([path], WindowSpec.chunk(history=2, horizon=4))
    sample = samples[5 + 3]  # episode 1, frame 3: the current (last) observation's facts
    np.testing.assert_allclose(sample["extras"]["goal_pos"], [1, 0.5, 0.1], rtol=1e-6)
    np.testing.assert_array_equal(sample["extras"]["tcp_pos"], [0, 0, 3])


def test_extras_are_not_recorded_unless_asked(tmp_path, synthetic):
    path = str(tmp_path / "s")
    _record(path, synthetic, record_extras=False)
    assert not any(k.startswith("extras/") for k in EpisodeStore(path).keys)
    assert WindowDataset([path], WindowSpec.chunk())[0]["extras"] == {}


def test_an_extra_that_disappears_mid_episode_is_named(tmp_path, synthetic):
    with EpisodeWriter(str(tmp_path / "s"), record_extras=True) as writer:
        writer.start_episode(synthetic.make_info(0))
        writer.record(_with_extras(synthetic.make_step(0, 0), 0, 0))
        with pytest.raises(SchemaError, match="extras/goal_pos"):
            writer.record(_with_extras(synthetic.make_step(0, 1), 0, 1, names=("tcp_pos",)))
        writer.abort()


def _record_labels(path: str, synthetic, width: int | None = None, frames=5) -> None:
    """Steps whose extras carry a DART-style label: the applied action plus 0.5."""
    with EpisodeWriter(path, record_extras=True) as writer:
        writer.start_episode(synthetic.make_info(0))
        for frame in range(frames):
            step = synthetic.make_step(0, frame)
            label = (step.action + 0.5)[:width]
            observation = dataclasses.replace(step.observation, extras={"expert_action": label})
            writer.record(dataclasses.replace(step, observation=observation))
        writer.end_episode(True)


def test_action_labels_can_be_read_from_an_extra_in_place_of_the_applied_action(
    tmp_path, synthetic
):
    path = str(tmp_path / "s")
    _record_labels(path, synthetic)
    spec = WindowSpec.chunk(horizon=3)
    applied = WindowDataset([path], spec)[1]["action"]
    labels = WindowDataset([path], spec, action_key="extras/expert_action")[1]["action"]
    np.testing.assert_allclose(labels, applied + 0.5)


def test_missing_or_misshapen_action_labels_are_named(tmp_path, synthetic):
    path = str(tmp_path / "s")
    _record_labels(path, synthetic, width=3)
    with pytest.raises(SchemaError, match=r"extras/expert_action.*shape"):
        WindowDataset([path], action_key="extras/expert_action")
    with pytest.raises(SchemaError, match="data/extras/dart_label' is missing"):
        WindowDataset([path], action_key="extras/dart_label")


@pytest.mark.lerobot
def test_extras_survive_a_lerobot_export_and_import(tmp_path, synthetic):
    """ACT's side of the benchmark trains on exported demos; the facts must not block that."""
    pytest.importorskip("lerobot")
    from actloop.datasets import lerobot_to_zarr, zarr_to_lerobot

    path = str(tmp_path / "s")
    _record(path, synthetic, record_extras=True, size=32)  # libsvtav1 needs >= 32 px
    zarr_to_lerobot(path, str(tmp_path / "lr"), repo_id="t/extras")
    again = lerobot_to_zarr(str(tmp_path / "lr"), str(tmp_path / "again"))
    for key in ("extras/goal_pos", "extras/tcp_pos"):
        np.testing.assert_array_equal(again.lowdim(key), EpisodeStore(path).lowdim(key))

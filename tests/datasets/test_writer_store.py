"""EpisodeWriter -> EpisodeStore round trips on disk and on an fsspec filesystem."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import zarr
from actloop.control import Recorder
from actloop.datasets import EpisodeStore, EpisodeWriter, SchemaError


def assert_episode_matches(store, synthetic, index: int, episode: int) -> None:
    arrays = store.episode(index)
    for frame in range(store.meta(index).length):
        want = synthetic.frame_values(episode, frame)
        for cam, image in want["images"].items():
            np.testing.assert_array_equal(arrays[f"images/{cam}"][frame], image)
        np.testing.assert_array_equal(arrays["state"][frame], want["state"])
        np.testing.assert_array_equal(arrays["action"][frame], want["action"])
        np.testing.assert_array_equal(arrays["requested_action"][frame], want["requested"])
        assert arrays["timestamp"][frame] == want["timestamp"]


def assert_implements_recorder(writer) -> None:
    """The control Recorder protocol, method by method, with the same parameters."""
    for name in ("start_episode", "record", "end_episode", "abort"):
        want = inspect.signature(getattr(Recorder, name))
        got = inspect.signature(getattr(type(writer), name))
        assert list(got.parameters) == list(want.parameters), name


@pytest.mark.parametrize("where", ["local", "memory"])
def test_round_trip_and_append(where, tmp_path, memory_url, synthetic):
    url = str(tmp_path / "s") if where == "local" else memory_url
    with EpisodeWriter(url) as writer:
        assert_implements_recorder(writer)
        for episode in range(2):
            synthetic.write_episode(writer, episode, 9 + episode)
    with EpisodeWriter(url) as writer:  # reopen and append
        synthetic.write_episode(writer, 2, 5, success=False)
    store = EpisodeStore(url)
    assert store.num_episodes == 3
    assert store.episode_ends.tolist() == [9, 19, 24]
    assert store.cameras == ["front", "wrist"]
    for index in range(3):
        assert_episode_matches(store, synthetic, index, episode=index)
    meta = store.meta(2)
    assert (meta.task, meta.instruction, meta.embodiment) == ("lift", "lift cube 2", "panda")
    assert (meta.seed, meta.success, meta.fps, meta.extra) == (
        2,
        False,
        50.0,
        {"note": "synthetic"},
    )
    store.verify()


def test_plain_zarr_sees_episode_ends_mirror(small_store):
    root = zarr.open_group(small_store, mode="r")
    assert root["meta/episode_ends"][:].tolist() == [10, 21, 33]
    assert root["data/images/front"].dtype == np.uint8
    assert root["data/state"].shape[1:] == (7,)


def test_aborted_and_unfinished_episodes_never_show(tmp_path, synthetic):
    path = str(tmp_path / "s")
    with EpisodeWriter(path) as writer:
        synthetic.write_episode(writer, 0, 6)
        writer.start_episode(synthetic.make_info(1))
        for frame in range(7):
            writer.record(synthetic.make_step(1, frame))
        writer.abort()
        synthetic.write_episode(writer, 2, 5)
        writer.start_episode(synthetic.make_info(3))
        writer.record(synthetic.make_step(3, 0))  # still open at close: discarded
    store = EpisodeStore(path)
    assert store.episode_ends.tolist() == [6, 11]
    assert_episode_matches(store, synthetic, 1, episode=2)


def test_writer_keeps_protocol_order(tmp_path, synthetic):
    with EpisodeWriter(str(tmp_path / "s")) as writer:
        with pytest.raises(RuntimeError, match="no open episode"):
            writer.record(synthetic.make_step(0, 0))
        writer.start_episode(synthetic.make_info(0))
        with pytest.raises(RuntimeError, match="still open"):
            writer.start_episode(synthetic.make_info(1))
        writer.end_episode(True)
        writer.flush()
        assert writer.num_episodes == 0  # an episode with no frames is not committed


def test_record_copies_the_callers_buffers(tmp_path, synthetic):
    path = str(tmp_path / "s")
    with EpisodeWriter(path) as writer:
        writer.start_episode(synthetic.make_info(0))
        step = synthetic.make_step(0, 0)
        writer.record(step)
        step.observation.images["front"][:] = 0  # the robot reuses its frame buffer
        step.observation.state[:] = -1
        writer.end_episode(True)
    assert_episode_matches(EpisodeStore(path), synthetic, 0, episode=0)


def test_shape_change_within_an_episode_is_rejected(tmp_path, synthetic):
    with EpisodeWriter(str(tmp_path / "s")) as writer:
        writer.start_episode(synthetic.make_info(0))
        writer.record(synthetic.make_step(0, 0, size=16))
        with pytest.raises(SchemaError, match="images/front"):
            writer.record(synthetic.make_step(0, 1, size=8))
        writer.abort()


def test_shape_change_against_the_store_is_rejected(small_store, synthetic):
    with EpisodeWriter(small_store) as writer:
        writer.start_episode(synthetic.make_info(5))
        with pytest.raises(SchemaError, match=r"images/front.*\(8, 8, 3\).*\(16, 16, 3\)"):
            writer.record(synthetic.make_step(5, 0, size=8))
    assert EpisodeStore(small_store).num_episodes == 3


@pytest.mark.parametrize("fps", [0.0, -5.0, float("nan"), "fast"])
def test_bad_fps_is_rejected_with_its_value(tmp_path, synthetic, fps):
    with EpisodeWriter(str(tmp_path / "s")) as writer, pytest.raises(SchemaError, match="fps"):
        writer.start_episode(synthetic.make_info(0, fps=fps))

"""Windows, pad masks, mixing with weights, determinism and DataLoader workers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from actloop.datasets import EpisodeWriter, StoreSource, WindowDataset, WindowSpec


def test_window_at_episode_start_pads_history(small_store, synthetic):
    ds = WindowDataset([small_store], WindowSpec.chunk(history=2, horizon=4))
    sample = ds[10]  # first frame of episode 1
    assert (sample["episode"], sample["frame"]) == (1, 0)
    assert sample["obs_pad"].tolist() == [True, False]
    assert sample["action_pad"].tolist() == [False] * 4
    want = synthetic.frame_values(1, 0)
    np.testing.assert_array_equal(sample["state"], np.stack([want["state"]] * 2))
    np.testing.assert_array_equal(sample["images"]["front"][1], want["images"]["front"])
    assert sample["images"]["front"].shape == (2, 16, 16, 3)
    assert sample["images"]["front"].dtype == np.uint8
    assert (sample["instruction"], sample["embodiment"], sample["task"]) == (
        "lift cube 1",
        "panda",
        "lift",
    )


def test_window_at_episode_end_pads_the_action_chunk(small_store, synthetic):
    ds = WindowDataset([small_store], WindowSpec.chunk(history=1, horizon=4))
    sample = ds[19]  # frame 9 of 11 in episode 1
    assert sample["action_pad"].tolist() == [False, False, True, True]
    last = synthetic.frame_values(1, 10)["action"]
    np.testing.assert_array_equal(sample["action"][2:], np.stack([last, last]))
    np.testing.assert_array_equal(sample["action"][0], synthetic.frame_values(1, 9)["action"])
    assert sample["action"].dtype == np.float32 and sample["state"].dtype == np.float32


def test_hold_padding_stops_a_successful_episode_and_leaves_a_failed_one_masked(
    small_store, synthetic
):
    ds = WindowDataset([small_store], WindowSpec.chunk(history=1, horizon=4), action_padding="hold")
    done = ds[31]  # frame 10 of 12 in episode 2, which succeeded
    assert (done["episode"], done["frame"]) == (2, 10)
    assert done["action_pad"].tolist() == [False] * 4  # the hold steps are trained on
    last = synthetic.frame_values(2, 11)["action"]
    np.testing.assert_array_equal(done["action"][1], last)
    np.testing.assert_array_equal(done["action"][2:, :6], np.zeros((2, 6)))  # panda deltas
    np.testing.assert_array_equal(done["action"][2:, 6], [last[6], last[6]])  # gripper holds
    failed = ds[19]  # frame 9 of 11 in episode 1, which failed: nothing to hold at
    assert failed["action_pad"].tolist() == [False, False, True, True]
    np.testing.assert_array_equal(
        failed["action"][2:], np.stack([synthetic.frame_values(1, 10)["action"]] * 2)
    )
    with pytest.raises(ValueError, match=r"action padding 'holdd'.*hold"):
        WindowDataset([small_store], action_padding="holdd")


def test_future_observation_deltas(small_store, synthetic):
    ds = WindowDataset([small_store], WindowSpec(obs_deltas=(-1, 0, 3), action_deltas=(0, 1)))
    sample = ds[3]
    assert sample["obs_pad"].tolist() == [False, False, False]
    np.testing.assert_array_equal(sample["state"][2], synthetic.frame_values(0, 6)["state"])
    assert ds[8]["obs_pad"].tolist() == [False, False, True]


def test_transform_is_applied_per_sample(small_store):
    def tag(sample: dict) -> dict:
        return {**sample, "state": sample["state"] * 0 + 1}

    ds = WindowDataset([small_store], transform=tag)
    assert (ds[5]["state"] == 1).all()


def two_embodiment_sources(tmp_path, synthetic):
    other = str(tmp_path / "koch")
    with EpisodeWriter(other) as writer:
        info = synthetic.make_info(7, fps=30.0, embodiment="koch")
        writer.start_episode(info)
        for frame in range(40):
            writer.record(synthetic.make_step(7, frame))
        writer.end_episode(True)
    return other


def test_mixing_stores_follows_weights_and_seed(small_store, tmp_path, synthetic):
    other = two_embodiment_sources(tmp_path, synthetic)
    ds = WindowDataset([StoreSource(small_store, 3.0), StoreSource(other, 1.0)])
    assert len(ds) == 33 + 40
    order = list(ds.weighted_sampler(4000, seed=3))
    assert order == list(ds.weighted_sampler(4000, seed=3))
    assert order != list(ds.weighted_sampler(4000, seed=4))
    share = np.mean([ds.indexes[0].frames > i for i in order])
    assert 0.72 < share < 0.78  # weight 3:1 -> 75% from the first store
    assert {ds[i]["embodiment"] for i in (0, 40)} == {"panda", "koch"}


@pytest.mark.parametrize("num_workers", [2])
def test_dataloader_with_workers_matches_direct_access(small_store, num_workers):
    ds = WindowDataset([small_store], WindowSpec.chunk(history=2, horizon=3))
    ds[0]  # open in the parent first: workers must reopen, not reuse the handle
    loader = torch.utils.data.DataLoader(
        ds, batch_size=5, num_workers=num_workers, sampler=ds.weighted_sampler(20, seed=0)
    )
    indices = list(ds.weighted_sampler(20, seed=0))
    batches = list(loader)
    states = torch.cat([b["state"] for b in batches]).numpy()
    expected = np.stack([ds[i]["state"] for i in indices])
    np.testing.assert_array_equal(states, expected)
    assert batches[0]["images"]["front"].shape == (5, 2, 16, 16, 3)


def test_fsspec_store_serves_windows(memory_url, synthetic):
    with EpisodeWriter(memory_url) as writer:
        synthetic.write_episode(writer, 0, 12)
    ds = WindowDataset([memory_url], WindowSpec.chunk(history=2, horizon=4))
    np.testing.assert_array_equal(
        ds[5]["images"]["wrist"][1], synthetic.frame_values(0, 5)["images"]["wrist"]
    )

"""LeRobot v3 import/export through the real lerobot package (offline, pyav decoding)."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytestmark = pytest.mark.lerobot

FPS = 10
SIZE = 32
# The images go through libsvtav1 (lerobot's default, yuv420, crf 30) twice: once when
# lerobot writes the source, once on export. Measured here: mean abs error 2.3 levels,
# max under 40 (chroma subsampling at sharp hue edges). Bounds leave margin for encoders.
MAX_ABS_ERR, MEAN_ABS_ERR = 48, 4.0


def smooth_image(episode: int, frame: int, cam: int) -> np.ndarray:
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    r = (xx * 4 + frame * 3 + episode * 20) % 256
    g = (yy * 4 + cam * 60) % 256
    b = np.full_like(xx, 80 + 10 * episode)
    return np.stack([r, g, b], -1).astype(np.uint8)


def write_lerobot(root, lengths):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    features = {
        "observation.images.front": {
            "dtype": "video",
            "shape": (SIZE, SIZE, 3),
            "names": ["height", "width", "channels"],
        },
        "observation.state": {"dtype": "float32", "shape": (3,), "names": ["a", "b", "c"]},
        "action": {"dtype": "float32", "shape": (2,), "names": ["x", "y"]},
    }
    ds = LeRobotDataset.create(
        "test/src", fps=FPS, features=features, root=root, robot_type="so101", use_videos=True
    )
    rng = np.random.default_rng(0)
    for episode, length in enumerate(lengths):
        for frame in range(length):
            ds.add_frame(
                {
                    "observation.images.front": smooth_image(episode, frame, 0),
                    "observation.state": rng.normal(size=3).astype(np.float32),
                    "action": rng.normal(size=2).astype(np.float32),
                    "task": f"task number {episode % 2}",
                }
            )
        ds.save_episode()
    ds.finalize()
    return LeRobotDataset("test/src", root=root, video_backend="pyav")


def test_lerobot_to_zarr_to_lerobot_round_trip(tmp_path):
    from actloop.datasets import lerobot_to_zarr, zarr_to_lerobot
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    source = write_lerobot(tmp_path / "src", [12, 9, 15])
    store = lerobot_to_zarr(str(tmp_path / "src"), str(tmp_path / "store.zarr"))
    assert store.episode_ends.tolist() == [12, 21, 36]
    assert [m.instruction for m in store.episodes] == [
        "task number 0",
        "task number 1",
        "task number 0",
    ]
    assert {m.fps for m in store.episodes} == {float(FPS)}
    assert store.episodes[0].embodiment == "so101"

    zarr_to_lerobot(str(tmp_path / "store.zarr"), str(tmp_path / "back"), repo_id="test/back")
    back = LeRobotDataset("test/back", root=tmp_path / "back", video_backend="pyav")
    assert back.fps == FPS and back.meta.total_episodes == 3
    for key in ("observation.state", "action", "episode_index", "frame_index"):
        np.testing.assert_array_equal(
            np.asarray(back.hf_dataset.with_format("numpy")[key]),
            np.asarray(source.hf_dataset.with_format("numpy")[key]),
        )
    assert [back.meta.episodes[i]["tasks"] for i in range(3)] == [
        source.meta.episodes[i]["tasks"] for i in range(3)
    ]

    errors = []
    for index in (0, 13, 35):
        got = (back[index]["observation.images.front"].numpy() * 255).round().transpose(1, 2, 0)
        episode = int(back[index]["episode_index"])
        frame = int(back[index]["frame_index"])
        errors.append(np.abs(got - smooth_image(episode, frame, 0).astype(float)))
    assert max(e.max() for e in errors) <= MAX_ABS_ERR
    assert np.mean([e.mean() for e in errors]) <= MEAN_ABS_ERR


@pytest.fixture
def store32(tmp_path, synthetic):
    """3 episodes of 32x32 frames (libsvtav1 dies with SIGFPE on 16x16 frames)."""
    from actloop.datasets import EpisodeWriter

    path = str(tmp_path / "store32")
    with EpisodeWriter(path) as writer:
        for episode in range(3):
            synthetic.write_episode(writer, episode, 10 + episode, size=SIZE, success=episode != 1)
    return path


def test_zarr_metadata_survives_export_and_import(store32, tmp_path):
    from actloop.datasets import EpisodeStore, lerobot_to_zarr, zarr_to_lerobot

    small_store = store32
    zarr_to_lerobot(small_store, str(tmp_path / "lr"), repo_id="test/lr")
    again = lerobot_to_zarr(str(tmp_path / "lr"), str(tmp_path / "again"))
    original = EpisodeStore(small_store)
    assert again.episode_ends.tolist() == original.episode_ends.tolist()
    for a, b in zip(again.episodes, original.episodes, strict=True):
        assert (a.task, a.instruction, a.embodiment, a.seed, a.success, a.fps, a.extra) == (
            b.task,
            b.instruction,
            b.embodiment,
            b.seed,
            b.success,
            b.fps,
            b.extra,
        )
    for key in ("state", "action", "requested_action", "timestamp"):
        np.testing.assert_array_equal(again.lowdim(key), original.lowdim(key))


def test_export_refuses_mixed_fps(tmp_path, synthetic):
    from actloop.datasets import EpisodeWriter, SchemaError, zarr_to_lerobot

    path = str(tmp_path / "mixed")
    with EpisodeWriter(path) as writer:
        synthetic.write_episode(writer, 0, 4)
        writer.start_episode(synthetic.make_info(1, fps=30.0))
        writer.record(synthetic.make_step(1, 0))
        writer.end_episode(True)
    with pytest.raises(SchemaError, match=r"episode 1: fps 30.0 differs"):
        zarr_to_lerobot(path, str(tmp_path / "out"), repo_id="t/mixed")


def test_import_rejects_a_folder_that_is_not_lerobot(tmp_path):
    from actloop.datasets import SchemaError, lerobot_to_zarr

    with pytest.raises(SchemaError, match=r"meta/info\.json is missing"):
        lerobot_to_zarr(str(tmp_path), str(tmp_path / "out"))


def test_convert_cli_both_directions(store32, tmp_path):
    from actloop.cli.main import main
    from actloop.datasets import EpisodeStore

    assert (
        main(["convert", "zarr-to-lerobot", store32, str(tmp_path / "lr"), "--repo-id", "t/cli"])
        == 0
    )
    assert main(["convert", "lerobot-to-zarr", str(tmp_path / "lr"), str(tmp_path / "z")]) == 0
    assert EpisodeStore(str(tmp_path / "z")).episode_ends.tolist() == [10, 21, 33]
    assert main(["convert", "lerobot-to-zarr", str(tmp_path / "nope"), str(tmp_path / "z2")]) == 2

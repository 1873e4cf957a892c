"""LeRobot v3 import and export through the real ``lerobot`` package (imported lazily).

Export: every committed episode goes through ``LeRobotDataset.create / add_frame /
save_episode / finalize``; the LeRobot ``task`` string is our instruction. Fields LeRobot
has no place for (task name, seed, success, embodiment, extra) travel in a sidecar,
``meta/actloop_episodes.json``, which lerobot ignores and the import reads back.
Recorded extras (sim task facts) become ``observation.extras.<name>`` features and
come back as ``extras/<name>``.
Import: opened with ``LeRobotDataset(..., video_backend="pyav")`` offline; each episode's
frames are decoded in one ``decode_video_frames`` call and written with ``EpisodeWriter``.

State, action, tasks, fps and episode boundaries survive a round trip exactly; images
pass through a lossy video codec (see BENCHMARKS.md for the measured error).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from actloop.control import EpisodeInfo, Observation, Step

from .episodes import check_fps
from .errors import SchemaError
from .layout import EXTRAS_PREFIX
from .store import EpisodeStore
from .writer import EpisodeWriter

SIDECAR = "meta/actloop_episodes.json"
IMAGE_KEY = "observation.images."
# Observation timestamps travel in the sidecar: lerobot keeps float features as float32,
# which would round a wall-clock time (~1.7e9 s) to minutes.
LOWDIM_FEATURES = {
    "state": "observation.state",
    "action": "action",
    "requested_action": "requested_action",
}
EXTRAS_FEATURE = "observation.extras."  # recorded Observation.extras, e.g. sim task facts


def _lowdim_feature(key: str) -> str:
    if key.startswith(EXTRAS_PREFIX):
        return EXTRAS_FEATURE + key[len(EXTRAS_PREFIX) :]
    return LOWDIM_FEATURES[key]


def _lerobot():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # conversions are local; never touch the hub
    from lerobot.datasets import lerobot_dataset, video_utils

    return lerobot_dataset, video_utils


# -- export ------------------------------------------------------------------------
def zarr_to_lerobot(src: str, dst: str, repo_id: str, vcodec: str = "libsvtav1") -> Path:
    """Write every committed episode of ``src`` as a new LeRobot v3 dataset at ``dst``."""
    lerobot_dataset, _ = _lerobot()
    store = EpisodeStore(src)
    if store.num_episodes == 0:
        raise SchemaError(f"{src}: no committed episodes to export")
    fps = _single_fps(store)
    dataset = lerobot_dataset.LeRobotDataset.create(
        repo_id=repo_id,
        fps=fps,
        features=_features(store),
        root=dst,
        robot_type=store.episodes[0].embodiment,
        use_videos=True,
        vcodec=vcodec,
    )
    for index in range(store.num_episodes):
        _export_episode(dataset, store, index)
    dataset.finalize()
    sidecar = [
        {
            **{k: v for k, v in m.to_dict().items() if k not in ("checksums", "start")},
            "obs_timestamps": store.lowdim("timestamp")[m.start : m.end].tolist(),
        }
        for m in store.episodes
    ]
    (Path(dst) / SIDECAR).write_text(json.dumps(sidecar, indent=1))
    return Path(dst)


def _single_fps(store: EpisodeStore) -> int:
    fps = store.episodes[0].fps
    for meta in store.episodes:
        if meta.fps != fps:
            raise SchemaError(
                f"{store.url} episode {meta.index}: fps {meta.fps} differs from "
                f"episode 0's {fps}; a LeRobot dataset has one fps"
            )
    if fps != int(fps):
        raise SchemaError(f"{store.url}: fps {fps} is not an integer, which LeRobot requires")
    return int(fps)


def _features(store: EpisodeStore) -> dict[str, dict[str, Any]]:
    features = {}
    for key, spec in store.schema.items():
        if key == "timestamp":
            continue
        shape = tuple(spec["shape"])
        if key.startswith("images/"):
            features[IMAGE_KEY + key[len("images/") :]] = {
                "dtype": "video",
                "shape": shape,
                "names": ["height", "width", "channels"],
            }
        else:
            names = [f"{key}_{i}" for i in range(shape[0])] if shape else None
            features[_lowdim_feature(key)] = {
                "dtype": spec["dtype"],
                "shape": shape or (1,),
                "names": names,
            }
    return features


def _export_episode(dataset, store: EpisodeStore, index: int) -> None:
    arrays, meta = store.episode(index), store.meta(index)
    for t in range(meta.length):
        frame = {"task": meta.instruction}
        for key, values in arrays.items():
            if key.startswith("images/"):
                frame[IMAGE_KEY + key[len("images/") :]] = values[t]
            elif key != "timestamp":
                frame[_lowdim_feature(key)] = np.atleast_1d(values[t])
        dataset.add_frame(frame)
    dataset.save_episode()


# -- import ------------------------------------------------------------------------
def lerobot_to_zarr(src: str, dst: str, repo_id: str | None = None) -> EpisodeStore:
    """Append every episode of the LeRobot v3 dataset at ``src`` to the store at ``dst``."""
    lerobot_dataset, video_utils = _lerobot()
    root = Path(src)
    if not (root / "meta/info.json").is_file():
        raise SchemaError(f"{src}: not a LeRobot v3 dataset (meta/info.json is missing)")
    dataset = lerobot_dataset.LeRobotDataset(repo_id or root.name, root=root, video_backend="pyav")
    _check_features(dataset, src)
    sidecar = _read_sidecar(root)
    if sidecar is not None and len(sidecar) != dataset.meta.total_episodes:
        raise SchemaError(
            f"{root / SIDECAR}: {len(sidecar)} episodes, the dataset has "
            f"{dataset.meta.total_episodes}"
        )
    extras = any(f.startswith(EXTRAS_FEATURE) for f in dataset.features)
    with EpisodeWriter(dst, record_extras=extras) as writer:
        for index in range(dataset.meta.total_episodes):
            _import_episode(writer, dataset, video_utils, index, sidecar)
    return EpisodeStore(dst)


def _check_features(dataset, src: str) -> None:
    for feature in ("observation.state", "action"):
        if feature not in dataset.features:
            raise SchemaError(
                f"{src}: feature {feature!r} is missing (have {sorted(dataset.features)})"
            )
    check_fps(dataset.fps, f"{src}/meta/info.json")


def _read_sidecar(root: Path) -> list[dict[str, Any]] | None:
    path = root / SIDECAR
    return json.loads(path.read_text()) if path.is_file() else None


def _episode_rows(dataset, index: int) -> dict[str, np.ndarray]:
    episode = dataset.meta.episodes[index]
    start, stop = int(episode["dataset_from_index"]), int(episode["dataset_to_index"])
    dataset._ensure_hf_dataset_loaded()
    table = dataset.hf_dataset.with_format("numpy")[start:stop]
    if not (table["episode_index"] == index).all():
        raise SchemaError(f"{dataset.root}: rows {start}:{stop} are not all episode {index}")
    return table


def _check_timestamps(dataset, index: int, timestamps: np.ndarray) -> None:
    expected = np.arange(len(timestamps)) / dataset.fps
    worst = float(np.abs(timestamps - expected).max()) if len(timestamps) else 0.0
    if worst > dataset.tolerance_s + 1e-6:
        raise SchemaError(
            f"{dataset.root} episode {index}: timestamps disagree with fps "
            f"{dataset.fps} by up to {worst:.4f} s (meta/info.json fps wrong?)"
        )


def _decode_images(dataset, video_utils, index: int, timestamps: np.ndarray) -> dict:
    episode, images = dataset.meta.episodes[index], {}
    for key in dataset.meta.video_keys:
        start = episode[f"videos/{key}/from_timestamp"]
        path = dataset.root / dataset.meta.get_video_file_path(index, key)
        frames = video_utils.decode_video_frames(
            path, [start + float(t) for t in timestamps], dataset.tolerance_s, "pyav"
        )
        hwc = (frames.numpy().transpose(0, 2, 3, 1) * 255).round().astype(np.uint8)
        images[key[len(IMAGE_KEY) :] if key.startswith(IMAGE_KEY) else key] = hwc
    return images


def _import_episode(writer, dataset, video_utils, index: int, sidecar) -> None:
    rows = _episode_rows(dataset, index)
    timestamps = np.asarray(rows["timestamp"], dtype=np.float64).reshape(-1)
    _check_timestamps(dataset, index, timestamps)
    images = _decode_images(dataset, video_utils, index, timestamps)
    info, success = _episode_info(dataset, index, sidecar)
    writer.start_episode(info)
    obs_times = timestamps if sidecar is None else sidecar[index]["obs_timestamps"]
    requested = rows.get("requested_action", rows["action"])
    extras = {k[len(EXTRAS_FEATURE) :]: v for k, v in rows.items() if k.startswith(EXTRAS_FEATURE)}
    for t in range(len(timestamps)):
        obs = Observation(
            {cam: frames[t] for cam, frames in images.items()},
            rows["observation.state"][t],
            info.instruction,
            info.embodiment,
            float(obs_times[t]),
            {name: np.atleast_1d(values[t]) for name, values in extras.items()},
        )
        writer.record(Step(t, obs, rows["action"][t], requested[t]))
    writer.end_episode(success)


def _episode_info(dataset, index: int, sidecar) -> tuple[EpisodeInfo, bool]:
    tasks = list(dataset.meta.episodes[index]["tasks"])
    if sidecar is not None:
        saved = sidecar[index]
        info = EpisodeInfo(
            saved["embodiment"],
            saved["instruction"],
            float(dataset.fps),
            saved["task"],
            saved["seed"],
            saved.get("extra", {}),
        )
        return info, bool(saved["success"])
    # Plain LeRobot data: demonstrations, taken as successful; the task string is the
    # instruction, and the robot type names the embodiment.
    info = EpisodeInfo(
        dataset.meta.robot_type or "unknown",
        tasks[0],
        float(dataset.fps),
        tasks[0],
        None,
        {"lerobot_tasks": tasks},
    )
    return info, True

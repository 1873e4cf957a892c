"""Synthetic steps for the datasets tests, importable by path from a subprocess too.

Every value is a deterministic function of (episode, frame), so a reader can check any
frame it gets back without keeping the originals.
"""

from __future__ import annotations

import numpy as np
from actloop.control import EpisodeInfo, Observation, Step

CAMERAS = ("front", "wrist")
STATE_DIM = 7
ACTION_DIM = 7


def frame_values(episode: int, frame: int, size: int = 16) -> dict[str, np.ndarray]:
    base = episode * 1000 + frame
    images = {
        cam: np.full((size, size, 3), (base + 7 * i) % 251, np.uint8)
        for i, cam in enumerate(CAMERAS)
    }
    images["front"][0, 0] = [episode % 256, frame % 256, 9]
    state = np.arange(STATE_DIM, dtype=np.float32) + base
    action = -np.arange(ACTION_DIM, dtype=np.float32) - base
    return {
        "images": images,
        "state": state,
        "action": action,
        "requested": action * 2,
        "timestamp": base / 50.0,
    }


def make_step(episode: int, frame: int, size: int = 16, instruction: str = "lift") -> Step:
    v = frame_values(episode, frame, size)
    obs = Observation(v["images"], v["state"], instruction, "panda", v["timestamp"])
    return Step(frame, obs, v["action"].astype(np.float64), v["requested"].astype(np.float64))


def make_info(episode: int, fps: float = 50.0, embodiment: str = "panda") -> EpisodeInfo:
    return EpisodeInfo(
        embodiment=embodiment,
        instruction=f"lift cube {episode}",
        fps=fps,
        task="lift",
        seed=episode,
        extra={"note": "synthetic"},
    )


def write_episode(writer, episode: int, length: int, size: int = 16, success: bool = True):
    writer.start_episode(make_info(episode))
    for frame in range(length):
        writer.record(make_step(episode, frame, size))
    writer.end_episode(success)

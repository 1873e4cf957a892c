"""Episode videos: what a success rate cannot show (how the robot failed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import imageio.v2 as imageio
import numpy as np


def frames_from_steps(steps: Sequence, cameras: Sequence[str] | None = None) -> list[np.ndarray]:
    """One frame per recorded step: the chosen cameras side by side."""
    frames = []
    for step in steps:
        images = step.observation.images
        names = list(cameras) if cameras else sorted(images)
        if not names:
            raise ValueError("the recorded observations carry no camera images to film")
        frames.append(np.concatenate([images[name] for name in names], axis=1))
    return frames


def write_mp4(path: str | Path, frames: Sequence[np.ndarray], fps: float) -> Path:
    """H.264 mp4 through imageio-ffmpeg; frames are padded to even sizes as yuv420p needs."""
    if not frames:
        raise ValueError(f"no frames to write to {path}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with imageio.get_writer(
        path, fps=fps, codec="libx264", macro_block_size=1, quality=7, pixelformat="yuv420p"
    ) as writer:
        for frame in frames:
            writer.append_data(_even(np.asarray(frame, dtype=np.uint8)))
    return path


def read_frame_count(path: str | Path) -> int:
    """Decode a video back and count frames (how tests check a video is real)."""
    with imageio.get_reader(Path(path)) as reader:
        return sum(1 for _ in reader)


def _even(frame: np.ndarray) -> np.ndarray:
    pad_h, pad_w = frame.shape[0] % 2, frame.shape[1] % 2
    if pad_h or pad_w:
        frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    return frame

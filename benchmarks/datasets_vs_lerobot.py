"""actloop zarr store vs LeRobotDataset v3, side by side on the same synthetic data.

50 episodes x 100 frames, two 96x96 RGB cameras, 7-D state and action. A sample is one
observation plus a 16-step action chunk. Measures write frames/s, random-access
samples/s in one process, size on disk, the time ``record``/``end_episode`` spend on the
caller's thread, and the image error LeRobot's video codec introduces.

    HF_HUB_OFFLINE=1 /work/venv/bin/python benchmarks/datasets_vs_lerobot.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from actloop.control import EpisodeInfo, Observation, Step
from actloop.datasets import EpisodeWriter, WindowDataset, WindowSpec

FPS, SIZE, HORIZON, CAMS = 50, 96, 16, ("front", "wrist")


def scene(episode: int, frame: int, cam: int) -> np.ndarray:
    """A sim-like frame: shaded floor, a moving cube, a gripper bar (no sensor noise)."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    img = np.stack([60 + yy // 2, 70 + xx // 3 + 20 * cam, np.full_like(xx, 90 + episode)], -1)
    cx, cy = 20 + (frame * 3 + episode * 5) % 50, 30 + (episode * 7) % 30
    img[cy : cy + 14, cx : cx + 14] = (200, 40, 40)
    img[: 10 + frame % 20, 44:52] = (180, 180, 190)
    return img.astype(np.uint8)


def make_data(episodes: int, frames: int):
    rng = np.random.default_rng(0)
    for e in range(episodes):
        state = rng.normal(size=(frames, 7)).astype(np.float32)
        action = rng.normal(size=(frames, 7)).astype(np.float32)
        images = [{cam: scene(e, t, i) for i, cam in enumerate(CAMS)} for t in range(frames)]
        yield e, state, action, images


def write_actloop(path: str, data) -> dict:
    caller = []
    started = time.perf_counter()
    with EpisodeWriter(path) as writer:
        for e, state, action, images in data:
            t0 = time.perf_counter()
            writer.start_episode(EpisodeInfo("panda", f"lift cube {e}", FPS, "lift", e))
            caller.append(time.perf_counter() - t0)
            for t in range(len(state)):
                obs = Observation(images[t], state[t], "lift", "panda", t / FPS)
                t0 = time.perf_counter()
                writer.record(Step(t, obs, action[t], action[t]))
                caller.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            writer.end_episode(True)
            caller.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "caller_ms": np.array(caller) * 1e3}


def paced_caller_ms(path: str, data, hz: float = 50.0) -> np.ndarray:
    """Caller-thread time of record()/end_episode() in a real-time 50 Hz loop."""
    caller, period = [], 1.0 / hz
    with EpisodeWriter(path) as writer:
        for e, state, action, images in data:
            writer.start_episode(EpisodeInfo("panda", "lift", FPS, "lift", e))
            deadline = time.perf_counter()
            for t in range(len(state)):
                deadline += period
                time.sleep(max(0.0, deadline - time.perf_counter()))
                obs = Observation(images[t], state[t], "lift", "panda", t / FPS)
                t0 = time.perf_counter()
                writer.record(Step(t, obs, action[t], action[t]))
                caller.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            writer.end_episode(True)
            caller.append(time.perf_counter() - t0)
    return np.array(caller) * 1e3


def write_lerobot(root: str, data) -> float:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    video = {"dtype": "video", "shape": (SIZE, SIZE, 3), "names": ["height", "width", "channels"]}
    features = {f"observation.images.{c}": video for c in CAMS}
    features["observation.state"] = {"dtype": "float32", "shape": (7,), "names": None}
    features["action"] = {"dtype": "float32", "shape": (7,), "names": None}
    started = time.perf_counter()
    ds = LeRobotDataset.create(
        "bench/lerobot", fps=FPS, features=features, root=root, robot_type="panda", use_videos=True
    )
    for e, state, action, images in data:
        for t in range(len(state)):
            frame = {f"observation.images.{c}": images[t][c] for c in CAMS}
            ds.add_frame(
                {
                    **frame,
                    "observation.state": state[t],
                    "action": action[t],
                    "task": f"lift cube {e}",
                }
            )
        ds.save_episode()
    ds.finalize()
    return time.perf_counter() - started


def rate(get, indices) -> float:
    started = time.perf_counter()
    for i in indices:
        get(int(i))
    return len(indices) / (time.perf_counter() - started)


def du(path: str) -> int:
    return int(subprocess.check_output(["du", "-sb", path]).split()[0])


def video_error(lerobot_ds, indices) -> tuple[float, float, float]:
    errs = []
    for i in indices:
        item = lerobot_ds[int(i)]
        got = (item["observation.images.front"].numpy() * 255).round().transpose(1, 2, 0)
        want = scene(int(item["episode_index"]), int(item["frame_index"]), 0).astype(float)
        errs.append(np.abs(got - want))
    err = np.stack(errs)
    psnr = 10 * np.log10(255**2 / np.mean(err**2))
    return float(err.mean()), float(err.max()), float(psnr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--lerobot-samples", type=int, default=300)
    parser.add_argument("--actloop-samples", type=int, default=5000)
    args = parser.parse_args()
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    tmp = Path(tempfile.mkdtemp(prefix="actloop-bench-"))
    total = args.episodes * args.frames
    data = list(make_data(args.episodes, args.frames))  # generated outside the timings
    ours = write_actloop(str(tmp / "store.zarr"), data)
    theirs_s = write_lerobot(str(tmp / "lerobot"), data)
    paced = paced_caller_ms(str(tmp / "paced.zarr"), data[:5])

    spec = WindowSpec.chunk(history=1, horizon=HORIZON)
    ds = WindowDataset([str(tmp / "store.zarr")], spec)
    delta = {"action": [i / FPS for i in range(HORIZON)]}
    lr = LeRobotDataset(
        "bench/lerobot", root=tmp / "lerobot", delta_timestamps=delta, video_backend="pyav"
    )
    rng = np.random.default_rng(1)
    ds[0], lr[0]  # warm both (open files, load parquet)
    ours_rate = rate(ds.__getitem__, rng.integers(0, total, args.actloop_samples))
    theirs_rate = rate(lr.__getitem__, rng.integers(0, total, args.lerobot_samples))
    mean_err, max_err, psnr = video_error(lr, rng.integers(0, total, 50))
    ours_size, theirs_size = du(str(tmp / "store.zarr")), du(str(tmp / "lerobot"))
    caller = ours["caller_ms"]

    print(
        f"data: {args.episodes} episodes x {args.frames} frames, 2 cams {SIZE}x{SIZE}, "
        f"7-D state/action, sample = obs + {HORIZON}-step chunk"
    )
    print(f"{'metric':<34}{'actloop':>12}{'LeRobot':>12}{'ratio':>9}")
    rows = [
        ("random-access samples/s", ours_rate, theirs_rate),
        ("write frames/s", total / ours["seconds"], total / theirs_s),
        ("size on disk (MB)", ours_size / 1e6, theirs_size / 1e6),
    ]
    for name, a, b in rows:
        print(f"{name:<34}{a:>12.1f}{b:>12.1f}{a / b:>8.2f}x")
    for name, ms in (("flat out", caller), ("paced at 50 Hz", paced)):
        print(
            f"caller-thread ms per record()/end_episode(), {name}: mean {ms.mean():.3f}, "
            f"p99 {np.percentile(ms, 99):.3f}, max {ms.max():.3f} (50 Hz tick: 20 ms)"
        )
    print(
        f"LeRobot video (libsvtav1) image error vs original: mean abs {mean_err:.2f}, "
        f"max abs {max_err:.0f} levels, PSNR {psnr:.1f} dB; actloop images are lossless"
    )


if __name__ == "__main__":
    main()

"""The small policy's vision trunk on channels-last input vs contiguous NCHW, same run.

Frames arrive NHWC (uint8, as cameras and the zarr store hold them). Permuted to NCHW
without a copy they are channels-last in memory, and PyTorch runs the whole trunk in
that layout. Random-shift augmentation made a contiguous copy by accident, so only
shift-free training ran channels-last (and 1.4x slower a step: run D, session 17).
``VisionEncoder`` now copies in training, where it is faster, and not in inference, where
the layout makes no difference here (``to_nchw``).

Times, interleaved, a training forward+backward of the trunk at the ``cpu-full`` batch
(32 samples x 2 cameras) and an inference forward at one sample x 2 cameras:

    python benchmarks/image_layout.py [--repeats 15] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from functools import partial
from pathlib import Path

import torch
from actloop.policies.config import get_preset
from actloop.policies.vision import VisionEncoder, to_nchw

sys.path.insert(0, str(Path(__file__).parent))
from policy_latency import median_ms

LAYOUTS = {
    "channels-last (permute, no copy)": lambda f: to_nchw(f, contiguous=False),
    "contiguous NCHW (a copy)": lambda f: to_nchw(f, contiguous=True),
}


def trunk_and_condition(d_model: int = 128) -> tuple[VisionEncoder, torch.Tensor]:
    config = get_preset("small")
    encoder = VisionEncoder(config.vision, config.cameras, config.n_obs_steps, d_model)
    return encoder, torch.randn(1, d_model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    encoder, condition = trunk_and_condition()
    size = encoder.config.image_size
    frames = {n: torch.randint(0, 256, (n, size, size, 3), dtype=torch.uint8) for n in (64, 2)}

    def train_step(layout) -> None:
        pixels = layout(frames[64])
        encoder._feature_map(pixels, condition.expand(32, -1), per_sample=2).sum().backward()

    @torch.no_grad()
    def infer(layout) -> None:
        encoder._feature_map(layout(frames[2]), condition, per_sample=2)

    results = {label: {"train": [], "infer": []} for label in LAYOUTS}
    for _ in range(3):  # interleaved rounds, so drift on a shared box hits both alike
        for label, layout in LAYOUTS.items():
            encoder.train()
            results[label]["train"].append(median_ms(partial(train_step, layout), args.repeats))
            encoder.eval()
            results[label]["infer"].append(median_ms(partial(infer, layout), args.repeats * 4))
    base = {k: statistics.median(v) for k, v in results[next(iter(LAYOUTS))].items()}
    print(f"small vision trunk, {args.threads} threads, medians of 3 interleaved rounds")
    print(
        "| input layout | train fwd+bwd, 64 images (ms) | speed-up | infer, 2 images (ms) ", end=""
    )
    print("| speed-up |")
    print("|---|---:|---:|---:|---:|")
    for label, rows in results.items():
        train, infer_ms = statistics.median(rows["train"]), statistics.median(rows["infer"])
        print(
            f"| {label} | {train:.0f} | {base['train'] / train:.2f}x "
            f"| {infer_ms:.2f} | {base['infer'] / infer_ms:.2f}x |"
        )


if __name__ == "__main__":
    main()

"""Reconstruction error and tokens per chunk of the universal action tokenizers, side by
side in one run, on held-out normalised universal chunks (H=16) from smooth synthetic
trajectories of two embodiments (panda: 7 used slots, so101: 6) sharing one vocabulary.

    /work/venv/bin/python benchmarks/tokenizers_recon.py [--rvq-steps 1500]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from actloop.policies import build_tokenizer, fake_stats
from actloop.policies.fakes import synthetic_chunks
from actloop.policies.transforms import UniversalTransform


def evaluate(tokenizer, chunks, masks) -> dict[str, float]:
    errors, lengths = [], []
    for chunk, mask in zip(chunks, masks, strict=True):
        tokens = tokenizer.encode(chunk, mask)
        errors.append((tokenizer.decode(tokens, mask, chunk.shape[0]) - chunk)[:, mask].ravel())
        lengths.append(len(tokens))
    error = np.concatenate(errors)
    return {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "max": float(np.abs(error).max()),
        "tokens": float(np.mean(lengths)),
        "symbols": float(np.mean([m.sum() * 16 for m in masks])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rvq-steps", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    transform = UniversalTransform(fake_stats(("panda", "so101")))
    train = synthetic_chunks(transform, 16, 2048, seed=0)
    test = synthetic_chunks(transform, 16, 256, seed=1)
    kinds = {"binning": {}, "fast": {}, "rvq": {"steps": args.rvq_steps}}
    print(
        f"{'tokenizer':10s} {'vocab':>6s} {'tokens/chunk':>13s} {'values/chunk':>13s} "
        f"{'RMSE':>8s} {'max err':>8s} {'fit s':>7s}"
    )
    for kind, settings in kinds.items():
        start = time.perf_counter()
        tokenizer = build_tokenizer(kind, **settings).fit(*train)
        seconds = time.perf_counter() - start
        r = evaluate(tokenizer, *test)
        print(
            f"{kind:10s} {tokenizer.vocab_size:6d} {r['tokens']:13.1f} {r['symbols']:13.1f} "
            f"{r['rmse']:8.4f} {r['max']:8.4f} {seconds:7.1f}"
        )
    print("errors are in normalised units ([-1, 1] spans the q01..q99 range of each dimension)")


if __name__ == "__main__":
    main()

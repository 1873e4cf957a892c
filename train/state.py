"""Checkpoint and exact resume without pickle.

Tensors (weights, optimizer moments, EMA, torch RNG) go to safetensors; everything
else (step, sampler position, numpy and python RNG, optimizer hyper-parameters) goes to
JSON. Nothing is ever unpickled, so a checkpoint from anywhere is safe to open.
Resuming restores every source of randomness, which makes 2 + 2 steps equal 4 steps.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, load_model, save_file, save_model
from torch import nn

from .optim import EMA

STATE_FILE = "state.json"


@dataclass
class TrainState:
    """What the loop needs, beyond tensors, to continue exactly where it stopped."""

    step: int
    sampler: dict[str, Any]
    config: dict[str, Any]


def save_checkpoint(
    directory: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    ema: EMA | None,
    state: TrainState,
    rank: int = 0,
) -> Path:
    """Write a complete training checkpoint. Rank 0 writes the shared parts; every rank
    writes its own RNG state, because each DDP rank draws different noise."""
    directory.mkdir(parents=True, exist_ok=True)
    if rank == 0:
        save_model(model, str(directory / "model.safetensors"))
        _save_optimizer(optimizer, directory)
        if ema is not None:
            save_file(_contiguous(ema.state_dict()), str(directory / "ema.safetensors"))
        payload = {"step": state.step, "sampler": state.sampler, "config": state.config}
        (directory / STATE_FILE).write_text(json.dumps(payload, indent=2))
    _save_rng(directory, rank)
    return directory


def load_checkpoint(
    directory: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    ema: EMA | None,
    rank: int = 0,
) -> TrainState:
    """Restore everything ``save_checkpoint`` wrote, in place; return step and sampler."""
    state_path = directory / STATE_FILE
    if not state_path.is_file():
        raise FileNotFoundError(f"{directory} is not a training checkpoint (no {STATE_FILE})")
    payload = json.loads(state_path.read_text())
    missing, unexpected = load_model(model, str(directory / "model.safetensors"), strict=False)
    if missing or unexpected:
        raise ValueError(
            f"{directory}: weights do not fit the model: missing {missing[:3]}, "
            f"unexpected {unexpected[:3]}"
        )
    _load_optimizer(optimizer, directory)
    if ema is not None:
        ema.load_state_dict(load_file(str(directory / "ema.safetensors")))
    _load_rng(directory, rank)
    return TrainState(payload["step"], payload["sampler"], payload.get("config", {}))


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint under ``run_dir/checkpoints``; None if there is none."""
    complete = [d for d in (run_dir / "checkpoints").glob("step_*") if (d / STATE_FILE).is_file()]
    return max(complete, key=lambda d: int(d.name.split("_")[1]), default=None)


def prune_checkpoints(run_dir: Path, keep: int) -> None:
    found = sorted(
        (run_dir / "checkpoints").glob("step_*"), key=lambda d: int(d.name.split("_")[1])
    )
    for old in found[: max(0, len(found) - keep)]:
        shutil.rmtree(old, ignore_errors=True)


# -- optimizer: tensors to safetensors, hyper-parameters to JSON ------------------------
def _save_optimizer(optimizer: torch.optim.Optimizer, directory: Path) -> None:
    full = optimizer.state_dict()
    tensors, scalars = {}, {}
    for param_id, slots in full["state"].items():
        for slot, value in slots.items():
            key = f"{param_id}.{slot}"
            if isinstance(value, torch.Tensor):
                tensors[key] = value
            else:
                scalars[key] = value
    save_file(_contiguous(tensors), str(directory / "optimizer.safetensors"))
    groups = [
        {k: list(v) if isinstance(v, tuple) else v for k, v in g.items()}
        for g in full["param_groups"]
    ]
    meta = {"param_groups": groups, "scalars": scalars}
    (directory / "optimizer.json").write_text(json.dumps(meta))


def _load_optimizer(optimizer: torch.optim.Optimizer, directory: Path) -> None:
    meta = json.loads((directory / "optimizer.json").read_text())
    state: dict[int, dict[str, Any]] = {}
    tensors = load_file(str(directory / "optimizer.safetensors"))
    for key, value in [*tensors.items(), *meta["scalars"].items()]:
        param_id, slot = key.split(".", 1)
        state.setdefault(int(param_id), {})[slot] = value
    groups = [
        {k: tuple(v) if k == "betas" else v for k, v in g.items()} for g in meta["param_groups"]
    ]
    optimizer.load_state_dict({"state": state, "param_groups": groups})


# -- RNG: torch (CPU and CUDA), numpy's global, python's ---------------------------------
def _save_rng(directory: Path, rank: int) -> None:
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda.{i}"] = s
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    tensors["numpy.keys"] = torch.from_numpy(keys.astype(np.int64))
    save_file(tensors, str(directory / f"rng_rank{rank}.safetensors"))
    version, internal, gauss_next = random.getstate()
    meta = {
        "numpy": [kind, int(pos), int(has_gauss), float(cached)],
        "python": [version, list(internal), gauss_next],
    }
    (directory / f"rng_rank{rank}.json").write_text(json.dumps(meta))


def _load_rng(directory: Path, rank: int) -> None:
    tensors = load_file(str(directory / f"rng_rank{rank}.safetensors"))
    meta = json.loads((directory / f"rng_rank{rank}.json").read_text())
    torch.set_rng_state(tensors["torch"])
    cuda = [tensors[k] for k in sorted(t for t in tensors if t.startswith("cuda."))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    kind, pos, has_gauss, cached = meta["numpy"]
    keys = tensors["numpy.keys"].numpy().astype(np.uint32)
    np.random.set_state((kind, keys, pos, has_gauss, cached))
    version, internal, gauss_next = meta["python"]
    random.setstate((version, tuple(internal), gauss_next))


def _contiguous(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().contiguous().cpu() for k, v in tensors.items()}

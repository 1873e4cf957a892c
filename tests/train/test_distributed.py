"""Two CPU processes (torchrun, gloo, localhost) train together and end identical."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

WORKER = Path(__file__).with_name("ddp_worker.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_processes_end_with_identical_weights(reach_store, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(_free_port()),
        str(WORKER),
        reach_store,
        str(tmp_path),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "rank0.backend").read_text() == "gloo"
    rank0, rank1 = (load_file(str(tmp_path / f"rank{r}.safetensors")) for r in (0, 1))
    assert rank0.keys() == rank1.keys() and len(rank0) > 10
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name
    saved = load_file(str(tmp_path / "run" / "checkpoints" / "step_0000003" / "model.safetensors"))
    assert all(torch.equal(saved[k], rank0[k]) for k in saved)
    assert {p.name for p in (tmp_path / "run" / "checkpoints" / "step_0000003").glob("rng_*")} == {
        "rng_rank0.json",
        "rng_rank0.safetensors",
        "rng_rank1.json",
        "rng_rank1.safetensors",
    }


def test_auto_precision_is_bf16_only_where_the_cpu_runs_it_natively(monkeypatch):
    from actloop.train import distributed

    assert distributed.mixed_precision_for("no") == "no"
    assert distributed.mixed_precision_for("bf16") == "bf16"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    native = distributed.cpu_has_native_bf16()
    assert distributed.mixed_precision_for("auto") == ("bf16" if native else "no")
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        monkeypatch.setattr(torch.cpu, probe, lambda: False, raising=False)
    assert distributed.mixed_precision_for("auto") == "no"

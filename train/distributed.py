"""Distribution through accelerate: one script for one CPU, several GPUs, or several nodes.

``actloop train``, ``accelerate launch -m actloop.train ...`` and ``torchrun -m
actloop.train ...`` all run the same code: accelerate reads the launcher's environment
(RANK, WORLD_SIZE, MASTER_ADDR) and picks DDP over NCCL on GPUs or gloo on CPUs. FSDP
comes from an ``accelerate config`` file; nothing distributed is written here.
"""

from __future__ import annotations

import torch
from accelerate import Accelerator
from accelerate.utils import DataLoaderConfiguration, DistributedDataParallelKwargs


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX. With either, bf16 autocast takes a `cpu-full` step 1.3-1.4x
    faster (BENCHMARKS.md, benchmarks/train_step_rate.py), and panda/pick_place trained so
    reached 76% in the hour; without, bf16 is emulated and slower than fp32."""
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


def mixed_precision_for(requested: str) -> str:
    """'auto' means bf16 autocast where the hardware runs it natively (CUDA with bf16, a CPU
    with AVX512-BF16 or AMX), plain fp32 elsewhere."""
    if requested != "auto":
        return requested
    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "no"
    return "bf16" if cpu_has_native_bf16() else "no"


def build_accelerator(mixed_precision: str, log_dir: str | None = None) -> Accelerator:
    """Our batches are already split per rank (``BatchPlan``), so accelerate must not
    re-shard the dataloader; it handles devices, DDP wrapping, autocast and gradients."""
    return Accelerator(
        mixed_precision=mixed_precision_for(mixed_precision),
        cpu=not torch.cuda.is_available(),
        dataloader_config=DataLoaderConfiguration(split_batches=False, dispatch_batches=False),
        project_dir=log_dir,
        # A step may leave a head unused (e.g. no chunk fits the AR token budget).
        kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)],
    )

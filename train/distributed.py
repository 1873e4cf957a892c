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


def mixed_precision_for(requested: str) -> str:
    """'auto' means bf16 autocast where the hardware has it (CUDA), plain fp32 on CPU."""
    if requested != "auto":
        return requested
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bf16"
    return "no"


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

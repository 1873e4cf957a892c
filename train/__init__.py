"""Training: typed configs and presets, AdamW + warmup-cosine + EMA, exact pickle-free
resume, accelerate for DDP/FSDP, TensorBoard (and opt-in wandb), evaluation in sim.

    actloop train --preset cpu-quick --data.stores demos.zarr
    accelerate launch --num_processes 8 -m actloop.train --preset gpu-base --data.stores ...
    torchrun --nproc_per_node 2 -m actloop.train --preset debug --data.stores ...

``from actloop.train.loop import train`` runs a ``TrainConfig`` from Python. Importing this
package loads only the configs (no torch), so the CLI's ``--help`` stays fast.
"""

from .config import DataConfig, EvalConfig, OptimConfig, TrainConfig, get_preset, list_presets

__all__ = [
    "DataConfig",
    "EvalConfig",
    "OptimConfig",
    "TrainConfig",
    "get_preset",
    "list_presets",
]

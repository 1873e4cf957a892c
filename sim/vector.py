"""Vectorised evaluation across processes, with gymnasium's ``AsyncVectorEnv``.

Each worker process builds its own ``SimGymEnv`` (its own MuJoCo model and GL context);
observations come back through shared memory. Workers are started with ``spawn`` so
no GL context is ever inherited across a fork.
"""

from __future__ import annotations

import functools

from gymnasium.vector import AsyncVectorEnv

from .gym import make_gym


def make_vector(
    task: str, num_envs: int, seed: int = 0, image_size: int = 96, render: bool = True
) -> AsyncVectorEnv:
    """``num_envs`` copies of ``task`` in worker processes; env i starts from ``seed + i``."""
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")
    makers = [
        functools.partial(make_gym, task, seed + i, image_size, render) for i in range(num_envs)
    ]
    return AsyncVectorEnv(makers, shared_memory=True, context="spawn")

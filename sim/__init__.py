"""MuJoCo simulation: robots built with MjSpec, tasks, scripted experts, envs.

Importing this package registers the tasks but compiles and renders nothing.
``MUJOCO_GL`` defaults to EGL (headless) and must be set before MuJoCo loads.
"""

import os

os.environ.setdefault("MUJOCO_GL", "egl")

from .env import SimEnv, make
from .experts import make_expert
from .tasks import TASKS, get_task, list_tasks


def make_gym(task: str, seed: int = 0, image_size: int = 96, render: bool = True):
    """The gymnasium ``Env`` for ``task`` (gymnasium loads only when asked for)."""
    from .gym import make_gym as _make_gym

    return _make_gym(task, seed=seed, image_size=image_size, render=render)


def make_vector(task: str, num_envs: int, seed: int = 0, image_size: int = 96):
    """``num_envs`` gymnasium envs in worker processes (``AsyncVectorEnv``)."""
    from .vector import make_vector as _make_vector

    return _make_vector(task, num_envs, seed=seed, image_size=image_size)


__all__ = [
    "TASKS",
    "SimEnv",
    "get_task",
    "list_tasks",
    "make",
    "make_expert",
    "make_gym",
    "make_vector",
]

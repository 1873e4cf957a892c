"""A gymnasium view of ``SimEnv`` for code that speaks Gym (vector envs, RL libraries).

Observation: {"state": float32 vector, "<camera>": HxWx3 uint8, ...}. Reward is 1 on the
step that succeeds. ``terminated`` on success or instability, ``truncated`` on timeout.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from .env import SimEnv


class SimGymEnv(gymnasium.Env):
    metadata = {"render_modes": ("rgb_array",)}  # noqa: RUF012  (gymnasium API)

    def __init__(self, task: str, seed: int = 0, image_size: int = 96, render: bool = True) -> None:
        self.sim = SimEnv(task, seed=seed, image_size=image_size, render=render)
        spec = self.sim.spec
        self.action_space = spaces.Box(
            spec.action_low.astype(np.float32),
            spec.action_high.astype(np.float32),
            dtype=np.float32,
        )
        fields = {"state": spaces.Box(-np.inf, np.inf, (spec.state_dim,), np.float32)}
        if render:
            for camera in spec.cameras:
                fields[camera] = spaces.Box(0, 255, (image_size, image_size, 3), np.uint8)
        self.observation_space = spaces.Dict(fields)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is None:  # gymnasium's convention: draw the next episode seed from np_random
            seed = int(self.np_random.integers(2**31))
        obs = self.sim.reset(seed)
        return self._convert(obs), {"instruction": obs.instruction, "seed": seed}

    def step(self, action):
        applied = self.sim.send_action(np.asarray(action, dtype=np.float64))
        obs = self.sim.observe()
        status = self.sim.termination()
        info: dict[str, Any] = {
            "instruction": obs.instruction,
            "applied_action": applied,
            "termination": status or "",
        }
        reward = 1.0 if status == "success" else 0.0
        return (
            self._convert(obs),
            reward,
            status in ("success", "unstable"),
            status == "timeout",
            info,
        )

    def render(self):
        return self.sim.observe().images.get("front")

    def close(self) -> None:
        self.sim.close()

    def _convert(self, obs) -> dict[str, np.ndarray]:
        return {"state": obs.state.astype(np.float32), **obs.images}


def make_gym(task: str, seed: int = 0, image_size: int = 96, render: bool = True) -> SimGymEnv:
    return SimGymEnv(task, seed=seed, image_size=image_size, render=render)

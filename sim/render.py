"""Offscreen camera rendering with CPU-friendly defaults.

Shadows, reflections and multisampling cost 5-60x on a software (llvmpipe/OSMesa)
renderer and add little for 96x96 policy inputs, so they are off unless asked for
(``benchmarks/sim_step_rate.py`` measures the difference).
"""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco
import numpy as np


class CameraRenderer:
    """Renders named cameras of one model; one GL context, reused every tick."""

    def __init__(
        self, model: mujoco.MjModel, cameras: tuple[str, ...], size: int = 96, fancy: bool = False
    ) -> None:
        if size < 1:
            raise ValueError(f"image size must be a positive number of pixels, got {size}")
        if fancy:
            model.vis.quality.shadowsize = 4096
            model.vis.quality.offsamples = 4
        self.cameras = cameras
        self._renderer = mujoco.Renderer(model, height=size, width=size)
        flags = self._renderer.scene.flags
        flags[mujoco.mjtRndFlag.mjRND_SHADOW] = fancy
        flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = fancy
        flags[mujoco.mjtRndFlag.mjRND_SKYBOX] = False

    def render(self, data: mujoco.MjData) -> dict[str, np.ndarray]:
        images = {}
        for camera in self.cameras:
            self._renderer.update_scene(data, camera=camera)
            images[camera] = self._renderer.render().copy()
        return images

    def close(self) -> None:
        self._renderer.close()

"""A camera on the emulated arm's MuJoCo scene, with OpenCV's ``VideoCapture`` interface.

``read()`` renders the simulation as it stands (under the plant lock, so physics never
tears a frame) and returns BGR like OpenCV, so the hardware camera code path is the same
for a USB camera and for the emulator.
"""

from __future__ import annotations

import os

import mujoco
import numpy as np

from .mujoco_plant import MujocoPlant


class SceneCamera:
    def __init__(
        self, plant: MujocoPlant, camera: str | None = None, width: int = 128, height: int = 96
    ) -> None:
        if not isinstance(plant, MujocoPlant):
            raise TypeError("a scene camera needs the mujoco plant (EmulatedArm(plant='mujoco'))")
        os.environ.setdefault("MUJOCO_GL", "egl")
        self.plant, self.camera, self.width, self.height = plant, camera, width, height
        self._renderer: mujoco.Renderer | None = None
        self._free = mujoco.MjvCamera()
        self._free.lookat[:] = (0.15, 0.0, 0.12)
        self._free.distance, self._free.azimuth, self._free.elevation = 0.7, 150.0, -25.0

    def read(self) -> tuple[bool, np.ndarray]:
        if self._renderer is None:  # created in the reading thread: GL contexts are per thread
            self._renderer = mujoco.Renderer(self.plant.model, self.height, self.width)
        with self.plant.lock:
            self.plant.sync()
            self._renderer.update_scene(self.plant.data, self.camera if self.camera else self._free)
        rgb = self._renderer.render()
        return True, np.ascontiguousarray(rgb[..., ::-1])

    def release(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

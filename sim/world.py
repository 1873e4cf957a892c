"""A thin, named view onto one compiled scene's model and data, used by tasks.

Tasks read and write objects by name through it, so task code never touches raw
MuJoCo addresses and stays short.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np

from .robots.parts import ROBOT_COLLISION
from .scene import COLORS

OUT_OF_VIEW = 9.0  # the image position ``World.project`` gives a point behind the camera


class World:
    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, robot) -> None:
        self.model, self.data, self.robot = model, data, robot

    def set_free_pose(self, body: str, pos, yaw: float = 0.0) -> None:
        adr = self.model.joint(body).qposadr[0]
        self.data.qpos[adr : adr + 3] = pos
        self.data.qpos[adr + 3 : adr + 7] = [np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)]

    def set_body_pos(self, body: str, pos) -> None:
        """Move a fixed body (pads, buttons, markers); takes effect at the next forward pass."""
        self.model.body_pos[self.model.body(body).id] = pos

    def body_pos(self, body: str) -> np.ndarray:
        return self.data.xpos[self.model.body(body).id].copy()

    def body_yaw(self, body: str) -> float:
        """Heading of a box about the vertical, whichever face it rests on (a tipped cube
        still has one): the yaw of the first body axis that is not the most vertical one."""
        mat = self.data.xmat[self.model.body(body).id].reshape(3, 3)
        vertical = int(np.argmax(np.abs(mat[2])))
        axis = mat[:, (vertical + 1) % 3]
        return float(np.arctan2(axis[1], axis[0]))

    def geom_pos(self, geom: str) -> np.ndarray:
        return self.data.geom_xpos[self.model.geom(geom).id].copy()

    def set_color(self, geom: str, color: str) -> None:
        self.model.geom_rgba[self.model.geom(geom).id] = COLORS[color]

    def joint_pos(self, joint: str) -> float:
        return float(self.data.qpos[self.model.joint(joint).qposadr[0]])

    def tcp_pos(self) -> np.ndarray:
        return self.robot.tcp_pos()

    def touching_robot(self, body: str) -> bool:
        """True while any robot geom touches ``body`` (so a held object is not 'placed')."""
        body_id = self.model.body(body).id
        robot_type = ROBOT_COLLISION["contype"]
        for contact in self.data.contact[: self.data.ncon]:
            pair = (contact.geom1, contact.geom2)
            bodies = self.model.geom_bodyid[list(pair)]
            if body_id in bodies:
                other = pair[0] if bodies[1] == body_id else pair[1]
                if self.model.geom_contype[other] == robot_type:
                    return True
        return False

    def speed(self, body: str) -> float:
        adr = self.model.joint(body).dofadr[0]
        return float(np.linalg.norm(self.data.qvel[adr : adr + 3]))

    def project(self, camera: str, point) -> np.ndarray:
        """Where ``point`` (world xyz) appears in ``camera``'s square image, as (x, y) in
        [-1, 1] (x to the right, y down, image edges at +-1); ``OUT_OF_VIEW`` for both when
        it is behind the camera. MuJoCo cameras look down their -z axis with y up."""
        cam = self.model.camera(camera).id
        offset = np.asarray(point, dtype=float) - self.data.cam_xpos[cam]
        x, y, z = self.data.cam_xmat[cam].reshape(3, 3).T @ offset
        if z >= 0:
            return np.full(2, OUT_OF_VIEW)
        focal = 1.0 / math.tan(math.radians(self.model.cam_fovy[cam]) / 2)
        return np.array([focal * x / -z, -focal * y / -z])

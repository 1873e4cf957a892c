"""Per-robot glue between native actions/state and MuJoCo ``ctrl``/``qpos``.

One class per robot, registered by embodiment name. The Panda turns end-effector
deltas into joint targets with damped-least-squares differential IK (with a null-space
pull towards home); the SO-101 passes absolute joint targets straight to its servos.
"""

from __future__ import annotations

import mujoco
import numpy as np

from .robots.panda import FINGER_TRAVEL, HOME, build_panda
from .robots.so101 import build_so101
from .rotations import exp_map, log_map
from .scene import CameraView

# The Panda's reference orientation: gripper pointing straight down (tool x = world x).
# Orientation state is axis-angle relative to it, far from the +-pi wrap in normal use.
PANDA_DOWN = np.diag([1.0, -1.0, -1.0])
PANDA_WORKSPACE = (np.array([0.2, -0.45, 0.005]), np.array([0.8, 0.45, 0.6]))


class RobotAdapter:
    """Binds a robot inside a compiled scene: joint addresses, the tcp site, the actuators."""

    name: str
    view: CameraView
    joints: tuple[str, ...]

    def build(self, spec: mujoco.MjSpec) -> None:
        raise NotImplementedError

    def bind(self, model: mujoco.MjModel, data: mujoco.MjData) -> None:
        self.model, self.data = model, data
        self.qpos_ids = np.array([model.joint(j).qposadr[0] for j in self.joints])
        self.dof_ids = np.array([model.joint(j).dofadr[0] for j in self.joints])
        self.act_ids = np.array([model.actuator(j).id for j in self.actuator_names()])
        self.tcp_id = model.site("tcp").id

    def actuator_names(self) -> tuple[str, ...]:
        return self.joints

    def tcp_pos(self) -> np.ndarray:
        return self.data.site_xpos[self.tcp_id].copy()

    def tcp_mat(self) -> np.ndarray:
        return self.data.site_xmat[self.tcp_id].reshape(3, 3).copy()


class PandaAdapter(RobotAdapter):
    name = "panda"
    view = CameraView(eye=(1.0, 0.0, 0.7), target=(0.5, 0.0, 0.14), fovy=36)
    joints = tuple(f"joint{i}" for i in range(1, 8))
    damping = 0.05
    null_gain = 0.3
    max_lead = 0.05  # the integrated target never runs more than 5 cm ahead of the hand

    def build(self, spec: mujoco.MjSpec) -> None:
        build_panda(spec)

    def actuator_names(self) -> tuple[str, ...]:
        return (*self.joints, "gripper")

    def bind(self, model, data) -> None:
        super().bind(model, data)
        self.finger_ids = np.array(
            [model.joint(f).qposadr[0] for f in ("finger_left", "finger_right")]
        )
        self.limits = model.jnt_range[[model.joint(j).id for j in self.joints]]

    def reset(self) -> None:
        self.data.qpos[self.qpos_ids] = HOME
        self.data.qpos[self.finger_ids] = FINGER_TRAVEL
        self.data.ctrl[self.act_ids] = (*HOME, FINGER_TRAVEL)
        mujoco.mj_forward(self.model, self.data)
        self.target_pos, self.target_rot = self.tcp_pos(), self.tcp_mat()

    def apply(self, action: np.ndarray) -> None:
        """Integrate the deltas into a target pose, then one DLS IK step to joint targets."""
        tcp = self.tcp_pos()
        lead = np.clip(self.target_pos + action[:3] - tcp, -self.max_lead, self.max_lead)
        self.target_pos = np.clip(tcp + lead, *PANDA_WORKSPACE)
        self.target_rot = exp_map(action[3:6]) @ self.target_rot
        error = np.concatenate([self.target_pos - tcp, log_map(self.target_rot @ self.tcp_mat().T)])
        self.data.ctrl[self.act_ids[:7]] = self._ik_step(error)
        self.data.ctrl[self.act_ids[7]] = FINGER_TRAVEL * (1.0 - float(action[6]))

    def _ik_step(self, error: np.ndarray) -> np.ndarray:
        jac_pos, jac_rot = np.zeros((3, self.model.nv)), np.zeros((3, self.model.nv))
        mujoco.mj_jacSite(self.model, self.data, jac_pos, jac_rot, self.tcp_id)
        jac = np.vstack([jac_pos, jac_rot])[:, self.dof_ids]
        gram = jac @ jac.T + self.damping**2 * np.eye(6)
        dq = jac.T @ np.linalg.solve(gram, error)
        q = self.data.qpos[self.qpos_ids]
        null = np.eye(7) - np.linalg.pinv(jac) @ jac
        dq += null @ (self.null_gain * (np.asarray(HOME) - q))
        return np.clip(q + dq, self.limits[:, 0], self.limits[:, 1])

    def state(self) -> np.ndarray:
        q = self.data.qpos[self.qpos_ids]
        closure = 1.0 - self.data.qpos[self.finger_ids].mean() / FINGER_TRAVEL
        rot = log_map(self.tcp_mat() @ PANDA_DOWN.T)
        return np.concatenate([q, self.tcp_pos(), rot, [np.clip(closure, 0.0, 1.0)]])


class SO101Adapter(RobotAdapter):
    name = "so101"
    view = CameraView(eye=(0.45, 0.0, 0.32), target=(0.17, 0.0, 0.08), fovy=36)
    joints = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")
    home = np.array([0.0, -0.6, 0.4, 1.5, 0.0, 0.0])  # gripper down, 11 cm above the table

    def build(self, spec: mujoco.MjSpec) -> None:
        build_so101(spec)

    def reset(self) -> None:
        self.data.qpos[self.qpos_ids] = self.home
        self.data.ctrl[self.act_ids] = self.home
        mujoco.mj_forward(self.model, self.data)

    def apply(self, action: np.ndarray) -> None:
        self.data.ctrl[self.act_ids] = action

    def state(self) -> np.ndarray:
        return self.data.qpos[self.qpos_ids].copy()


ROBOTS: dict[str, type[RobotAdapter]] = {cls.name: cls for cls in (PandaAdapter, SO101Adapter)}

"""Robot drivers: move the tool one bounded step towards a waypoint, as a native action.

The Panda driver emits end-effector deltas straight from the measured pose in the
state. The SO-101 driver keeps a commanded Cartesian point and solves damped
least-squares IK on its own copy of the arm model (built by ``build_so101``), so the
expert needs no access to the env's simulator.
"""

from __future__ import annotations

import mujoco
import numpy as np

from ..control import PANDA_DOWN
from ..robots.so101 import TCP_OFFSET, build_so101
from ..rotations import exp_map, log_map, rot_z, wrap_quarter_turn

# Tool points in the hand frame. Panda: the closed finger pads' lower edge, 12 mm down
# the tool axis. SO-101: the tcp sits between the open jaws, 12 mm beside the fixed jaw,
# so pressing with closed jaws aims their tips (on the fixed jaw's line) instead.
PANDA_TOOL_POINTS = {"tcp": np.zeros(3), "tips": np.array([0.0, 0.0, 0.012])}
SO101_TOOL_POINTS = {"tcp": np.array(TCP_OFFSET), "tips": np.array([0.1, -0.007, 0.0])}


def _clip_norm(v: np.ndarray, limit: float) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v if norm <= limit else v * (limit / norm)


class PandaDriver:
    step = 0.02  # m per tick at 20 Hz = 0.4 m/s
    turn = 0.12  # rad per tick

    def reset(self, state: np.ndarray) -> None:
        """Stateless: every action is computed from the measured pose."""

    def tcp(self, state: np.ndarray) -> np.ndarray:
        return state[7:10]

    def point(self, state: np.ndarray, tool: str) -> np.ndarray:
        """Where ``tool`` ("tcp" or "tips": the closed fingertips) is, in the world."""
        return self.tcp(state) + exp_map(state[10:13]) @ PANDA_DOWN @ PANDA_TOOL_POINTS[tool]

    def action(self, state, point, noise: np.ndarray) -> np.ndarray:
        move = _clip_norm(point.pos - self.point(state, point.tool), self.step * point.speed)
        current = exp_map(state[10:13]) @ PANDA_DOWN
        turn = _clip_norm(
            log_map(rot_z(wrap_quarter_turn(point.yaw)) @ PANDA_DOWN @ current.T), self.turn
        )
        return np.concatenate([move + noise * self.step, turn, [point.grip]])

    def label(self, action: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """The action ``action`` would have been without ``noise`` (the DART label)."""
        clean = np.array(action, dtype=float, copy=True)
        clean[:3] -= noise * self.step
        return clean


class SO101Driver:
    step = 0.008  # m per tick at 30 Hz = 0.24 m/s
    open_angle, closed_angle = 1.2, -0.15
    arm = slice(0, 4)  # pan, lift, elbow, wrist_flex solve position + pointing down

    def __init__(self) -> None:
        self.model = build_so101().compile()
        self.data = mujoco.MjData(self.model)
        self.tcp_id = self.model.site("tcp").id
        self.hand_id = self.model.body("gripper_body").id
        self.command = np.zeros(3)
        self.q = np.zeros(6)
        self._last: tuple[np.ndarray, object] | None = None  # (q before, waypoint): for label

    def reset(self, state: np.ndarray) -> None:
        self.q = np.array(state, dtype=float)
        self.command = self.tcp(state)

    def tcp(self, state: np.ndarray) -> np.ndarray:
        self.data.qpos[:] = state
        mujoco.mj_kinematics(self.model, self.data)
        return self.data.site_xpos[self.tcp_id].copy()

    def point(self, state: np.ndarray, tool: str) -> np.ndarray:
        """Where ``tool`` ("tcp" or "tips": the closed jaw tips) is, in the world."""
        self.data.qpos[:] = state
        mujoco.mj_kinematics(self.model, self.data)
        frame = self.data.xmat[self.hand_id].reshape(3, 3)
        return self.data.xpos[self.hand_id] + frame @ SO101_TOOL_POINTS[tool]

    def action(self, state, point, noise: np.ndarray) -> np.ndarray:
        target = point.pos - (self.point(state, point.tool) - self.tcp(state))
        step = _clip_norm(target - self.command, self.step * point.speed)
        self.command = self.command + step
        self._last = (self.q.copy(), point)
        self.q = self._joints_towards(self.q, self.command + noise * self.step, point)
        return self.q.copy()

    def label(self, action: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """The last action without its ``noise``: the same IK step aimed at the clean command."""
        if not np.any(noise):
            return np.array(action, dtype=float, copy=True)
        q_before, point = self._last
        return self._joints_towards(q_before, self.command, point)

    def _joints_towards(self, q_from: np.ndarray, aim: np.ndarray, point) -> np.ndarray:
        """One rate-limited joint step from ``q_from`` that puts the tcp at ``aim``."""
        q = q_from.copy()
        for _ in range(2):  # roll changes where the tcp is, so alternate roll and position
            q = self._solve(q, aim)
            q[4] = np.clip(q[4] - wrap_quarter_turn(point.yaw - self._jaw_yaw()), -2.7, 2.8)
        q = self._solve(q, aim)
        q[5] = self.open_angle + point.grip * (self.closed_angle - self.open_angle)
        return q_from + np.clip(q - q_from, -0.12, 0.12)

    def _jaw_yaw(self) -> float:
        """Heading of the jaws' closing direction in the horizontal plane (last solve)."""
        closing = self.data.xmat[self.hand_id].reshape(3, 3)[:, 1]
        return float(np.arctan2(closing[1], closing[0]))

    def _solve(self, q: np.ndarray, target: np.ndarray, iterations: int = 15) -> np.ndarray:
        jp, jr = np.zeros((3, self.model.nv)), np.zeros((3, self.model.nv))
        low, high = self.model.jnt_range[:, 0], self.model.jnt_range[:, 1]
        for _ in range(iterations):
            self.data.qpos[:] = q
            mujoco.mj_kinematics(self.model, self.data)
            mujoco.mj_comPos(self.model, self.data)
            axis = self.data.xmat[self.hand_id].reshape(3, 3)[:, 0]
            error = np.concatenate(
                [target - self.data.site_xpos[self.tcp_id], 0.3 * np.cross(axis, [0, 0, -1.0])]
            )
            mujoco.mj_jacSite(self.model, self.data, jp, jr, self.tcp_id)
            jac = np.vstack([jp, 0.3 * jr])[:, self.arm]
            dq = jac.T @ np.linalg.solve(jac @ jac.T + 1e-4 * np.eye(6), error)
            q[self.arm] = np.clip(q[self.arm] + dq, low[self.arm], high[self.arm])
        return q


DRIVERS = {"panda": PandaDriver, "so101": SO101Driver}

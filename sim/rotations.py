"""Axis-angle and rotation-matrix helpers (numpy only), used by the IK and the experts."""

from __future__ import annotations

import numpy as np


def exp_map(rotvec: np.ndarray) -> np.ndarray:
    """Rodrigues: axis-angle vector -> 3x3 rotation matrix."""
    rotvec = np.asarray(rotvec, dtype=float)
    angle = float(np.linalg.norm(rotvec))
    if angle < 1e-12:
        return np.eye(3)
    k = _skew(rotvec / angle)
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def log_map(matrix: np.ndarray) -> np.ndarray:
    """3x3 rotation matrix -> axis-angle vector with angle in [0, pi]."""
    cos = np.clip((np.trace(matrix) - 1) / 2, -1.0, 1.0)
    angle = float(np.arccos(cos))
    if angle < 1e-9:
        return np.zeros(3)
    if np.pi - angle < 1e-6:  # near pi: axis from the symmetric part
        axis = np.sqrt(np.maximum((np.diag(matrix) + 1) / 2, 0))
        signs = np.sign([1, matrix[0, 1] + 1e-12, matrix[0, 2] + 1e-12])
        return angle * axis * signs
    vee = np.array(
        [matrix[2, 1] - matrix[1, 2], matrix[0, 2] - matrix[2, 0], matrix[1, 0] - matrix[0, 1]]
    )
    return angle * vee / (2 * np.sin(angle))


def rot_z(yaw: float) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def wrap_quarter_turn(yaw: float) -> float:
    """A cube looks the same every 90 degrees: pick the equivalent yaw in [-pi/4, pi/4]."""
    return float((yaw + np.pi / 4) % (np.pi / 2) - np.pi / 4)


def _skew(v: np.ndarray) -> np.ndarray:
    return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])

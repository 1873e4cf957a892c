"""Small MjSpec helpers shared by the robot and scene builders.

Written against fields that exist in MuJoCo 3.3 and 4.x alike: actuators are set up
through gain/bias parameters rather than the newer ``set_to_*`` helpers.
"""

from __future__ import annotations

import mujoco
import numpy as np

BOX = mujoco.mjtGeom.mjGEOM_BOX
CAPSULE = mujoco.mjtGeom.mjGEOM_CAPSULE
CYLINDER = mujoco.mjtGeom.mjGEOM_CYLINDER
SPHERE = mujoco.mjtGeom.mjGEOM_SPHERE
PLANE = mujoco.mjtGeom.mjGEOM_PLANE


def geom(body, kind, size, pos=(0, 0, 0), rgba=(0.8, 0.8, 0.8, 1), **extra):
    """Add a primitive geom; ``extra`` sets any other MjsGeom attribute (mass, friction...)."""
    g = body.add_geom(type=kind, size=_size3(size), pos=list(pos), rgba=list(rgba))
    for key, value in extra.items():
        setattr(g, key, value)
    return g


# Robot geoms collide with the world (bit 1) but never with each other (bit 2 only).
ROBOT_COLLISION = {"contype": 2, "conaffinity": 1}


def robot_geom(body, kind, size, pos=(0, 0, 0), rgba=(0.8, 0.8, 0.8, 1), **extra):
    """A robot link geom: touches tables, floors and objects, not its own links."""
    return geom(body, kind, size, pos, rgba, **ROBOT_COLLISION, **extra)


def visual(body, kind, size, pos=(0, 0, 0), rgba=(0.8, 0.8, 0.8, 1), **extra):
    """A geom that is drawn but never collides (group 1)."""
    return geom(body, kind, size, pos, rgba, contype=0, conaffinity=0, group=1, **extra)


def position_actuator(spec, name: str, joint: str, kp: float, kv: float, ctrlrange, forcerange):
    """A servo: force = kp * (ctrl - q) - kv * qdot, clamped to ``forcerange``."""
    act = spec.add_actuator(name=name, target=joint, trntype=mujoco.mjtTrn.mjTRN_JOINT)
    act.gaintype = mujoco.mjtGain.mjGAIN_FIXED
    act.biastype = mujoco.mjtBias.mjBIAS_AFFINE
    act.gainprm[0] = kp
    act.biasprm[0], act.biasprm[1], act.biasprm[2] = 0.0, -kp, -kv
    act.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
    act.ctrlrange = list(ctrlrange)
    act.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
    act.forcerange = list(forcerange)
    return act


def axis_angle_quat(axis, angle: float) -> list[float]:
    """Unit quaternion (w, x, y, z) for a rotation of ``angle`` about ``axis``."""
    axis = np.asarray(axis, dtype=float)
    axis = axis / np.linalg.norm(axis)
    half = angle / 2
    return [float(np.cos(half)), *(float(v) for v in np.sin(half) * axis)]


def standalone_spec(name: str, prefix: str = "") -> mujoco.MjSpec:
    """A fresh model holding one robot: floor, light, radians, and an implicit integrator
    because the position servos are stiff. Used when a robot is built outside a scene."""
    spec = mujoco.MjSpec()
    spec.modelname = name
    spec.option.timestep = 0.002
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    spec.compiler.degree = False
    add_floor(spec, prefix)
    add_light(spec)
    return spec


def add_floor(spec, prefix: str = "") -> None:
    geom(spec.worldbody, PLANE, (2, 2, 0.05), rgba=(0.35, 0.37, 0.4, 1), name=f"{prefix}floor")


def add_light(spec) -> None:
    spec.worldbody.add_light(pos=[0.3, -0.4, 1.6], dir=[-0.2, 0.3, -1], diffuse=[0.8, 0.8, 0.8])


def _size3(size) -> list[float]:
    size = list(size)
    return size + [0.0] * (3 - len(size))

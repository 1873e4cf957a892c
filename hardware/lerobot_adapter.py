"""Drive LeRobot's robot classes as actloop ``Robot``s (the optional [lerobot] extra).

A LeRobot arm exposes ``{joint}.pos`` features: degrees about the middle of its
calibrated range for the body joints (``use_degrees=True``) and 0-100 % of the range for
the gripper. This adapter converts to the embodiment's native units (radians; the
gripper mapped linearly onto the spec's range) and back, and returns what LeRobot
actually sent after its own ``max_relative_target`` clipping.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from actloop.control import EmbodimentSpec, FieldKind, Observation


class LeRobotArm:
    # LeRobot's handshake (a ping per servo, then a firmware read per servo) has no retry; a
    # reply that arrives after the SDK's packet timeout (a busy host, a noisy bus) fails it.
    connect_attempts = 5
    retry_backoff_s = 0.2
    read_attempts = 3  # observation reads; writes are never retried (see _read_observation)

    def __init__(self, robot: Any, spec: EmbodimentSpec, instruction: str = "") -> None:
        self.robot = robot
        self.spec = spec
        self.instruction = instruction
        self._keys = [f"{f.name}.pos" for f in spec.action_fields]
        self._gripper = np.array([f.kind is FieldKind.GRIPPER for f in spec.action_fields])
        self._low, self._high = spec.action_low, spec.action_high

    def connect(self) -> None:
        """Retry the handshake, never a port that does not open: LeRobot reports both as a
        ConnectionError, but only a late reply leaves the port open behind it."""
        failures = []
        for attempt in range(1, self.connect_attempts + 1):
            try:
                self.robot.connect(calibrate=False)
                return
            except (RuntimeError, ConnectionError) as error:
                if isinstance(error, ConnectionError) and not self._bus_port_open():
                    raise  # a wrong or busy port: retrying cannot help
                self._close_bus_port()
                failures.append(f"attempt {attempt}: {_handshake_failure(error)}")
                if attempt == self.connect_attempts:
                    raise RuntimeError(
                        f"LeRobot's handshake failed {attempt} times ({'; '.join(failures)})"
                    ) from error
                time.sleep(self.retry_backoff_s * attempt)  # let a busy host or bus settle

    def _bus_port_open(self) -> bool:
        port = getattr(getattr(self.robot, "bus", None), "port_handler", None)
        return bool(port is not None and port.is_open)

    def _close_bus_port(self) -> None:
        if self._bus_port_open():
            self.robot.bus.port_handler.closePort()

    def disconnect(self) -> None:
        if self.robot.is_connected:
            self.robot.disconnect()

    def observe(self) -> Observation:
        raw = self._read_observation()
        missing = [k for k in self._keys if k not in raw]
        if missing:
            raise KeyError(f"LeRobot observation lacks {missing}; has {sorted(raw)}")
        state = self._to_native(np.array([raw[k] for k in self._keys], dtype=np.float64))
        images = {k: v for k, v in raw.items() if isinstance(v, np.ndarray) and v.ndim == 3}
        return Observation(images, state, self.instruction, self.spec.name, time.time())

    def _read_observation(self) -> dict[str, Any]:
        """LeRobot reads present positions with one sync read and no retry, so a single late
        reply stops the whole loop; a read changes nothing on the arm, so try it again."""
        for _ in range(self.read_attempts - 1):
            try:
                return self.robot.get_observation()
            except ConnectionError:
                continue
        return self.robot.get_observation()

    def send_action(self, action: np.ndarray) -> np.ndarray:
        action = np.clip(np.asarray(action, dtype=np.float64), self._low, self._high)
        sent = self.robot.send_action(dict(zip(self._keys, self._to_lerobot(action), strict=True)))
        return self._to_native(np.array([sent[k] for k in self._keys], dtype=np.float64))

    def _to_native(self, values: np.ndarray) -> np.ndarray:
        share = values / 100.0
        gripper = self._low + share * (self._high - self._low)
        return np.where(self._gripper, gripper, np.deg2rad(values))

    def _to_lerobot(self, native: np.ndarray) -> np.ndarray:
        span = np.where(self._gripper, self._high - self._low, 1.0)
        percent = 100.0 * (native - self._low) / span
        return np.where(self._gripper, percent, native * 180.0 / math.pi)


def _handshake_failure(error: Exception) -> str:
    """One line per failed attempt: the servo IDs LeRobot's motor check missed, or the read
    (e.g. the firmware check) that got no reply."""
    if isinstance(error, ConnectionError):
        cause = error.__cause__ or error
        return f"{type(cause).__name__}: {str(cause).strip().splitlines()[0]}"
    lines = [line.strip() for line in str(error).splitlines()]
    missing = [line[2:].split(" ")[0] for line in lines if line.startswith("- ")]
    return f"ids {', '.join(missing)} failed it" if missing else lines[0]

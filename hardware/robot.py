"""Servo follower arms as control ``Robot``s: SO-101 (Feetech) and Koch (Dynamixel).

The robot is where units change (radians <-> encoder steps through the calibration)
and where the last hardware-side guards live: every goal is clipped to the embodiment's
limits and the calibrated range, and ``send_action`` returns what was really commanded
after clipping and quantisation. ``disconnect`` parks, then torques off every motor
even when some fail, then closes the port: each step is attempted regardless.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from actloop.control import EmbodimentSpec, Observation, get_embodiment, unknown_name_message

from .calibration import ArmCalibration
from .motors import BusError, Motor, MotorBus, make_bus

log = logging.getLogger(__name__)

JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")


class RobotFault(RuntimeError):
    """The arm cannot be controlled any more (a motor stopped answering, say)."""


@dataclass(frozen=True)
class ArmDefinition:
    embodiment: str
    vendor: str
    motors: dict[str, Motor]
    park_pose: dict[str, float] = field(default_factory=dict)  # radians; absent joints -> 0


def _arm(embodiment: str, vendor: str, models: tuple[str, ...]) -> ArmDefinition:
    motors = {j: Motor(i + 1, m) for i, (j, m) in enumerate(zip(JOINTS, models, strict=True))}
    # The folded rest pose: upper arm back, forearm folded over it, wrist tucked. The arm
    # rests near its own balance there, so cutting torque afterwards drops nothing (in the
    # MuJoCo SO-101 it needs under 0.5 N*m, against ~2.9 N*m holding the arm out straight).
    park = {"shoulder_lift": -1.7, "elbow_flex": 1.65, "wrist_flex": 0.85}
    return ArmDefinition(embodiment, vendor, motors, park)


ARMS: dict[str, ArmDefinition] = {
    "so101": _arm("so101", "feetech", ("sts3215",) * 6),
    "koch": _arm("koch", "dynamixel", ("xl430-w250",) * 2 + ("xl330-m288",) * 4),
}


def arm_definition(name: str) -> ArmDefinition:
    try:
        return ARMS[name]
    except KeyError:
        raise KeyError(unknown_name_message("robot", name, ARMS)) from None


class ServoArm:
    """A follower arm on one servo bus, with optional cameras (``read_latest`` sources)."""

    def __init__(
        self,
        definition: ArmDefinition,
        port: str,
        calibration: ArmCalibration,
        *,
        cameras: Mapping[str, object] | None = None,
        instruction: str = "",
        max_stale_reads: int = 3,
        health_every: int = 5,
        bus_watchdog_s: float = 0.1,
        bus: MotorBus | None = None,
        **bus_options: object,
    ) -> None:
        self.definition = definition
        self.spec: EmbodimentSpec = get_embodiment(definition.embodiment)
        self.bus = bus or make_bus(definition.vendor, port, definition.motors, **bus_options)
        self.calibration = calibration
        self.cameras = dict(cameras or {})
        self.instruction = instruction
        self.max_stale_reads = max_stale_reads
        self.bus_watchdog_s = bus_watchdog_s  # 0: leave the firmware watchdog off
        self._watchdog_armed = False
        self.health_every = health_every
        self.teardown_report: dict[str, object] = {}
        self._joints = [f.name for f in self.spec.action_fields]
        self._state: np.ndarray | None = None
        self._last_command: np.ndarray | None = None
        self._health = {
            "temperature": np.zeros(len(self._joints)),
            "load": np.zeros(len(self._joints)),
        }
        self._stale_reads = 0
        self._reads = 0

    # -- lifecycle -------------------------------------------------------------
    def connect(self) -> None:
        self.bus.connect()
        try:
            self.calibration.check_against(self.spec.name, self.bus)
            with self.bus.patient():
                tripped = self.bus.clear_bus_watchdog(self._joints)
                if tripped:
                    log.warning("bus watchdog had stopped %s (bus silent); cleared", tripped)
                self._watchdog_armed = False
                present = self.bus.sync_read_positions(self._joints)
                self.bus.sync_write("goal_position", present)  # torque on must not jump
                self.bus.enable_torque(self._joints)
            for camera in self.cameras.values():
                camera.start()
        except Exception:
            self.bus.disconnect()
            raise
        self._state = self._last_command = self._to_radians(present)

    def disconnect(self) -> None:
        """Park, torque off every motor, stop cameras, close the port. Idempotent."""
        if not self.bus.is_connected:
            return
        report: dict[str, object] = {}
        for step, action in (
            ("park", self.park),
            ("torque_off", self.torque_off),
            ("cameras", self._stop_cameras),
            ("close", self.bus.disconnect),
        ):
            try:
                report[step] = action() if action is not None else None
            except Exception as exc:
                log.exception("teardown step %s failed; continuing", step)
                report[step] = f"failed: {exc}"
        report["torque_off_failed"] = report.get("torque_off") or []
        self.teardown_report = report

    def _stop_cameras(self) -> None:
        for camera in self.cameras.values():
            camera.stop()

    # -- the Robot protocol ------------------------------------------------------
    def observe(self) -> Observation:
        self._state = self._read_state()
        self._reads += 1
        if self._reads % self.health_every == 1 or self.health_every == 1:
            self._read_health()
        images = {name: cam.read_latest(max_age=0.5) for name, cam in self.cameras.items()}
        extras = {
            **{k: v.copy() for k, v in self._health.items()},
            "stale_state": np.array([float(self._stale_reads)]),
        }
        return Observation(
            images, self._state.copy(), self.instruction, self.spec.name, time.time(), extras
        )

    def send_action(self, action: np.ndarray) -> np.ndarray:
        action = np.asarray(action, dtype=np.float64)
        if action.shape != (self.spec.action_dim,) or not np.all(np.isfinite(action)):
            raise ValueError(
                f"{self.spec.name}: action must be {self.spec.action_dim} finite values, "
                f"got shape {action.shape}"
            )
        clipped = np.clip(action, self.spec.action_low, self.spec.action_high)
        steps = {
            j: self.calibration.motors[j].to_steps(a)
            for j, a in zip(self._joints, clipped, strict=True)
        }
        self.bus.sync_write("goal_position", steps)
        self._last_command = self._to_radians(steps)
        if not self._watchdog_armed and self.bus_watchdog_s > 0:
            # Armed at the first command, not at connect: loading a policy between the two
            # may leave the bus silent, and that pause must not trip it.
            self._watchdog_armed = self.bus.arm_bus_watchdog(self.bus_watchdog_s, self._joints)
        return self._last_command.copy()

    def commanded_action(self) -> np.ndarray | None:
        """The goal the servos hold (``CommandedRobot``): the loop bounds its first step
        from it, so a misread first state cannot make the first command jump."""
        return None if self._last_command is None else self._last_command.copy()

    # -- safe stopping ---------------------------------------------------------------
    def park(self, seconds: float = 1.5) -> None:
        """Move to the park pose at the step limit, so cutting torque cannot drop the arm."""
        if self._watchdog_armed:  # a tripped motor ignores goals: clear it so it can park
            self._watchdog_armed = False
            self.bus.clear_bus_watchdog(self._joints)
        target = np.array([self.definition.park_pose.get(j, 0.0) for j in self._joints])
        target = np.clip(target, self.spec.action_low, self.spec.action_high)
        # From the last goal, not the measured state: servos lag, and a step measured from
        # the state could jump past the step limit relative to what the servo was told.
        start = self._last_command if self._last_command is not None else self._state
        start = target if start is None else start
        max_step = np.array([f.max_step or np.inf for f in self.spec.action_fields])
        ticks = int(
            np.clip(np.ceil(np.max(np.abs(target - start) / max_step)), 1, seconds / self.spec.dt)
        )
        for k in range(1, ticks + 1):
            self.send_action(start + (target - start) * k / ticks)
            time.sleep(self.spec.dt)
        self._settle(target, timeout=seconds)

    def _settle(self, target: np.ndarray, timeout: float, tolerance: float = 0.05) -> None:
        """Wait until the joints arrive (servos lag their goal under load)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            self._state = self._read_state()
            if np.max(np.abs(self._state - target)) < tolerance:
                return
            time.sleep(self.spec.dt)
        log.warning("park: joints did not reach the park pose within %.1f s", timeout)

    def torque_off(self) -> list[str]:
        """Every motor is attempted, patiently; returns those that could not be reached."""
        with self.bus.patient():
            failed = self.bus.disable_torque(self._joints)
        if failed:
            log.error("torque off failed for %s", failed)
        return failed

    # -- internals ------------------------------------------------------------------
    def _read_state(self) -> np.ndarray:
        try:
            present = self.bus.sync_read_positions(self._joints)
        except BusError as exc:
            self._stale_reads += 1
            if self._state is None or self._stale_reads > self.max_stale_reads:
                raise RobotFault(
                    f"{self.spec.name}: {self._stale_reads} consecutive failed reads; last: {exc}"
                ) from exc
            return self._state  # a transient miss: the last state, flagged in extras
        self._stale_reads = 0
        return self._to_radians(present)

    def _read_health(self) -> None:
        if self._watchdog_armed and (tripped := self._tripped_watchdog()):
            raise RobotFault(
                f"{self.spec.name}: bus watchdog stopped {tripped}: the bus was silent for over "
                f"{self.bus_watchdog_s * 1e3:.0f} ms, and those motors now ignore goals"
            )
        for key, register in (("temperature", "present_temperature"), ("load", "present_load")):
            try:
                values = self.bus.sync_read(register, self._joints)
            except BusError:
                continue  # health is sampled; the next sample retries
            scale = 1.0 if key == "temperature" else 1e-3
            sample = np.array([values[j] * scale for j in self._joints])
            if key == "load" and np.abs(sample).max() > 1.0:
                continue  # beyond stall: a misattributed reply, not a load; keep the last one
            if key == "temperature" and not self._confirmed(register, sample):
                continue
            self._health[key] = sample

    def _confirmed(self, register: str, sample: np.ndarray, jump_c: float = 10.0) -> bool:
        """A temperature that jumped by over ``jump_c`` since the last sample is read again
        before it counts. Windings heat over seconds, so a jump is either a Feetech reply
        that arrived late and answered the wrong request (its status packet does not name
        the register) or a real fault; a real fault reads the same twice, a misread does not,
        and the overheat limit must not trip the arm on a misread."""
        if np.abs(sample - self._health["temperature"]).max() <= jump_c:
            return True
        try:
            again = self.bus.sync_read(register, self._joints)
        except BusError:
            return False
        second = np.array([float(again[j]) for j in self._joints])
        return bool(np.abs(second - sample).max() <= jump_c)

    def _tripped_watchdog(self) -> list[str]:
        try:
            return self.bus.tripped_bus_watchdog(self._joints)
        except BusError:
            return []  # sampled like the other health registers: the next sample retries

    def _to_radians(self, steps: Mapping[str, int]) -> np.ndarray:
        return np.array([self.calibration.motors[j].to_radians(steps[j]) for j in self._joints])

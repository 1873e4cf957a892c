"""A servo bus on a pseudo-terminal: the vendor SDKs open its path like a USB adapter.

The emulator keeps the slave end open (so the host's close/reopen never sees EOF), and
keeps serving through a hang-up where a kernel reports one anyway,
answers sync reads in the order of the IDs in the request, stays silent for IDs that
do not exist, and applies a ``FaultPlan`` to every reply.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import pty
import select
import threading
import time
import tty
from collections.abc import Callable, Iterable

from .faults import FaultPlan
from .framing import BROADCAST_ID, Framing, Instruction
from .plant import Plant
from .servo import EmulatedServo

log = logging.getLogger(__name__)

PING, READ, WRITE, SYNC_READ, SYNC_WRITE, BULK_READ = 0x01, 0x02, 0x03, 0x82, 0x83, 0x92


class ServoBusEmulator:
    """Serve ``plant.servos`` on a pty until ``close()``. Use as a context manager."""

    def __init__(self, framing: Framing, plant: Plant, faults: FaultPlan | None = None) -> None:
        self.framing = framing
        self.plant = plant
        self.servos: dict[int, EmulatedServo] = {s.id: s for s in plant.servos}
        self.faults = faults or FaultPlan()
        self.goal_log: collections.deque[tuple[float, int, int]] = collections.deque(maxlen=200_000)
        self.counts: collections.Counter[str] = collections.Counter()
        self._handlers: dict[int, Callable[[Instruction], None]] = {
            PING: self._ping,
            READ: self._read,
            WRITE: self._write,
            SYNC_READ: self._sync_read,
            SYNC_WRITE: self._sync_write,
            BULK_READ: self._bulk_read,
        }
        self._stop = threading.Event()
        self._master, slave = pty.openpty()
        self._slave: int | None = slave
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._thread = threading.Thread(
            target=self._serve, name=f"servo-bus {self.port}", daemon=True
        )
        self._thread.start()

    def __enter__(self) -> ServoBusEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=2.0)
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def release_slave_end(self) -> None:
        """Stop holding the pty's slave end, so a host's close hangs the line up (EIO on the
        master) as it does on kernels that ignore the emulator's hold; tests that path."""
        if self._slave is not None:
            os.close(self._slave)
            self._slave = None

    # -- the serving thread ----------------------------------------------------
    def _serve(self) -> None:
        buffer = bytearray()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.01)
            self._check_bus_watchdogs()
            if not ready:
                continue
            try:
                buffer += os.read(self._master, 4096)
            except OSError:
                if self._stop.is_set():
                    return
                # EIO: no host holds the port (some kernels say so between a close and the
                # next open). A real bus keeps listening; dying here would silence every servo.
                self.counts["read_errors"] += 1
                time.sleep(0.001)
                continue
            while (instruction := self.framing.parse(buffer)) is not None:
                self.counts[f"instruction_{instruction.code:#04x}"] += 1
                heard = time.perf_counter()
                for servo in self.servos.values():
                    servo.last_instruction = heard
                handler = self._handlers.get(instruction.code)
                if handler is None:
                    continue  # unknown instruction: real servos stay silent
                try:
                    handler(instruction)
                except (IndexError, ValueError):
                    self.counts["malformed"] += 1

    def _check_bus_watchdogs(self) -> None:
        """Stop every servo whose bus watchdog ran out, with physics advanced to now."""
        now = time.perf_counter()
        expired = [s for s in self.servos.values() if s.watchdog_expired(now)]
        if expired:
            self.plant.sync()
            for servo in expired:
                servo.trip_watchdog()
                self.counts["bus_watchdog_trips"] += 1

    def _reply(self, servo: EmulatedServo, params: bytes = b"", error: int = 0) -> None:
        status = self.framing.status(servo.id, servo.error_bits | error, params)
        packet, delay = self.faults.apply(status)
        if packet is None:
            return
        if delay:
            time.sleep(delay)
        os.write(self._master, packet)
        self.counts["replies"] += 1

    def _targets(self, servo_id: int) -> Iterable[EmulatedServo]:
        if servo_id == BROADCAST_ID:
            return [s for i in sorted(self.servos) if (s := self._present(i)) is not None]
        servo = self._present(servo_id)
        return [] if servo is None else [servo]

    def _present(self, servo_id: int) -> EmulatedServo | None:
        """A servo on the bus; an unplugged one neither answers nor obeys."""
        if servo_id in self.faults.missing_ids:
            self.faults.counts["silent_missing"] += 1
            return None
        return self.servos.get(servo_id)

    def _address(self, params: bytes, at: int) -> int:
        width = self.framing.addr_width
        return int.from_bytes(params[at : at + width], "little")

    # -- instructions ------------------------------------------------------------
    def _ping(self, inst: Instruction) -> None:
        for servo in self._targets(inst.servo_id):
            self._reply(servo, self.framing.ping_params(servo.model.model_number))

    def _read(self, inst: Instruction) -> None:
        servo = self._present(inst.servo_id)
        if servo is None:
            return
        width = self.framing.addr_width
        self.plant.sync()
        data = servo.read(self._address(inst.params, 0), self._address(inst.params, width))
        self._reply(servo, data if data is not None else b"")

    def _write(self, inst: Instruction) -> None:
        address, data = self._address(inst.params, 0), inst.params[self.framing.addr_width :]
        for servo in self._targets(inst.servo_id):
            stored = self._store(servo, address, data)
            if inst.servo_id != BROADCAST_ID:
                self._reply(servo, error=0 if stored else self.framing.range_error)

    def _sync_read(self, inst: Instruction) -> None:
        width = self.framing.addr_width
        address, length = self._address(inst.params, 0), self._address(inst.params, width)
        self.plant.sync()
        for servo_id in inst.params[2 * width :]:
            servo = self._present(servo_id)
            if servo is not None:
                self._reply(servo, servo.read(address, length) or b"")

    def _sync_write(self, inst: Instruction) -> None:
        width = self.framing.addr_width
        address, length = self._address(inst.params, 0), self._address(inst.params, width)
        body = inst.params[2 * width :]
        if length <= 0 or len(body) % (length + 1):
            raise ValueError("sync write body does not divide into id + data groups")
        for at in range(0, len(body), length + 1):
            servo = self._present(body[at])
            if servo is not None:
                self._store(servo, address, body[at + 1 : at + 1 + length])

    def _bulk_read(self, inst: Instruction) -> None:
        self.plant.sync()
        for at in range(0, len(inst.params) - 4, 5):
            servo = self._present(inst.params[at])
            if servo is not None:
                address = int.from_bytes(inst.params[at + 1 : at + 3], "little")
                length = int.from_bytes(inst.params[at + 3 : at + 5], "little")
                self._reply(servo, servo.read(address, length) or b"")

    def _store(self, servo: EmulatedServo, address: int, data: bytes) -> bool:
        self.plant.sync()  # physics up to now runs under the old goal
        stored = servo.write(address, data)
        goal = servo.model.registers["goal_position"]
        if stored and address <= goal.address < address + len(data):
            self.goal_log.append((time.perf_counter(), servo.id, servo.get("goal_position")))
        return stored

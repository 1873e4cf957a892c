"""The motor bus shared by every vendor: named registers, retries, timing, torque.

Vendor classes only say which SDK module to load, which protocol it speaks and which
control tables apply. Every transaction is retried a bounded number of times; each
failure is counted and timed, and a transaction that exhausts its retries raises a
``BusError`` naming the motor, the register and the SDK's own reason.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import math
import select
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar

from .tables import MotorModel, Register


class BusError(RuntimeError):
    """A transaction failed after every retry."""


@dataclass(frozen=True)
class Motor:
    id: int
    model: str


@dataclass
class TransactionStats:
    """Per-transaction evidence: how long each took and how often the wire failed."""

    transactions: int = 0
    retries: int = 0
    failures: int = 0  # transactions that exhausted their retries
    latencies: collections.deque = field(default_factory=lambda: collections.deque(maxlen=10_000))
    by_reason: collections.Counter = field(default_factory=collections.Counter)

    def summary(self) -> dict[str, float]:
        out: dict[str, float] = {
            "transactions": self.transactions,
            "retries": self.retries,
            "failures": self.failures,
        }
        if self.latencies:
            ordered = sorted(self.latencies)
            out["latency_ms_p50"] = 1e3 * ordered[len(ordered) // 2]
            out["latency_ms_p99"] = 1e3 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        return out


BUSES: dict[str, type[MotorBus]] = {}


class MotorBus:
    vendor: ClassVar[str]
    sdk_module: ClassVar[str]
    protocol: ClassVar[float]
    models: ClassVar[dict[str, MotorModel]]
    homing_sign: ClassVar[int]  # present = physical + homing_sign * homing offset
    # The firmware fail-safe's tick (Dynamixel Bus Watchdog, 20 ms); None: there is none.
    bus_watchdog_unit_s: ClassVar[float | None] = None
    # Status error bits meaning "instruction refused, nothing written" (others are alerts).
    refusal_bits: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        BUSES[cls.vendor] = cls

    def __init__(
        self,
        port: str,
        motors: dict[str, Motor],
        *,
        baudrate: int = 1_000_000,
        retries: int = 3,
        latency_ms: float | None = 8.0,
        patient_latency_ms: float = 50.0,
    ) -> None:
        for name, motor in motors.items():
            if motor.model not in self.models:
                from actloop.control import unknown_name_message

                raise KeyError(
                    f"motor {name!r}: "
                    + unknown_name_message(f"{self.vendor} model", motor.model, self.models)
                )
        self.port_name = port
        self.motors = dict(motors)
        self.baudrate = baudrate
        self.retries = retries
        self.latency_ms = latency_ms
        self.patient_latency_ms = patient_latency_ms
        self.stats = TransactionStats()
        self.sdk: ModuleType = importlib.import_module(self.sdk_module)
        self._port: Any = None
        self._packets: Any = None
        self.servo_errors: dict[int, int] = {}  # last status error byte per motor id

    # -- connection ------------------------------------------------------------
    @property
    def is_connected(self) -> bool:
        return self._port is not None

    def connect(self, check_models: bool = True) -> None:
        port = self._port_class()(self.port_name)
        if not port.openPort():
            raise BusError(f"could not open {self.port_name}")
        if not port.setBaudRate(self.baudrate):
            port.closePort()
            raise BusError(f"{self.port_name}: baud rate {self.baudrate} is not supported")
        self._port, self._packets = port, self._packet_handler()
        if check_models:
            try:
                with self.patient():
                    self.check_models()
            except Exception:
                self.disconnect()
                raise

    @contextlib.contextmanager
    def patient(self) -> Iterator[None]:
        """Longer reply timeouts for setup work (connect, calibration), where no control
        tick is waiting and a loaded host must not turn a slow reply into an error."""
        if self._port is None or self.latency_ms is None:
            yield
            return
        self._port.latency_ms = max(self.latency_ms, self.patient_latency_ms)
        try:
            yield
        finally:
            if self._port is not None:
                self._port.latency_ms = self.latency_ms

    def disconnect(self) -> None:
        if self._port is not None:
            port, self._port = self._port, None
            port.closePort()

    def check_models(self) -> None:
        """Every configured motor must answer a ping with the configured model."""
        problems = []
        for name, motor in self.motors.items():
            found = self.ping(
                motor.id, retries=max(self.retries, 8)
            )  # connect is not time-critical
            expected = self.models[motor.model].model_number
            if found is None:
                problems.append(f"{name} (id {motor.id}) did not answer")
            elif found != expected:
                problems.append(
                    f"{name} (id {motor.id}) is model {found}, expected {expected} ({motor.model})"
                )
        if problems:
            raise BusError(f"{self.port_name}: " + "; ".join(problems))

    # -- discovery ---------------------------------------------------------------
    def ping(self, motor_id: int, retries: int | None = None) -> int | None:
        """The model number at ``motor_id``, or None if nothing answers."""

        def attempt() -> tuple[int, int, int]:
            model, result, error = self._packets.ping(self._port, motor_id)
            return result, error, model

        try:
            return self._transact(f"ping id {motor_id}", attempt, retries, motor_id)
        except BusError:
            return None

    def scan(self, ids: Iterable[int] = range(0, 253)) -> dict[int, int]:
        """id -> model number for every ID that answers (one try each: absent IDs are slow)."""
        found = {}
        for motor_id in ids:
            model = self.ping(motor_id, retries=0)
            if model is not None:
                found[motor_id] = model
        return found

    # -- registers by name -----------------------------------------------------------
    def register(self, motor: str, name: str) -> Register:
        return self.models[self._motor(motor).model].register(name)

    def read(self, name: str, motor: str) -> int:
        reg, motor_id = self.register(motor, name), self._motor(motor).id
        reader = getattr(self._packets, f"read{reg.size}ByteTxRx")

        def attempt() -> tuple[int, int, int]:
            raw, result, error = reader(self._port, motor_id, reg.address)
            return result, error, raw

        return reg.decode(self._transact(f"read {name} from {motor}", attempt, None, motor_id))

    def write(self, name: str, motor: str, value: int) -> None:
        reg, motor_id = self.register(motor, name), self._motor(motor).id
        writer = getattr(self._packets, f"write{reg.size}ByteTxRx")
        raw = reg.encode(value)

        def attempt() -> tuple[int, int, None]:
            result, error = writer(self._port, motor_id, reg.address, raw)
            return result, error, None

        self._transact(f"write {name}={value} to {motor}", attempt, None, motor_id)

    def sync_read(self, name: str, motors: Iterable[str] | None = None) -> dict[str, int]:
        """One request, one reply per motor in request order; all must answer."""
        return self.sync_read_many((name,), motors)[name]

    def sync_read_positions(self, motors: Iterable[str] | None = None) -> dict[str, int]:
        """Present positions, read with the velocity beside them, so no late reply can pass
        for them (see ``sync_read_many``): measured on the emulator with replies late past
        the timeout, a ``present_load`` reply (two bytes, like a position) read as the state
        put every joint at -pi, and the first command of an episode jumped 1.84 rad."""
        block = self.sync_read_many(("present_position", "present_velocity"), motors)
        return block["present_position"]

    def sync_read_many(
        self, registers: Iterable[str], motors: Iterable[str] | None = None
    ) -> dict[str, dict[str, int]]:
        """Several registers in one request: the span from the first to the last.

        Also how a read is made unmistakable. A status packet names the motor, not the
        register, so a late reply to an earlier read can answer this one; the SDK refuses a
        reply shorter than the span, so a span longer than every other read cannot be
        answered by one of them (both SDKs keep each reply's bytes in ``data_dict``; the
        Dynamixel one does not check their length itself)."""
        names, wanted = list(self.motors if motors is None else motors), list(registers)
        regs = [self._common_register(r, names) for r in wanted]
        start = min(r.address for r in regs)
        length = max(r.address + r.size for r in regs) - start
        ids = [self._motor(m).id for m in names]
        group = self.sdk.GroupSyncRead(self._port, self._packets, start, length)
        for motor_id in ids:
            group.addParam(motor_id)

        def attempt() -> tuple[int, int, list[list[int]]]:
            result = group.txRxPacket()
            if result == self.sdk.COMM_SUCCESS and not all(
                group.isAvailable(i, start, length) and len(group.data_dict[i]) >= length
                for i in ids
            ):
                result = self.sdk.COMM_RX_CORRUPT
            return result, 0, [[group.getData(i, r.address, r.size) for r in regs] for i in ids]

        raw = self._transact(f"sync read {'+'.join(wanted)} from {names}", attempt, None, None)
        return {
            register: {m: reg.decode(row[k]) for m, row in zip(names, raw, strict=True)}
            for k, (register, reg) in enumerate(zip(wanted, regs, strict=True))
        }

    def sync_write(self, name: str, values: dict[str, int]) -> None:
        """One broadcast packet; servos do not reply, so this never retries."""
        names = list(values)
        reg = self._common_register(name, names)
        group = self.sdk.GroupSyncWrite(self._port, self._packets, reg.address, reg.size)
        for motor, value in values.items():
            raw = reg.encode(value)
            group.addParam(
                self._motor(motor).id, [(raw >> (8 * i)) & 0xFF for i in range(reg.size)]
            )
        self._transact(
            f"sync write {name} to {names}", lambda: (group.txPacket(), 0, None), None, None
        )

    # -- torque ----------------------------------------------------------------------
    def enable_torque(self, motors: Iterable[str] | None = None) -> None:
        for motor in self.motors if motors is None else motors:
            self.write("torque_enable", motor, 1)

    def disable_torque(self, motors: Iterable[str] | None = None) -> list[str]:
        """Torque off on every motor, attempting each even when others fail.

        Returns the motors that could not be reached and never raises: this runs in
        teardown, and a skipped torque-off is how motors burn."""
        failed = []
        for motor in self.motors if motors is None else motors:
            try:
                self.write("torque_enable", motor, 0)
            except Exception:
                failed.append(motor)
        return failed

    # -- firmware bus watchdog ------------------------------------------------------------
    def arm_bus_watchdog(self, seconds: float, motors: Iterable[str] | None = None) -> bool:
        """Have each motor stop where it is once the bus has been silent for ``seconds``
        with torque on: the one guard that still works when the host process dies or
        hangs. Returns False where the firmware has no such register (Feetech STS)."""
        if self.bus_watchdog_unit_s is None:
            return False
        units = min(127, max(1, math.ceil(seconds / self.bus_watchdog_unit_s)))
        for motor in self.motors if motors is None else motors:
            self.write("bus_watchdog", motor, units)
        return True

    def clear_bus_watchdog(self, motors: Iterable[str] | None = None) -> list[str]:
        """Disarm, and clear a trip (-1, which leaves goal registers read-only until
        cleared). Returns the motors that had tripped."""
        if self.bus_watchdog_unit_s is None:
            return []
        names = list(self.motors if motors is None else motors)
        tripped = self.tripped_bus_watchdog(names)
        for motor in names:
            self.write("bus_watchdog", motor, 0)
        return tripped

    def tripped_bus_watchdog(self, motors: Iterable[str] | None = None) -> list[str]:
        """Motors whose watchdog fired: they stopped, and silently ignore sync-written goals."""
        if self.bus_watchdog_unit_s is None:
            return []
        values = self.sync_read("bus_watchdog", motors)
        return [motor for motor, value in values.items() if value == -1]

    # -- internals -------------------------------------------------------------------
    def _motor(self, name: str) -> Motor:
        try:
            return self.motors[name]
        except KeyError:
            from actloop.control import unknown_name_message

            raise KeyError(unknown_name_message("motor", name, self.motors)) from None

    def _common_register(self, name: str, motors: list[str]) -> Register:
        registers = {self.register(m, name) for m in motors}
        if len(registers) != 1:
            raise ValueError(f"register {name!r} differs between motors {motors}; use read()")
        return registers.pop()

    def _transact(
        self,
        what: str,
        attempt: Callable[[], tuple[int, int, Any]],
        retries: int | None,
        motor_id: int | None,
    ) -> Any:
        """Run ``attempt`` -> (comm result, servo error byte, payload) until it succeeds."""
        if self._port is None:
            raise BusError(f"{self.port_name}: not connected; call connect() first")
        tries = 1 + (self.retries if retries is None else retries)
        reason = ""
        for number in range(tries):
            self._port.ser.reset_input_buffer()  # a late reply must not answer this request
            started = time.perf_counter()
            try:
                result, error, payload = attempt()
            except (IndexError, KeyError):  # the SDKs index short replies without checking
                result, error, payload = self.sdk.COMM_RX_CORRUPT, 0, None
            self.stats.latencies.append(time.perf_counter() - started)
            self.stats.transactions += 1
            if result == self.sdk.COMM_SUCCESS:
                if motor_id is not None:
                    self.servo_errors[motor_id] = error
                if error & self.refusal_bits:  # the motor answered no: retrying will not help
                    self.stats.failures += 1
                    refusal = self._packets.getRxPacketError(error & self.refusal_bits)
                    raise BusError(f"{self.port_name}: {what} refused by the motor: {refusal}")
                return payload
            reason = self._packets.getTxRxResult(result) or f"result {result}"
            self.stats.by_reason[reason] += 1
            self.stats.retries += number + 1 < tries
        self.stats.failures += 1
        raise BusError(f"{self.port_name}: {what} failed after {tries} tries: {reason}")

    def _port_class(self) -> type:
        """The SDK's PortHandler with the USB latency timer we configure.

        The SDKs assume a 16 ms FTDI latency timer (a 34 ms reply timeout); adapters set
        to 1 ms (and the pty emulator) answer far faster, and a shorter timeout keeps a
        dropped reply from costing a whole control tick."""
        base, default_latency = self.sdk.PortHandler, self.latency_ms
        if default_latency is None:
            return base

        class Port(base):  # type: ignore[misc, valid-type]
            latency_ms = default_latency

            def readPort(self, length: int) -> bytes:
                # The SDKs poll a non-blocking port in a busy loop; waiting in select for
                # up to 0.5 ms instead frees the CPU (and the GIL) for whoever is replying.
                if self.ser.in_waiting == 0:
                    select.select([self.ser.fileno()], [], [], 0.0005)
                return self.ser.read(length)

            def setPacketTimeout(self, packet_length: int) -> None:
                self.packet_start_time = self.getCurrentTime()
                self.packet_timeout = self.tx_time_per_byte * packet_length + self.latency_ms

        return Port

    def _packet_handler(self) -> Any:
        return self.sdk.PacketHandler(self.protocol)


def make_bus(vendor: str, port: str, motors: dict[str, Motor], **kwargs: Any) -> MotorBus:
    try:
        cls = BUSES[vendor]
    except KeyError:
        from actloop.control import unknown_name_message

        raise KeyError(unknown_name_message("motor bus vendor", vendor, BUSES)) from None
    return cls(port, motors, **kwargs)

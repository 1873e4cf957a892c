"""Wire framing of the two servo protocols, as the servo firmware sees it.

Each framing turns a byte stream into instruction packets and builds status packets.
A packet with a bad checksum or CRC is dropped silently, as real servos do: the host
then times out and retries, which is exactly the path the drivers must survive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

BROADCAST_ID = 0xFE


@dataclass(frozen=True)
class Instruction:
    servo_id: int
    code: int
    params: bytes


class Framing(Protocol):
    name: str

    def parse(self, buffer: bytearray) -> Instruction | None:
        """Consume bytes from ``buffer``; return the next valid instruction or None."""
        ...

    addr_width: int
    range_error: int  # status error bits for a refused write

    def status(self, servo_id: int, error: int, params: bytes) -> bytes: ...

    def ping_params(self, model_number: int) -> bytes: ...


def crc16(data: bytes | bytearray) -> int:
    """Dynamixel Protocol 2.0 CRC-16: polynomial 0x8005, initial 0, not reflected."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def stuff(payload: bytes) -> bytes:
    """Insert 0xFD after every FF FF FD inside a Protocol 2.0 packet body."""
    out = bytearray()
    for byte in payload:
        out.append(byte)
        if byte == 0xFD and out[-3:] == b"\xff\xff\xfd":
            out.append(0xFD)
    return bytes(out)


def unstuff(payload: bytes) -> bytes:
    out = bytearray()
    skip_next = False
    for i, byte in enumerate(payload):
        if skip_next:
            skip_next = False
            continue
        out.append(byte)
        if out[-3:] == b"\xff\xff\xfd" and i + 1 < len(payload) and payload[i + 1] == 0xFD:
            skip_next = True
    return bytes(out)


class FeetechFraming:
    """``FF FF | id | len | inst | params | ~sum``; len counts inst + params + checksum."""

    name = "feetech"
    range_error = 0  # the STS status byte has no bit for a refused write
    max_length = 250
    addr_width = 1  # register addresses and lengths are one byte on the wire

    def ping_params(self, model_number: int) -> bytes:
        return b""  # the SDK reads the model number at address 3 after the ping

    def parse(self, buffer: bytearray) -> Instruction | None:
        while True:
            start = buffer.find(b"\xff\xff")
            if start < 0:
                del buffer[: max(0, len(buffer) - 1)]
                return None
            del buffer[:start]
            if len(buffer) < 4:
                return None
            if buffer[2] == 0xFF:  # a third 0xFF: the header may start one byte later
                del buffer[0]
                continue
            total = buffer[3] + 4
            if buffer[3] < 2 or total > self.max_length:
                del buffer[:2]
                continue
            if len(buffer) < total:
                return None
            packet = bytes(buffer[:total])
            del buffer[:total]
            if (~sum(packet[2:-1])) & 0xFF != packet[-1]:
                continue
            return Instruction(packet[2], packet[4], packet[5:-1])

    def status(self, servo_id: int, error: int, params: bytes) -> bytes:
        body = bytes([servo_id, len(params) + 2, error]) + params
        return b"\xff\xff" + body + bytes([(~sum(body)) & 0xFF])


class DynamixelFraming:
    """``FF FF FD 00 | id | len(2) | inst | params | crc(2)`` with byte stuffing."""

    name = "dynamixel"
    range_error = 0x04  # Protocol 2.0 status error number: Data Range Error
    header = b"\xff\xff\xfd\x00"
    max_length = 1024
    addr_width = 2

    def ping_params(self, model_number: int) -> bytes:
        return model_number.to_bytes(2, "little") + bytes([48])  # model, firmware version

    def parse(self, buffer: bytearray) -> Instruction | None:
        while True:
            start = buffer.find(self.header)
            if start < 0:
                del buffer[: max(0, len(buffer) - 3)]
                return None
            del buffer[:start]
            if len(buffer) < 7:
                return None
            length = buffer[5] | (buffer[6] << 8)
            if length < 3 or length > self.max_length:
                del buffer[:4]
                continue
            total = 7 + length
            if len(buffer) < total:
                return None
            packet = bytes(buffer[:total])
            del buffer[:total]
            if crc16(packet[:-2]) != packet[-2] | (packet[-1] << 8):
                continue
            return Instruction(packet[4], packet[7], unstuff(packet[8:-2]))

    def status(self, servo_id: int, error: int, params: bytes) -> bytes:
        body = stuff(bytes([0x55, error]) + params)
        length = len(body) + 2
        packet = self.header + bytes([servo_id, length & 0xFF, length >> 8]) + body
        crc = crc16(packet)
        return packet + bytes([crc & 0xFF, crc >> 8])


FRAMINGS: dict[str, type] = {"feetech": FeetechFraming, "dynamixel": DynamixelFraming}

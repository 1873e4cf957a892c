"""The emulators' wire framing, against the protocols' published rules."""

from actloop.sim.servo.framing import DynamixelFraming, FeetechFraming, crc16, stuff, unstuff


def test_dynamixel_crc_matches_the_manual_ping_example():
    # ROBOTIS e-Manual, Protocol 2.0 ping of ID 1: CRC bytes 0x19 0x4E.
    assert crc16(bytes.fromhex("FFFFFD00010300 01".replace(" ", ""))) == 0x4E19


def test_byte_stuffing_round_trips_and_inserts_after_header_pattern():
    payload = bytes([0x55, 0x00, 0xFF, 0xFF, 0xFD, 0x01])
    stuffed = stuff(payload)
    assert stuffed == bytes([0x55, 0x00, 0xFF, 0xFF, 0xFD, 0xFD, 0x01])
    assert unstuff(stuffed) == payload


def test_dynamixel_parse_recovers_after_garbage_and_drops_bad_crc():
    framing = DynamixelFraming()
    good = framing.status(3, 0, b"\x01\x02")
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    buffer = bytearray(b"\x00\x13\xff" + bytes(bad) + good)
    parsed = framing.parse(buffer)
    assert parsed is not None and parsed.servo_id == 3 and parsed.code == 0x55
    assert parsed.params == b"\x00\x01\x02"  # error byte, then the data
    assert framing.parse(buffer) is None


def test_feetech_checksum_is_inverted_sum_and_bad_packets_are_skipped():
    framing = FeetechFraming()
    packet = framing.status(1, 0, b"\x09\x03")
    assert packet[-1] == (~sum(packet[2:-1])) & 0xFF
    corrupt = packet[:-1] + bytes([packet[-1] ^ 1])
    buffer = bytearray(corrupt + packet)
    parsed = framing.parse(buffer)
    assert parsed.servo_id == 1 and parsed.params == b"\x09\x03"

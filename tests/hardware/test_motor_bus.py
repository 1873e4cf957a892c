"""Motor buses through the real vendor SDKs against the pty emulators."""

import time

import pytest
from actloop.hardware.motors import BusError, DynamixelBus, FeetechBus, Motor
from actloop.sim.servo import FaultPlan

pytest.importorskip("scservo_sdk")  # the [hardware] extra: vendor SDKs
pytest.importorskip("dynamixel_sdk")  # the [hardware] extra: vendor SDKs

VENDORS = {"so101": FeetechBus, "koch": DynamixelBus}


def make_bus(robot, arm, **options):
    motors = {f"m{s.id}": Motor(s.id, s.model.name) for s in arm.servos}
    options.setdefault("latency_ms", 20.0)  # generous: CI machines are loaded and shared
    bus = VENDORS[robot](arm.port, motors, **options)
    bus.connect()
    return bus


@pytest.mark.parametrize("robot", VENDORS)
def test_scan_finds_exactly_the_servos_with_their_model_numbers(robot, emulated):
    arm = emulated(robot)
    bus = make_bus(robot, arm)
    try:
        found = bus.scan(range(0, 9))
        assert found == {s.id: s.model.model_number for s in arm.servos}
    finally:
        bus.disconnect()


@pytest.mark.parametrize("robot", VENDORS)
def test_named_registers_round_trip_with_signs(robot, emulated):
    arm = emulated(robot)
    bus = make_bus(robot, arm)
    try:
        bus.write("homing_offset", "m2", -321)
        assert bus.read("homing_offset", "m2") == -321
        assert arm.servos[1].get("homing_offset") == -321  # the servo really stores it
        bus.sync_write("goal_position", {"m1": 1500, "m3": 2600})
        assert bus.read("goal_position", "m1") == 1500  # a reply: the broadcast was processed
        assert (
            arm.servos[0].get("goal_position") == 1500
            and arm.servos[2].get("goal_position") == 2600
        )
        assert bus.read("model_number", "m4") == arm.servos[3].model.model_number
    finally:
        bus.disconnect()


@pytest.mark.parametrize("robot", VENDORS)
def test_sync_read_answers_in_request_order_and_torque_moves_the_horn(robot, emulated):
    arm = emulated(robot)
    bus = make_bus(robot, arm)
    try:
        order = ["m5", "m1", "m3"]
        values = bus.sync_read("present_position", order)
        assert list(values) == order
        assert all(values[m] == arm.servos[int(m[1:]) - 1].get("present_position") for m in order)
        bus.enable_torque(["m1"])
        assert arm.servos[0].torque_on and not arm.servos[1].torque_on
        bus.write("goal_position", "m1", values["m1"] + 200)
        for _ in range(200):
            if abs(bus.read("present_position", "m1") - (values["m1"] + 200)) <= 1:
                break
            time.sleep(0.005)
        assert abs(bus.read("present_position", "m1") - (values["m1"] + 200)) <= 1
        assert bus.disable_torque() == [] and not arm.servos[0].torque_on
    finally:
        bus.disconnect()


def test_missing_id_fails_connect_with_a_clear_error(emulated):
    arm = emulated("so101", faults=FaultPlan(missing_ids={4}))
    motors = {f"m{s.id}": Motor(s.id, "sts3215") for s in arm.servos}
    bus = FeetechBus(arm.port, motors, retries=1)
    with pytest.raises(BusError, match=r"m4 \(id 4\) did not answer"):
        bus.connect()
    assert not bus.is_connected


def test_wrong_model_and_unknown_register_are_named(emulated):
    arm = emulated("koch")
    motors = {"m1": Motor(1, "xl330-m288")}  # id 1 is an XL430
    with pytest.raises(BusError, match="is model 1060"):
        DynamixelBus(arm.port, motors).connect()
    bus = make_bus("koch", arm)
    try:
        with pytest.raises(KeyError, match=r"goal_postion.*did you mean: goal_position"):
            bus.read("goal_postion", "m1")
    finally:
        bus.disconnect()


def test_the_bus_answers_again_after_the_host_closes_and_reopens_a_hung_up_port(emulated):
    arm = emulated("so101")
    arm.emulator.release_slave_end()  # the host's close now hangs the pty up: EIO on the master
    for _ in range(3):
        bus = make_bus("so101", arm)
        assert bus.scan(range(1, 7)) == {s.id: s.model.model_number for s in arm.servos}
        bus.disconnect()
        time.sleep(0.02)  # the emulator reads the hang-up before the next open
    assert arm.emulator.counts["read_errors"] > 0


@pytest.mark.parametrize("robot", VENDORS)
def test_transient_faults_are_retried_counted_and_timed(robot, emulated):
    arm = emulated(robot, faults=FaultPlan(drop_rate=0.03, corrupt_rate=0.03, seed=3))
    bus = make_bus(robot, arm, retries=6)
    try:
        for _ in range(60):
            values = bus.sync_read("present_position")
            assert values == {f"m{s.id}": s.get("present_position") for s in arm.servos}
        assert bus.stats.retries > 0 and bus.stats.failures == 0
        assert arm.faults.counts["dropped"] > 0 and arm.faults.counts["corrupted"] > 0
        summary = bus.stats.summary()
        assert summary["transactions"] >= 60 + bus.stats.retries
        assert summary["latency_ms_p50"] > 0
    finally:
        bus.disconnect()


def test_persistent_fault_raises_after_retries_and_torque_off_reaches_the_rest(emulated):
    arm = emulated("so101")
    bus = make_bus("so101", arm, retries=2)
    try:
        bus.enable_torque()
        arm.unplug(3)
        with pytest.raises(BusError, match="failed after 3 tries"):
            bus.sync_read("present_position")
        assert bus.stats.failures == 1
        assert bus.disable_torque() == ["m3"]
        assert [s.torque_on for s in arm.servos] == [False, False, True, False, False, False]
    finally:
        bus.disconnect()


def test_sign_encodings_match_the_vendors_conventions():
    from actloop.hardware.motors.tables import STS_TABLE, XL_TABLE

    offset = STS_TABLE["homing_offset"]  # sign-magnitude, sign in bit 11
    assert offset.encode(-5) == (1 << 11) | 5 and offset.decode((1 << 11) | 5) == -5
    with pytest.raises(ValueError, match="sign bit 11"):
        offset.encode(4096)
    goal = XL_TABLE["goal_position"]  # two's complement, 4 bytes
    assert goal.encode(-1) == 0xFFFFFFFF and goal.decode(0xFFFFFFFF) == -1
    with pytest.raises(ValueError, match="unsigned 8-bit"):
        XL_TABLE["torque_enable"].encode(256)

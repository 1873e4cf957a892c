"""Async inference, e-stop, instruction switch and the stale-action watchdog in the loop."""

import threading
import time

import numpy as np
from actloop.control import ActionChunk, ControlLoop, SimClock, WallClock
from actloop.control.estop import EStop
from actloop.control.schedulers import make_scheduler
from actloop.control.watchdog import StaleActionWatchdog
from control_toys import ChunkPolicy, JointRobot, ramp


class SlowPolicy(ChunkPolicy):
    """Inference takes longer than a tick; records the instruction it was asked about."""

    def __init__(self, actions, delay):
        super().__init__(actions, delay=delay)
        self.instructions = []

    def infer(self, observation):
        self.instructions.append(observation.instruction)
        return super().infer(observation)


def test_async_ticks_never_wait_for_a_slow_model():
    robot = JointRobot()
    policy = SlowPolicy(ramp(robot.spec, 20, step=0.001), delay=0.03)  # 3 ticks per inference
    loop = ControlLoop(
        robot,
        policy,
        clock=WallClock(0.01),
        inference="async",
        scheduler=make_scheduler("execute_n", n_execute=10),
    )
    result = loop.run(max_ticks=60)
    assert result.ticks + result.stats["missed_ticks"] == 60
    assert result.stats["inferences"] >= 3
    # Ticks kept coming while the model was busy: far more sends than inferences.
    assert len(robot.sent) > 3 * result.stats["inferences"]


def test_instruction_switch_flushes_and_holds_on_the_next_tick():
    robot = JointRobot()
    policy = SlowPolicy(ramp(robot.spec, 50, step=0.001), delay=0.0)
    loop = ControlLoop(
        robot, policy, clock=SimClock(0.01), scheduler=make_scheduler("execute_n", n_execute=50)
    )

    original_observe = robot.observe

    def observe():
        if len(robot.sent) == 5:
            loop.switch_instruction("put it back")
        return original_observe()

    robot.observe = observe
    loop.run(max_ticks=10)
    sent = np.array(robot.sent)
    assert np.allclose(sent[5], sent[4])  # the switch tick holds where the arm is
    assert policy.instructions[0] == "hold still" and policy.instructions[-1] == "put it back"
    assert len(policy.instructions) == 2  # the old chunk was dropped, a new one requested


def test_latched_estop_holds_and_ends_the_episode_and_stays_latched():
    robot = JointRobot()
    estop = EStop()
    loop = ControlLoop(
        robot,
        ChunkPolicy(ramp(robot.spec, 100)),
        clock=SimClock(0.01),
        scheduler=make_scheduler("execute_n", n_execute=100),
        estop=estop,
    )
    original = robot.send_action

    def send(action):
        if len(robot.sent) == 3:
            estop.trip("operator")
        return original(action)

    robot.send_action = send
    first = loop.run(max_ticks=50)
    assert first.termination == "estop" and first.detail == "estop: operator"
    assert np.allclose(robot.sent[-1], robot.sent[-2])  # the last tick held
    assert loop.run(max_ticks=50).ticks == 1  # still latched: stops on the first tick
    estop.reset()
    assert loop.run(max_ticks=5).termination == "max_ticks"


def test_watchdog_stops_when_a_hung_model_never_answers():
    robot = JointRobot()
    hang = threading.Event()

    class Hangs(ChunkPolicy):
        def infer(self, observation):
            if self.calls >= 1:
                hang.wait(5.0)
            return super().infer(observation)

    loop = ControlLoop(
        robot,
        Hangs(ramp(robot.spec, 5)),
        clock=WallClock(0.01),
        inference="async",
        scheduler=make_scheduler("execute_n", n_execute=5),
        watchdog=StaleActionWatchdog(park_after=0.1),
    )
    started = time.perf_counter()
    result = loop.run(max_ticks=1000)
    hang.set()
    assert result.termination == "watchdog"
    assert result.safety_events["no_action_hold"] >= 5
    assert time.perf_counter() - started < 5.0  # the loop never waited on the hung model


def test_async_chunks_are_stamped_with_the_tick_they_answer():
    robot = JointRobot()
    seen = []

    class Records(ChunkPolicy):
        def infer(self, observation):
            chunk = super().infer(observation)
            seen.append(chunk)
            return ActionChunk(chunk.actions, 99, chunk.dt)

    scheduler = make_scheduler("rtc", execute_horizon=4)
    loop = ControlLoop(
        robot,
        Records(ramp(robot.spec, 8)),
        clock=WallClock(0.01),
        inference="async",
        scheduler=scheduler,
    )
    loop.run(max_ticks=20)
    assert scheduler.delays and min(scheduler.delays) >= 0  # start_tick 99 was replaced


def test_estop_trips_from_a_key_and_from_a_signal():
    import io
    import os
    import signal

    key_stop = EStop()
    key_stop.watch_key(io.StringIO("hello\nq\n"), key="q").join(timeout=2.0)
    assert key_stop.tripped and key_stop.reason == "key 'q'"

    signal_stop = EStop()
    previous = signal.getsignal(signal.SIGUSR1)
    try:
        signal_stop.install_signal(signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR1)
        deadline = time.perf_counter() + 2.0
        while not signal_stop.tripped and time.perf_counter() < deadline:
            time.sleep(0.001)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert signal_stop.tripped and signal_stop.reason == "signal SIGUSR1"
    signal_stop.trip("second reason")
    assert signal_stop.reason == "signal SIGUSR1"  # latched: the first cause is kept


def test_async_instruction_switch_discards_the_chunk_in_flight():
    robot = JointRobot()

    class ByInstruction(ChunkPolicy):
        """Old instruction: a slow climb from 0.05; new one: a constant -0.05."""

        def infer(self, observation):
            self.calls += 1
            time.sleep(0.025)  # in flight across the switch
            if observation.instruction == "put it back":
                return ActionChunk(np.full((20, 6), -0.05), 0, 0.01)
            return ActionChunk(0.05 + 0.001 * np.outer(np.arange(20), np.ones(6)), 0, 0.01)

    loop = ControlLoop(
        robot,
        ByInstruction(np.zeros((1, 6))),
        clock=WallClock(0.01),
        inference="async",
        scheduler=make_scheduler("execute_n", n_execute=20),
    )
    original_observe = robot.observe

    def observe():
        if len(robot.sent) == 12:
            loop.switch_instruction("put it back")
        return original_observe()

    robot.observe = observe
    loop.run(max_ticks=200)  # 2 s: the new chunk arrives even on a loaded machine
    sent = np.array(robot.sent)[:, 0]
    assert abs(sent[12] - sent[11]) < 1e-6  # the switch tick holds (state is float32)
    after = sent[12:]
    assert np.all(after <= sent[12] + 1e-6)  # the old climb never resumes
    assert after[-1] == -0.05  # and the new instruction's chunk took over


def test_background_policy_crash_without_watchdog_stops_safely_at_once():
    robot = JointRobot()
    policy = ChunkPolicy(ramp(robot.spec, 4), fail_on_call=2)
    loop = ControlLoop(
        robot,
        policy,
        clock=WallClock(0.005),
        inference="async",
        scheduler=make_scheduler("execute_n", n_execute=4),
    )
    result = loop.run(max_ticks=400)
    assert result.termination == "policy_error"
    assert "model crashed" in result.detail
    assert result.ticks < 400 and robot.disconnects == 1
    assert np.all(np.isfinite(robot.sent))

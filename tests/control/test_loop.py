import numpy as np
import pytest
from actloop.control import (
    ActionChunk,
    ControlLoop,
    EpisodeInfo,
    ExecuteNScheduler,
    MemoryRecorder,
    SimClock,
    WallClock,
)
from control_toys import ChunkPolicy, JointRobot, ramp

PERIOD = 0.01


@pytest.fixture
def robot() -> JointRobot:
    return JointRobot()


def test_sim_clock_runs_every_tick_in_lock_step(robot):
    policy = ChunkPolicy(ramp(robot.spec, 8))
    loop = ControlLoop(robot, policy, clock=SimClock(PERIOD), scheduler=ExecuteNScheduler(4))
    result = loop.run(max_ticks=20)
    assert result.termination == "max_ticks"
    assert result.ticks == 20 and len(robot.sent) == 20
    assert policy.calls == 5  # execute 4 of 8, then replan
    assert result.stats["missed_ticks"] == 0


def test_execute_n_sends_the_first_n_actions_of_each_chunk(robot):
    actions = ramp(robot.spec, 8)
    loop = ControlLoop(
        robot, ChunkPolicy(actions), clock=SimClock(PERIOD), scheduler=ExecuteNScheduler(3)
    )
    loop.run(max_ticks=6)
    sent = np.array(robot.sent)
    assert np.allclose(sent[:3], actions[:3]) and np.allclose(sent[3:], actions[:3])


def test_wall_clock_ticks_at_the_rate(robot):
    loop = ControlLoop(robot, ChunkPolicy(ramp(robot.spec, 8)), clock=WallClock(PERIOD))
    result = loop.run(max_ticks=30)
    # Behaviour, not precision (that is benchmarks/loop_jitter.py): on a loaded machine a
    # deadline may be skipped, but every executed tick is counted and the loop never runs
    # faster than its rate to catch up.
    assert result.ticks == len(robot.sent) == len(robot.tick_times) >= 10
    elapsed = robot.tick_times[-1] - robot.tick_times[0]
    assert elapsed >= (result.ticks - 2) * PERIOD  # the first tick may start up to a period late


def test_slow_policy_skips_ticks_instead_of_bursting(robot):
    policy = ChunkPolicy(ramp(robot.spec, 2), delay=3.5 * PERIOD)
    result = ControlLoop(
        robot, policy, clock=WallClock(PERIOD), scheduler=ExecuteNScheduler(1)
    ).run(max_ticks=40)
    assert result.stats["missed_ticks"] > 0
    intervals = np.diff(robot.tick_times)
    # A burst would show ticks back to back; skipping keeps every gap near a whole period or more.
    assert intervals.min() > 0.8 * PERIOD
    # Executed plus skipped ticks cover the run exactly, a final skip past max_ticks included.
    assert result.ticks + result.stats["missed_ticks"] == 40


def test_policy_exception_still_runs_teardown(robot):
    policy = ChunkPolicy(ramp(robot.spec, 4), fail_on_call=2)
    recorder = MemoryRecorder()
    loop = ControlLoop(
        robot, policy, clock=SimClock(PERIOD), scheduler=ExecuteNScheduler(4), recorder=recorder
    )
    robot.connect()
    with pytest.raises(RuntimeError, match="model crashed"):
        loop.run(max_ticks=50, episode=EpisodeInfo("so101", "hold still", 100.0))
    assert robot.disconnects == 1 and not robot.connected
    assert policy.closed
    assert recorder.episodes == []  # the unfinished episode is discarded, never half-kept


def test_teardown_continues_when_a_step_fails(robot):
    class BrokenClose(ChunkPolicy):
        def close(self):
            raise OSError("inference worker already gone")

    loop = ControlLoop(robot, BrokenClose(ramp(robot.spec, 4)), clock=SimClock(PERIOD))
    loop.run(max_ticks=3)
    assert robot.disconnects == 1


def test_safety_blocks_nan_and_out_of_limit_actions_before_send(robot):
    spec = robot.spec
    bad = ramp(spec, 6)
    bad[1, 0] = np.nan
    bad[2, 1] = 50.0  # far beyond shoulder_lift's limit
    bad[3] = -50.0
    loop = ControlLoop(
        robot, ChunkPolicy(bad), clock=SimClock(PERIOD), scheduler=ExecuteNScheduler(6)
    )
    result = loop.run(max_ticks=6)
    sent = np.array(robot.sent)
    assert np.all(np.isfinite(sent))
    assert np.all(sent >= spec.action_low) and np.all(sent <= spec.action_high)
    steps = np.abs(np.diff(np.vstack([np.zeros(spec.action_dim), sent]), axis=0))
    assert steps.max() <= 0.15 + 1e-12  # so101 max_step per tick
    assert result.safety_events["non_finite_hold"] == 1
    assert result.safety_events["clipped_to_limits"] >= 2


def test_wrong_width_action_is_replaced_by_hold(robot):
    robot.position[:] = 0.1
    loop = ControlLoop(robot, ChunkPolicy(np.ones((4, 3))), clock=SimClock(PERIOD))
    result = loop.run(max_ticks=2)
    assert np.allclose(robot.sent, 0.1)
    assert result.safety_events["bad_shape_hold"] == 2


def test_recorder_sees_applied_actions_and_robot_termination_ends_episode():
    robot = JointRobot(end_after=5)
    recorder = MemoryRecorder()
    actions = ramp(robot.spec, 10, step=1.0)  # every step exceeds max_step, so applied != requested
    loop = ControlLoop(
        robot,
        ChunkPolicy(actions),
        clock=SimClock(PERIOD),
        scheduler=ExecuteNScheduler(10),
        recorder=recorder,
        disconnect_on_exit=False,
    )
    result = loop.run(max_ticks=100, episode=EpisodeInfo("so101", "go", 100.0, task="toy"))
    assert result.success and result.ticks == 5
    [episode] = recorder.episodes
    assert episode.success and len(episode.steps) == 5
    for step, sent in zip(episode.steps, robot.sent, strict=True):
        assert np.array_equal(step.action, sent)
        assert not np.array_equal(step.requested_action, step.action)
    assert robot.disconnects == 0


def test_stop_request_ends_the_loop(robot):
    class StopAfterTwo(ChunkPolicy):
        def infer(self, observation):
            if self.calls == 1:
                loop.request_stop()
            return super().infer(observation)

    loop = ControlLoop(
        robot,
        StopAfterTwo(ramp(robot.spec, 1)),
        clock=SimClock(PERIOD),
        scheduler=ExecuteNScheduler(1),
    )
    assert loop.run(max_ticks=100).termination == "stopped"
    assert len(robot.sent) == 2


def test_action_chunk_rejects_malformed_arrays():
    with pytest.raises(ValueError, match="H x D"):
        ActionChunk(np.zeros(3), start_tick=0, dt=0.1)
    with pytest.raises(ValueError, match="dt"):
        ActionChunk(np.zeros((2, 3)), start_tick=0, dt=0.0)

import os
import threading

from actloop.control import SimClock, WallClock
from actloop.control.clock import elevate_thread_priority


def test_sim_clock_is_lock_step():
    clock = SimClock(0.05)
    clock.start()
    ticks = [clock.next_tick() for _ in range(4)]
    assert [t.index for t in ticks] == [0, 1, 2, 3]
    assert [t.scheduled for t in ticks] == [0.0, 0.05, 0.1, 0.15000000000000002]
    assert all(t.error == 0 and t.skipped == 0 for t in ticks)


def test_wall_clock_skips_to_the_next_future_deadline():
    clock = WallClock(0.01)
    clock.start()
    first = clock.next_tick()
    clock._t0 -= 0.035  # pretend the tick's work took 3.5 periods
    late = clock.next_tick()
    assert first.index == 0
    assert late.index == 4 and late.skipped == 3
    assert late.started >= late.scheduled


def test_realtime_request_reports_what_the_os_granted():
    seen = {}

    def worker():
        seen["granted"] = elevate_thread_priority()
        seen["policy"] = os.sched_getscheduler(0)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    expected = os.SCHED_FIFO if seen["granted"] else os.SCHED_OTHER
    assert seen["policy"] == expected
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # only the loop thread changes

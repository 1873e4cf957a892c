"""Deployment limits in the safety filter: margin and velocity, on top of the step limit."""

import numpy as np
import pytest
from actloop.control import SafetyFilter, get_embodiment

SPEC = get_embodiment("so101")


def test_velocity_limit_tightens_the_per_tick_step():
    safety = SafetyFilter(SPEC, max_velocity=1.5)  # 1.5 rad/s at 30 Hz = 0.05 rad per tick
    state = np.zeros(SPEC.state_dim)
    sent = [safety.filter(np.full(SPEC.action_dim, 1.0), state) for _ in range(3)]
    assert np.allclose(sent[0], 0.05) and np.allclose(sent[2], 0.15)
    assert safety.events["step_limited"] == 3


def test_margin_keeps_commands_inside_the_limits():
    safety = SafetyFilter(SPEC, margin=0.1)
    span = SPEC.action_high - SPEC.action_low
    state = SPEC.action_high - 0.05 * span  # already inside the margin band
    out = safety.filter(SPEC.action_high + 1.0, state)
    assert np.all(out <= SPEC.action_high - 0.1 * span + 1e-12)


def test_bad_velocity_limit_is_refused():
    with pytest.raises(ValueError, match="max_velocity must be positive"):
        SafetyFilter(SPEC, max_velocity=0.0)

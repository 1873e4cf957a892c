"""Schedulers by name, and how each merges overlapping chunks."""

import itertools

import numpy as np
import pytest
from actloop.control import ActionChunk, ExecuteNScheduler
from actloop.control.schedulers import (
    RTCScheduler,
    SimilarityEnsembleScheduler,
    TemporalEnsembleScheduler,
    list_schedulers,
    make_scheduler,
)


def chunk(values, start):
    return ActionChunk(np.asarray(values, dtype=float).reshape(len(values), -1), start, 0.1)


def test_registry_builds_every_scheduler_and_names_typos():
    assert set(list_schedulers()) == {
        "execute_n",
        "temporal_ensemble",
        "similarity_ensemble",
        "rtc",
    }
    assert isinstance(make_scheduler("execute_n", n_execute=3), ExecuteNScheduler)
    assert make_scheduler("rtc", execute_horizon=5).execute_horizon == 5
    with pytest.raises(KeyError, match="did you mean: rtc"):
        make_scheduler("rtcc")


def test_temporal_ensemble_weights_oldest_first_with_exp_minus_k_i():
    s = TemporalEnsembleScheduler(k=0.5)
    s.add_chunk(chunk([0.0, 0.0, 0.0], 0))
    s.add_chunk(chunk([1.0, 1.0], 1))
    w = np.exp(-0.5 * np.arange(2))
    assert s.action_at(1)[0] == pytest.approx(w[1] / w.sum())
    assert s.action_at(2)[0] == pytest.approx(w[1] / w.sum())


def test_similarity_ensemble_uses_exp_alpha_cosine_to_the_newest():
    s = SimilarityEnsembleScheduler(alpha=1.0)
    s.add_chunk(chunk([[1.0, 0.0]], 0))
    s.add_chunk(chunk([[0.0, 1.0]], 0))
    w = np.exp([0.0, 1.0])  # cos = 0 for the old one, 1 for the newest
    assert s.action_at(0) == pytest.approx(np.array([w[0], w[1]]) / w.sum())


def test_rtc_keeps_the_old_plan_for_the_delay_then_hands_over_smoothly():
    s = RTCScheduler(execute_horizon=2)
    s.add_chunk(chunk(np.zeros(8), 0))
    for tick in range(3):
        assert s.action_at(tick)[0] == 0.0
    s.add_chunk(chunk(np.ones(8), 1))  # answers tick 1, arrives after tick 2: delay 2
    assert s.delays[-1] == 2
    executed = [s.action_at(t)[0] for t in range(3, 9)]
    assert all(b >= a for a, b in itertools.pairwise(executed))  # monotone blend
    assert executed[0] < 0.5 and executed[-1] == 1.0  # old plan first, the new chunk at the end
    weights = RTCScheduler.guidance_weights(8, 2, 2)
    assert weights[:2].tolist() == [1.0, 1.0] and weights[6:].tolist() == [0.0, 0.0]


def test_flush_empties_every_scheduler():
    for name in list_schedulers():
        s = make_scheduler(name)
        s.add_chunk(chunk(np.ones(4), 0))
        s.flush()
        assert s.action_at(0) is None and s.needs_chunk(0)

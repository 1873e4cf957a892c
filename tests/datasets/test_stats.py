"""Streaming normalisation stats: accuracy, the epsilon rule, JSON round trip, light import."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from actloop.datasets import (
    RANGE_EPS,
    EpisodeStore,
    EpisodeWriter,
    KeyStats,
    NormStats,
    compute_norm_stats,
    save_norm_stats,
)
from actloop.datasets.stats_compute import BINS, KeyAccumulator


def test_streaming_pass_matches_numpy_within_the_documented_bound():
    rng = np.random.default_rng(0)
    batches = [
        np.stack([rng.normal(i / 10, 1, 500), rng.uniform(-3, 9, 500)], 1) for i in range(40)
    ]
    acc = KeyAccumulator()
    for batch in batches:
        acc.add(batch)
    data, stats = np.concatenate(batches), acc.result()
    np.testing.assert_allclose(stats.mean, data.mean(0), rtol=1e-5)
    np.testing.assert_allclose(stats.std, data.std(0), rtol=1e-5)
    bound = 2 * (data.max(0) - data.min(0)) / BINS
    for q, got in ((0.01, stats.q01), (0.99, stats.q99)):
        assert (np.abs(got - np.quantile(data, q, axis=0)) <= bound).all()


def test_constant_and_rare_dimensions_get_a_safe_range():
    values = np.zeros((1000, 3))
    values[:, 0] = np.linspace(-1, 1, 1000)
    values[:3, 2] = 1.0  # a gripper used in 0.3% of frames: q01 == q99 == 0
    acc = KeyAccumulator()
    acc.add(values)
    stats = acc.result()
    low, high = stats.bounds("quantile")
    assert high[1] - low[1] == pytest.approx(RANGE_EPS)  # constant: widened about its value
    assert (low[2], high[2]) == (0.0, 1.0)  # rare: falls back to min/max
    normalized = stats.normalize(values.astype(np.float32))
    assert np.abs(normalized[:, 1:]).max() <= 1.0
    np.testing.assert_allclose(stats.denormalize(normalized), values, atol=1e-6)
    assert (stats.safe_std >= RANGE_EPS).all()


def test_stats_round_trip_through_json():
    stats = KeyStats(
        mean=[0, 1], std=[1, 2], min=[-1, 0], max=[1, 3], q01=[-0.9, 0.1], q99=[0.9, 2.9], count=10
    )
    norm = NormStats({"panda": {"action": stats, "state": stats}})
    again = NormStats.from_dict(json.loads(json.dumps(norm.to_dict())))
    got = again.get("panda", "action")
    assert got.q99.dtype == np.float32
    np.testing.assert_array_equal(got.q99, stats.q99)
    with pytest.raises(KeyError, match="koch"):
        again.get("koch", "action")
    with pytest.raises(ValueError, match="missing fields"):
        KeyStats.from_dict({"mean": [0]})


def test_stats_per_embodiment_saved_in_the_store(small_store, tmp_path, synthetic):
    other = str(tmp_path / "koch")
    with EpisodeWriter(other) as writer:
        writer.start_episode(synthetic.make_info(9, embodiment="koch"))
        for frame in range(5):
            writer.record(synthetic.make_step(9, frame))
        writer.end_episode(True)
    stats = compute_norm_stats([small_store, other])
    assert stats.embodiments == ["koch", "panda"]
    state = EpisodeStore(small_store).lowdim("state")
    np.testing.assert_allclose(stats.get("panda", "state").mean, state.mean(0), rtol=1e-6)
    assert stats.get("koch", "action").count == 5
    save_norm_stats(small_store, stats)
    saved = EpisodeStore(small_store).norm_stats
    np.testing.assert_array_equal(
        saved.get("panda", "action").q01, stats.get("panda", "action").q01
    )


def test_stats_module_imports_without_zarr_or_torch():
    code = (
        "import sys; from actloop.datasets import NormStats, KeyStats; "
        "print('zarr' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]

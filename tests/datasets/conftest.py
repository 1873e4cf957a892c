"""Shared fixtures: the synthetic step generator lives in synthetic.py (importable by path,
so the crash test's subprocess can use the same values the reader checks against)."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def _load_synthetic():
    spec = importlib.util.spec_from_file_location(
        "actloop_datasets_synthetic", HERE / "synthetic.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def synthetic():
    return _load_synthetic()


@pytest.fixture
def memory_url():
    """A fresh fsspec in-memory store URL (a real fsspec filesystem, not a mock)."""
    return f"memory://actloop-test-{uuid.uuid4().hex}"


@pytest.fixture
def small_store(tmp_path, synthetic):
    """A local store of 3 committed episodes of lengths 10, 11, 12 (16x16 images)."""
    from actloop.datasets import EpisodeWriter

    path = str(tmp_path / "store")
    with EpisodeWriter(path) as writer:
        for episode in range(3):
            synthetic.write_episode(writer, episode, 10 + episode, success=episode != 1)
    return path

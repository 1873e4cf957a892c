"""Shared fixtures for the policies tests. Nothing here may reach the network."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest
import torch
from actloop.policies import VLAPolicy, fake_stats

# The box has 2 cores shared by concurrent jobs; one intra-op thread avoids oversubscription
# (measured: 20x faster under load than two threads for these tiny models).
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def stats():
    return fake_stats(("panda", "so101"))


@pytest.fixture(scope="session")
def tiny_policy(stats):
    torch.manual_seed(0)
    return VLAPolicy.create("tiny", stats).eval()

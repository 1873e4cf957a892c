"""A tiny real store: a few scripted-expert episodes collected through the ControlLoop."""

from __future__ import annotations

import pytest
from actloop.control import ControlLoop, EpisodeInfo, SimClock
from actloop.datasets import EpisodeWriter
from actloop.sim import make, make_expert

TASK = "panda/reach"
IMAGE_SIZE = 32  # the tiny policy preset's resolution


def collect(
    path, task: str, episodes: int, image_size: int = IMAGE_SIZE, record_extras: bool = False
) -> str:
    env, expert = make(task, image_size=image_size), make_expert(task)
    with EpisodeWriter(str(path), record_extras=record_extras) as writer:
        for seed in range(episodes):
            observation = env.reset(seed=seed)
            info = EpisodeInfo(
                env.spec.name, observation.instruction, env.spec.control_hz, task, seed
            )
            loop = ControlLoop(
                env, expert, clock=SimClock(env.spec.dt), recorder=writer, disconnect_on_exit=False
            )
            loop.run(env.max_ticks + 1, episode=info)
    env.close()
    return str(path)


@pytest.fixture(scope="session")
def reach_store(tmp_path_factory) -> str:
    return collect(tmp_path_factory.mktemp("data") / "reach.zarr", TASK, episodes=3)


@pytest.fixture(scope="session")
def reach_store_with_facts(tmp_path_factory) -> str:
    """As ``actloop collect`` writes it: with the sim facts the goal readout regresses."""
    path = tmp_path_factory.mktemp("data") / "reach-facts.zarr"
    return collect(path, TASK, episodes=2, record_extras=True)

"""Small in-test robots and policies: real implementations of the protocols, no mocks."""

import time

import numpy as np
from actloop.control import ActionChunk, Observation, get_embodiment


class JointRobot:
    """A joint-position robot whose joints move to the commanded position each tick."""

    def __init__(self, embodiment: str = "so101", end_after: int | None = None) -> None:
        self.spec = get_embodiment(embodiment)
        self.position = np.zeros(self.spec.state_dim)
        self.sent: list[np.ndarray] = []
        self.tick_times: list[float] = []
        self.connected = False
        self.disconnects = 0
        self.end_after = end_after

    def connect(self) -> None:
        self.connected = True

    def observe(self) -> Observation:
        self.tick_times.append(time.perf_counter())
        return Observation({}, self.position.copy(), "hold still", self.spec.name, time.time())

    def send_action(self, action: np.ndarray) -> np.ndarray:
        self.sent.append(np.array(action))
        self.position = np.array(action)
        return self.position.copy()

    def disconnect(self) -> None:
        self.connected = False
        self.disconnects += 1

    def termination(self) -> str | None:
        if self.end_after is not None and len(self.sent) >= self.end_after:
            return "success"
        return None


class ChunkPolicy:
    """Returns a fixed chunk after an optional delay; counts calls."""

    def __init__(self, actions: np.ndarray, delay: float = 0.0, fail_on_call: int | None = None):
        self.actions = np.asarray(actions, dtype=float)
        self.delay = delay
        self.fail_on_call = fail_on_call
        self.calls = 0
        self.closed = False

    def reset(self) -> None:
        self.calls = 0

    def infer(self, observation: Observation) -> ActionChunk:
        self.calls += 1
        if self.fail_on_call is not None and self.calls >= self.fail_on_call:
            raise RuntimeError("model crashed")
        if self.delay:
            time.sleep(self.delay)
        return ActionChunk(self.actions, start_tick=0, dt=0.02)

    def close(self) -> None:
        self.closed = True


def ramp(spec, horizon: int, step: float = 0.01) -> np.ndarray:
    return np.outer(np.arange(1, horizon + 1) * step, np.ones(spec.action_dim))

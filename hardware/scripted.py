"""A small, real joint-space Policy for bring-up, tests and benchmarks.

It sweeps every joint along a slow sine about a centre pose, answering the time of the
observation it is given, so it behaves the same behind a server, in a background
thread or inline. ``mode_noise`` adds one random offset per call (a multimodal model
sampling a different mode each time): the cause of jumps at chunk boundaries.
"""

from __future__ import annotations

import time

import numpy as np
from actloop.control import ActionChunk, EmbodimentSpec, Observation


class SinePolicy:
    def __init__(
        self,
        spec: EmbodimentSpec,
        *,
        horizon: int = 16,
        amplitude: float = 0.25,
        period_s: float = 4.0,
        mode_noise: float = 0.0,
        delay_s: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.spec = spec
        self.horizon = horizon
        self.amplitude = amplitude
        self.period_s = period_s
        self.mode_noise = mode_noise
        self.delay_s = delay_s
        self.seed = seed
        self.calls = 0
        low, high = spec.action_low, spec.action_high
        self.centre = np.where(np.isfinite(low + high), (low + high) / 2, 0.0)
        self._phase = np.linspace(0, np.pi, spec.action_dim)
        self.reset()

    def reset(self) -> None:
        self._rng = np.random.default_rng(self.seed)
        self._t0: float | None = None

    def infer(self, observation: Observation) -> ActionChunk:
        self.calls += 1
        if self._t0 is None:
            self._t0 = observation.timestamp
        if self.delay_s:
            time.sleep(self.delay_s)
        t = observation.timestamp - self._t0 + self.spec.dt * np.arange(self.horizon)
        wave = np.sin(2 * np.pi * t[:, None] / self.period_s + self._phase)
        offset = (
            self._rng.normal(0.0, self.mode_noise, self.spec.action_dim) if self.mode_noise else 0.0
        )
        actions = self.centre + self.amplitude * wave + offset
        return ActionChunk(actions, start_tick=0, dt=self.spec.dt, start_time=observation.timestamp)

    def metadata(self) -> dict[str, object]:
        return {"policy": "sine", "embodiment": self.spec.name, "horizon": self.horizon}

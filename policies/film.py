"""FiLM: the instruction scales and shifts every stage of any timm vision trunk.

Every sim task names its target by colour among look-alikes ("press the red button" with
three buttons on the table). A trunk that never sees the instruction must encode all
objects equally well and leave the binding to the heads' attention; conditioned on the
instruction, the trunk itself can bring out the named object (RT-1, BC-Z). The stages are
the modules timm lists in ``feature_info``, so any timm model gets FiLM without a fork.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


class FiLMStage(nn.Module):
    """One trunk stage followed by ``x * (1 + gamma) + beta`` from the current condition."""

    def __init__(self, stage: nn.Module, channels: int, d_condition: int) -> None:
        super().__init__()
        self.stage = stage
        self.generator = nn.Linear(d_condition, 2 * channels)
        nn.init.zeros_(self.generator.weight)  # starts as the identity: the plain trunk
        nn.init.zeros_(self.generator.bias)
        self.condition: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.stage(x)
        if self.condition is None:
            raise RuntimeError("a FiLM trunk ran without a condition: call it inside conditioned()")
        gamma, beta = self.generator(self.condition).chunk(2, dim=-1)
        return out * (1 + gamma[:, :, None, None]) + beta[:, :, None, None]


def add_film(trunk: nn.Module, d_condition: int) -> int:
    """Wrap every ``feature_info`` stage of ``trunk`` in place; returns how many."""
    stages = [(info["module"], info["num_chs"]) for info in trunk.feature_info]
    if not stages:
        raise ValueError(f"{type(trunk).__name__} lists no feature_info stages to FiLM")
    for name, channels in stages:
        trunk.set_submodule(name, FiLMStage(trunk.get_submodule(name), channels, d_condition))
    return len(stages)


@contextmanager
def conditioned(trunk: nn.Module, condition: torch.Tensor) -> Iterator[None]:
    """Within the block, every FiLM stage of ``trunk`` uses ``condition`` (one row per image)."""
    stages = [m for m in trunk.modules() if isinstance(m, FiLMStage)]
    for stage in stages:
        stage.condition = condition
    try:
        yield
    finally:
        for stage in stages:
            stage.condition = None

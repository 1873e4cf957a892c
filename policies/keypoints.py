"""Spatial-softmax keypoints: where in the image each learned feature fires, as coordinates.

A policy has to turn "the red button is there" into "move the hand there". Patch tokens
say it only through which of a few coarse cells lights up; a spatial softmax (Levine et
al. 2016, Diffusion Policy's robomimic encoder) reads out the expected image position of
each of K learned feature maps, sub-cell precise and linear in the object's position, so
the heads can map it to a motion directly. With FiLM upstream, a keypoint can learn to
follow whichever object the instruction names.
"""

from __future__ import annotations

import torch
from torch import nn


class SpatialSoftmax(nn.Module):
    """(N, C, H, W) features -> (N, K, 2) expected (x, y) in [-1, 1] of K learned maps."""

    def __init__(self, channels: int, keypoints: int) -> None:
        super().__init__()
        self.maps = nn.Conv2d(channels, keypoints, kernel_size=1)
        self.log_temperature = nn.Parameter(torch.zeros(()))  # learned sharpness

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        maps = self.maps(features)
        weights = (maps.flatten(2) / self.log_temperature.exp()).softmax(-1)  # (N, K, H*W)
        return weights @ image_grid(*maps.shape[-2:], maps)


def image_grid(height: int, width: int, like: torch.Tensor) -> torch.Tensor:
    """(H*W, 2) cell-centre (x, y) coordinates in [-1, 1], row-major like ``flatten(2)``."""
    ys, xs = torch.meshgrid(
        torch.linspace(-1, 1, height, device=like.device, dtype=like.dtype),
        torch.linspace(-1, 1, width, device=like.device, dtype=like.dtype),
        indexing="ij",
    )
    return torch.stack([xs.flatten(), ys.flatten()], dim=-1)


class KeypointTokens(nn.Module):
    """Keypoints as prefix tokens: a linear lift of each (x, y) plus its own embedding."""

    def __init__(self, channels: int, keypoints: int, d_model: int) -> None:
        super().__init__()
        self.softmax = SpatialSoftmax(channels, keypoints)
        self.lift = nn.Linear(2, d_model)
        self.identity = nn.Parameter(torch.randn(keypoints, d_model) * 0.02)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.lift(self.softmax(features)) + self.identity

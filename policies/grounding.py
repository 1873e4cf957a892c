"""Instruction-grounded keypoints: where in each image is the thing each role of the
instruction names ("the red cube", "the blue pad").

Pick-and-place failed on one binding: the goal readout found the named pad to ~1 cm but put
the cube at the midpoint of all cubes, and swapping the cube's colour word moved no
prediction (BENCHMARKS.md, "Session 4"). Two things stood in the way. FiLM sees only the
mean of the instruction, a bag of words with the roles blurred, and the readout's query is
the same for every instruction, so it can pick a place in the 3x3 final feature map only
where FiLM has already lit one up. Here each role gets its own query, which reads the
instruction's tokens through a small decoder (so "red" before "cube" and "red" before "pad"
can land in different queries), and is then matched against a finer, stride-8 feature map,
where a 4 cm cube is still a cell of its own. The match is a spatial softmax, as in
``keypoints.py``, but with a kernel the instruction chose: CLIPort and LSeg ground
language in pixels the same way, by a dot product between a text embedding and per-pixel
features.

The queries alone did not find the cube either: nothing told the matching pathway what to
match early on, so it stayed unused. What made it work is a target: ``actloop collect``
records where each goal fact appears in each camera, and ``grounding_loss`` pulls each
role's matched position there (cube error 7.8 -> 1.9 cm, BENCHMARKS.md, "Session 5").
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .heads.goal import GOAL_FACTS
from .keypoints import image_grid


class RoleQueries(nn.Module):
    """(B, L, d) instruction tokens -> (B, Q, d): one query per role, read off the words."""

    def __init__(self, d_model: int, n_heads: int, roles: int, layers: int = 2) -> None:
        super().__init__()
        self.queries = nn.Parameter(torch.randn(roles, d_model) * 0.02)
        layer = nn.TransformerDecoderLayer(
            d_model, n_heads, 2 * d_model, dropout=0.0, batch_first=True, norm_first=True
        )
        self.decoder = nn.TransformerDecoder(layer, layers)

    def forward(self, text: torch.Tensor, text_valid: torch.Tensor) -> torch.Tensor:
        queries = self.queries.expand(text.shape[0], -1, -1)
        return self.decoder(queries, text, memory_key_padding_mask=~text_valid.bool())


class GroundedKeypoints(nn.Module):
    """(N, C, H, W) features and (N, Q, d) role queries -> (N, Q, d) tokens, each carrying
    the expected (x, y) of the query's match, how peaked the match is, and what was there."""

    def __init__(self, channels: int, roles: int, d_model: int) -> None:
        super().__init__()
        self.keys = nn.Conv2d(channels, channels, kernel_size=1)
        self.kernel = nn.Linear(d_model, channels)
        self.log_temperature = nn.Parameter(torch.zeros(()))
        self.lift = nn.Linear(3, d_model)
        self.value = nn.Linear(channels, d_model)
        self.identity = nn.Parameter(torch.randn(roles, d_model) * 0.02)

    def match(self, features: torch.Tensor, queries: torch.Tensor):
        """Each query's softmax weights over the map (N, Q, H*W), and the map's keys
        (N, C, H*W) they were matched against."""
        keys = self.keys(features).flatten(2)
        logits = self.kernel(queries) @ keys / math.sqrt(keys.shape[1])
        return (logits / self.log_temperature.exp()).softmax(-1), keys

    def forward(self, features: torch.Tensor, queries: torch.Tensor):
        """-> tokens (N, Q, d) and each match's image position (N, Q, 2) in the convention
        of ``World.project`` (image edges at +-1; the grid's cell centres reach +-1)."""
        weights, keys = self.match(features, queries)
        height, width = features.shape[-2:]
        grid = image_grid(height, width, features)  # (H*W, 2)
        # how sure the match is: 0.1 when spread evenly, H*W/10 when on one cell
        peak = weights.amax(-1, keepdim=True) * weights.shape[-1] / 10.0
        position = torch.cat([weights @ grid, peak], dim=-1)
        tokens = self.lift(position) + self.value(weights @ keys.transpose(1, 2)) + self.identity
        to_image = position.new_tensor([(width - 1) / width, (height - 1) / height])
        return tokens, position[..., :2] * to_image


def grounding_targets(
    extras: dict[str, np.ndarray], cameras
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per camera, where each goal fact is in the image (``<fact>_uv_<camera>``, recorded
    by ``actloop collect``; role i points at ``GOAL_FACTS[i]``) and a mask of the facts this
    sample has in view. Training-only, like the goal readout's targets."""
    targets, masks = {}, {}
    for camera in cameras:
        uv = np.zeros((len(GOAL_FACTS), 2), dtype=np.float32)
        seen = np.zeros(len(GOAL_FACTS), dtype=np.float32)
        for i, fact in enumerate(GOAL_FACTS):
            point = extras.get(f"{fact}_uv_{camera}")
            if point is not None and np.all(np.abs(np.asarray(point)[:2]) < 1.0):
                uv[i], seen[i] = np.asarray(point, dtype=np.float32)[:2], 1.0
        targets[camera], masks[camera] = uv, seen
    return targets, masks


def grounding_loss(
    predicted: torch.Tensor, targets: dict, masks: dict, cameras: tuple[str, ...]
) -> torch.Tensor:
    """Masked MSE between the roles' matched positions (B, cams, Q, 2) and the recorded
    image positions; zero (with a graph) when no sample has any in view."""
    facts = len(GOAL_FACTS)
    target = torch.stack([targets[c] for c in cameras], 1).to(predicted)  # (B, cams, F, 2)
    mask = torch.stack([masks[c] for c in cameras], 1).to(predicted)[..., None]
    error = (predicted[:, :, :facts] - target) ** 2 * mask
    return error.sum() / (2 * mask.sum()).clamp(min=1.0)

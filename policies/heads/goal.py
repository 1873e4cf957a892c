"""Goal readout: where the named target is, read off the prefix and handed to both heads.

Finding "the red button" in the pixels is what this policy found hardest: the denoising
loss on action chunks carries little signal about it. The same backbone localises the
target from a direct regression within 500 steps, yet the diffusion head alone did not in
5000 (BENCHMARKS.md, "grounding"). So this head attention-pools the prefix into one token,
regresses the target's offset from the gripper, and appends the token to the prefix so the
action heads can attend to it.

The regression targets are the sim's privileged task facts that ``actloop collect`` records
(``extras/goal_pos``, ``extras/object_pos``, ``extras/tcp_pos``). They are needed only in
training: the token is computed from the observation alone. Samples from stores without
those facts (teleoperated data, LeRobot imports) are masked out of the auxiliary loss.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

GOAL_FACTS = ("goal_pos", "object_pos")  # each as an xyz offset from the gripper (tcp_pos)
GOAL_SCALE = 10.0  # metres -> decimetres, so offsets are O(1) like the normalised actions
GOAL_DIM = 3 * len(GOAL_FACTS)


def goal_targets(extras: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Scaled target offsets (GOAL_DIM,) and a mask of the ones this sample has."""
    target = np.zeros(GOAL_DIM, dtype=np.float32)
    mask = np.zeros(GOAL_DIM, dtype=np.float32)
    tcp = extras.get("tcp_pos")
    if tcp is None:
        return target, mask
    for i, name in enumerate(GOAL_FACTS):
        if name in extras:
            offset = np.asarray(extras[name], dtype=np.float32)[:3] - np.asarray(tcp)[:3]
            target[3 * i : 3 * i + 3] = offset * GOAL_SCALE
            mask[3 * i : 3 * i + 3] = 1.0
    return target, mask


class GoalReadout(nn.Module):
    """Learned queries attend over the prefix; an MLP reads the target offsets off them.

    ``per_role=False``: one query reads every fact. ``per_role=True``: one query per fact,
    each added to the instruction's query for that role (``grounding.RoleQueries``), so
    "where is the cube" is asked with the cube's words; a single query for everything put
    the cube at the midpoint of all cubes, whatever its colour word said."""

    def __init__(self, d_model: int, n_heads: int, per_role: bool = False) -> None:
        super().__init__()
        queries = len(GOAL_FACTS) if per_role else 1
        self.query = nn.Parameter(torch.randn(1, queries, d_model) * 0.02)
        self.pool = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.norm = nn.LayerNorm(d_model)
        self.predict = nn.Sequential(
            nn.Linear(d_model, 2 * d_model), nn.GELU(), nn.Linear(2 * d_model, GOAL_DIM // queries)
        )

    def forward(self, prefix: torch.Tensor, valid: torch.Tensor, roles: torch.Tensor | None = None):
        """(B, P, d), (B, P), roles (B, >=Q, d) or None -> the goal tokens (B, Q, d) and the
        predicted offsets (B, GOAL_DIM), fact by fact in ``GOAL_FACTS`` order."""
        query = self.query.expand(prefix.shape[0], -1, -1)
        if roles is not None and query.shape[1] > 1:
            query = query + roles[:, : query.shape[1]]
        pooled, _ = self.pool(query, prefix, prefix, key_padding_mask=~valid.bool())
        tokens = self.norm(pooled)
        return tokens, self.predict(tokens).flatten(1)

    @staticmethod
    def loss(predicted: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Masked MSE; zero (with a graph) when no sample in the batch has the facts."""
        mask = mask.float()
        return ((predicted - target.float()) ** 2 * mask).sum() / mask.sum().clamp(min=1.0)

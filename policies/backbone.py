"""Observation -> a prefix of tokens (vision, text, proprioception, embodiment).

Both heads attend to the same prefix, so one backbone serves diffusion and AR alike.
"""

from __future__ import annotations

import torch
from actloop.control import UNIVERSAL_DIM
from torch import nn

from .config import PolicyConfig
from .grounding import RoleQueries
from .text import TextEncoder
from .vision import VisionEncoder


class Backbone(nn.Module):
    def __init__(self, config: PolicyConfig, embodiments: tuple[str, ...], text_tokenizer=None):
        super().__init__()
        d = config.d_model
        self.vision = VisionEncoder(config.vision, config.cameras, config.n_obs_steps, d)
        self.text = TextEncoder(config.text, d, text_tokenizer)
        roles = config.vision.grounding
        self.roles = RoleQueries(d, config.n_heads, roles) if roles else None
        self.state = nn.Sequential(nn.Linear(2 * UNIVERSAL_DIM, d), nn.GELU(), nn.Linear(d, d))
        self.state_step = nn.Parameter(torch.randn(config.n_obs_steps, d) * 0.02)
        self.embodiment = nn.Embedding(len(embodiments), d)
        self.norm = nn.LayerNorm(d)
        self.state_dropout = config.state_dropout

    def forward(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns prefix (B, P, d) and its validity mask (B, P); padded history is masked."""
        prefix, valid, _ = self.encode(batch)
        return prefix, valid

    def encode(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``forward`` plus the instruction's role queries (B, Q, d), None without grounding."""
        batch_size, steps = batch["state"].shape[:2]
        text, text_valid = self.text(list(batch["instruction"]))
        text, text_valid = text.expand(batch_size, -1, -1), text_valid.expand(batch_size, -1)
        roles = self.roles(text, text_valid) if self.roles is not None else None
        visual = self.vision(batch["images"], masked_mean(text, text_valid), roles)
        step_valid = ~batch["obs_pad"].bool()
        visual_valid = step_valid.repeat_interleave(visual.shape[1] // steps, dim=1)
        state_mask = self._drop_state(batch["state_mask"].float())[:, None].expand(-1, steps, -1)
        state_in = torch.cat([batch["state"].float() * state_mask, state_mask], dim=-1)
        state = self.state(state_in) + self.state_step[:steps]
        embodiment = self.embodiment(batch["embodiment_id"].long())[:, None]
        prefix = torch.cat([embodiment, state, visual, text], dim=1)
        always = torch.ones(batch_size, 1, dtype=torch.bool, device=prefix.device)
        valid = torch.cat([always, step_valid, visual_valid, text_valid], 1)
        return self.norm(prefix), valid, roles

    def _drop_state(self, state_mask: torch.Tensor) -> torch.Tensor:
        """In training, hide the whole proprioceptive state of a random ``state_dropout``
        share of samples. Demos start from one home pose and move in straight lines, so the
        current state alone predicts every action after the first tick; without dropout the
        policy learns that shortcut, never learns to find the goal in the images, and in
        closed loop keeps going the way its first (vision-blind) chunk went."""
        if not self.training or self.state_dropout <= 0:
            return state_mask
        keep = torch.rand(state_mask.shape[0], 1, device=state_mask.device) >= self.state_dropout
        return state_mask * keep


def masked_mean(tokens: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """(B, L, d) averaged over the valid positions of each row -> (B, d)."""
    weights = valid.to(tokens.dtype)[..., None]
    return (tokens * weights).sum(1) / weights.sum(1).clamp(min=1.0)

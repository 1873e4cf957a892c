"""AdamW with linear warmup and cosine decay, and an EMA copy of the weights.

The learning rate is a pure function of the step (``lr_at``), set on the optimizer
every step: resuming needs only the step, so there is no scheduler object to save.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import OptimConfig


def lr_at(step: int, total_steps: int, cfg: OptimConfig) -> float:
    """Linear warmup from 0 to ``lr``, then cosine down to ``lr * min_lr_ratio``."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    span = max(1, total_steps - cfg.warmup_steps)
    progress = min(1.0, (step - cfg.warmup_steps) / span)
    floor = cfg.lr * cfg.min_lr_ratio
    return floor + (cfg.lr - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def build_optimizer(model: nn.Module, cfg: OptimConfig) -> torch.optim.AdamW:
    """AdamW; biases, norms and embeddings (1-D tensors) are exempt from weight decay."""
    decay, no_decay = [], []
    for param in model.parameters():
        if param.requires_grad:
            (decay if param.ndim >= 2 else no_decay).append(param)
    groups = [
        {"params": decay, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=tuple(cfg.betas), foreach=False)


class EMA:
    """Exponential moving average of a model's floating-point state.

    Evaluating the averaged weights is the standard trick in diffusion policies: the
    raw weights of a noisy small-batch run swing from step to step.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.shadow = {
            name: value.detach().clone()
            for name, value in model.state_dict().items()
            if value.is_floating_point()
        }

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for name, value in model.state_dict().items():
            if name in self.shadow:
                self.shadow[name].lerp_(value.detach(), 1.0 - self.decay)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.shadow

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        missing = sorted(set(self.shadow) - set(tensors))
        if missing:
            raise ValueError(f"EMA state lacks {len(missing)} tensors, e.g. {missing[:3]}")
        for name, value in tensors.items():
            self.shadow[name].copy_(value)

    @torch.no_grad()
    def copy_to(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """Load the averaged weights into ``model``; return the raw ones to put back later."""
        state = model.state_dict()
        raw = {name: state[name].detach().clone() for name in self.shadow}
        for name, value in self.shadow.items():
            state[name].copy_(value)
        return raw

    @staticmethod
    @torch.no_grad()
    def restore(model: nn.Module, raw: dict[str, torch.Tensor]) -> None:
        state = model.state_dict()
        for name, value in raw.items():
            state[name].copy_(value)

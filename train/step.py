"""The train step: one readable function, as short as the idea it implements."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .optim import EMA, set_lr


class LossModule(nn.Module):
    """Makes ``policy.loss(batch)`` the module's ``forward``.

    DDP synchronises gradients only for work done inside ``forward``; calling
    ``policy.loss`` on the bare policy would skip the all-reduce.
    """

    def __init__(self, policy: nn.Module) -> None:
        super().__init__()
        self.policy = policy

    def forward(self, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        return split_loss(self.policy.loss(batch))


def split_loss(output: Any) -> tuple[torch.Tensor, dict[str, float]]:
    """Accept ``loss``, ``(loss, metrics)`` or ``{'loss': ..., ...}`` from a policy."""
    if isinstance(output, torch.Tensor):
        return output, {}
    if isinstance(output, tuple):
        loss, metrics = output
        return loss, dict(metrics)
    if isinstance(output, dict) and "loss" in output:
        return output["loss"], {k: v for k, v in output.items() if k != "loss"}
    raise TypeError(
        f"policy.loss returned {type(output).__name__}; expected a tensor, "
        "(tensor, metrics) or a dict with 'loss'"
    )


def train_step(
    model: nn.Module,
    batch: dict[str, Any],
    optimizer: torch.optim.Optimizer,
    accelerator: Any,
    *,
    lr: float,
    grad_clip: float,
    ema: EMA | None,
    ema_target: nn.Module,
) -> dict[str, float]:
    """Forward under autocast, backward, clip, step, EMA. Returns scalar metrics."""
    set_lr(optimizer, lr)
    model.train()
    with accelerator.autocast():
        loss, metrics = model(batch)
    accelerator.backward(loss)
    grad_norm = accelerator.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if ema is not None:
        ema.update(ema_target)
    scalars = {k: float(v) for k, v in metrics.items()}
    return {"loss": float(loss.detach()), "grad_norm": float(grad_norm), "lr": lr, **scalars}

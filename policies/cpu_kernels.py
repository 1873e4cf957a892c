"""Two CPU training kernels routed around slow paths, with the same results.

A profiled ``cpu-full`` step (batch 32, two 96 px cameras, two threads) spends about 6% in
the trunk stem's max-pool: PyTorch's NCHW max-pool forward is a scalar loop, while its
channels-last kernel is vectorised (3.4x faster here) and its NCHW backward is the fast
one. And under bf16 autocast the CPU's fused attention backward runs about 3.5x slower
than in fp32 at these sizes. See BENCHMARKS.md (benchmarks/train_step_rate.py).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class _ChannelsLastForwardMaxPool(torch.autograd.Function):
    """Forward in channels-last, backward in NCHW. The indices a max-pool returns are flat
    positions within each (sample, channel) plane, whatever the memory layout, so the
    NCHW backward reads the channels-last forward's indices unchanged."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, kernel, stride, padding, dilation, ceil_mode: bool):
        channels_last = x.contiguous(memory_format=torch.channels_last)
        out, indices = torch.ops.aten.max_pool2d_with_indices(
            channels_last, kernel, stride, padding, dilation, ceil_mode
        )
        indices = indices.contiguous()
        ctx.save_for_backward(x, indices)
        ctx.settings = (kernel, stride, padding, dilation, ceil_mode)
        return out.contiguous()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, indices = ctx.saved_tensors
        grad_x = torch.ops.aten.max_pool2d_with_indices_backward(
            grad.contiguous(), x, *ctx.settings, indices
        )
        return grad_x, None, None, None, None, None


class FastMaxPool2d(nn.MaxPool2d):
    """``nn.MaxPool2d`` (same arguments, same outputs and gradients) that takes the
    vectorised forward for 4-D CPU inputs in NCHW layout."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        usable = x.dim() == 4 and x.device.type == "cpu" and not self.return_indices
        if not usable or x.is_contiguous(memory_format=torch.channels_last):
            return super().forward(x)
        pair = nn.modules.utils._pair
        settings = (self.kernel_size, self.stride, self.padding, self.dilation)
        kernel, stride, padding, dilation = (list(pair(s)) for s in settings)
        return _ChannelsLastForwardMaxPool.apply(
            x, kernel, stride, padding, dilation, self.ceil_mode
        )


def use_fast_max_pools(module: nn.Module) -> nn.Module:
    """Swap every ``nn.MaxPool2d`` in ``module`` for a ``FastMaxPool2d`` (in place). Max-pools
    hold no weights, so checkpoints are unchanged."""
    for name, child in module.named_children():
        if type(child) is nn.MaxPool2d:
            fast = FastMaxPool2d(
                child.kernel_size, child.stride, child.padding, child.dilation,
                ceil_mode=child.ceil_mode,
            )  # fmt: skip
            setattr(module, name, fast)
        else:
            use_fast_max_pools(child)
    return module


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask=None) -> torch.Tensor:
    """``F.scaled_dot_product_attention``, run in fp32 when CPU bf16 autocast is on (its
    bf16 backward is the slow one there); the result comes back in the inputs' dtype."""
    if q.device.type != "cpu" or not torch.is_autocast_enabled("cpu"):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    with torch.autocast("cpu", enabled=False):
        out = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), attn_mask=mask)
    return out.to(q.dtype)

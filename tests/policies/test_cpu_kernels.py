"""The CPU kernel routes give the results of the plain PyTorch ops they replace."""

from __future__ import annotations

import pytest
import torch
from actloop.policies.config import VisionConfig
from actloop.policies.cpu_kernels import FastMaxPool2d, attention, use_fast_max_pools
from actloop.policies.vision import create_vision_model
from torch import nn
from torch.nn import functional as F


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize(
    ("shape", "kernel", "stride", "padding"),
    [((4, 8, 24, 24), 3, 2, 1), ((2, 3, 7, 9), 2, None, 0), ((3, 5, 11, 10), (3, 2), (2, 1), 1)],
)
def test_fast_max_pool_matches_outputs_and_gradients(shape, kernel, stride, padding, ceil_mode):
    torch.manual_seed(0)
    x = torch.randn(*shape, requires_grad=True)
    plain = nn.MaxPool2d(kernel, stride, padding, ceil_mode=ceil_mode)
    fast = FastMaxPool2d(kernel, stride, padding, ceil_mode=ceil_mode)
    expected = plain(x)
    (expected_grad,) = torch.autograd.grad(expected.square().sum(), x)
    got = fast(x)
    (got_grad,) = torch.autograd.grad(got.square().sum(), x)
    assert torch.equal(got, expected)
    assert torch.equal(got_grad, expected_grad)
    assert got.is_contiguous()


def test_fast_max_pool_breaks_ties_like_the_plain_one():
    # after a ReLU most windows hold tied zeros; the gradient must land where plain's does
    x = torch.relu(torch.randn(4, 16, 24, 24)).round().requires_grad_(True)
    (expected,) = torch.autograd.grad(nn.MaxPool2d(3, 2, 1)(x).sum(), x)
    (got,) = torch.autograd.grad(FastMaxPool2d(3, 2, 1)(x).sum(), x)
    assert torch.equal(got, expected)


def test_fast_max_pool_passes_channels_last_and_3d_inputs_through():
    pool = FastMaxPool2d(2)
    image = torch.randn(2, 4, 8, 8).contiguous(memory_format=torch.channels_last)
    assert torch.equal(pool(image), F.max_pool2d(image, 2))
    unbatched = torch.randn(4, 8, 8)
    assert torch.equal(pool(unbatched), F.max_pool2d(unbatched, 2))


def test_trunks_get_fast_max_pools_and_keep_their_weights():
    config = VisionConfig("resnet10t", {"channels": (8, 16, 16, 16), "stem_width": 8})
    trunk = create_vision_model(config)
    pools = [m for m in trunk.modules() if isinstance(m, nn.MaxPool2d)]
    assert pools and all(type(m) is FastMaxPool2d for m in pools)
    plain = create_vision_model(config)
    assert trunk.state_dict().keys() == plain.state_dict().keys()
    nested = nn.Sequential(nn.Sequential(nn.MaxPool2d(2)), nn.ReLU())
    assert type(use_fast_max_pools(nested)[0][0]) is FastMaxPool2d


def test_attention_is_plain_sdpa_without_autocast():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 4, 6, 8) for _ in range(3))
    mask = torch.rand(2, 1, 6, 6) > 0.3
    mask[..., 0] = True  # every query sees at least one key
    assert torch.equal(attention(q, k, v, mask), F.scaled_dot_product_attention(q, k, v, mask))


def test_attention_under_cpu_bf16_autocast_runs_fp32_and_returns_bf16():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 4, 6, 8, requires_grad=True) for _ in range(3))
    reference = F.scaled_dot_product_attention(q, k, v)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = attention(q.bfloat16(), k.bfloat16(), v.bfloat16())
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), reference, atol=3e-2, rtol=3e-2)
    out.float().sum().backward()
    assert all(t.grad is not None and torch.isfinite(t.grad).all() for t in (q, k, v))

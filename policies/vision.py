"""Camera images -> visual tokens through any timm model.

Several cameras share one encoder; each gets a learned camera embedding, and each
observation step a learned step embedding, so the heads can tell views and times apart.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import timm
import torch
from torch import nn
from torch.nn import functional as F

from .config import VisionConfig
from .cpu_kernels import use_fast_max_pools
from .film import add_film, conditioned
from .grounding import GroundedKeypoints
from .keypoints import KeypointTokens

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def batchnorm_to_groupnorm(module: nn.Module) -> nn.Module:
    """Replace every BatchNorm2d with a GroupNorm of the same width (in place).

    BatchNorm statistics from batches of 8-32 correlated frames are noisy and differ between
    training and a batch of one at inference; GroupNorm has no running statistics at all.
    """
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            channels = child.num_features
            groups = math.gcd(channels, 8)
            setattr(module, name, nn.GroupNorm(groups, channels, eps=child.eps))
        else:
            batchnorm_to_groupnorm(child)
    return module


def create_vision_model(config: VisionConfig) -> nn.Module:
    """Build the timm trunk. ``pretrained`` may be a local file/dir or a hub id."""
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in config.model_kwargs.items()}
    pretrained = config.pretrained is not None
    if pretrained:
        source = Path(config.pretrained)
        weights = source / "model.safetensors" if source.is_dir() else source
        if source.exists() and weights.suffix != ".safetensors":
            raise ValueError(  # a .pth/.bin would be unpickled by torch.load: never
                f"vision weights {weights} must be a .safetensors file (nothing is unpickled)"
            )
        overlay = {"file": str(weights)}
        if not source.exists():
            overlay = {"hf_hub_id": config.pretrained}
        kwargs["pretrained_cfg_overlay"] = overlay
    model = timm.create_model(config.model_name, pretrained=pretrained, num_classes=0, **kwargs)
    use_fast_max_pools(model)
    return batchnorm_to_groupnorm(model) if config.norm == "group" else model


class VisionEncoder(nn.Module):
    """(B, k, H, W, 3) uint8 per camera -> (B, k * cams * tokens, d_model)."""

    def __init__(
        self, config: VisionConfig, cameras: tuple[str, ...], n_obs_steps: int, d_model: int
    ) -> None:
        super().__init__()
        self.config = config
        self.cameras = tuple(cameras)
        self.trunk = create_vision_model(config)
        with torch.no_grad():
            probe = torch.zeros(1, 3, config.image_size, config.image_size)
            features = self.trunk.forward_features(probe)
        if config.film:
            add_film(self.trunk, d_model)
        channels, height, width = features.shape[1:]
        self.project = nn.Linear(channels, d_model)
        self.position = nn.Parameter(torch.randn(height * width, d_model) * 0.02)
        self.keypoints = (
            KeypointTokens(channels, config.keypoints, d_model) if config.keypoints else None
        )
        self.grounded_xy: torch.Tensor | None = None
        self.grounding = self._grounding(config, d_model)
        self.tokens_per_image = height * width + config.keypoints + config.grounding
        self.camera_embedding = nn.Parameter(torch.randn(len(cameras), d_model) * 0.02)
        self.step_embedding = nn.Parameter(torch.randn(n_obs_steps, d_model) * 0.02)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self._compiled: FrozenCompile | None = None  # see ``compile_inference``

    def compile_inference(self) -> None:
        """Opt in to running inference (eval mode, no grad) through ``torch.compile`` with
        inductor's weight freezing.

        At a batch of one or two 96 px frames the trunk's small convolutions are bound by
        per-call overhead and weight re-layout; freezing folds the weights into the compiled
        graph as constants, pre-packed for oneDNN, and fuses the norms, FiLM and activations
        in between. Frozen weights must not change afterwards: a later change is refused
        with an error, never served stale. Training keeps the eager forward."""
        self._compiled = FrozenCompile(self, self._encode)

    def forward(
        self,
        images: dict[str, torch.Tensor],
        condition: torch.Tensor | None = None,
        roles: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``condition`` (B, d_model), the pooled instruction, drives FiLM when enabled;
        ``roles`` (B, Q, d_model), one query per instruction role, drives grounding."""
        if self._compiled is not None and not self.training and not torch.is_grad_enabled():
            return self._compiled(images, condition, roles)
        return self._encode(images, condition, roles)

    def _grounding(self, config: VisionConfig, d_model: int) -> GroundedKeypoints | None:
        """The grounded keypoints and a hook that keeps the stage map they match against."""
        if not config.grounding:
            return None
        stages = self.trunk.feature_info
        if not 0 <= config.grounding_stage < len(stages):
            raise ValueError(
                f"grounding_stage {config.grounding_stage} is not a feature_info stage of "
                f"{config.model_name} (it has {len(stages)})"
            )
        stage = stages[config.grounding_stage]
        self._stage_map: torch.Tensor | None = None
        self.trunk.get_submodule(stage["module"]).register_forward_hook(self._keep_stage_map)
        return GroundedKeypoints(stage["num_chs"], config.grounding, d_model)

    def _keep_stage_map(self, module: nn.Module, inputs, output: torch.Tensor) -> None:
        self._stage_map = output

    def _encode(self, images, condition, roles) -> torch.Tensor:
        stacked = torch.stack([images[camera] for camera in self.cameras], dim=2)
        batch, steps, cams = stacked.shape[:3]
        pixels = to_nchw(stacked.flatten(0, 2), contiguous=self.training)
        if self.training and self.config.random_shift > 0:
            pixels = random_shift(pixels, self.config.random_shift)
        pixels = (pixels - self.mean) / self.std
        feature_map = self._feature_map(pixels, condition, per_sample=steps * cams)
        tokens = self.project(feature_map.flatten(2).transpose(1, 2)) + self.position
        if self.keypoints is not None:
            tokens = torch.cat([tokens, self.keypoints(feature_map)], dim=1)
        if self.grounding is not None:
            tokens = torch.cat([tokens, self._grounded(roles, steps * cams)], dim=1)
        tokens = tokens.view(batch, steps, cams, self.tokens_per_image, -1)
        tokens = tokens + self.camera_embedding[None, None, :, None]
        tokens = tokens + self.step_embedding[None, :steps, None, None]
        return tokens.flatten(1, 3)

    def _grounded(self, roles: torch.Tensor | None, per_sample: int) -> torch.Tensor:
        """Grounded tokens; their image positions are kept in ``grounded_xy`` (B, steps,
        cams, Q, 2) for the training loss that reads them right after this forward."""
        if roles is None:
            raise ValueError("this vision encoder grounds the instruction: pass its role queries")
        stage_map, self._stage_map = self._stage_map, None
        tokens, xy = self.grounding(stage_map, roles.repeat_interleave(per_sample, dim=0))
        steps_cams = (per_sample // len(self.cameras), len(self.cameras))
        self.grounded_xy = xy.view(-1, *steps_cams, *xy.shape[1:])
        return tokens

    def _feature_map(self, pixels: torch.Tensor, condition, per_sample: int) -> torch.Tensor:
        if not self.config.film:
            return self.trunk.forward_features(pixels)
        if condition is None:
            raise ValueError("this vision encoder uses FiLM: pass the instruction condition")
        with conditioned(self.trunk, condition.repeat_interleave(per_sample, dim=0)):
            return self.trunk.forward_features(pixels)


class FrozenCompile:
    """``torch.compile(fn)`` with inductor freezing, for a module whose weights then stay
    fixed. Freezing bakes the weights into the kernels, so a changed weight (an optimiser
    step, ``load_state_dict``) would silently run the old one: every in-place change bumps a
    tensor's version counter, and a call after one raises instead."""

    def __init__(self, module: nn.Module, fn) -> None:
        self.module = module
        self.fn = torch.compile(fn, dynamic=False, options={"freezing": True})
        self.tensors = [*module.parameters(), *module.buffers()]
        self.versions = self._versions()

    def _versions(self) -> list[int]:
        return [tensor._version for tensor in self.tensors]

    def __call__(self, *args):
        if self._versions() != self.versions:
            raise RuntimeError(
                f"{type(self.module).__name__} weights changed after compile_inference froze "
                "them; call compile_inference again (it recompiles) or run it eagerly"
            )
        return self.fn(*args)


def to_nchw(frames: torch.Tensor, contiguous: bool) -> torch.Tensor:
    """(N, H, W, C) uint8 frames as (N, C, H, W) floats in [0, 1].

    Permuted without a copy they stay channels-last in memory, and the trunk runs in that
    layout: on this CPU a training step of the trunk is 1.08-1.17x faster contiguous, while a
    2-image inference is the same either way (0.94-1.01x; benchmarks/image_layout.py). So
    training copies, and inference spares the copy."""
    pixels = frames.permute(0, 3, 1, 2)
    return (pixels.contiguous() if contiguous else pixels).float().div_(255.0)


def random_shift(pixels: torch.Tensor, pad: int) -> torch.Tensor:
    """Shift each (N, C, H, W) image by up to ``pad`` pixels: replicate-pad, then crop back
    at a random offset per image, in one gather (no Python loop over the batch)."""
    n, c, h, w = pixels.shape
    padded = F.pad(pixels, (pad, pad, pad, pad), mode="replicate")
    dy, dx = (torch.randint(0, 2 * pad + 1, (n, 1), device=pixels.device) for _ in range(2))
    rows = torch.arange(h, device=pixels.device)[None] + dy  # (n, h)
    cols = torch.arange(w, device=pixels.device)[None] + dx  # (n, w)
    index = (rows[:, :, None] * (w + 2 * pad) + cols[:, None, :]).flatten(1)
    flat = padded.flatten(2).gather(2, index[:, None, :].expand(-1, c, -1))
    return flat.view(n, c, h, w)


def fit_image(image: np.ndarray, size: int) -> np.ndarray:
    """An HxWx3 uint8 frame scaled to fit ``size`` x ``size``, aspect kept, zero-padded.

    Cameras deliver whatever they deliver (640x480 USB, 128x96 emulator renders) while the
    encoder's position embedding fixes the square size it was trained on. Stretching would
    distort geometry the policy reads positions from, so the frame is letterboxed instead
    (openpi's ``resize_with_pad``); a frame already at the size is returned untouched.
    """
    height, width = image.shape[:2]
    if (height, width) == (size, size):
        return image
    scale = size / max(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    pixels = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float()
    scaled = F.interpolate(pixels, (new_h, new_w), mode="bilinear", antialias=True)
    out = np.zeros((size, size, 3), dtype=np.uint8)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    out[top : top + new_h, left : left + new_w] = (
        scaled[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()
    )
    return out

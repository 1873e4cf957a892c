"""VLAPolicy: one backbone, a diffusion head and an AR token head, trained jointly.

``loss(batch)`` takes a collated batch from ``policy.transform`` (the training transform).
``infer(observation)`` runs the same transform, a head chosen by ``mode``, and the exact
inverse transform, returning native actions. In ``ensemble`` mode the two heads are fused
by AR confidence as in HybridVLA; the diffusion chunk also seeds Jacobi decoding, which
changes how fast AR decoding converges but never what it returns.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import torch
from actloop.control import ActionChunk, FieldKind, Observation, slot_for, unknown_name_message
from torch import nn
from torch.utils.data import default_collate

from .backbone import Backbone
from .config import PolicyConfig, get_preset
from .grounding import grounding_loss
from .heads.ar import ARHead, Decoded
from .heads.consistency import consistency_loss
from .heads.diffusion import DiffusionHead
from .heads.goal import GOAL_FACTS, GoalReadout
from .heads.jacobi import jacobi_decode
from .text import load_text_tokenizer
from .tokenizers import ActionTokenizer, MalformedTokensError, build_tokenizer
from .transforms import UniversalTransform, check_observation

GRIPPER_SLOT = slot_for(FieldKind.GRIPPER, 0)


def _greedy(head, prefix, valid, init=None, periods=None):
    return head.decode(prefix, valid)


def _sample(head, prefix, valid, init=None, periods=None):
    return head.decode(prefix, valid, temperature=1.0)


def _jacobi(head, prefix, valid, init=None, periods=None):
    return jacobi_decode(head, prefix, valid, init, head.config.jacobi_window, periods)


DECODERS = {"greedy": _greedy, "jacobi": _jacobi, "sample": _sample}


class VLAPolicy(nn.Module):
    def __init__(
        self,
        config: PolicyConfig,
        stats: Any,
        action_tokenizer: ActionTokenizer,
        text_tokenizer=None,
    ) -> None:
        super().__init__()
        self.config = config
        self.transform = UniversalTransform(stats, image_size=config.vision.image_size)
        self.action_tokenizer = action_tokenizer
        n_emb, d, heads = len(self.transform.embodiments), config.d_model, config.n_heads
        self.backbone = Backbone(config, self.transform.embodiments, text_tokenizer)
        self.diffusion = DiffusionHead(
            config.diffusion, d, heads, config.horizon, n_emb, config.adapters
        )
        self.ar = ARHead(config.ar, d, heads, action_tokenizer.vocab_size)
        per_role = config.vision.grounding >= len(GOAL_FACTS)
        self.goal = GoalReadout(d, heads, per_role) if config.goal_weight > 0 else None
        self.mode = config.mode
        self.history: deque[Observation] = deque(maxlen=config.n_obs_steps)
        self.last_info: dict[str, Any] = {}

    # -- construction --------------------------------------------------------
    @classmethod
    def create(
        cls,
        config: PolicyConfig | str,
        stats: Any,
        chunks: np.ndarray | None = None,
        masks: np.ndarray | None = None,
        instructions: list[str] | None = None,
    ) -> VLAPolicy:
        """Build a fresh policy, fitting its action tokenizer on normalised universal chunks
        (N, H, 32) + masks and a word text vocabulary (if configured) on the training
        ``instructions``; without them, synthetic chunks and the fakes' instructions stand in."""
        config = get_preset(config) if isinstance(config, str) else config
        if chunks is None:
            from .fakes import synthetic_chunks

            chunks, masks = synthetic_chunks(UniversalTransform(stats), config.horizon, 512)
        if instructions is None:
            from .fakes import INSTRUCTIONS as instructions
        tokenizer = build_tokenizer(config.ar.tokenizer, **config.ar.tokenizer_kwargs)
        text_tokenizer = load_text_tokenizer(config.text, instructions=list(instructions))
        return cls(config, stats, tokenizer.fit(chunks, masks), text_tokenizer)

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> VLAPolicy:
        from .checkpoint import load_policy

        return load_policy(directory)

    def save_pretrained(self, directory: str | Path) -> None:
        from .checkpoint import save_policy

        save_policy(self, directory)

    def training_transform(self) -> UniversalTransform:
        return self.transform

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    # -- training ------------------------------------------------------------
    def loss(self, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        batch = to_device(batch, self.device)
        prefix, valid, goal = self.encode(batch)
        total = prefix.new_zeros(())
        metrics: dict[str, float] = {}
        if goal is not None and "goal" in batch:
            goal_loss = GoalReadout.loss(goal, batch["goal"], batch["goal_mask"])
            total = total + self.config.goal_weight * goal_loss
            metrics["goal_loss"] = float(goal_loss.detach())
        total = total + self._grounding_loss(batch, metrics)
        if self.config.diffusion_weight > 0:
            diffusion = self.diffusion.loss(
                prefix,
                valid,
                batch["action"],
                batch["action_mask"],
                batch["action_pad"],
                batch["embodiment_id"],
            )
            total = total + self.config.diffusion_weight * diffusion
            metrics["diffusion_loss"] = float(diffusion.detach())
        if self.config.ar_weight > 0:
            targets, fits = self.token_targets(batch["action"], batch["action_mask"])
            if bool(fits.any()):
                ar = self.ar.loss(prefix[fits], valid[fits], targets[fits])
                total = total + self.config.ar_weight * ar
                metrics["ar_loss"] = float(ar.detach())
                total = total + self._consistency(prefix[fits], valid[fits], targets[fits], metrics)
            metrics["ar_too_long"] = float((~fits).sum())
        metrics["loss"] = float(total.detach())
        return total, metrics

    def encode(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """The prefix both heads condition on, plus the goal tokens and their predicted target
        offsets when the goal readout is configured (``heads/goal.py``)."""
        prefix, valid, roles = self.backbone.encode(batch)
        if self.goal is None:
            return prefix, valid, None
        tokens, predicted = self.goal(prefix, valid, roles)
        always = valid.new_ones(valid.shape[0], tokens.shape[1])
        return torch.cat([prefix, tokens], 1), torch.cat([valid, always], 1), predicted

    def _grounding_loss(self, batch: dict, metrics: dict) -> torch.Tensor:
        """Each instruction role's matched position vs where its fact is in each image
        (``grounding.py``), weighted like the goal readout; 0 without grounding or targets."""
        xy = self.backbone.vision.grounded_xy
        if xy is None or self.config.goal_weight <= 0 or "ground_uv" not in batch:
            return self.backbone.norm.weight.new_zeros(())
        loss = grounding_loss(
            xy[:, -1], batch["ground_uv"], batch["ground_mask"], self.config.cameras
        )
        metrics["grounding_loss"] = float(loss.detach())
        return self.config.goal_weight * loss

    def _consistency(self, prefix, valid, targets, metrics: dict) -> torch.Tensor:
        """The optional Jacobi consistency term of the AR head (0 when disabled)."""
        weight = self.config.ar_weight * self.config.ar.consistency_weight
        if weight <= 0:
            return prefix.new_zeros(())
        loss = consistency_loss(self.ar, prefix, valid, targets)
        metrics["ar_consistency_loss"] = float(loss.detach())
        return weight * loss

    def token_targets(self, actions: torch.Tensor, masks: torch.Tensor):
        """Tokenise each chunk, append EOS, pad; chunks longer than max_tokens are left out."""
        limit, head = self.ar.max_tokens, self.ar
        targets = torch.full((actions.shape[0], limit), head.pad, dtype=torch.long)
        fits = torch.zeros(actions.shape[0], dtype=torch.bool)
        for i, (chunk, mask) in enumerate(
            zip(actions.cpu().numpy(), masks.cpu().numpy(), strict=True)
        ):
            tokens = self.action_tokenizer.encode(chunk, mask.astype(bool))
            if len(tokens) < limit:
                targets[i, : len(tokens)] = torch.as_tensor(tokens)
                targets[i, len(tokens)] = head.eos
                fits[i] = True
        return targets.to(actions.device), fits.to(actions.device)

    # -- inference -----------------------------------------------------------
    def reset(self) -> None:
        self.history.clear()

    def compile_inference(self) -> VLAPolicy:
        """Opt in to compiled inference: the vision encoder with frozen weights
        (``VisionEncoder.compile_inference``) and each diffusion sampling step
        (``DiffusionHead.compile_sampling``). The first chunk after it pays the compile,
        tens of seconds on a CPU. Call it on a loaded checkpoint, not during training.
        Returns the policy for chaining."""
        self.backbone.vision.compile_inference()
        self.diffusion.compile_sampling()
        return self

    @torch.no_grad()
    def infer(self, observation: Observation) -> ActionChunk:
        check_observation(observation, self.config.cameras, self.transform)
        used = {cam: observation.images[cam] for cam in self.config.cameras}
        observation = dataclasses.replace(observation, images=used)
        if self.history and self.history[-1].embodiment != observation.embodiment:
            self.history.clear()
        self.history.append(observation)
        batch = self.observation_batch(list(self.history))
        universal = self.predict(batch)[0]
        spec = self.transform.spec(observation.embodiment)
        native = self.transform.native_action(universal, observation.embodiment)
        return ActionChunk(native, start_tick=0, dt=spec.dt, start_time=observation.timestamp)

    def observation_batch(self, history: list[Observation]) -> dict:
        """Pad a short history by repeating the oldest observation, marked as padding."""
        missing = self.config.n_obs_steps - len(history)
        sample = self.transform.observation_inputs([history[0]] * missing + history)
        sample["obs_pad"][:missing] = True
        return to_device(default_collate([sample]), self.device)

    @torch.no_grad()
    def predict(self, batch: dict, mode: str | None = None) -> np.ndarray:
        """Normalised universal chunks (B, H, 32) from a collated batch."""
        mode = mode or self.mode
        if mode not in MODES:
            raise KeyError(unknown_name_message("policy mode", mode, MODES))
        # toggling walks every submodule (~300): milliseconds a chunk, so only when needed
        was_training = self.training
        if was_training:
            self.eval()
        try:
            prefix, valid, _ = self.encode(batch)
            return MODES[mode](self, prefix, valid, batch)
        finally:
            if was_training:
                self.train()

    def _diffusion(self, prefix, valid, batch) -> np.ndarray:
        sample = self.diffusion.sample(prefix, valid, batch["action_mask"], batch["embodiment_id"])
        self.last_info = {"head": "diffusion"}
        return sample.cpu().numpy()

    def decode_tokens(self, prefix, valid, masks: torch.Tensor, init=None) -> Decoded:
        decoder = DECODERS[self.config.ar.decoding]
        periods = [self.action_tokenizer.token_period(m) for m in masks.cpu().numpy().astype(bool)]
        return decoder(self.ar, prefix, valid, init, periods)

    def _tokens_to_chunks(self, decoded: Decoded, masks: torch.Tensor) -> np.ndarray:
        return np.stack(
            [
                self.action_tokenizer.decode(tokens, mask, self.config.horizon)
                for tokens, mask in zip(
                    decoded.tokens, masks.cpu().numpy().astype(bool), strict=True
                )
            ]
        )

    def _ar(self, prefix, valid, batch) -> np.ndarray:
        decoded = self.decode_tokens(prefix, valid, batch["action_mask"])
        self.last_info = {
            "head": "ar",
            "ar_confidence": decoded.confidence,
            "ar_passes": decoded.passes,
        }
        return self._tokens_to_chunks(decoded, batch["action_mask"])

    def _ensemble(self, prefix, valid, batch) -> np.ndarray:
        diffusion = self._diffusion(prefix, valid, batch)
        masks = batch["action_mask"].cpu().numpy().astype(bool)
        seeds = [
            self.action_tokenizer.encode(c, m).tolist()
            for c, m in zip(diffusion, masks, strict=True)
        ]
        decoded = self.decode_tokens(prefix, valid, batch["action_mask"], seeds)
        fused, used = diffusion.copy(), []
        for i, confidence in enumerate(decoded.confidence):
            try:
                ar = self.action_tokenizer.decode(decoded.tokens[i], masks[i], self.config.horizon)
            except MalformedTokensError:
                used.append("diffusion")
                continue
            if confidence >= self.config.ensemble_threshold:
                fused[i] = fuse(diffusion[i], ar, masks[i])
                used.append("ensemble")
            else:
                used.append("diffusion")
        self.last_info = {
            "head": used,
            "ar_confidence": decoded.confidence,
            "ar_passes": decoded.passes,
        }
        return fused


def fuse(diffusion: np.ndarray, ar: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average the heads; the gripper is thresholded to open/closed (normalised -1/+1)."""
    mean = (diffusion + ar) / 2
    if mask[GRIPPER_SLOT]:
        mean[:, GRIPPER_SLOT] = np.where(mean[:, GRIPPER_SLOT] >= 0, 1.0, -1.0)
    return mean


MODES = {"diffusion": VLAPolicy._diffusion, "ar": VLAPolicy._ar, "ensemble": VLAPolicy._ensemble}


def to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, np.ndarray):
        return torch.as_tensor(batch, device=device)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch

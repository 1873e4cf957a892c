"""Checkpoint directories: everything needed to run a policy, nothing pickled.

config.json          format tag + PolicyConfig (pretrained sources replaced by the
                     architecture they resolved to, so loading never downloads)
model.safetensors    every weight
normalization.json   per-embodiment statistics used by the transform
action_tokenizer/    tokenizer.json (+ tokenizer.safetensors)
text_tokenizer/      Hugging Face tokenizer files
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoTokenizer

from .config import PolicyConfig
from .tokenizers import load_tokenizer

FORMAT = "actloop.policy/1"
FILES = ("config.json", "model.safetensors", "normalization.json")


class CheckpointError(ValueError):
    """A checkpoint directory that is incomplete or does not match its config."""


def portable_config(policy) -> PolicyConfig:
    """The config with pretrained sources swapped for the architecture they loaded."""
    config = policy.config
    text_arch = policy.backbone.text.model.config.to_dict()
    text_arch = {
        k: v for k, v in text_arch.items() if not k.startswith("_") and k != "architectures"
    }
    text = dataclasses.replace(config.text, pretrained=None, model_config=text_arch)
    return config.replace(text=text, vision=dataclasses.replace(config.vision, pretrained=None))


def save_policy(policy, directory: str | Path) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = {"format": FORMAT, "config": portable_config(policy).to_dict()}
    (directory / "config.json").write_text(json.dumps(config, indent=2))
    (directory / "normalization.json").write_text(json.dumps(policy.transform.stats))
    state = {k: v.detach().cpu().contiguous().clone() for k, v in policy.state_dict().items()}
    save_file(state, str(directory / "model.safetensors"), metadata={"format": FORMAT})
    policy.action_tokenizer.save(directory / "action_tokenizer")
    policy.backbone.text.tokenizer.save_pretrained(str(directory / "text_tokenizer"))


def load_policy(directory: str | Path):
    from .hybrid import VLAPolicy

    directory = Path(directory)
    missing = [name for name in FILES if not (directory / name).is_file()]
    if missing:
        raise CheckpointError(f"{directory} is not a policy checkpoint: missing {missing}")
    meta = json.loads((directory / "config.json").read_text())
    if meta.get("format") != FORMAT:
        raise CheckpointError(
            f"{directory}/config.json: format {meta.get('format')!r}, expected {FORMAT!r}"
        )
    config = PolicyConfig.from_dict(meta["config"])
    stats = json.loads((directory / "normalization.json").read_text())
    text_tokenizer = AutoTokenizer.from_pretrained(str(directory / "text_tokenizer"))
    policy = VLAPolicy(
        config, stats, load_tokenizer(directory / "action_tokenizer"), text_tokenizer
    )
    load_weights(policy, directory / "model.safetensors")
    return policy.eval()


def load_weights(policy: torch.nn.Module, path: Path) -> None:
    """Strict load that explains a mismatch instead of a wall of tensor names."""
    state = load_file(str(path))
    expected = policy.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = [
        f"{k}: checkpoint {tuple(state[k].shape)} vs config {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if missing or unexpected or shapes:
        raise CheckpointError(
            f"{path} does not match its config.json: {len(missing)} missing tensors "
            f"{missing[:3]}, {len(unexpected)} unexpected {unexpected[:3]}, "
            f"{len(shapes)} shape mismatches {shapes[:3]}"
        )
    policy.load_state_dict(state, strict=True)

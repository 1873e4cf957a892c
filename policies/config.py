"""Typed policy configs and the preset registry.

Configs are frozen dataclasses that round-trip through JSON (``to_dict``/``from_dict``),
so a checkpoint's ``config.json`` rebuilds the exact architecture with no code execution.
Presets live in one registry checked for unique names; an unknown name gets a "did you mean".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from actloop.control import unknown_name_message


@dataclass(frozen=True)
class VisionConfig:
    """Any timm model by name. ``pretrained`` is a local weights file/dir or a hub id; None
    builds random weights from the architecture alone (no network). ``norm="group"`` swaps
    BatchNorm for GroupNorm, which behaves at the batch sizes a CPU can afford.
    ``random_shift`` jitters training frames by up to that many pixels, the augmentation
    that makes image policies learn from tens of demos (DrQ, Diffusion Policy's crops).
    ``film``, ``keypoints`` and ``grounding`` are how the heads learn *where* the named
    object is: see ``film.py``, ``keypoints.py`` and ``grounding.py``. ``grounding`` is the
    number of instruction roles matched against the ``grounding_stage``-th ``feature_info``
    map of the trunk (2 is stride 8 on a ResNet)."""

    model_name: str = "resnet10t"
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    pretrained: str | None = None
    image_size: int = 96
    norm: str = "group"
    random_shift: int = 0  # training-only pad-and-crop shift in pixels (DrQ); 0 disables
    film: bool = False  # the instruction modulates every trunk stage (policies/film.py)
    keypoints: int = 0  # spatial-softmax keypoint tokens per image (policies/keypoints.py)
    grounding: int = 0  # instruction-grounded keypoint tokens per image (policies/grounding.py)
    grounding_stage: int = 2


@dataclass(frozen=True)
class TextConfig:
    """A transformers encoder. With ``pretrained`` None the model is built from
    ``model_config`` and a tokenizer built in code, so no download is needed: ``vocabulary``
    "bytes" (one token per UTF-8 byte: any string) or "words" (a word vocabulary fitted on
    the training instructions, so each colour or object name is one token; on
    panda/press_button this learned where the named button is ~3x sooner, see
    BENCHMARKS.md; unknown words become [UNK] with a warning)."""

    pretrained: str | None = None
    vocabulary: str = "bytes"
    model_config: dict[str, Any] = field(
        default_factory=lambda: {
            "model_type": "bert",
            "hidden_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 128,
            "max_position_embeddings": 64,
        }
    )
    max_length: int = 64  # bytes with the default tokenizer: the longest template is ~55
    freeze: bool = False


@dataclass(frozen=True)
class DiffusionConfig:
    """DiT denoiser. ``objective``: "ddpm" (train DDPM, sample DDIM) or "flow" (flow matching,
    sample FlowMatchEuler). ``conditioning``: "cross" or "in_context" (see BENCHMARKS.md)."""

    depth: int = 4
    conditioning: str = "cross"
    objective: str = "ddpm"
    train_timesteps: int = 100
    beta_schedule: str = "squaredcos_cap_v2"
    prediction_type: str = "epsilon"
    inference_steps: int = 10
    noise_draws: int = 1


@dataclass(frozen=True)
class ARConfig:
    """Causal token head. ``tokenizer`` names a registered universal action tokenizer.
    ``input_corruption``: the share of teacher-forced input tokens replaced by random ones in
    training, so predictions lean on the observation more than on exact previous tokens;
    Jacobi decoding then verifies several tokens per pass (its output is greedy either way).
    ``consistency_weight`` (0 disables) adds the Jacobi consistency loss of
    ``heads/consistency.py``: true tokens from Jacobi-like states whose suffix is built by
    ``consistency_states`` ("rollout": up to ``consistency_iterations`` no-grad Jacobi
    iterations of the head itself; "noise": random tokens). It only changes how many passes
    Jacobi needs; checkpoints saved before these fields existed load with the defaults."""

    depth: int = 3
    tokenizer: str = "fast"
    tokenizer_kwargs: dict[str, Any] = field(default_factory=dict)
    max_tokens: int = 96
    decoding: str = "jacobi"
    input_corruption: float = 0.5
    jacobi_window: int = 16
    consistency_weight: float = 0.0
    consistency_states: str = "rollout"
    consistency_iterations: int = 3


@dataclass(frozen=True)
class PolicyConfig:
    name: str = "small"
    vision: VisionConfig = field(default_factory=VisionConfig)
    text: TextConfig = field(default_factory=TextConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    ar: ARConfig = field(default_factory=ARConfig)
    d_model: int = 128
    n_heads: int = 4
    horizon: int = 16
    n_obs_steps: int = 1
    cameras: tuple[str, ...] = ("front", "wrist")
    mode: str = "diffusion"
    diffusion_weight: float = 1.0
    ar_weight: float = 1.0
    ensemble_threshold: float = 0.97
    adapters: bool = False
    # share of training samples whose proprioception is hidden (see Backbone.forward)
    state_dropout: float = 0.0
    # > 0 adds the goal readout (heads/goal.py) and weighs its auxiliary loss
    goal_weight: float = 0.0

    def replace(self, **changes: Any) -> PolicyConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyConfig:
        """Rebuild from ``to_dict`` output; unknown keys are an error, not silently dropped."""
        nested = {
            "vision": VisionConfig,
            "text": TextConfig,
            "diffusion": DiffusionConfig,
            "ar": ARConfig,
        }
        kwargs = {}
        for key, value in data.items():
            sub = nested.get(key)
            kwargs[key] = _build(sub, value) if sub else value
        kwargs["cameras"] = tuple(kwargs.get("cameras", ()))
        return _build(cls, kwargs)


def _build(cls: type, values: dict[str, Any]) -> Any:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(
            f"{cls.__name__}: unknown config keys {unknown} (expected some of {sorted(known)})"
        )
    return cls(**values)


def _tiny() -> PolicyConfig:
    return PolicyConfig(
        name="tiny",
        vision=VisionConfig("resnet10t", {"channels": (8, 16, 32, 32), "stem_width": 8}, None, 32),
        text=TextConfig(
            model_config={**TextConfig().model_config, "hidden_size": 32, "intermediate_size": 64},
        ),
        diffusion=DiffusionConfig(depth=2),
        ar=ARConfig(depth=2, max_tokens=64),
        d_model=64,
        n_heads=4,
        horizon=8,
    )


def _small() -> PolicyConfig:
    return PolicyConfig(
        name="small",
        text=TextConfig(vocabulary="words"),
        vision=VisionConfig(
            "resnet10t",
            {"channels": (32, 64, 128, 256), "stem_width": 32},
            random_shift=4,
            film=True,
            grounding=2,  # one role per goal fact (where to put it, what to grasp)
        ),
        goal_weight=1.0,
    )


def _base() -> PolicyConfig:
    text = TextConfig(
        model_config={
            **TextConfig().model_config,
            "hidden_size": 256,
            "num_hidden_layers": 4,
            "num_attention_heads": 4,
            "intermediate_size": 1024,
        }
    )
    return PolicyConfig(
        name="base",
        vision=VisionConfig("resnet18", {}, None, 224),
        text=text,
        diffusion=DiffusionConfig(depth=6),
        ar=ARConfig(depth=6, max_tokens=128),
        d_model=384,
        n_heads=6,
    )


PRESETS: dict[str, PolicyConfig] = {}


def register_preset(config: PolicyConfig) -> PolicyConfig:
    if config.name in PRESETS:
        raise ValueError(f"policy preset {config.name!r} is registered twice")
    PRESETS[config.name] = config
    return config


for _factory in (_tiny, _small, _base):
    register_preset(_factory())


def list_policies() -> list[str]:
    """Names of the registered presets."""
    return sorted(PRESETS)


def get_preset(name: str) -> PolicyConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(unknown_name_message("policy preset", name, PRESETS)) from None

"""The VLA policy: backbone, universal action tokenizers, diffusion and AR heads, checkpoints.

``from actloop.policies import VLAPolicy, list_policies``
"""

from .config import PolicyConfig, get_preset, list_policies, register_preset
from .fakes import fake_batch, fake_observation, fake_sample, fake_stats
from .hybrid import VLAPolicy
from .tokenizers import ActionTokenizer, MalformedTokensError, build_tokenizer, load_tokenizer
from .transforms import UniversalTransform

__all__ = [
    "ActionTokenizer",
    "MalformedTokensError",
    "PolicyConfig",
    "UniversalTransform",
    "VLAPolicy",
    "build_tokenizer",
    "fake_batch",
    "fake_observation",
    "fake_sample",
    "fake_stats",
    "get_preset",
    "list_policies",
    "load_tokenizer",
    "register_preset",
]

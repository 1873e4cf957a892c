"""Universal action tokenizers: one interface, one shared vocabulary across embodiments."""

from . import binning, fast, rvq  # noqa: F401  (registers the kinds)
from .base import (
    TOKENIZERS,
    ActionTokenizer,
    MalformedTokensError,
    build_tokenizer,
    load_tokenizer,
    register_tokenizer,
)

__all__ = [
    "TOKENIZERS",
    "ActionTokenizer",
    "MalformedTokensError",
    "build_tokenizer",
    "load_tokenizer",
    "register_tokenizer",
]

"""Instruction -> text tokens through a transformers encoder.

With no pretrained name the encoder is built from a config and paired with a byte-level
tokenizer constructed in code (256 byte symbols + specials): nothing touches the network,
and every string is encodable. Embeddings are cached per unique instruction at inference,
because a robot repeats one instruction for hundreds of ticks.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict

import torch
from actloop.control import unknown_name_message
from tokenizers import (
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedTokenizerFast

from .config import TextConfig

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")


def byte_level_tokenizer() -> PreTrainedTokenizerFast:
    """A deterministic byte-level tokenizer: one token per UTF-8 byte, [CLS] ... [SEP]."""
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {token: i for i, token in enumerate(SPECIALS)}
    vocab.update({symbol: len(SPECIALS) + i for i, symbol in enumerate(sorted(alphabet))})
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    return _with_specials(core)


def word_level_tokenizer(instructions: list[str]) -> PreTrainedTokenizerFast:
    """One token per lower-cased word (punctuation split off) seen in ``instructions``."""
    core = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.train_from_iterator(instructions, trainers.WordLevelTrainer(special_tokens=list(SPECIALS)))
    return _with_specials(core)


def _with_specials(core: Tokenizer) -> PreTrainedTokenizerFast:
    """[CLS] ... [SEP] around every string; SPECIALS hold ids 0-3 in both vocabularies."""
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
    )


VOCABULARIES = {"bytes": lambda instructions: byte_level_tokenizer(), "words": word_level_tokenizer}


def load_text_tokenizer(
    config: TextConfig, directory: str | None = None, instructions: list[str] | None = None
):
    """The checkpoint's saved tokenizer, else the pretrained one, else one built in code
    from ``config.vocabulary`` (the word vocabulary is fitted on ``instructions``)."""
    source = directory or config.pretrained
    if source:
        return AutoTokenizer.from_pretrained(source)
    if config.vocabulary not in VOCABULARIES:
        raise KeyError(unknown_name_message("text vocabulary", config.vocabulary, VOCABULARIES))
    if config.vocabulary == "words" and not instructions:
        raise ValueError("a word vocabulary is fitted on instructions: pass the training ones")
    return VOCABULARIES[config.vocabulary](instructions)


def build_text_model(config: TextConfig, vocab_size: int) -> nn.Module:
    if config.pretrained:
        return AutoModel.from_pretrained(config.pretrained)
    options = dict(config.model_config)
    model_type = options.pop("model_type")
    options.setdefault("vocab_size", vocab_size)
    return AutoModel.from_config(AutoConfig.for_model(model_type, **options))


class TextEncoder(nn.Module):
    """list[str] -> (tokens (B, L, d_model), valid mask (B, L))."""

    def __init__(self, config: TextConfig, d_model: int, tokenizer=None, cache_size: int = 256):
        super().__init__()
        self.config = config
        self.tokenizer = tokenizer if tokenizer is not None else load_text_tokenizer(config)
        self.model = build_text_model(config, len(self.tokenizer))
        positions = getattr(self.model.config, "max_position_embeddings", None) or config.max_length
        self.max_length = min(config.max_length, positions)  # a pretrained model may cap it
        if config.freeze:
            self.model.requires_grad_(False)
        self.project = nn.Linear(self.model.config.hidden_size, d_model)
        self.cache: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self.cache_size = cache_size
        self._warned: set[str] = set()

    def train(self, mode: bool = True) -> TextEncoder:
        if mode:  # weights may change while training; cached embeddings would go stale
            self.cache.clear()
        return super().train(mode)

    def forward(self, instructions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        if self.training or torch.is_grad_enabled():
            return self._encode(instructions)
        pairs = [self._cached(text) for text in instructions]
        return torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])

    def _cached(self, text: str) -> tuple[torch.Tensor, torch.Tensor]:
        if text in self.cache:
            self.cache.move_to_end(text)
        else:
            self.cache[text] = self._encode([text])
            if len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        return self.cache[text]

    def _encode(self, instructions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        device = self.project.weight.device
        self._warn_if_truncated(instructions)
        encoded = self.tokenizer(
            list(instructions),
            padding="max_length",
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        mask = encoded["attention_mask"].to(device)
        hidden = self.model(input_ids=encoded["input_ids"].to(device), attention_mask=mask)
        return self.project(hidden.last_hidden_state), mask.bool()

    def _warn_if_truncated(self, instructions: list[str]) -> None:
        """Truncation drops words (with byte tokens, the target's colour first), and words
        outside a fitted vocabulary reach the model as [UNK]: say so, once per string."""
        limit, unknown = self.max_length, self.tokenizer.unk_token_id
        for text, ids in zip(instructions, self.tokenizer(instructions)["input_ids"], strict=True):
            if text in self._warned:
                continue
            problems = []
            if len(ids) > limit:
                problems.append(f"is {len(ids)} tokens; only the first {limit} are used")
            if unknown is not None and unknown in ids:
                problems.append("has words outside the policy's vocabulary (read as [UNK])")
            if problems:
                self._warned.add(text)
                warnings.warn(f"instruction {text!r} " + " and ".join(problems), stacklevel=3)

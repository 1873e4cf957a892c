"""The word vocabulary: fitted on the training instructions, saved with the checkpoint,
and loud about words it has never seen."""

from __future__ import annotations

import dataclasses
import warnings

import pytest
import torch
from actloop.policies import VLAPolicy, fake_batch, get_preset
from actloop.policies.text import TextEncoder, load_text_tokenizer

TRAINING = ["press the red button", "Press the BLUE button.", "reach the green ball"]


def words_config():
    tiny = get_preset("tiny")
    return tiny.replace(text=dataclasses.replace(tiny.text, vocabulary="words"))


def test_each_word_is_one_token_and_case_does_not_matter():
    tokenizer = load_text_tokenizer(words_config().text, instructions=TRAINING)
    ids = tokenizer("press the RED button")["input_ids"]
    assert len(ids) == 4 + 2  # [CLS] four words [SEP]
    assert ids == tokenizer("Press the red button")["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert tokenizer("press the blue button")["input_ids"] != ids


def test_a_word_vocabulary_needs_instructions_and_unknown_names_are_refused():
    with pytest.raises(ValueError, match="fitted on instructions"):
        load_text_tokenizer(words_config().text)
    text = dataclasses.replace(words_config().text, vocabulary="letters")
    with pytest.raises(KeyError, match="text vocabulary"):
        load_text_tokenizer(text, instructions=TRAINING)


def test_unseen_words_reach_the_model_as_unk_with_one_warning():
    config = words_config().text
    encoder = TextEncoder(config, 8, load_text_tokenizer(config, instructions=TRAINING))
    with pytest.warns(UserWarning, match="outside the policy's vocabulary"):
        encoder(["press the purple button"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoder(["press the purple button", "press the red button"])


def test_the_fitted_vocabulary_travels_with_the_checkpoint(stats, tmp_path):
    torch.manual_seed(0)
    policy = VLAPolicy.create(words_config(), stats, instructions=TRAINING).eval()
    policy.save_pretrained(tmp_path / "ckpt")
    loaded = VLAPolicy.from_pretrained(tmp_path / "ckpt").eval()
    for text in TRAINING:
        assert (
            loaded.backbone.text.tokenizer(text)["input_ids"]
            == (policy.backbone.text.tokenizer(text)["input_ids"])
        )
    batch = fake_batch(policy, 2, embodiment="panda")
    batch["instruction"] = [TRAINING[0], TRAINING[2]]
    with torch.no_grad():
        torch.testing.assert_close(loaded.backbone(batch)[0], policy.backbone(batch)[0])

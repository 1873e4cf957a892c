"""Backbone parts load pretrained weights from local directories, never the network."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import timm
import torch
from actloop.policies import VLAPolicy, fake_observation, get_preset
from actloop.policies.config import TextConfig, VisionConfig
from actloop.policies.vision import VisionEncoder, create_vision_model
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

SENTENCES = ["pick up the red cube", "push the block to the left", "open the drawer"]


def make_local_text_model(directory) -> None:
    """A tiny BERT and a WordPiece tokenizer trained on three strings, saved locally."""
    core = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    core.train_from_iterator(
        SENTENCES, trainers.WordPieceTrainer(vocab_size=60, special_tokens=specials)
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
    )
    tokenizer.save_pretrained(directory)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=32,
    )
    BertModel(config).save_pretrained(directory)


def test_text_encoder_loads_a_local_pretrained_model_and_checkpoints_without_it(stats, tmp_path):
    make_local_text_model(tmp_path / "bert")
    reference = BertModel.from_pretrained(tmp_path / "bert")
    config = get_preset("tiny").replace(
        text=TextConfig(pretrained=str(tmp_path / "bert"), max_length=12)
    )
    policy = VLAPolicy.create(config, stats).eval()
    loaded_weight = policy.backbone.text.model.embeddings.word_embeddings.weight
    assert torch.equal(loaded_weight, reference.embeddings.word_embeddings.weight)
    policy.save_pretrained(tmp_path / "ckpt")
    shutil.rmtree(tmp_path / "bert")  # the checkpoint must not need the source any more
    restored = VLAPolicy.from_pretrained(tmp_path / "ckpt")
    obs = fake_observation(config)
    torch.manual_seed(0)
    a = policy.infer(obs).actions
    torch.manual_seed(0)
    np.testing.assert_array_equal(a, restored.infer(obs).actions)


def test_vision_model_loads_local_timm_weights(tmp_path):
    kwargs = {"channels": (8, 16, 32, 32), "stem_width": 8}
    source = timm.create_model("resnet10t", pretrained=False, num_classes=0, **kwargs)
    save_file(source.state_dict(), str(tmp_path / "vision.safetensors"))
    config = VisionConfig("resnet10t", kwargs, str(tmp_path / "vision.safetensors"), 32, "batch")
    loaded = create_vision_model(config)
    for key, value in source.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)


def test_group_norm_replaces_batch_norm_and_any_timm_name_works():
    config = VisionConfig("test_convnext", {}, None, 64)
    encoder = VisionEncoder(config, ("front",), 1, 16)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in encoder.modules())
    images = {"front": torch.zeros(2, 1, 64, 64, 3, dtype=torch.uint8)}
    assert encoder(images).shape[::2] == (2, 16)
    resnet = create_vision_model(VisionConfig("resnet10t", {"channels": (8, 16, 32, 32)}))
    assert any(isinstance(m, torch.nn.GroupNorm) for m in resnet.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in resnet.modules())


def test_unknown_timm_model_fails_at_construction():
    with pytest.raises(RuntimeError, match="Unknown model"):
        create_vision_model(VisionConfig("resnet_does_not_exist"))


def test_vision_weights_that_would_need_unpickling_are_refused(tmp_path):
    pickled = tmp_path / "vision.pth"
    pickled.write_bytes(b"not loaded")
    with pytest.raises(ValueError, match=r"vision\.pth must be a \.safetensors file"):
        create_vision_model(VisionConfig("resnet10t", {}, str(pickled), 32))

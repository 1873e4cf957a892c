"""Every tokenizer round-trips within its stated error, shares one vocabulary across
embodiments, survives save/load, and refuses malformed token sequences."""

from __future__ import annotations

import numpy as np
import pytest
from actloop.policies import MalformedTokensError, build_tokenizer, load_tokenizer
from actloop.policies.fakes import synthetic_chunks
from actloop.policies.transforms import UniversalTransform

H = 16


@pytest.fixture(scope="module")
def data(stats):
    return synthetic_chunks(UniversalTransform(stats), H, 256, seed=1)


@pytest.fixture(scope="module")
def fitted(data):
    chunks, masks = data
    rvq = build_tokenizer("rvq", steps=300)
    return {
        "binning": build_tokenizer("binning").fit(chunks, masks),
        "fast": build_tokenizer("fast").fit(chunks, masks),
        "rvq": rvq.fit(chunks, masks),
    }


def round_trip(tokenizer, chunks, masks):
    errors, lengths = [], []
    for chunk, mask in zip(chunks, masks, strict=True):
        tokens = tokenizer.encode(chunk, mask)
        assert tokens.dtype == np.int64 and tokens.min() >= 0
        assert tokens.max() < tokenizer.vocab_size
        decoded = tokenizer.decode(tokens, mask, H)
        assert decoded.shape == (H, 32) and np.all(decoded[:, ~mask] == 0)
        errors.append(np.abs(decoded - chunk)[:, mask])
        lengths.append(len(tokens))
    return errors, lengths


def test_binning_round_trips_within_the_widest_bin(fitted, data):
    chunks, masks = data
    errors, lengths = round_trip(fitted["binning"], chunks[:40], masks[:40])
    bound = max(fitted["binning"].max_error(m) for m in masks[:2])
    assert max(e.max() for e in errors) <= bound
    assert lengths[0] == H * masks[0].sum()  # one token per used slot per step


def test_fast_round_trips_within_the_dct_bound_and_compresses(fitted, data):
    chunks, masks = data
    tokenizer = fitted["fast"]
    errors, lengths = round_trip(tokenizer, chunks[:40], masks[:40])
    for error in errors:  # per-slot L2 error over time is bounded by the rounding
        assert np.sqrt((error**2).sum(0)).max() <= tokenizer.max_error(masks[0]) + 1e-9
    assert np.sqrt(np.mean(np.concatenate([e.ravel() for e in errors]) ** 2)) < 0.05
    assert tokenizer.vocab_size <= 1024
    assert np.mean(lengths) < H * masks[0].sum() / 2  # BPE at least halves the symbol count


def test_rvq_round_trips_within_its_measured_fit_error(fitted, data):
    chunks, masks = data
    tokenizer = fitted["rvq"]
    errors, lengths = round_trip(tokenizer, chunks[:40], masks[:40])
    rmse = np.sqrt(np.mean(np.concatenate([e.ravel() for e in errors]) ** 2))
    assert rmse <= tokenizer.fit_rmse * 1.5 and tokenizer.fit_rmse < 0.35
    assert set(lengths) == {H // 4 * 4}  # 4 latent steps x 4 quantisers
    assert tokenizer.vocab_size == 1024


@pytest.mark.parametrize("kind", ["binning", "fast", "rvq"])
def test_one_vocabulary_serves_every_embodiment(fitted, data, kind):
    chunks, masks = data
    kinds_of_mask = {tuple(m) for m in masks}
    assert len(kinds_of_mask) == 2  # panda and so101 use different slots
    for chunk, mask in zip(chunks[:2], masks[:2], strict=True):
        assert fitted[kind].encode(chunk, mask).max() < fitted[kind].vocab_size


@pytest.mark.parametrize("kind", ["binning", "fast", "rvq"])
def test_save_and_load_give_identical_tokens(fitted, data, kind, tmp_path):
    chunks, masks = data
    fitted[kind].save(tmp_path)
    loaded = load_tokenizer(tmp_path)
    for chunk, mask in zip(chunks[:5], masks[:5], strict=True):
        tokens = fitted[kind].encode(chunk, mask)
        assert np.array_equal(loaded.encode(chunk, mask), tokens)
        assert np.allclose(loaded.decode(tokens, mask, H), fitted[kind].decode(tokens, mask, H))


@pytest.mark.parametrize("kind", ["binning", "fast", "rvq"])
def test_malformed_sequences_raise_instead_of_decoding_to_zeros(fitted, data, kind):
    chunks, masks = data
    tokenizer, mask = fitted[kind], masks[0]
    tokens = tokenizer.encode(chunks[0], mask)
    bad_sequences = [
        tokens[:-1],
        np.concatenate([tokens, tokens[:1]]),
        [],
        np.append(tokens[:-1], tokenizer.vocab_size),
        np.array([[1, 2]]),
    ]
    for bad in bad_sequences:
        with pytest.raises(MalformedTokensError):
            tokenizer.decode(bad, mask, H)


def test_rvq_rejects_tokens_at_the_wrong_quantiser_level(fitted, data):
    chunks, masks = data
    tokens = fitted["rvq"].encode(chunks[0], masks[0])
    swapped = tokens.copy()
    swapped[[0, 1]] = swapped[[1, 0]]
    with pytest.raises(MalformedTokensError, match="level"):
        fitted["rvq"].decode(swapped, masks[0], H)


def test_unknown_tokenizer_kind_suggests_a_close_name():
    with pytest.raises(KeyError, match="did you mean: fast"):
        build_tokenizer("fats")

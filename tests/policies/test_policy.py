"""VLAPolicy end to end on fake data: shapes, modes, training, bad input, presets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from actloop.control import ActionChunk, get_embodiment
from actloop.policies import (
    MalformedTokensError,
    VLAPolicy,
    fake_batch,
    fake_observation,
    fake_sample,
    get_preset,
    list_policies,
)
from actloop.policies.vision import fit_image


def test_presets_are_listed_and_unknown_names_get_a_suggestion():
    assert list_policies() == ["base", "small", "tiny"]
    with pytest.raises(KeyError, match="did you mean: small"):
        get_preset("smal")


def test_tiny_and_small_presets_stay_within_their_parameter_budgets(tiny_policy, stats):
    assert sum(p.numel() for p in tiny_policy.parameters()) < 1_000_000
    small = VLAPolicy.create("small", stats)
    assert sum(p.numel() for p in small.parameters()) <= 5_000_000
    assert small.config.vision.image_size == 96


def test_fake_batch_gives_a_finite_loss_with_gradients_in_every_part(tiny_policy):
    batch = fake_batch(tiny_policy, batch_size=3, embodiment="so101")
    assert batch["action"].shape == (3, tiny_policy.config.horizon, 32)
    assert batch["images"]["front"].dtype == torch.uint8
    tiny_policy.train()
    loss, metrics = tiny_policy.loss(batch)
    tiny_policy.zero_grad()
    loss.backward()
    tiny_policy.eval()
    assert torch.isfinite(loss) and {"diffusion_loss", "ar_loss", "loss"} <= set(metrics)
    for part in (
        tiny_policy.backbone.vision,
        tiny_policy.backbone.text,
        tiny_policy.diffusion,
        tiny_policy.ar,
    ):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters())


@pytest.mark.parametrize("embodiment", ["panda", "so101"])
def test_diffusion_infer_returns_native_actions_for_each_embodiment(tiny_policy, embodiment):
    spec = get_embodiment(embodiment)
    chunk = tiny_policy.infer(fake_observation(tiny_policy.config, embodiment))
    assert isinstance(chunk, ActionChunk)
    assert chunk.actions.shape == (tiny_policy.config.horizon, spec.action_dim)
    assert chunk.dt == pytest.approx(spec.dt) and np.isfinite(chunk.actions).all()


def test_joint_training_overfits_a_tiny_batch_and_every_mode_then_works(stats):
    torch.manual_seed(0)
    policy = VLAPolicy.create("tiny", stats)
    batch = fake_batch(policy, batch_size=2)
    optimiser = torch.optim.Adam(policy.parameters(), lr=2e-3)
    torch.manual_seed(1)
    before = policy.loss(batch)[0].item()
    for _ in range(250):
        loss, _ = policy.loss(batch)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    torch.manual_seed(1)
    after = policy.loss(batch)[0].item()
    assert after < before / 10
    targets = batch["action"].numpy()[:, :, :7]
    ar = policy.predict(batch, "ar")
    assert np.abs(ar[:, :, :7] - targets).mean() < 0.1  # FAST rounding + a well-fit head
    ensemble = policy.predict(batch, "ensemble")
    assert policy.last_info["head"] == ["ensemble", "ensemble"]  # confident AR gets fused
    gripper = ensemble[:, :, 6]
    assert set(np.unique(gripper)) <= {-1.0, 1.0}  # thresholded
    obs = fake_observation(policy.config)
    for mode in ("ar", "ensemble"):
        policy.mode = mode
        assert policy.infer(obs).actions.shape == (policy.config.horizon, 7)


def test_untrained_ar_output_that_is_not_a_chunk_raises_clearly(tiny_policy):
    tiny_policy.mode = "ar"
    try:
        chunk_or_error = tiny_policy.infer(fake_observation(tiny_policy.config))
        assert chunk_or_error.actions.shape[0] == tiny_policy.config.horizon
    except MalformedTokensError as error:
        assert "expected" in str(error)
    finally:
        tiny_policy.mode = "diffusion"
    with pytest.raises(KeyError, match="did you mean: ensemble"):
        tiny_policy.predict(fake_batch(tiny_policy, 1), "ensembel")


def broken(policy, **change):
    obs = fake_observation(policy.config)
    for key, value in change.items():
        setattr(obs, key, value)
    return obs


def test_bad_observations_name_the_problem_and_the_expectation(tiny_policy):
    size = tiny_policy.config.vision.image_size
    front = np.zeros((size, size, 3), np.uint8)
    cases = [
        ({"images": {"front": front}}, ValueError, r"missing camera\(s\) \['wrist'\]"),
        (
            {"images": {"front": front, "wrist": np.zeros((size, size, 4), np.uint8)}},
            ValueError,
            rf"camera 'wrist': expected an HxWx3 image, got shape \({size}, {size}, 4\)",
        ),
        (
            {"images": {"front": front, "wrist": front.astype(np.float32)}},
            TypeError,
            "expected uint8",
        ),
        ({"state": np.zeros(5, np.float32)}, ValueError, "state must have 14 values"),
        ({"embodiment": "koch"}, KeyError, "known: panda, so101"),
    ]
    for change, error, message in cases:
        with pytest.raises(error, match=message):
            tiny_policy.infer(broken(tiny_policy, **change))


def test_camera_frames_of_any_size_are_letterboxed_to_the_encoder_size(tiny_policy):
    size = tiny_policy.config.vision.image_size
    frame = np.full((3 * size, 4 * size, 3), 200, np.uint8)  # 4:3, like a USB camera
    fitted = fit_image(frame, size)
    assert fitted.shape == (size, size, 3) and fitted.dtype == np.uint8
    band = (size - round(size * 3 / 4)) // 2
    assert (fitted[:band] == 0).all() and (fitted[-band:] == 0).all()  # padded, not stretched
    assert (fitted[band + 1 : size - band - 1] == 200).all()
    assert fit_image(fitted, size) is fitted  # already fitting: untouched
    obs = fake_observation(tiny_policy.config, "so101")
    obs.images = {cam: np.ascontiguousarray(img[::2]) for cam, img in obs.images.items()}
    tiny_policy.reset()
    torch.manual_seed(1)
    chunk = tiny_policy.infer(obs).actions
    assert chunk.shape == (tiny_policy.config.horizon, 6) and np.isfinite(chunk).all()


def test_training_and_serving_letterbox_frames_the_same_way(tiny_policy):
    config, size = tiny_policy.config, tiny_policy.config.vision.image_size
    sample = fake_sample(config, "so101")
    wide = {cam: np.repeat(frames, 2, axis=2) for cam, frames in sample["images"].items()}
    trained = tiny_policy.transform({**sample, "images": wide})
    obs = fake_observation(config, "so101")
    obs.images = {cam: frames[-1] for cam, frames in wide.items()}
    served = tiny_policy.transform.observation_inputs([obs])
    for cam in config.cameras:
        assert trained["images"][cam].shape == (config.n_obs_steps, size, size, 3)
        assert np.array_equal(trained["images"][cam][-1], fit_image(wide[cam][-1], size))
        assert np.array_equal(served["images"][cam][-1], trained["images"][cam][-1])


def test_transform_round_trip_is_the_exact_inverse(tiny_policy):
    transform = tiny_policy.training_transform()
    for embodiment in ("panda", "so101"):
        native = fake_sample(tiny_policy.config, embodiment, seed=3)["action"]
        universal, mask = transform.universal_action(native, embodiment)
        assert universal.shape == (tiny_policy.config.horizon, 32) and universal.dtype == np.float32
        assert np.abs(universal[:, mask]).max() <= 1.2 and np.all(universal[:, ~mask] == 0)
        back = transform.native_action(universal, embodiment)
        np.testing.assert_allclose(back, native, atol=1e-5)


def test_instruction_embeddings_are_cached_per_unique_string_at_inference(tiny_policy):
    text = tiny_policy.backbone.text
    text.cache.clear()
    obs = fake_observation(tiny_policy.config)
    for _ in range(3):
        tiny_policy.infer(obs)
    assert list(text.cache) == [obs.instruction]
    tiny_policy.train()
    assert not text.cache  # training invalidates cached embeddings
    tiny_policy.eval()


def test_observation_history_is_padded_and_reset(stats):
    config = get_preset("tiny").replace(n_obs_steps=2)
    policy = VLAPolicy.create(config, stats).eval()
    obs = fake_observation(config)
    batch = policy.observation_batch([obs])
    assert batch["obs_pad"].tolist() == [[True, False]]
    assert batch["images"]["front"].shape[:2] == (1, 2)
    policy.infer(obs)
    policy.infer(obs)
    assert len(policy.history) == 2
    policy.reset()
    assert not policy.history


def test_datasets_norm_stats_are_accepted_and_normalise_like_the_datasets_room(stats):
    from actloop.datasets.stats import NormStats

    norm_stats = NormStats.from_dict(stats)
    policy = VLAPolicy.create("tiny", norm_stats)
    native = fake_sample(policy.config, "panda", seed=2)["action"]
    universal, mask = policy.transform.universal_action(native, "panda")
    expected = norm_stats.get("panda", "action").normalize(native)
    np.testing.assert_allclose(universal[:, mask], expected, atol=1e-5)

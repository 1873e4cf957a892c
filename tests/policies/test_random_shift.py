import dataclasses

import torch
import torch.nn.functional as F
from actloop.policies import get_preset
from actloop.policies.vision import VisionEncoder, random_shift


def test_every_shifted_image_is_a_window_of_the_padded_original():
    torch.manual_seed(0)
    images = torch.rand(16, 3, 12, 12)
    shifted = random_shift(images, 3)
    padded = F.pad(images, (3, 3, 3, 3), mode="replicate")
    offsets = set()
    for i in range(len(images)):
        matches = [
            (dy, dx)
            for dy in range(7)
            for dx in range(7)
            if torch.equal(shifted[i], padded[i, :, dy : dy + 12, dx : dx + 12])
        ]
        assert matches, f"image {i} is not a crop of its padded original"
        offsets.add(matches[0])
    assert len(offsets) > 1  # offsets are drawn per image


def test_shift_applies_in_training_only():
    config = get_preset("tiny")
    vision = dataclasses.replace(config.vision, random_shift=4)
    encoder = VisionEncoder(vision, config.cameras, n_obs_steps=1, d_model=32)
    size = vision.image_size
    images = {
        cam: torch.randint(0, 256, (2, 1, size, size, 3), dtype=torch.uint8)
        for cam in config.cameras
    }

    def encode_twice():
        torch.manual_seed(0)
        first = encoder(images)
        torch.manual_seed(1)
        return first, encoder(images)

    encoder.train()
    first, second = encode_twice()
    assert not torch.equal(first, second)  # different random shifts
    encoder.eval()
    first, second = encode_twice()
    assert torch.equal(first, second)

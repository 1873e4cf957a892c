import numpy as np
import pytest
from actloop.control import Observation


def test_observation_accepts_uint8_images_and_casts_state():
    obs = Observation({"front": np.zeros((8, 8, 3), np.uint8)}, [1, 2], "pick", "so101", 0.0)
    assert obs.state.dtype == np.float32


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((8, 8, 3), np.float32), "'front'.*uint8"),
        (np.zeros((8, 8), np.uint8), "'front'.*HxWx3"),
    ],
)
def test_observation_rejects_bad_images(image, message):
    with pytest.raises((TypeError, ValueError), match=message):
        Observation({"front": image}, np.zeros(2), "pick", "so101", 0.0)


def test_observation_rejects_2d_state():
    with pytest.raises(ValueError, match="state must be 1-D"):
        Observation({}, np.zeros((2, 2)), "pick", "so101", 0.0)

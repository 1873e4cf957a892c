"""The pipeline reuses demos only when they were recorded by the sim as it is now."""

from actloop.cli.commands.pipeline import _matches_current_sim
from actloop.cli.main import main
from actloop.datasets import EpisodeStore


def test_demo_store_is_reused_only_for_the_sim_that_recorded_it(tmp_path):
    store = tmp_path / "reach.zarr"
    args = ["collect", "--task", "so101/reach", "--episodes", "1", "--out", str(store)]
    assert main([*args, "--image-size", "32"]) == 0
    recorded = EpisodeStore(str(store))
    assert _matches_current_sim(recorded, "so101/reach")
    # Another scene (here: another task's layout for the same seed) must not pass as this one.
    assert not _matches_current_sim(recorded, "so101/press_button")

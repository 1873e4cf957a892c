"""``actloop convert --help`` works without lerobot, zarr or torch being imported."""

from __future__ import annotations

import subprocess
import sys


def test_convert_help_lists_both_directions():
    out = subprocess.run(
        [sys.executable, "-m", "actloop.cli", "convert", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "lerobot-to-zarr" in out and "zarr-to-lerobot" in out

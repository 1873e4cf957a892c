"""`actloop pipeline` end to end at toy scale: demos -> train -> eval -> report."""

from __future__ import annotations

import json

import pytest
from actloop.cli.main import main


@pytest.mark.slow
def test_pipeline_writes_report_videos_and_checkpoint(tmp_path, capsys):
    code = main(
        [
            "pipeline",
            "--out",
            str(tmp_path),
            "--task",
            "panda/reach",
            "--demos",
            "2",
            "--preset",
            "debug",
            "--steps",
            "2",
            "--episodes",
            "2",
            "--workers",
            "1",
            "--linger",
            "3",
            "--scheduler",
            "temporal_ensemble",
            "--n-execute",
            "2",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    for label in ("report:", "videos:", "checkpoint:", "panda/reach"):
        assert label in printed
    assert (tmp_path / "data" / "panda-reach-linger3.zarr").is_dir()  # the linger is in the name
    assert (tmp_path / "train" / "policy" / "config.json").is_file()
    result = json.loads((tmp_path / "eval" / "result.json").read_text())
    assert result["summary"]["tasks"]["panda/reach"]["episodes"] == 2
    assert result["policy"] == str(tmp_path / "train" / "policy")
    settings = result["settings"]
    assert (settings["scheduler"], settings["n_execute"]) == ("temporal_ensemble", 2)
    assert (tmp_path / "eval" / "report.md").is_file()
    assert list((tmp_path / "eval" / "videos").glob("*.mp4"))


def test_an_unknown_eval_scheduler_is_refused_before_demos_are_collected(tmp_path, capsys):
    code = main(["pipeline", "--out", str(tmp_path), "--scheduler", "rtcc"])
    assert code == 2
    assert "did you mean: rtc" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()

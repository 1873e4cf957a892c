"""`actloop eval` end to end with the scripted expert: real MuJoCo, real ControlLoop,
real worker processes, real mp4 files."""

from __future__ import annotations

import dataclasses
import json

import pytest
from actloop.cli.main import main
from actloop.eval.video import read_frame_count

TASK = "panda/reach"


@pytest.fixture(scope="module")
def expert_eval(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    code = main(
        [
            "eval",
            "--policy",
            "expert",
            "--task",
            TASK,
            "--episodes",
            "2",
            "--workers",
            "2",
            "--out",
            str(out),
            "--videos",
            "1",
        ]
    )
    assert code == 0
    return out


def test_eval_writes_json_with_wilson_ci(expert_eval):
    result = json.loads((expert_eval / "result.json").read_text())
    task = result["summary"]["tasks"][TASK]
    assert task["episodes"] == 2 and len(result["episodes"]) == 2
    assert 0.0 <= task["ci95"][0] <= task["success_rate"] <= task["ci95"][1] <= 1.0
    assert {e["seed"] for e in result["episodes"]} == {1_000_000, 1_000_001}
    assert all(e["length"] > 0 for e in result["episodes"])
    assert result["summary"]["inference_latency_ms"]["count"] > 0


def test_expert_succeeds(expert_eval):
    result = json.loads((expert_eval / "result.json").read_text())
    assert result["summary"]["overall"]["successes"] == 2


def test_eval_writes_a_playable_video(expert_eval):
    videos = sorted((expert_eval / "videos").glob("*.mp4"))
    assert len(videos) == 1  # --videos 1: one success kept, the rest deleted
    episode = next(
        e for e in json.loads((expert_eval / "result.json").read_text())["episodes"] if e["video"]
    )
    assert read_frame_count(videos[0]) == episode["length"]


def test_eval_writes_report_with_plots(expert_eval):
    report = (expert_eval / "report.md").read_text()
    assert f"| {TASK} | 2/2 |" in report and "Wilson" in report
    for plot in ("success.png", "episode_lengths.png", "inference_latency.png"):
        assert (expert_eval / plot).stat().st_size > 1000
        assert f"]({plot})" in report


def test_unknown_task_is_named(tmp_path, capsys):
    code = main(
        [
            "eval",
            "--policy",
            "expert",
            "--task",
            "panda/reech",
            "--episodes",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert "did you mean: panda/reach" in capsys.readouterr().err


def test_compile_is_refused_for_a_policy_without_diffusion_sampling(tmp_path, capsys):
    args = ["eval", "--policy", "expert", "--task", TASK, "--episodes", "1", "--compile"]
    assert main([*args, "--out", str(tmp_path)]) == 2
    assert "--compile needs a VLAPolicy checkpoint; policy 'expert'" in capsys.readouterr().err


def test_eval_runs_a_checkpoint_with_compiled_inference(tmp_path):
    from actloop.policies import VLAPolicy, fake_stats, get_preset

    tiny = get_preset("tiny")  # 2 sampling steps: the compiled loop unrolls them
    config = tiny.replace(diffusion=dataclasses.replace(tiny.diffusion, inference_steps=2))
    checkpoint = tmp_path / "tiny"
    VLAPolicy.create(config, fake_stats(("panda",))).save_pretrained(checkpoint)
    args = ["eval", "--policy", str(checkpoint), "--task", TASK, "--episodes", "1"]
    out = tmp_path / "eval"
    assert main([*args, "--workers", "1", "--max-ticks", "10", "--compile", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["settings"]["compile_inference"] is True
    assert result["episodes"][0]["length"] == 10


def test_eval_runs_the_named_scheduler_with_its_request_period(tmp_path):
    """ACT-style evaluation: a temporal ensemble queried every tick asks for a chunk on each
    of the 10 ticks, where the default execute_n (8 of each 8-step chunk) asks twice."""
    from actloop.policies import VLAPolicy, fake_stats

    checkpoint = tmp_path / "tiny"  # horizon 8 (the expert plans one tick at a time)
    VLAPolicy.create("tiny", fake_stats(("panda",))).save_pretrained(checkpoint)
    args = ["eval", "--policy", str(checkpoint), "--task", TASK, "--episodes", "1"]
    args += ["--workers", "1", "--max-ticks", "10", "--videos", "0"]
    counts = {}
    for scheduler, every in (("temporal_ensemble", "1"), ("execute_n", "8")):
        out = tmp_path / scheduler
        assert main([*args, "--scheduler", scheduler, "--n-execute", every, "--out", str(out)]) == 0
        result = json.loads((out / "result.json").read_text())
        assert result["settings"]["scheduler"] == scheduler
        counts[scheduler] = result["summary"]["inference_latency_ms"]["count"]
    assert counts == {"temporal_ensemble": 10, "execute_n": 2}


def test_an_unknown_scheduler_is_refused_before_any_episode_runs(tmp_path, capsys):
    args = ["eval", "--policy", "expert", "--task", TASK, "--scheduler", "temporal_ensembel"]
    assert main([*args, "--out", str(tmp_path)]) == 2
    assert "did you mean: temporal_ensemble" in capsys.readouterr().err

"""Statistics and `actloop compare` on fixture results."""

from __future__ import annotations

import json

import pytest
from actloop.cli.main import main
from actloop.eval import (
    EpisodeOutcome,
    EvalResult,
    Proportion,
    compare_results,
    holm_adjust,
    load_result,
    wilson_interval,
)
from scipy import stats as scipy_stats


def test_wilson_matches_known_values():
    # 45/50: the textbook Wilson interval is [0.7864, 0.9565].
    low, high = wilson_interval(45, 50)
    assert low == pytest.approx(0.7864, abs=1e-4)
    assert high == pytest.approx(0.9565, abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(0, 10)[1] > 0.2
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0) and wilson_interval(10, 10)[0] < 0.75


def test_wilson_interval_always_contains_the_observed_rate():
    # at 0/50 the bound once came out 6.9e-18 above the rate, breaking the report's error bars
    for trials in range(1, 201):
        for successes in (0, 1, trials // 2, trials - 1, trials):
            low, high = wilson_interval(successes, trials)
            assert 0.0 <= low <= successes / trials <= high <= 1.0


def test_wilson_agrees_with_scipy():
    result = scipy_stats.binomtest(17, 40).proportion_ci(0.95, method="wilson")
    assert wilson_interval(17, 40) == pytest.approx((result.low, result.high), abs=1e-9)


def test_proportion_rejects_impossible_counts():
    with pytest.raises(ValueError, match="successes <= trials"):
        Proportion(6, 5)


def test_holm_is_monotone_and_capped():
    adjusted = holm_adjust([0.01, 0.04, 0.03, 0.5])
    assert adjusted == pytest.approx([0.04, 0.09, 0.09, 0.5])


def _result(policy: str, counts: dict[str, tuple[int, int]]) -> EvalResult:
    episodes = []
    for task, (wins, total) in counts.items():
        for i in range(total):
            episodes.append(
                EpisodeOutcome(
                    task, i, i < wins, 40 + i, "success" if i < wins else "timeout", [1.0]
                )
            )
    return EvalResult(policy, episodes, {"episodes": max(t for _, t in counts.values())})


@pytest.fixture
def fixture_results(tmp_path):
    a = _result("baseline", {"reach": (25, 50), "push": (40, 50)})
    b = _result("candidate", {"reach": (48, 50), "push": (41, 50), "extra": (1, 2)})
    return a.save(tmp_path / "a.json"), b.save(tmp_path / "b.json")


def test_compare_flags_only_real_differences(fixture_results):
    rows = {r.task: r for r in compare_results(*map(load_result, fixture_results))}
    assert set(rows) == {"reach", "push", "overall"}
    assert rows["reach"].verdict == "B better" and rows["reach"].p_holm < 1e-5
    assert rows["push"].verdict == "no significant difference"
    assert rows["overall"].a.trials == 100 and rows["overall"].b.successes == 89


def test_compare_cli_prints_table_and_json(fixture_results, capsys):
    assert main(["compare", *map(str, fixture_results)]) == 0
    text = capsys.readouterr().out
    assert "| reach |" in text and "B better" in text and "+46.0 pts" in text
    assert main(["compare", "--json", *map(str, fixture_results)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["task"] for r in rows] == ["push", "reach", "overall"]


def test_compare_cli_names_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": "something-else"}))
    assert main(["compare", str(bad), str(bad)]) == 2
    assert "expected schema" in capsys.readouterr().err


def test_result_roundtrip_keeps_summary(tmp_path):
    result = _result("p", {"reach": (3, 4)})
    loaded = load_result(result.save(tmp_path / "r.json"))
    assert loaded.summary() == result.summary()
    assert loaded.summary()["tasks"]["reach"]["success_rate"] == 0.75

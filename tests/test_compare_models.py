"""Two models compared on the same comments (moderation/training/compare.py, benchmarks/compare_models.py)."""

from __future__ import annotations

import pytest

from moderation import load_model
from moderation.policy import Policy
from moderation.training.compare import compare, render


@pytest.fixture(scope="module")
def stricter():
    """The shipped model holding only at 0.95 and over: fewer comments flagged, the same scores."""
    model = load_model()
    model.policy = Policy(thresholds={label: {"hold": 0.95, "reject": 0.99} for label in model.labels})
    return model


def _by_figure(rows):
    return {r["figure"]: r for r in rows}


def test_a_model_against_itself_differs_by_nothing(moderator):
    rows = compare(moderator, moderator, None, blind=[1], log=lambda m: None)
    assert [r["figure"] for r in rows[:4]] == ["seed table right", "test split: F1 `dehumanising`",
                                               "test split: F1 `abusive`", "test split: hard-negative false positives"]
    assert any(r["figure"].startswith("blind batch 1:") for r in rows)
    for r in rows:
        assert r["difference"] == 0, r
        assert r["interval"] in (None, [0.0, 0.0]), r


def test_a_stricter_model_flags_less_and_the_interval_holds_the_difference(moderator, stricter):
    rows = _by_figure(compare(moderator, stricter, None, log=lambda m: None))
    fp = rows["test split: hard-negative false positives"]
    assert fp["candidate"] < fp["base"]
    f1 = rows["test split: F1 `abusive`"]
    assert f1["candidate"] < f1["base"]  # recall falls far more than precision rises at 0.95
    lo, hi = f1["interval"]
    assert lo <= f1["difference"] <= hi and hi < 0
    assert rows["seed table right"]["candidate"] < rows["seed table right"]["base"]


def test_render_marks_only_intervals_that_leave_out_zero():
    rows = [{"figure": "a", "base": 0.5, "candidate": 0.6, "difference": 0.1, "interval": [0.02, 0.2]},
            {"figure": "b", "base": 0.5, "candidate": 0.49, "difference": -0.01, "interval": [-0.05, 0.03]},
            {"figure": "c", "base": 9, "candidate": 8, "difference": -1, "interval": None}]
    lines = render(rows, "old", "new").splitlines()
    assert lines[0].startswith("| figure | base `old` | candidate `new` |")
    assert lines[2].endswith("| +0.0200 to +0.2000 | beyond chance |")
    assert lines[3].endswith("| -0.0500 to +0.0300 |  |")
    assert lines[4] == "| c | 9 | 8 | -1 |  |  |"


def test_the_script_without_the_news_data(benchmark_script, capsys, tmp_path):
    script = benchmark_script("compare_models")
    out = tmp_path / "rows.json"
    assert script.main(["--candidate", "models", "--data", str(tmp_path / "none"), "--blind", "2",
                        "--json", str(out)]) == 0
    printed = capsys.readouterr()
    assert "our own labelled sets only" in printed.err
    assert "| blind batch 2: F1 `abusive` |" in printed.out and "Fox News" not in printed.out
    assert '"rows"' in out.read_text()
    with pytest.raises(SystemExit):
        script.main(["--candidate", "models", "--blind", "99"])
    assert "no batch 99" in capsys.readouterr().err


@pytest.mark.data
def test_news_rows_ranking_is_untouched_by_thresholds(moderator, stricter, shared_data):
    """A stricter policy changes what is flagged, not how comments rank: the AUC rows differ by exactly 0."""
    rows = _by_figure(compare(moderator, stricter, shared_data, log=lambda m: None))
    for name in ("Fox News (4 held-out threads): `abusive` ROC AUC",
                 "Globe and Mail (hostile/antagonize vs healthy): `abusive` ROC AUC"):
        assert rows[name]["difference"] == 0 and rows[name]["interval"] == [0.0, 0.0]
        assert 0.5 < rows[name]["base"] < 1
    bbc = rows["BBC News sentences: flagged"]
    assert bbc["candidate"] < bbc["base"] and bbc["interval"][1] < 0
    tox = rows["toxigen neutral statements: worst group flagged"]
    assert tox["candidate"] <= tox["base"]

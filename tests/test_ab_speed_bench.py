"""benchmarks/ab_speed.py: two checkouts timed in turns (here this checkout against itself, an A/A run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks" / "ab_speed.py"


@pytest.fixture(scope="module")
def ab(benchmark_script):
    return benchmark_script("ab_speed")


def test_a_path_that_is_not_a_checkout_is_refused_by_name(tmp_path):
    done = subprocess.run([sys.executable, str(BENCH), "--base", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert f"{tmp_path}: not a checkout of this repository" in done.stderr


def test_pairs_run_in_abba_order_and_the_figure_is_the_median_per_pair_ratio(ab, monkeypatch):
    calls = []
    seconds = {"base": [1.0, 1.0, 2.0], "candidate": [1.1, 0.9, 2.4]}

    def fake(checkout, data, n, latency):
        name = checkout.name
        calls.append(name)
        return {"proba_seconds": seconds[name][sum(c == name for c in calls) - 1], "model_version": "m"}

    monkeypatch.setattr(ab, "measure", fake)
    out = ab.compare(Path("base"), Path("candidate"), Path("data"), pairs=3, log=lambda _: None)
    assert calls == ["base", "candidate", "candidate", "base", "base", "candidate"]
    assert out["ratios"]["proba_seconds"] == [1.1, 0.9, 1.2] and out["median_ratio"]["proba_seconds"] == 1.1


def test_an_a_a_run_of_this_checkout(ab, shared_data):
    logged = []
    out = ab.compare(REPO, REPO, shared_data, pairs=2, n=300, latency=True, log=logged.append)
    assert len(out["ratios"]["proba_seconds"]) == 2 and len(out["ratios"]["check_p99_of_fastest_ms"]) == 2
    assert all(r > 0 for r in out["ratios"]["proba_seconds"])
    assert out["median_ratio"]["proba_seconds"] == pytest.approx(
        sum(out["ratios"]["proba_seconds"]) / 2, abs=1e-3)  # the median of two is their mean
    assert len(out["models"]) == 1 and len(logged) == 2

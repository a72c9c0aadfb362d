"""benchmarks/news_ceiling.py: the in-domain ceiling fit and its refusal without the data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "news_ceiling.py"


def _bench():
    spec = importlib.util.spec_from_file_location("news_ceiling", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_in_domain_auc_scores_only_held_out_folds_and_separates_what_is_learnable():
    bench = _bench()
    rng = np.random.default_rng(0)
    words = ["council", "budget", "road", "school", "vote", "river", "park", "tax"]
    civil = [" ".join(rng.choice(words, 6)) for _ in range(60)]
    rude = [" ".join(rng.choice(words, 5)) + " idiot" for _ in range(60)]
    texts = np.array(civil + rude)
    y = np.array([0] * 60 + [1] * 60)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(texts, y))
    auc, c = bench.in_domain_auc(texts, y, folds)
    assert auc > 0.99 and c in bench.GRID_C
    shuffled = rng.permutation(y)  # labels unrelated to the text: nothing to learn
    assert abs(bench.in_domain_auc(texts, shuffled, folds)[0] - 0.5) < 0.2


def test_without_the_news_data_it_says_what_it_needs(tmp_path, capsys):
    assert _bench().main(["--data", str(tmp_path)]) == 1
    assert "ucc_unhealthy_globe" in capsys.readouterr().err

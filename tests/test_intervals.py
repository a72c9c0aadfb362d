"""The evaluation's 95% intervals (moderation/training/intervals.py): weighted figures that agree
with sklearn's on the comments repeated as often as they are weighed, and a paired bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from moderation.training import intervals


@pytest.fixture
def scored():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 400)
    score = np.round(rng.random(400) + 0.4 * y, 1)  # rounded: many ties
    return y, score, rng.random(400) < 0.4 + 0.3 * y


def test_unweighted_figures_are_sklearns(scored):
    y, score, pred = scored
    assert intervals.weighted_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert intervals.weighted_f1(y, pred) == pytest.approx(f1_score(y, pred), abs=1e-12)
    assert intervals.weighted_rate(pred) == pytest.approx(pred.mean())


def test_a_weight_counts_a_comment_that_many_times(scored):
    y, score, pred = scored
    w = np.random.default_rng(3).poisson(1.0, len(y)).astype(float)
    rows = np.repeat(np.arange(len(y)), w.astype(int))
    assert intervals.weighted_auc(y, score, w) == pytest.approx(roc_auc_score(y[rows], score[rows]), abs=1e-12)
    assert intervals.weighted_f1(y, pred, w) == pytest.approx(f1_score(y[rows], pred[rows]), abs=1e-12)
    assert intervals.weighted_rate(pred, w) == pytest.approx(pred[rows].mean())


def test_degenerate_rounds():
    # nothing to find and nothing found: F1 0, as sklearn; one class only: no AUC (left out of intervals)
    assert intervals.weighted_f1(np.zeros(3), np.zeros(3)) == 0.0
    assert np.isnan(intervals.weighted_auc(np.ones(3), np.array([0.1, 0.2, 0.3])))
    assert intervals.interval(np.array([0.5, np.nan, 0.5, 0.5])) == [0.5, 0.5]


def test_bootstrap_is_seeded_and_covers_the_figure(scored):
    y, score, _ = scored
    stat = lambda w: intervals.weighted_auc(y, score, w)  # noqa: E731
    a = intervals.bootstrap(stat, len(y), rounds=200)
    b = intervals.bootstrap(stat, len(y), rounds=200)
    assert a.shape == (200, 1) and np.array_equal(a, b)
    lo, hi = intervals.interval(a[:, 0])
    assert lo < roc_auc_score(y, score) < hi
    assert 0.03 < hi - lo < 0.2  # 400 comments: a few points either way
    assert not np.array_equal(a, intervals.bootstrap(stat, len(y), rounds=200, seed=1))


def test_the_difference_of_two_models_on_the_same_comments_is_paired(scored):
    """Two scores that share most of their signal: each AUC moves a lot with the comments drawn, their
    difference hardly, so the paired interval is far narrower than the two intervals side by side."""
    y, score, _ = scored
    other = score + np.random.default_rng(5).normal(0, 0.05, len(y))
    s = intervals.bootstrap(lambda w: (intervals.weighted_auc(y, score, w), intervals.weighted_auc(y, other, w)),
                            len(y), rounds=300)
    one, two = intervals.interval(s[:, 0]), intervals.interval(s[:, 1])
    diff = intervals.interval(s[:, 0] - s[:, 1])
    assert diff[1] - diff[0] < 0.5 * ((one[1] - one[0]) + (two[1] - two[0])) / 2

"""The seed page's table (issue 2), scored by the shipped model on each comment's own text."""

from __future__ import annotations

import pytest

from moderation.training.seed_table import SEED_TABLE


@pytest.mark.parametrize("number, text, expected", SEED_TABLE, ids=[row[0] for row in SEED_TABLE])
def test_seed_comment_flags(moderator, number, text, expected):
    verdict = moderator.check(text)
    if expected is None:  # 3.1: borderline, either is fine, but never dehumanising
        assert "dehumanising" not in verdict.labels
        return
    assert set(verdict.labels) == set(expected), verdict.scores
    if expected:
        assert verdict.decision in ("hold", "reject")
        assert {e.label for e in verdict.evidence} == set(expected)
    else:
        assert verdict.decision == "allow"


def test_dehumanising_seed_evidence_names_the_metaphor(moderator):
    by_number = {n: t for n, t, _ in SEED_TABLE}
    words = {"1": "orcs", "1.1": "pig", "1.2": "orcs", "5": "cockroaches"}
    for number, word in words.items():
        v = moderator.check(by_number[number])
        spans = [e.text.lower() for e in v.evidence if e.label == "dehumanising"]
        assert any(word in s for s in spans), (number, spans)

"""A dot, apostrophe or hyphen typed inside a lexicon word (`verm.in`, `verm'in`, `ver-min`), or one
of its letters doubled (`vermmin`).

The red team (benchmarks/red_team.py) let 720-793 of 971 flagged comments through with
one such mark in each offending word. `Featurizer._join_inside` makes the two parts of a
dot or apostrophe one token again when together they spell a lexicon word and neither
part is one; the swap table (`Featurizer._build_swaps`) maps an unknown hyphenated or
doubled spelling to the word.
"""

from __future__ import annotations

import numpy as np
import pytest

from moderation import features, load_model
from moderation.features import TOKEN_RE
from moderation.normalize import normalize_batch


@pytest.fixture(scope="module")
def moderator():
    return load_model()


def _tokens(moderator, text):
    fz = moderator.featurizer
    ids, starts, ends = fz._tokens(normalize_batch([text]))
    return [fz.tokens_[i] if 0 <= i < len(fz.tokens_) else None for i in ids[:-1]], starts[:-1], ends[:-1]


@pytest.mark.parametrize("written", ["verm.in", "verm'in", "Verm.In", "v.ermin", "vermi.n", "v'ermin", "ver-min", "vermmin",
                                     "vverMin"])
def test_a_mark_inside_a_lexicon_word_is_read_as_the_word(moderator, written):
    text = f"Those migrants are {written} and should go."
    toks, starts, ends = _tokens(moderator, text)
    assert toks == _tokens(moderator, "Those migrants are vermin and should go.")[0]
    k = toks.index("vermin")
    assert text[starts[k]:ends[k]] == written  # one token spanning the word as written
    verdict = moderator.check(text)
    assert "dehumanising" in verdict.labels, verdict.scores
    assert written in {e.text for e in verdict.evidence}
    assert verdict.scores == moderator.check("Those migrants are vermin and should go.").scores


@pytest.mark.parametrize("text", [
    "he'll be there", "who're they", "U.S. policy", "e.g. this", "at five o'clock", "rock'n'roll",
    "Jones's dog", "the end.Then we left", "cock.roaches", "n'est-ce pas", "3.5 per cent", "ab.cd",
    "l'homme", "at 9 a.m. or p.m.", "the U.K. and U.S.A.", "d'ass", "rat's tail", "O'Neill",
])
def test_other_marks_between_letters_are_left_alone(moderator, text):
    """Contractions are one token already; abbreviations, elisions, possessives, a missing space
    after a full stop and parts that are lexicon words themselves are not joined."""
    fz = moderator.featurizer
    normalized = normalize_batch([text])
    want = [fz._vocab[t] for t in TOKEN_RE.findall(normalized[0] + "\x1e")]
    assert fz._ids(normalized).tolist() == want


def test_both_tokenisers_join_the_same_way(moderator, monkeypatch, both_tokenisers):
    """The regex path (one comment, the hook; it skips the join when `_INSIDE_RE` finds nothing) and the
    array path (a batch) give the same ids and offsets, text by text and for the whole batch."""
    texts = ["verm.in", "verm'in everywhere", "par.asites, ver-min and cock.roaches", "he'll o'clock U.S.",
             "they are sc'um", "scum.bags and rat.s", "x" * 50 + " verm.in", "ma'am, bitc'h", "it's o'rcs",
             "3.5 v.ermin", "nothing to join here", "don't, won't, they're"]
    fz = moderator.featurizer
    normalized = normalize_batch(texts)
    small = both_tokenisers(fz, normalized)
    monkeypatch.setattr(features, "_SMALL_BATCH_CHARS", 10 ** 9)
    for text in normalized:
        one = fz._tokens([text])
        monkeypatch.setattr(features, "_SMALL_BATCH_CHARS", 0)
        for a, b in zip(one, fz._tokens([text])):
            np.testing.assert_array_equal(a, b)
        monkeypatch.setattr(features, "_SMALL_BATCH_CHARS", 10 ** 9)
    assert fz._vocab["vermin"] in small[0].tolist() and fz._vocab["parasites"] in small[0].tolist()


@pytest.mark.parametrize("word", ["pratt", "dogg", "hogg", "bests", "insets", "rather", "scumbag"])
def test_names_and_real_words_are_not_read_as_lexicon_words(moderator, word):
    """The last letter is never doubled (Pratt, Dogg and Hogg are names), and a known word is
    never mapped: `bests` is no beast (tests/test_dropped_letters.py)."""
    fz = moderator.featurizer
    assert word not in fz._vocab.swaps

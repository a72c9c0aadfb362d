"""A lexicon word with a letter or its inner vowels dropped (`vrmin`, `cockroches`, `prsts`).

The red team (benchmarks/red_team.py) let about half of the flagged comments through
with a letter dropped from each offending word. The swap table (`Featurizer._build_swaps`)
maps such a spelling to the word when the vocabulary does not know it, no other lexicon
word shares it, and the training texts never used it as a word of its own (`fit` keeps
those seen once in the vocabulary for this).
"""

from __future__ import annotations

import pytest

from moderation import load_model
from moderation.features import Featurizer, dropped_letters, english_words
from moderation.normalize import normalize_batch


@pytest.fixture(scope="module")
def moderator():
    return load_model()


def test_dropped_letters_keeps_the_first_and_last_letter():
    got = dropped_letters("vermin")
    assert {"vrmin", "vemin", "verin", "vermn", "vrmn"} <= got
    assert not {"ermin", "vermi", "vermin"} & got
    assert dropped_letters("rats") == set()  # short words: `rts` could be anything
    assert all(len(v) >= 4 for v in dropped_letters("orcses"))


@pytest.mark.parametrize("written, word", [("vrmin", "vermin"), ("cockroches", "cockroaches"),
                                           ("prsts", "parasites"), ("plgue", "plague"), ("anmls", "animals")])
def test_a_dropped_letter_is_read_as_the_lexicon_word(moderator, written, word):
    fz = moderator.featurizer
    assert fz._vocab[written] == fz._vocab[word]
    text = f"Those migrants are {written} and should go."
    verdict = moderator.check(text)
    assert "dehumanising" in verdict.labels, verdict.scores
    assert written in {e.text for e in verdict.evidence}
    assert verdict.scores == moderator.check(f"Those migrants are {word} and should go.").scores


@pytest.mark.parametrize("spelling", ["jackas", "dmbo", "sterilie"])
def test_a_spelling_two_lexicon_words_share_is_not_mapped(moderator, spelling):
    """`jackas` is jackass or jackals, `dmbo` dimbo or dumbo: neither is guessed."""
    assert spelling not in moderator.featurizer._vocab.swaps


def test_fit_keeps_real_words_out_of_the_swap_table():
    """A dropped spelling is a word of its own when the training texts use it even once
    (`vrmin` here) or wordfreq knows it (`bests`, never seen here): it stays in the vocabulary,
    so it is never read as the lexicon word; an unrelated word seen once is not kept."""
    texts = normalize_batch(["the beasts of the field", "the beasts again", "those vermin", "those vermin again",
                             "a zyzzyva here", "vrmin"])
    fz = Featurizer(min_df=1).fit(texts)
    assert "zyzzyva" not in fz.tokens_
    assert "vrmin" in fz.tokens_ and fz._vocab["vrmin"] != fz._vocab["vermin"]
    assert "bests" in fz.tokens_ and fz._vocab["bests"] != fz._vocab["beasts"]
    assert fz._vocab["bsts"] == fz._vocab["beasts"]  # neither seen nor a word: read as the lexicon word
    assert fz._vocab["vermn"] == fz._vocab["vermin"]


def test_english_words_asks_wordfreq():
    assert {"bests", "insets", "garages", "vrmin", "cckroaches"} & english_words() == {"bests", "insets", "garages"}


@pytest.mark.parametrize("text", ["She bests him at chess.", "Federer bests Nadal in straight sets.",
                                  "The photo insets show the damage."])
def test_real_words_a_letter_from_a_lexicon_word_stay_allowed(moderator, text):
    assert moderator.check(text).decision == "allow"

"""A lexicon word glued to the word before or after it (`thoseorcs`, `ThoseOrcs`, `draggingtroglodytes`).

The red team (benchmarks/red_team.py) let 594 of 943 flagged comments through with each
offending word run together with its neighbour, and as many in camelCase (the same
token once lower-cased). `_Vocab.glued` reads an unknown token that is a dehumanising
or insult word glued to one or two known words as that word; `fit` keeps as words of
their own the tokens the training texts hold and the English words wordfreq knows that
it would otherwise read (`dumbstruck`, `candlestick`).
"""

from __future__ import annotations

import pytest

from moderation import load_model
from moderation.features import UNK, Featurizer
from moderation.normalize import normalize_batch
from moderation.training.weak import lexicon_featurizer


@pytest.fixture(scope="module")
def moderator():
    return load_model()


@pytest.mark.parametrize("token, word", [("thoseorcs", "orcs"), ("draggingtroglodytes", "troglodytes"),
                                         ("theyarevermin", "vermin"), ("humansewage", "sewage"),
                                         ("orcsthey", "orcs")])
def test_a_lexicon_word_glued_to_known_words_is_read_as_the_word(moderator, token, word):
    vocab = moderator.featurizer._vocab
    assert dict.get(vocab, token) is None
    assert vocab[token] == vocab[word]


def test_a_camel_case_comment_is_flagged_with_the_glued_token_as_evidence(moderator):
    text = "ThoseOrcs shelled a maternity ward again."
    verdict = moderator.check(text)
    assert "dehumanising" in verdict.labels, verdict.scores
    assert "ThoseOrcs" in {e.text for e in verdict.evidence}
    assert verdict.scores == moderator.check("thoseorcs shelled a maternity ward again.").scores


@pytest.mark.parametrize("token", [
    "notvermin",  # a negator is never glued past
    "guineapigs", "groundhogs", "labrats",  # an animal word beside a content word: an animal's name
    "orcs2024", "xxorcs",  # digits; a part that is no known word
    "dumbstruck", "candlestick", "berkshire", "canapes",  # English words wordfreq knows, kept as themselves
])
def test_names_and_real_words_are_not_read_as_glued_lexicon_words(moderator, token):
    fz = moderator.featurizer
    j = fz._vocab[token]
    assert j == UNK or fz.tokens_[j] == token


def test_both_tokenisers_read_glued_words_the_same_way(moderator, both_tokenisers):
    texts = ["thoseorcs and ThoseOrcs", "knuckle-draggingtroglodytes", "guineapigs", "plain words only",
             "dumbstruck by the candlestick", "notvermin"]
    fz = moderator.featurizer
    ids = both_tokenisers(fz, normalize_batch(texts))[0]
    assert ids.tolist().count(fz._vocab["orcs"]) == 2


def test_fit_keeps_a_glued_token_the_training_texts_hold_as_itself():
    texts = normalize_batch(["those orcs again", "those orcs", "thoseorcs", "those rats", "those rats too",
                             "the candles", "more candles"])
    fz = Featurizer(min_df=1).fit(texts)
    assert "thoseorcs" in fz.tokens_ and fz._vocab["thoseorcs"] != fz._vocab["orcs"]
    assert fz._vocab["thoserats"] == fz._vocab["rats"]  # never seen: read as the lexicon word
    # an English word (wordfreq's) that would read as candles + tick: kept as itself, never seen
    assert "candlestick" in fz.tokens_ and fz._vocab["candlestick"] != fz._vocab["tick"]
    assert "candlestick" not in " ".join(texts)


def test_the_weak_labellers_featurizer_reads_no_glued_or_dropped_spellings():
    """It knows only the lexicon's words, so it cannot tell `money` from a dropped-letter monkey."""
    fz = lexicon_featurizer()
    assert fz._vocab.glued("thoseorcs") == UNK
    assert "vrmin" not in fz._vocab.swaps and "ocrs" in fz._vocab.swaps

"""The scoring path's answers are frozen: speed work must not change a probability or a verdict.

tests/fixtures/scoring/expected.json holds, for a few dozen comments (a slice of
data/news_comments.csv and obfuscated edge cases), the shipped model's
probabilities and full verdicts (labels, decision, reasons, evidence spans) from
the batch path, and the single-comment `check()` verdicts. It was written by
`tests/fixtures/scoring/make_expected.py`; regenerate it only when the model is
retrained or a change of behaviour is intended.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from moderation import load_model
from moderation import features
from moderation.features import TOKEN_RE, token_offsets
from moderation.normalize import normalize, normalize_batch_changed, normalize_with_offsets
from moderation.policy import Policy, WordList, load_policy

EXPECTED = Path(__file__).resolve().parent / "fixtures" / "scoring" / "expected.json"


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def models(expected):
    plain = load_model()
    if plain.card["file"]["sha256"] != expected["model_sha256"]:
        pytest.skip("the shipped model changed since expected.json was frozen: "
                    "run tests/fixtures/scoring/make_expected.py after checking the new model's verdicts")
    with_words = load_model()
    with_words.policy = load_policy(None, card=with_words.card)
    return plain, with_words


def test_probabilities_unchanged(expected, models):
    plain, _ = models
    got = plain.predict_proba(expected["texts"])
    np.testing.assert_allclose(got, np.array(expected["proba"]), rtol=0, atol=1e-9)


def test_batch_verdicts_unchanged(expected, models):
    plain, with_words = models
    texts = expected["texts"]
    assert [v.to_dict() for v in with_words.score(texts)] == expected["score_default_policy"]
    assert [v.to_dict() for v in plain.score(texts)] == expected["score_card_policy"]


def test_single_comment_verdicts_unchanged(expected, models):
    _, with_words = models
    assert [with_words.check(t).to_dict() for t in expected["texts"]] == expected["check_default_policy"]


def test_plain_verdicts_are_the_verdicts_as_plain_data(expected, models):
    """`score_plain` (what a scan writes and sends between processes) equals `score` turned into tuples."""
    from moderation.scan import verdict_tuple

    for model in models:
        texts = expected["texts"]
        assert model.score_plain(texts) == [verdict_tuple(v) for v in model.score(texts)]
        assert model.score_plain(texts[:1]) == [verdict_tuple(v) for v in model.score(texts[:1])]
        assert model.score_plain([]) == []
    flagged = [d for d in expected["score_default_policy"] if d["evidence"]]
    assert flagged, "the frozen texts include flagged comments with evidence"


def test_batch_verdicts_do_not_depend_on_the_batch(expected, models):
    """A comment's verdict is the same whatever else is in its batch (here: the batch reversed)."""
    _, with_words = models
    texts = expected["texts"]
    reversed_ = [v.to_dict() for v in with_words.score(texts[::-1])][::-1]
    assert reversed_ == expected["score_default_policy"]


def test_flagged_comment_ending_in_featureless_tokens_gets_evidence(models):
    """Regression: `check()` raised ValueError when a flagged comment's last tokens had no kept feature."""
    _, with_words = models
    text = "Bad little penis! Bad! Bad! After you shank Harmon"
    single = with_words.check(text)
    in_batch = with_words.score([text, "Thanks for the article."])[0]
    assert single.labels and single.evidence
    assert single.to_dict() == in_batch.to_dict()


def test_token_offsets_match_the_token_regex():
    """The array tokeniser finds exactly TOKEN_RE's matches, including contractions and hyphens."""
    rng = random.Random(7)
    alphabet = list("trevldmax1-''  .\"\x1e\u0436_\u00e9,(")
    cases = ["don't-care", "a'd'd", "a'd'd'd", "don'ta", "we'll", "they're\u0436", "x'm_", "--a--b-", "a-b-c'd-e",
             "'t", "a'", "l'll-ll'd", "e'd\x1ef", "x'll'm-y", ""]
    cases += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    for text in cases:
        starts, ends, _ = token_offsets(text)
        assert list(zip(starts.tolist(), ends.tolist())) == [m.span() for m in TOKEN_RE.finditer(text)], text


def test_token_ids_match_the_vocabulary(models, expected):
    """The hash-table lookup gives what the vocabulary dict gives (unknown, long and swapped tokens included)."""
    plain, _ = models
    fz = plain.featurizer
    texts = expected["texts"] + ["supercalifragilisticexpialidocious ocrs scuuuum orrrcs", "\u00e9t\u00e9 caf\u00e9",
                                 # code points above 255 next to tokens (they wrap to ASCII bytes in the key words)
                                 "rats\u732arats vermin\u6f22vermin cockroaches\u4e00cockroaches \U0001f400parasites\u0161",
                                 "exterminated extermination slaughtering bloodsuckers 123456789 abcdefghijklmnop",
                                 # letters three times running, at either end, in the middle, or in an unknown word
                                 "aaa zzz orcsss vermiiiin ooorcs qqqxqqq scummm ratsss-ratsss rrr'd 111 xxyyzz"]
    texts = texts * 2
    assert sum(map(len, texts)) > features._SMALL_BATCH_CHARS  # the hash table, not the small-batch regex path
    normalized, _ = normalize_batch_changed(texts)
    joined = "\x1e".join(normalized) + "\x1e"
    want = [fz._vocab[t] for t in TOKEN_RE.findall(joined)]
    assert fz._ids(normalized).tolist() == want


def test_unchanged_texts_keep_their_offsets(expected):
    """Texts `normalize_batch_changed` does not list map each character to the same offset (no offset map needed)."""
    texts = expected["texts"]
    normalized, changed = normalize_batch_changed(texts)
    assert normalized == [normalize(t) for t in texts]
    assert changed  # the edge cases do change
    for i, text in enumerate(texts):
        if i not in changed:
            nt = normalize_with_offsets(text)
            assert nt.text == normalized[i] and len(text) == len(nt.text)
            assert list(nt.starts) == list(range(len(text)))


def test_decide_batch_matches_decide():
    policy = Policy(thresholds={"dehumanising": {"hold": 0.4, "reject": 0.8}, "abusive": {"hold": 0.5, "reject": 0.9}},
                    banned=["kike", "white trash"], suspect=["vermin", "gas them", "cockroach*"])
    rng = np.random.default_rng(3)
    texts = ["", "vermin", "They are Vermin.", "gas\nthem", "white   trash and cockroaches", "pigment", "kike\x00kike"]
    texts = [texts[i % len(texts)] for i in range(60)]
    scores = np.round(rng.random((60, 2)), 4)
    scores[:5] = [[0.4, 0.0], [0.3999, 0.5], [0.8, 0.9], [0.1, 0.1], [0.1, 0.1]]
    labels = ["dehumanising", "abusive"]
    got = policy.decide_batch(labels, scores, texts)
    want = [policy.decide(dict(zip(labels, row)), text) for row, text in zip(scores.tolist(), texts)]
    assert got == want
    assert any(r["kind"] == "implied" for _, _, reasons in got for r in reasons)  # [0.4, 0.0]: abusive implied
    bare = Policy(thresholds={})
    assert bare.decide_batch(labels, scores[:3], texts[:3]) == [bare.decide(dict(zip(labels, r)), t)
                                                                 for r, t in zip(scores[:3].tolist(), texts[:3])]


def test_word_list_batch_matches_single():
    words = WordList(["white trash", "cockroach*", "gas them", "pig"])
    texts = ["Gas  Them", "pigment pig", "", "cockroaches! white\ttrash", "gas", "them", "pig"] * 3
    found = words.find_batch(texts)
    assert {i: words.find(t) for i, t in enumerate(texts) if words.find(t)} == found
    assert re.search("\x00", "".join(texts)) is None


def test_code_table_finds_exactly_the_codes_it_holds():
    """The bigram hash table answers what a dict would: present codes by index, absent ones -1."""
    rng = np.random.default_rng(3)
    codes = np.unique(rng.integers(0, 2**40, size=50_000))
    table = features._CodeTable(codes)
    queries = np.concatenate([codes[rng.integers(0, len(codes), size=20_000)], rng.integers(0, 2**40, size=20_000),
                              codes[:1], codes[-1:]])
    where = {int(c): i for i, c in enumerate(codes)}
    assert table.index(queries).tolist() == [where.get(int(q), -1) for q in queries]
    assert table.index(np.zeros(0, dtype=np.int64)).tolist() == []

"""The shipped model: API, verdicts, evidence spans, file checks, cold-start imports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from moderation.model import CARD_NAME, MODEL_NAME, DEFAULT_MODEL_DIR, ModelError, load_model
from moderation.policy import Policy
from moderation.records import Evidence, Verdict


def test_card_describes_the_model(moderator):
    card = moderator.card
    assert moderator.labels == ["dehumanising", "abusive"]
    assert card["version"] and moderator.version == card["version"]
    assert len(card["file"]["sha256"]) == 64
    for label in moderator.labels:
        t = card["thresholds"][label]
        assert 0 < t["hold"] < t["reject"] <= 1
    names = {d["name"] for d in card["training_data"]}
    assert "davidson" in names
    # evaluation-only sets never train the shipped model
    assert not names & {"ucc_unhealthy_globe", "olid_v1_train", "tweeteval_offensive", "tweeteval_hate",
                        "kaggle_insults_impermium", "jigsaw_robtest_balanced", "jigsaw_ak_sample"}
    assert all(d["licence"] for d in card["training_data"])
    assert {"numpy", "scipy", "python"} <= set(card["library_versions"])
    assert card["file"]["bytes"] <= 25_000_000


def test_score_and_check_agree_and_return_verdicts(moderator):
    texts = ["What a lovely day at the seaside.", "Get the fuck out, you absolute moron.",
             "Those cockroaches should be exterminated.", ""]
    verdicts = moderator.score(texts)
    assert len(verdicts) == 4 and all(isinstance(v, Verdict) for v in verdicts)
    for t, v in zip(texts, verdicts):
        single = moderator.check(t)
        assert single.scores == v.scores and single.labels == v.labels
        assert set(v.scores) == set(moderator.labels)
        assert all(0.0 <= s <= 1.0 for s in v.scores.values())
        assert v.model_version == moderator.version
    assert verdicts[0].decision == "allow" and verdicts[0].labels == []
    assert "abusive" in verdicts[1].labels
    assert "dehumanising" in verdicts[2].labels
    assert verdicts[3].decision == "allow"


def test_a_dehumanising_comment_is_also_abusive(moderator):
    v = moderator.check("Those people are vermin and should be wiped out.")
    assert v.scores["abusive"] >= v.scores["dehumanising"]


@pytest.mark.parametrize("text, word", [
    ("Honestly those c0ckr0aches need to go.", "c0ckr0aches"),
    ("He is an evil p i g, a filthy animal, and everyone knows it.", "p i g"),
    ("Тhе оrсs must be slaughtered.", "оrсs"),
])
def test_evidence_spans_point_into_the_original_text(moderator, text, word):
    v = moderator.check(text)
    assert "dehumanising" in v.labels
    ev = [e for e in v.evidence if e.label == "dehumanising"]
    assert ev and all(isinstance(e, Evidence) for e in ev)
    for e in ev:
        assert text[e.start:e.end] == e.text
        assert e.weight > 0
    assert any(word in e.text for e in ev), [e.text for e in ev]


@pytest.mark.parametrize("text", [
    "Refugees are not vermin. They are people fleeing a war.",
    "We had rats in the subway station again this morning.",
    "She was an absolute beast on the court last night.",
    "Holy shit, what a goal!",
])
def test_hard_negatives_are_not_dehumanising(moderator, text):
    assert "dehumanising" not in moderator.check(text).labels


def test_a_policy_can_be_passed():
    strict = Policy(thresholds={"dehumanising": {"hold": 0.0, "reject": 1.0}, "abusive": {"hold": 0.0, "reject": 1.0}})
    m = load_model(policy=strict)
    v = m.check("A perfectly pleasant remark.")
    assert m.policy is strict and v.decision == "hold" and set(v.labels) == {"dehumanising", "abusive"}


def _copy_model(tmp_path):
    dst = tmp_path / "model"
    dst.mkdir()
    for name in (CARD_NAME, MODEL_NAME):
        shutil.copy(DEFAULT_MODEL_DIR / name, dst / name)
    return dst


def test_a_copied_model_loads_by_directory_card_or_file(tmp_path):
    d = _copy_model(tmp_path)
    for p in (d, d / CARD_NAME, d / MODEL_NAME):
        assert load_model(p).labels == ["dehumanising", "abusive"]


def test_a_tampered_model_file_is_refused(tmp_path):
    d = _copy_model(tmp_path)
    data = bytearray((d / MODEL_NAME).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (d / MODEL_NAME).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256"):
        load_model(d)


def test_a_card_from_another_numpy_major_or_format_is_refused(tmp_path):
    d = _copy_model(tmp_path)
    card = json.loads((d / CARD_NAME).read_text())
    card["library_versions"]["numpy"] = "0.1.0"
    (d / CARD_NAME).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="numpy"):
        load_model(d)
    card["format_version"] = 999
    (d / CARD_NAME).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="format"):
        load_model(d)


def test_a_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="model card not found"):
        load_model(tmp_path)


def test_a_model_error_names_the_path_given(tmp_path):
    """`--model README.md` or a mistyped path: the message names what the user typed."""
    with pytest.raises(ModelError, match=r"^.*nowhere\.npz: no such model file or directory$"):
        load_model(tmp_path / "nowhere.npz")
    notes = tmp_path / "notes.md"
    notes.write_text("x", encoding="utf-8")
    with pytest.raises(ModelError, match=r"notes\.md: model card not found \(looked for .*model-card\.json\)"):
        load_model(notes)


def test_loading_the_model_imports_neither_pandas_nor_matplotlib():
    code = ("import sys; from moderation import load_model; m = load_model(); m.check('you rat'); "
            "print(sorted(k for k in ('pandas', 'matplotlib', 'sklearn') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_abuse_at_the_end_of_a_long_comment_is_scored_by_the_model(moderator):
    """Length weighting must not dilute a slur after 6,000 characters of filler (issue 4)."""
    import numpy as np

    from moderation.model import LONG_TEXT, STEP_TOKENS, doc_tokens, long_texts, window_rows
    from moderation.normalize import normalize_batch

    filler = "The council met on Tuesday to discuss the new budget for the library and the parks. " * 72
    abusive = filler + "Those migrants are vermin and should be exterminated."
    assert len(abusive) > 6000
    thresholds = moderator.card["thresholds"]["dehumanising"]
    for verdict in (moderator.check(abusive), moderator.score([abusive, "fine"])[0]):
        assert verdict.scores["dehumanising"] >= thresholds["hold"], verdict.scores
        assert any(e.text == "vermin" for e in verdict.evidence)
    p = moderator.predict_proba([abusive, filler])
    assert p[0, moderator.labels.index("dehumanising")] >= thresholds["hold"]
    assert p[1].max() < 0.3  # the filler alone stays clean
    # bounded cost: each feature occurrence lies in one window or two, a new window every STEP_TOKENS
    normalized = normalize_batch([abusive])
    fz = moderator.featurizer
    ids = fz._ids(normalized)
    docs, cols, rel = fz.columns_ids(ids, positions=True)
    occ, row, owner = window_rows(docs, rel, doc_tokens(ids), long_texts(normalized))
    assert len(abusive) > LONG_TEXT and len(occ) <= 2 * len(docs)
    assert len(owner) == (doc_tokens(ids)[0] - 1) // STEP_TOKENS + 1 and np.array_equal(np.unique(occ), np.arange(len(docs)))
    assert np.array_equal(np.unique(row), np.arange(len(owner)))  # filler throughout: no window is empty


def _windows_by_loop(moderator, text):
    """Reference for the window scores: each window's occurrences picked out one window at a time."""
    import numpy as np

    from moderation.model import STEP_TOKENS, WINDOW_TOKENS

    fz = moderator.featurizer
    ids = fz._ids([text])
    docs, cols, rel = fz.columns_ids(ids, positions=True)
    end = len(ids) - 1  # the document's tokens (the last id is its separator)
    scores = []
    k = 0
    while True:
        inside = (rel >= k * STEP_TOKENS) & (rel < k * STEP_TOKENS + WINDOW_TOKENS)
        if inside.any():
            c = cols[inside]
            scores.append(moderator._scores_of(np.zeros(len(c), np.int64), c, 1)[0])
        if k * STEP_TOKENS + WINDOW_TOKENS >= end:
            return np.array(scores)
        k += 1


def test_a_long_comment_s_row_is_the_highest_of_its_whole_and_its_windows_on_every_path(moderator):
    """Each long text's row is the highest of its whole and its windows, whatever else is in the
    batch: `_scored` (score, check) and `_scores_only` (predict_proba, decisions) agree bit for bit,
    and with a loop over the windows one at a time up to the order of the sums."""
    import numpy as np

    from moderation import model as model_module
    from moderation.normalize import normalize_batch

    filler = "The council met on Tuesday to discuss the budget for the library and the parks. "
    texts = [filler * 40 + "You filthy vermin.", "fine", "Rats, all of them. " + filler * 60, filler * 50,
             filler * 9 + "Cockroaches, the lot of them.", "you are vermin"]
    normalized = normalize_batch(texts)
    whole = moderator._plain_scores(normalized)
    expected = whole.copy()
    for i, text in enumerate(normalized):
        if len(text) > model_module.LONG_TEXT:
            expected[i] = np.maximum(whole[i], _windows_by_loop(moderator, text).max(axis=0))
    got = moderator._scores_only(normalized)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(moderator._scored(normalized)[1], got)
    for i, text in enumerate(normalized):  # alone as in a batch
        np.testing.assert_array_equal(moderator._scores_only([text])[0], got[i])
    assert expected[0].max() > whole[0].max() and expected[2].max() > whole[2].max()
    assert 600 < len(normalized[4]) <= 1000 and expected[4].max() > whole[4].max()


def test_a_padded_comment_is_still_flagged_with_its_evidence_where_it_stands(moderator):
    """~100 civil words after the abuse (600-1,000 characters) must not let it through:
    the red team's padding (benchmarks/red_team.py) let about half the flagged comments
    through when only comments over 1,000 characters were scored in windows (this one too)."""
    abuse = "Hey Ryoko here is a master dick for you to suck."  # a Civil Comments comment (tsd_train)
    civil = ("I read the article this morning over coffee and I think the council should look again at "
             "the budget for the library, the parks and the swimming pool before the spring. ")
    text = abuse + " " + civil * 4
    assert 600 < len(text) <= 1000
    assert "abusive" in moderator.check(abuse).labels
    verdict = moderator.check(text)
    assert "abusive" in verdict.labels, verdict.scores
    spans = {(e.start, e.end, e.text) for e in verdict.evidence}
    assert (text.index("dick"), text.index("dick") + 4, "dick") in spans, spans


def test_window_rows_cover_every_position_once_or_twice():
    import numpy as np

    from moderation.model import window_rows

    rel = np.arange(1000)
    docs = np.zeros(1000, np.int64)
    occ, row, owner = window_rows(docs, rel, np.array([1000]), np.array([True]), size=100, step=75)
    times = np.bincount(occ, minlength=1000)
    assert times.min() == 1 and times.max() == 2
    for k in range(len(owner)):
        held = rel[occ[row == k]]
        assert held.min() == 75 * k and held.max() <= 75 * k + 99
    assert rel[occ[row == len(owner) - 1]].max() == 999 and len(owner) == 13
    # short documents get no window; a one-window document gets one; a gap of unknown words
    # leaves windows with nothing in them (rows 1-2 of document 2), which the scores skip
    occ, row, owner = window_rows(np.array([0, 0, 1, 1, 2, 2]), np.array([0, 5, 0, 7, 3, 250]),
                                  np.array([6, 30, 251]), np.array([False, True, True]))
    assert occ.tolist() == [2, 3, 4, 5] and row.tolist() == [0, 0, 1, 4] and owner.tolist() == [1, 2, 2, 2, 2]


def test_blocks_cover_the_batch_in_order_by_characters():
    from moderation.model import blocks

    texts = ["a" * 40, "b" * 70, "c", "d" * 100, "e" * 5]
    cut = blocks(texts, budget=100)
    assert [texts[b] for b in cut] == [texts[0:2], texts[2:4], texts[4:5]]
    assert blocks([], budget=100) == []
    assert blocks(["x" * 500], budget=100) == [slice(0, 1)]


def test_blocks_end_with_the_text_that_reaches_the_budget():
    import random

    from moderation.model import blocks

    def by_loop(texts, budget):  # the rule, one text at a time
        out, start, size = [], 0, 0
        for i, text in enumerate(texts):
            size += len(text)
            if size >= budget:
                out.append(slice(start, i + 1))
                start, size = i + 1, 0
        return out + ([slice(start, len(texts))] if start < len(texts) else [])

    rng = random.Random(5)
    for _ in range(2000):
        texts = ["x" * rng.choice([0, 1, 5, 50, 99, 100, 101, 250]) for _ in range(rng.randint(0, 40))]
        budget = rng.choice([1, 50, 100, 200, 1000])
        assert blocks(texts, budget=budget) == by_loop(texts, budget)


def test_a_batch_scored_in_blocks_equals_the_batch_scored_whole(moderator, monkeypatch):
    import numpy as np

    import moderation.model as model_module

    texts = ["These vermin should be exterminated.", "Great reporting, thank you.",
             "You are a f*cking idiot.", "Refugees are not vermin.", "What a beast on the court!"] * 30
    whole_p = moderator.predict_proba(texts)
    whole = moderator.score(texts)
    monkeypatch.setattr(model_module.blocks, "__defaults__", (200,))
    assert len(model_module.blocks(texts)) > 10
    assert np.array_equal(moderator.predict_proba(texts), whole_p)
    assert moderator.score(texts) == whole


@pytest.mark.parametrize("copies", [1, 40])  # a few bigrams (binary search) and many (the code table)
def test_scores_alone_equal_the_scores_of_the_evidence_path(moderator, copies):
    """`predict_proba`'s path looks each kind of feature up on its own; the sums must not move a bit."""
    import numpy as np

    from moderation.features import _BITS
    from moderation.normalize import normalize_batch

    texts = ["These vermin should be exterminated, all of them.", "", "Great reporting, thank you.",
             "They called the refugees \"rats\" and it is not right.", "You are a f*cking idiot, you moron.",
             "Round them up and exterminate them. They breed like rabbits.", "What a beast on the court!",
             "I never said they were cockroaches.", "word " * 800 + "and the orcs must be slaughtered"] * copies
    normalized = normalize_batch(texts)
    fz = moderator.featurizer
    ids = fz._ids(normalized)
    docs, codes, _, _ = fz.analyse_ids(ids)
    cols, ok = fz._columns(codes)
    got_docs, got_cols = fz.columns_ids(ids)
    assert np.array_equal(got_docs, docs[ok]) and np.array_equal(got_cols, cols[ok])
    assert len(set((codes[ok] >> _BITS).tolist())) == 4  # unigrams, both bigram kinds and lexicon patterns were all looked up
    assert np.array_equal(moderator.decision_function(normalized), moderator._scored(normalized)[1])


@pytest.mark.parametrize("quoted", ['"They breed like rats"', "“They breed like rats”!!", '  "They breed like rats."  '])
def test_a_comment_that_is_one_quotation_is_read_as_the_commenters_own_words(moderator, quoted):
    """Two quote marks around abuse must not turn a reject into an allow (QA pass 2: it did)."""
    own = moderator.check("They breed like rats")
    v = moderator.check(quoted)
    assert own.decision == v.decision == "reject"
    assert abs(v.scores["dehumanising"] - own.scores["dehumanising"]) < 0.01
    # the same words as evidence; "like" (the "breed like" pattern's weight goes to "breed") lies near the
    # evidence floor (EVIDENCE_FLOOR of the strongest word), so it may join "breed" and "rats" into one span
    words = lambda verdict: {w for e in verdict.evidence for w in e.text.split()} - {"like"}  # noqa: E731
    assert words(v) == words(own) == {"breed", "rats"}


def test_a_quotation_with_words_of_the_commenter_keeps_its_quoted_context(moderator):
    import numpy as np

    from moderation.normalize import normalize_batch

    fz = moderator.featurizer
    texts = ['"They breed like rats," he said.', '"They breed like rats"', '"They" "breed like rats" !']
    docs, codes, _, _ = fz.analyse_ids(fz._ids(normalize_batch(texts)))
    names = fz.feature_names()
    cols, ok = fz._columns(codes)
    quoted = {d: {names[c] for c in cols[ok][docs[ok] == d] if names[c].startswith("Q_")} for d in range(3)}
    assert "Q_rats" in quoted[0] and not quoted[1] and not quoted[2]
    assert moderator.check(texts[0]).scores["dehumanising"] < 0.1


@pytest.mark.parametrize("bad", [None, 5, b"They are vermin", {"text": "They are vermin"}])
def test_a_text_that_is_not_a_str_is_a_type_error_not_a_verdict(moderator, bad):
    """QA pass 2: check(None) answered allow, and a dict was scored as its repr."""
    with pytest.raises(TypeError, match="not str"):
        moderator.check(bad)
    with pytest.raises(TypeError, match="comment text 1 is"):
        moderator.score(["fine", bad])
    with pytest.raises(TypeError, match="not one str"):
        moderator.score("They are vermin")
    assert moderator.check("").decision == "allow"  # empty: nothing to moderate

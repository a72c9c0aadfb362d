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
    from moderation.model import LONG_TEXT, windows

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
    # bounded cost: windows cover the text once and overlap by about a quarter
    pieces = windows(abusive.lower())
    assert len(abusive) > LONG_TEXT and len(pieces) <= len(abusive) // 250
    assert pieces[0].startswith("the council") and pieces[-1].endswith("exterminated.")


def test_a_long_comment_s_windows_are_scored_a_block_at_a_time_with_the_same_scores(moderator, monkeypatch):
    """Windows of a very long comment are scored in blocks (memory), and each long text's row is the
    highest of its whole and its windows, whichever block a window falls in and whichever path scores it."""
    import numpy as np

    from moderation import model as model_module
    from moderation.normalize import normalize_batch

    filler = "The council met on Tuesday to discuss the budget for the library and the parks. "
    texts = [filler * 40 + "You filthy vermin.", "fine", "Rats, all of them. " + filler * 60, filler * 50]
    normalized = normalize_batch(texts)
    whole = moderator._plain_scores(normalized)
    expected = whole.copy()
    for i, text in enumerate(normalized):
        if len(text) > model_module.LONG_TEXT:
            expected[i] = np.maximum(whole[i], moderator._plain_scores(model_module.windows(text)).max(axis=0))
    monkeypatch.setattr(model_module, "BLOCK_CHARS", 2000)  # a few windows per block
    assert len(model_module.blocks(model_module._window_pieces(normalized)[0], 2000)) > 3
    np.testing.assert_array_equal(moderator._scores_only(normalized), expected)
    np.testing.assert_array_equal(moderator._scored(normalized)[1], expected)
    assert expected[0].max() > whole[0].max() and expected[2].max() > whole[2].max()


def test_windows_cover_every_word_once_at_least():
    from moderation.model import windows

    text = " ".join(f"w{i}" for i in range(2000))
    pieces = windows(text, size=100, step=75)
    seen = {w for piece in pieces for w in piece.split()}
    assert seen == set(text.split())
    assert all(len(p) <= 110 for p in pieces)
    assert windows("short") == ["short"]


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
    assert {e.text for e in v.evidence} == {e.text for e in own.evidence}


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

"""The policy: thresholds, word lists, fail mode and the TOML file, on plain score dicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moderation.policy import DEFAULT_POLICY_PATH, Policy, PolicyError, WordList, load_policy
from moderation.records import Evidence

CARD = {"thresholds": {"dehumanising": {"hold": 0.35, "reject": 0.8}, "abusive": {"hold": 0.5, "reject": 0.9}}}


def write(tmp_path: Path, text: str, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- thresholds -------------------------------------------------------------


def test_from_card_thresholds_decide_each_band():
    policy = Policy.from_card(CARD)
    assert policy.decide({"dehumanising": 0.1, "abusive": 0.2})[0] == "allow"
    decision, labels, reasons = policy.decide({"dehumanising": 0.1, "abusive": 0.6})
    assert (decision, labels) == ("hold", ["abusive"])
    assert reasons == [{"kind": "score", "label": "abusive", "score": 0.6, "threshold": 0.5, "action": "hold"}]
    decision, labels, _ = policy.decide({"dehumanising": 0.8, "abusive": 0.95})
    assert (decision, labels) == ("reject", ["dehumanising", "abusive"])


# --- one word is never rejected on a score alone --------------------------


def test_a_comment_of_one_word_is_held_not_rejected_on_its_score():
    """"Typical." scored 0.99 abusive: one word is too little to publish nothing unseen."""
    policy = Policy.from_card(CARD)
    decision, labels, reasons = policy.decide({"dehumanising": 0.1, "abusive": 0.95}, "Typical")
    assert (decision, labels) == ("hold", ["abusive"])
    assert reasons == [{"kind": "score", "label": "abusive", "score": 0.95, "threshold": 0.5, "action": "hold",
                        "capped": "reject_min_words: fewer than 2 words, held instead of rejected"}]
    assert policy.decide({"dehumanising": 0.1, "abusive": 0.95}, "Typical liar")[0] == "reject"
    assert policy.decide({"dehumanising": 0.1, "abusive": 0.95}, "  !!Typical!! ")[0] == "hold"
    # scores alone (no text) are not judged short
    assert policy.decide({"dehumanising": 0.1, "abusive": 0.95})[0] == "reject"
    # a banned word still rejects a one-word comment; 1 switches the rule off
    banned = Policy.from_card(CARD)
    banned.banned = WordList(["raghead"])
    assert banned.decide({"dehumanising": 0.1, "abusive": 0.95}, "raghead")[0] == "reject"
    off = Policy(thresholds=CARD["thresholds"], reject_min_words=1)
    assert off.decide({"dehumanising": 0.1, "abusive": 0.95}, "Typical")[0] == "reject"


def test_the_batch_path_caps_one_word_rejects_as_decide_does():
    import numpy as np

    policy = Policy.from_card(CARD)
    texts = ["Typical", "Typical liar", "Nonsense.", "", "vermin", "they are vermin"]
    scores = np.array([[0.1, 0.95], [0.1, 0.95], [0.2, 0.91], [0.0, 0.95], [0.85, 0.5], [0.85, 0.5]])
    batch = policy.decide_batch(["dehumanising", "abusive"], scores, texts)
    assert batch == [policy.decide(dict(zip(["dehumanising", "abusive"], row)), t) for row, t in zip(scores.tolist(), texts)]
    assert [d for d, _, _ in batch] == ["hold", "reject", "hold", "reject", "hold", "reject"]


def test_reject_min_words_is_read_from_a_policy_file_and_checked(tmp_path):
    assert load_policy(write(tmp_path, "reject_min_words = 3\n"), CARD).reject_min_words == 3
    assert load_policy(write(tmp_path, "version = 1\n"), CARD).reject_min_words == 2
    assert load_policy(card=CARD).to_dict()["reject_min_words"] == 2
    for bad in ("0", '"2"', "true", "1.5"):
        with pytest.raises(PolicyError, match="reject_min_words"):
            load_policy(write(tmp_path, f"reject_min_words = {bad}\n"), CARD)


@pytest.mark.parametrize("value", [11, 50, 1_000_000])
def test_reject_min_words_has_an_upper_bound(tmp_path, value):
    """QA pass 11 leftover: 1000000 was accepted, so no score ever rejected, only held, silently."""
    assert load_policy(write(tmp_path, "reject_min_words = 10\n"), CARD).reject_min_words == 10
    path = write(tmp_path, f"version = 1\nreject_min_words = {value}\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path, CARD)
    assert str(info.value) == f"{path}:2: reject_min_words must be a whole number from 1 to 10, not {value}"
    with pytest.raises(PolicyError, match="from 1 to 10"):
        Policy(thresholds=CARD["thresholds"], reject_min_words=value)


# --- implied labels ---------------------------------------------------------


def test_a_dehumanising_comment_is_also_abusive_whatever_its_abusive_score():
    decision, labels, reasons = Policy.from_card(CARD).decide({"dehumanising": 0.4, "abusive": 0.2})
    assert (decision, labels) == ("hold", ["dehumanising", "abusive"])
    assert reasons == [{"kind": "score", "label": "dehumanising", "score": 0.4, "threshold": 0.35, "action": "hold"},
                       {"kind": "implied", "label": "abusive", "by": "dehumanising", "action": "hold"}]
    # abusive over its own threshold: its own score reason, no implied one
    _, labels, reasons = Policy.from_card(CARD).decide({"dehumanising": 0.9, "abusive": 0.6})
    assert labels == ["dehumanising", "abusive"] and [r["kind"] for r in reasons] == ["score", "score"]
    # the rule flags, it never makes a decision worse than the implying label's
    decision, _, reasons = Policy.from_card(CARD).decide({"dehumanising": 0.85, "abusive": 0.1})
    assert decision == "reject" and reasons[-1] == {"kind": "implied", "label": "abusive", "by": "dehumanising",
                                                    "action": "reject"}
    # the labels keep the scores' order, whatever implied what
    _, labels, _ = Policy.from_card(CARD).decide({"abusive": 0.1, "dehumanising": 0.4})
    assert labels == ["abusive", "dehumanising"]


def test_implied_labels_are_only_labels_the_model_scores():
    decision, labels, reasons = Policy.from_card(CARD).decide({"dehumanising": 0.4})
    assert (decision, labels) == ("hold", ["dehumanising"]) and len(reasons) == 1


def test_a_policy_file_can_change_or_switch_off_the_rule(tmp_path):
    off = load_policy(write(tmp_path, "[implies]\ndehumanising = []\n"), CARD)
    assert off.decide({"dehumanising": 0.4, "abusive": 0.2})[1] == ["dehumanising"]
    other = load_policy(write(tmp_path, '[implies]\nabusive = "dehumanising"\n'), CARD)
    assert other.implies == {"dehumanising": ["abusive"], "abusive": ["dehumanising"]}
    assert other.decide({"dehumanising": 0.0, "abusive": 0.6})[1] == ["dehumanising", "abusive"]
    for bad, message in [("implies = 3", "must be a table"), ("[implies]\nabusive = [1]", "a label or a list"),
                         ('[implies]\nabusive = ["abusive"]', "cannot imply itself")]:
        with pytest.raises(PolicyError, match=message):
            load_policy(write(tmp_path, bad + "\n"), CARD)


def test_threshold_is_inclusive_and_worst_action_wins():
    policy = Policy.from_card(CARD)
    assert policy.decide({"abusive": 0.5})[0] == "hold"
    assert policy.decide({"abusive": 0.4999})[0] == "allow"
    # a hold on one label does not soften a reject on another, whatever the order
    assert policy.decide({"abusive": 0.95, "dehumanising": 0.4})[0] == "reject"
    assert policy.decide({"dehumanising": 0.4, "abusive": 0.95})[0] == "reject"


def test_allow_still_carries_a_reason_naming_the_closest_label():
    decision, labels, reasons = Policy.from_card(CARD).decide({"dehumanising": 0.3, "abusive": 0.1})
    assert decision == "allow" and labels == []
    assert reasons == [{"kind": "clear", "action": "allow", "label": "dehumanising", "score": 0.3, "threshold": 0.35}]


def test_labels_without_thresholds_never_act():
    decision, labels, _ = Policy.from_card(CARD).decide({"spam": 0.99})
    assert decision == "allow" and labels == []


def test_evidence_spans_are_attached_to_their_label():
    evidence = [Evidence("dehumanising", 4, 9, "orcs.", 1.2), Evidence("abusive", 0, 3, "you", 0.1)]
    _, _, reasons = Policy.from_card(CARD).decide({"dehumanising": 0.9}, "you orcs.", evidence=evidence)
    assert reasons[0]["evidence"] == [{"start": 4, "end": 9, "text": "orcs.", "weight": 1.2}]


# --- word lists -------------------------------------------------------------


def test_word_list_matches_whole_words_case_insensitively_with_spans():
    words = WordList(["pig", "gas them", "cockroach*"])
    text = "PIG! Pigment is fine; gas   them all, those cockroaches and a cockroach"
    found = words.find(text)
    assert [m[2] for m in found] == ["PIG", "gas   them", "cockroaches", "cockroach"]
    for start, end, matched in found:
        assert text[start:end] == matched
    assert words.entry_for("gas   them") == "gas them"
    assert words.entry_for("Cockroaches") == "cockroach*"
    assert WordList(["ass"]).find("class assignment, pass") == []


def test_word_list_ignores_blank_and_duplicate_entries_and_escapes_regex():
    words = WordList(["", "  ", "a.b", "a.b", "c++"])
    assert words.words == ["a.b", "c++"]
    assert words.find("axb a.b c++") == [(4, 7, "a.b"), (8, 11, "c++")]


def test_banned_word_rejects_and_suspect_word_holds_even_with_low_scores():
    policy = Policy.from_card(CARD)
    policy.banned, policy.suspect = WordList(["scumbag"]), WordList(["vermin"])
    decision, labels, reasons = policy.decide({"dehumanising": 0.01, "abusive": 0.01}, "They are Vermin.")
    assert decision == "hold" and labels == []
    assert reasons == [{"kind": "suspect_word", "word": "vermin", "start": 9, "end": 15, "text": "Vermin", "action": "hold"}]
    decision, _, reasons = policy.decide({"dehumanising": 0.01}, "vermin, you scumbag")
    assert decision == "reject"
    assert {r["kind"] for r in reasons} == {"banned_word", "suspect_word"}


def test_word_list_also_matches_the_normalised_text_with_spans_in_the_original():
    """A disguise the normaliser undoes does not get past a word list (QA pass 6, finding 9)."""
    words = WordList(["raghead*", "vermin", "cockroaches"])
    text = "you ra\u200bghead, v.e.r.m.i.n and c0ckr0aches; vermin"
    found = words.find(text)
    assert [(text[a:b], m) for a, b, m in found] == [
        ("ra\u200bghead", "ra\u200bghead"), ("v.e.r.m.i.n", "v.e.r.m.i.n"), ("c0ckr0aches", "c0ckr0aches"), ("vermin", "vermin")]
    assert [words.entry_for(m) for _, _, m in found] == ["raghead*", "vermin", "cockroaches", "vermin"]
    assert WordList(["pig"]).find("p i g s and a pig", "pigs and a pig") == [(14, 17, "pig")]  # a given normalised form


def test_single_comment_and_batch_word_matching_agree_on_odd_letters():
    """`check` matched case-insensitively with re.IGNORECASE (dotless i matched i), a batch in lower case:
    `You kıke` was rejected by `check` and allowed by `scan` (QA pass 6, finding 9). One path now."""
    words = WordList(["kike", "pig"])
    texts = ["You kıke", "İ pig", "ſome pig", "KIKE"]
    assert {i: words.find(t) for i, t in enumerate(texts) if words.find(t)} == words.find_batch(texts)
    policy = Policy.from_card(CARD)
    policy.banned, policy.suspect = WordList(["kike"]), WordList(["pig"])
    scores = np.zeros((len(texts), 2))
    batch = policy.decide_batch(["dehumanising", "abusive"], scores, texts)
    assert [policy.decide({"dehumanising": 0.0, "abusive": 0.0}, t) for t in texts] == batch


# --- fail mode --------------------------------------------------------------


@pytest.mark.parametrize("mode", ["allow", "hold", "reject"])
def test_fail_verdict_follows_fail_mode(mode):
    policy = Policy(thresholds=CARD["thresholds"], fail_mode=mode)
    verdict = policy.fail_verdict(RuntimeError("model file vanished"), model_version="m1")
    assert verdict.decision == mode
    assert verdict.scores == {} and verdict.model_version == "m1"
    assert verdict.reasons == [{"kind": "error", "action": mode, "error": "RuntimeError: model file vanished"}]


def test_fail_verdict_still_applies_banned_words():
    policy = Policy(thresholds={}, fail_mode="allow", banned=["scumbag"])
    verdict = policy.fail_verdict("timeout", text="what a scumbag")
    assert verdict.decision == "reject"
    assert verdict.reasons[1]["kind"] == "banned_word"


def test_bad_fail_mode_is_refused():
    with pytest.raises(PolicyError, match="fail_mode"):
        Policy(fail_mode="publish")


# --- the TOML file ----------------------------------------------------------


def test_default_policy_ships_word_lists_and_takes_card_thresholds():
    assert DEFAULT_POLICY_PATH.is_file()
    policy = load_policy(card=CARD)
    assert policy.thresholds == CARD["thresholds"]
    assert policy.fail_mode == "hold"
    assert len(policy.banned) > 0 and len(policy.suspect) > 0
    assert policy.decide({"dehumanising": 0.0, "abusive": 0.0}, "subhumans, all of them")[0] == "hold"
    assert policy.wordpress == {"allow": 1, "hold": 0, "reject": "trash"}


def test_policy_file_overrides_one_label_and_keeps_the_others(tmp_path):
    path = write(tmp_path, """
version = 1
fail_mode = "reject"
[thresholds.abusive]
hold = 0.2
[words]
banned = ["scumbag"]
suspect_files = ["suspect.txt"]
[perspective]
THREAT = ["abusive"]
PROFANITY = []
[wordpress]
reject = "spam"
""")
    write(tmp_path, "# one per line\norcs\n\n  traitors  \n", name="suspect.txt")
    policy = load_policy(path, card=CARD)
    assert policy.thresholds["abusive"] == {"hold": 0.2, "reject": 0.9}
    assert policy.thresholds["dehumanising"] == CARD["thresholds"]["dehumanising"]
    assert policy.fail_mode == "reject"
    assert policy.suspect.words == ["orcs", "traitors"]
    assert policy.decide({"abusive": 0.25}, "")[0] == "hold"
    assert policy.perspective_attributes["THREAT"] == ["abusive"]
    assert "PROFANITY" not in policy.perspective_attributes
    assert policy.wordpress["reject"] == "spam"


def test_policy_file_without_card_needs_both_thresholds(tmp_path):
    path = write(tmp_path, "[thresholds.abusive]\nhold = 0.5\n")
    with pytest.raises(PolicyError, match=r"thresholds\.abusive needs both hold and reject"):
        load_policy(path)
    path = write(tmp_path, "[thresholds.abusive]\nhold = 0.5\nreject = 0.7\n")
    assert load_policy(path).thresholds == {"abusive": {"hold": 0.5, "reject": 0.7}}


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("fail_mode = 'publish'", "fail_mode must be one of", 1),
        ("[thresholds.abusive]\nhold = 0.9\nreject = 0.5", "hold .0.9. is above reject", 2),
        ("[thresholds.abusive]\nhold = 2\nreject = 3", "between 0 and 1", 2),
        ("[thresholds.abusive]\nhold = 0.5\nrejekt = 0.9", "unknown key", 3),
        ("treshold = 1", "unknown key", 1),
        ("[words]\nbanned = 'x'", "words.banned must be a list", 2),
        ("[words]\nbanned_files = ['missing.txt']", "cannot read", 2),
        ("[wordpress]\nreject = 'bin'", "wordpress.reject must be", 2),
        ("version = 2", "version 2", 1),
        ("fail_mode = ", "invalid TOML", None),  # tomllib's own "(at line 1, column 12)"
    ],
)
def test_bad_policy_files_name_the_file_and_the_problem(tmp_path, text, message, line):
    path = write(tmp_path, text)
    with pytest.raises(PolicyError, match=message) as info:
        load_policy(path, card=CARD)
    assert str(info.value).startswith(f"{path}:{line}: " if line else f"{path}: ")


# QA pass 11 leftover: semantic errors named the file and key but not the line.
LINED = """# a site's policy
version = 1
reject_min_words = 2
[ thresholds . "abusive" ]  # quoted, spaced
hold = 0.5
'reject' = 0.9
[thresholds]
dehumanising = { hold = 0.4, reject = 0.8 }
[words]
banned = [
  "x",  # suspect = 1
  \'\'\'
suspect = 2
\'\'\',
]
suspect = ["y"]
[wordpress]
allow = 1
"""


@pytest.mark.parametrize("old, new, line, message", [
    ("version = 1", "version = 2", 2, "version 2"),
    ("reject_min_words = 2", "reject_min_words = 0", 3, "reject_min_words must be"),
    ("reject_min_words = 2", "hold_quoted = 'yes'", 3, "hold_quoted must be"),
    ("reject_min_words = 2", "extra = 1", 3, "unknown key"),
    ("hold = 0.5\n", "hold = 'x'\n", 5, "thresholds.abusive.hold must be a number"),
    ("'reject' = 0.9", "'reject' = 0.1", 5, "hold .0.5. is above reject"),
    ("'reject' = 0.9", "'rejekt' = 0.9", 6, "thresholds.abusive: unknown key"),
    ("dehumanising = { hold = 0.4, reject = 0.8 }", "dehumanising.hold = 0.4\ndehumanising.reject = 0.3", 8,
     "hold .0.4. is above reject"),  # dotted keys
    ("hold = 0.4, reject = 0.8", "hold = 0.2, reject = 1.3", 8, "thresholds.dehumanising.reject must be"),
    ("dehumanising = {", "abusve = { hold = 0.1, reject = 0.2 }\ndehumanising = {", 8,
     "thresholds.abusve: the model has no label"),
    ('suspect = ["y"]', 'suspect = "y"', 16, "words.suspect must be a list"),  # not line 13, in a string
    ('suspect = ["y"]', 'suspect = ["y"]\nsuspect_files = ["none.txt"]', 17, "cannot read"),
    ("allow = 1", "allow = 1\nreject = 1", 19, "wordpress.reject = 1 would publish"),
    ("version = 1", "perspective.THREAT = 3", 2, "perspective.THREAT must be a label"),  # a dotted top-level key
    ("version = 1", "implies = { dehumanising = 3 }", 2, "implies.dehumanising must be a label"),  # an inline table
    ("[wordpress]\nallow = 1", '[implies]\n"dehumanising" = ["dehumanising"]', 18, "cannot imply itself"),
    ("[wordpress]\nallow = 1", "[perspective]\nTHREAT = 3", 18, "perspective.THREAT must be a label"),
])
def test_a_policy_error_names_the_line_of_its_key(tmp_path, old, new, line, message):
    assert LINED.count(old) == 1
    path = write(tmp_path, LINED.replace(old, new))
    with pytest.raises(PolicyError, match=message) as info:
        load_policy(path, card=CARD)
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_a_policy_error_with_no_line_in_the_file_names_the_file_alone(tmp_path):
    # The threshold the file does not set comes from the card: no line holds it.
    card = {"thresholds": {"abusive": {"hold": 0.5, "reject": 0.9}, "dehumanising": {"hold": 0.35, "reject": 0.8}}}
    path = write(tmp_path, "[words]\nbanned = []\n")
    assert load_policy(path, card=card)
    card["thresholds"]["abusive"] = {"hold": 0.95, "reject": 0.9}
    with pytest.raises(PolicyError, match="hold .0.95. is above reject") as info:
        load_policy(path, card=card)
    assert str(info.value).startswith(f"{path}: ")
    # a Policy built in Python has no file: its source alone, as before
    with pytest.raises(PolicyError, match=r"^policy: fail_mode must be"):
        Policy(fail_mode="publish")


def test_missing_policy_file_is_a_clear_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "nope.toml", card=CARD)


def test_load_policy_needs_a_file_or_a_card():
    with pytest.raises(ValueError):
        load_policy()


def test_batch_word_scan_finds_what_the_per_comment_scan_finds():
    """find_batch's fast lower-case scan must agree with `find` (boundaries, case, phrases, wildcards, odd letters)."""
    import random

    words = WordList(["pig", "white trash", "cockroach*", "Sub-human", "gas them", "vermin", "kike", "kikes"])
    pieces = ["pig", "PIG", "xpig", "pigs", "piggy", "white  trash", "White\nTrash", "whitetrash", "cockroaches",
              "Cockroach", "xcockroach", "sub-human", "SUB-HUMANS", "gas them", "gas   THEM", "vermin_", "_vermin",
              "vermin2", "kikes", "kike", "İstanbul", "ß", "ǅ", "naïve", "über-vermin", "pig's", "(vermin)", "ok",
              "the", "and", ".", ",", "\t", "é"]
    rng = random.Random(7)
    texts = ["".join(rng.choice(pieces) + rng.choice([" ", "", "-", "\n"]) for _ in range(rng.randint(0, 12)))
             for _ in range(3000)]
    texts += ["xwhite trash pig", "İ vermin", "aİ pig", ""]
    expected = {i: found for i, t in enumerate(texts) if (found := words.find(t))}
    assert words.find_batch(texts) == expected
    assert words.find_batch([t for t in texts if "İ" not in t]) == {
        i: found for i, t in enumerate(t for t in texts if "İ" not in t) if (found := words.find(t))}


# --- quotations the model reads as reported -----------------------------


def test_quoted_reasons_hold_what_the_unquoted_reading_flags_and_can_be_switched_off(tmp_path):
    policy = Policy.from_card(CARD)
    assert policy.quoted_reasons({"dehumanising": 0.9, "abusive": 0.4}) == [
        {"kind": "quoted", "label": "dehumanising", "score": 0.9, "threshold": 0.35, "action": "hold"}]
    assert policy.quoted_reasons({"dehumanising": 0.1, "abusive": 0.2}) == []
    off = load_policy(write(tmp_path, "hold_quoted = false\n"), CARD)
    assert off.hold_quoted is False and off.quoted_reasons({"dehumanising": 0.9, "abusive": 0.9}) == []
    assert load_policy(card=CARD).to_dict()["hold_quoted"] is True
    with pytest.raises(PolicyError, match="hold_quoted"):
        load_policy(write(tmp_path, 'hold_quoted = "yes"\n'), CARD)


def test_a_quotation_the_model_reads_as_reported_is_held_not_allowed(moderator):
    """'"They breed like rats" indeed' scored 0.01: two quote marks and a word slipped it past the hook."""
    from moderation.policy import load_policy as load

    moderator_policy = moderator.policy
    try:
        moderator.policy = load(card=moderator.card)
        texts = ['"They breed like rats" indeed', 'What a "lovely" day', "They breed like rats"]
        v = moderator.check(texts[0])
        assert (v.decision, v.labels) == ("hold", [])
        assert v.scores["dehumanising"] < 0.1  # the model's own reading is unchanged
        assert [r["kind"] for r in v.reasons] == ["quoted", "quoted"]
        assert v.reasons[0]["score"] >= v.reasons[0]["threshold"]
        assert [e["text"] for e in v.reasons[0]["evidence"]] == ["breed", "rats"]
        assert texts[0][v.evidence[0].start:v.evidence[0].end] == "breed"
        assert moderator.check(texts[1]).decision == "allow"
        batch = moderator.score(texts * 3)
        assert [b.to_dict() for b in batch[:3]] == [moderator.check(t).to_dict() for t in texts]
        _, decided = moderator.decisions(texts)
        assert [d[0] for d in decided] == ["hold", "allow", "reject"]
        moderator.policy = load(card=moderator.card)
        moderator.policy.hold_quoted = False
        assert moderator.check(texts[0]).decision == "allow"
    finally:
        moderator.policy = moderator_policy


@pytest.mark.parametrize("text, where", [
    ("[thresholds.abusve]\nhold = 0.01\nreject = 0.02\n", "thresholds.abusve"),
    ('[implies]\ndehumanising = ["abusiv"]\n', "implies.dehumanising"),
    ('[perspective]\nFOO = ["nolabel"]\n', "perspective.FOO"),
])
def test_a_label_the_model_does_not_score_is_refused_naming_the_key(tmp_path, text, where):
    """A misspelt label used to be accepted and then do nothing (QA pass 2)."""
    with pytest.raises(PolicyError, match=rf"{where}: the model has no label .* \(its labels: abusive, dehumanising\)"):
        load_policy(write(tmp_path, text), CARD)


def test_a_label_the_model_scores_without_card_thresholds_takes_both_keys(tmp_path):
    card = {**CARD, "labels": ["dehumanising", "abusive", "threat"]}
    policy = load_policy(write(tmp_path, "[thresholds.threat]\nhold = 0.6\nreject = 0.9\n"), card)
    assert policy.thresholds["threat"] == {"hold": 0.6, "reject": 0.9}
    with pytest.raises(PolicyError, match="needs both hold and reject"):
        load_policy(write(tmp_path, "[thresholds.threat]\nhold = 0.6\n"), card)


def test_the_default_policy_holds_calls_for_violence_the_model_scores_low():
    """QA pass 3: "Someone should torch the mosque" scored 0.05 abusive and was allowed."""
    policy = load_policy(DEFAULT_POLICY_PATH, CARD)
    low = {"dehumanising": 0.01, "abusive": 0.05}
    for text in ["Someone should torch the mosque.", "Sum1 shud put a bullet in that MP", "Petrol bombs at the hotel tonight"]:
        decision, _, reasons = policy.decide(low, text)
        assert decision == "hold" and reasons[0]["kind"] == "suspect_word", text
    for text in ["Passing the torch to the next generation.", "They shot the documentary in Leith.", "Hang the new mural by the door"]:
        assert policy.decide(low, text)[0] == "allow", text


def test_the_python_api_documented_in_docs_policy_md_matches_the_code():
    """QA pass 7, finding 5: fail_verdict had a `labels` parameter nothing used and the docs left out."""
    import ast
    import inspect
    import re

    import moderation.policy as policy_module

    doc = (Path(__file__).resolve().parent.parent / "docs" / "policy.md").read_text(encoding="utf-8")
    section = doc.split("## Python API", 1)[1]
    documented = re.findall(r"^- `(?:moderation\.policy\.)?([\w.]+)\(([^)]*)\)", section, re.MULTILINE)
    assert {name for name, _ in documented} >= {"load_policy", "Policy.decide", "Policy.fail_verdict"}
    for name, args in documented:
        obj = policy_module
        for part in name.split("."):
            obj = getattr(obj, part)
        code = [(p.name, p.default) for p in inspect.signature(obj).parameters.values() if p.name != "self"]
        tree = ast.parse(f"def f({args}): pass").body[0].args
        defaults = [inspect.Parameter.empty] * (len(tree.args) - len(tree.defaults)) + [
            ast.literal_eval(d) for d in tree.defaults]
        assert [(a.arg, d) for a, d in zip(tree.args, defaults)] == code, name


@pytest.mark.parametrize("entry, text, matched", [
    ("kike", "you Kike", "Kike"), ("kike", "you KIKE", "KIKE"),
    ("kike", "you KİKE", "KİKE"),  # İ read as i (its lower case is two characters)
    ("KİKE", "you kike", "kike"),  # ... in an entry too (QA pass 7, finding 6: it matched nothing)
    ("kike", "you kıke", "kıke"), ("kike", "you KıKE", "KıKE"),  # dotless ı: through the normalised form
    ("kıke", "you kıke", "kıke"), ("kıke", "you KıKE", "KıKE"),
    ("kıke", "you kike", None), ("kıke", "you KIKE", None),  # an entry is lower-cased, not normalised
])
def test_turkish_i_in_word_lists_as_docs_policy_md_says(entry, text, matched):
    words = WordList([entry])
    found = words.find(text)
    assert [m for _, _, m in found] == ([matched] if matched else [])
    if matched:
        assert found[0][:2] == (4, 8) and words.entry_for(matched) == entry


def test_a_word_file_saved_with_a_bom_keeps_its_first_entry(tmp_path):
    # QA pass 11, finding 1: Notepad's BOM stuck to the first entry ("\ufeffbadword"), which then
    # never matched: a banned word silently dropped. A file not in UTF-8 is an error naming it.
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfbadword\r\nother\r\n")
    (tmp_path / "p.toml").write_text('[thresholds.abusive]\nhold = 0.5\nreject = 0.9\n'
                                     '[words]\nbanned_files = ["bom.txt"]\n')
    policy = load_policy(tmp_path / "p.toml")
    assert policy.banned.words == ["badword", "other"]
    assert policy.banned.find("a badword here")
    (tmp_path / "bom.txt").write_bytes(b"\xff\xfeb\x00a\x00d\x00\n\x00")
    with pytest.raises(PolicyError, match=r"banned_files: .*bom\.txt.* not UTF-8"):
        load_policy(tmp_path / "p.toml")


def test_a_policy_file_saved_with_a_bom_and_crlf_is_read(tmp_path):
    # QA pass 11, finding 2: a BOM was "invalid TOML: Invalid statement (at line 1, column 1)".
    path = tmp_path / "p.toml"
    path.write_bytes(b'\xef\xbb\xbffail_mode = "reject"\r\n[thresholds.abusive]\r\nhold = 0.5\r\nreject = 0.9\r\n')
    policy = load_policy(path)
    assert policy.fail_mode == "reject" and policy.thresholds["abusive"] == {"hold": 0.5, "reject": 0.9}


@pytest.mark.parametrize("key", ["perspective", "wordpress"])
def test_perspective_or_wordpress_not_a_table_is_a_policy_error(tmp_path, key):
    # QA pass 11, finding 3: `perspective = "x"` was an AttributeError traceback.
    with pytest.raises(PolicyError, match=rf"p\.toml:1: \[{key}\] must be a table"):
        load_policy(write(tmp_path, f'{key} = "x"\n', "p.toml"), card=CARD)


@pytest.mark.parametrize("value", ['"0.5"', '"high"', '[0.5]'])
def test_a_threshold_that_is_not_a_number_is_refused_naming_the_key(tmp_path, value):
    # QA pass 11, finding 4: float() ran before the check, so "0.5" was taken as 0.5 and
    # "high" was "cannot load the model: could not convert string to float".
    path = write(tmp_path, f"[thresholds.abusive]\nhold = {value}\nreject = 0.9\n", "p.toml")
    with pytest.raises(PolicyError, match=r"p\.toml:2: thresholds\.abusive\.hold must be a number between 0 and 1"):
        load_policy(path, card=CARD)


def test_a_word_list_of_ten_thousand_entries_scans_a_long_comment_quickly():
    # QA pass 11, finding 5: the entries were one flat alternation, tried one by one at each
    # letter: 10,000 entries took 8 ms for a 400-character comment and 18 s for 1 MB.
    import random
    import string
    import time
    rng = random.Random(1)
    words = sorted({"".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 10))) for _ in range(10_500)})[:10_000]
    words = [w + ("*" if i % 10 == 0 else "") for i, w in enumerate(words)] + ["gas them", "c++", "a.b"]
    wl = WordList(words)
    text = "This is a fairly ordinary news comment about the council budget. " * 1500  # ~100 KB
    start = time.perf_counter()
    wl.find(text)
    assert time.perf_counter() - start < 0.5
    hit = words[0][:-1] + "s"  # a wildcard entry with an ending
    assert [m[2] for m in wl.find(f"{hit} and gas   them, c++ and a.b")] == [hit, "gas   them", "c++", "a.b"]


def test_an_entry_with_a_nul_is_refused_not_switching_the_whole_list_off(tmp_path):
    # QA pass 11, finding 6: one entry "a\u0000b" made find_batch return nothing for every
    # comment, so the whole banned list was silently off.
    path = write(tmp_path, '[words]\nbanned = ["raghead*", "a\\u0000b"]\n', "p.toml")
    with pytest.raises(PolicyError, match=r"p\.toml:2: words\.banned: .*NUL"):
        load_policy(path, card=CARD)
    (tmp_path / "w.txt").write_text("raghead*\na\x00b\n", encoding="utf-8")
    path = write(tmp_path, '[words]\nsuspect_files = ["w.txt"]\n', "p.toml")
    with pytest.raises(PolicyError, match=r"p\.toml:2: words\.suspect: .*NUL"):
        load_policy(path, card=CARD)
    with pytest.raises(ValueError, match="NUL"):
        WordList(["raghead*", "a\x00b"])


@pytest.mark.parametrize("decision", ["hold", "reject"])
def test_wordpress_cannot_approve_a_held_or_rejected_comment(tmp_path, decision):
    # QA pass 11, finding 7: `reject = 1` (swapped with allow) published every rejected comment, silently.
    path = write(tmp_path, f"[wordpress]\n{decision} = 1\n", "p.toml")
    with pytest.raises(PolicyError, match=rf"p\.toml:2: wordpress\.{decision} = 1 would publish"):
        load_policy(path, card=CARD)


def test_a_comment_after_an_entry_in_a_word_file_is_an_error_naming_the_line(tmp_path):
    # QA pass 11, finding 9: "raghead*  # slur" was the entry "raghead* # slur", which never matched.
    (tmp_path / "w.txt").write_text("# slurs\npig\nraghead*  # slur\n", encoding="utf-8")
    path = write(tmp_path, '[words]\nbanned_files = ["w.txt"]\n', "p.toml")
    with pytest.raises(PolicyError, match=r"p\.toml:2: words\.banned_files: .*w\.txt, line 3: .*own line"):
        load_policy(path, card=CARD)


def test_a_long_word_list_loads_in_linear_time():
    # QA pass 11, finding 10: duplicates were dropped with `word not in list`, quadratic:
    # 10,000 entries took 0.8 s to load (most of `check`'s 1.4 s extra per comment).
    import time
    words = [f"entry{i}" for i in range(20_000)] + ["entry5", "  entry7 "]
    start = time.perf_counter()
    wl = WordList(words)
    assert time.perf_counter() - start < 1.0
    assert len(wl) == 20_000 and wl.words[:2] == ["entry0", "entry1"]


def test_the_line_scan_runs_only_for_an_error_and_never_raises(monkeypatch, tmp_path):
    """A good policy loads without the second scan; a scan of any text gives lines or nothing."""
    import moderation.policy as policy_module
    from moderation.toml_lines import key_lines

    calls = []
    monkeypatch.setattr(policy_module, "key_lines", lambda text: calls.append(text) or key_lines(text))
    load_policy(card=CARD)
    assert calls == []
    with pytest.raises(PolicyError, match=r":2: version 2"):
        load_policy(write(tmp_path, "# x\nversion = 2\n"), CARD)
    assert len(calls) == 1
    text = LINED + 'x = """a\\\\"""\nt = 1979-05-27 07:32:00Z\ny = [[1, 2], {a = "}"}]\n'
    import tomllib
    assert tomllib.loads(text)["wordpress"]["x"] == "a\\"
    lines = key_lines(text)
    assert (lines[("wordpress", "t")], lines[("wordpress", "y")], lines[("words", "suspect")]) == (20, 21, 16)
    for end in range(len(text)):  # cut anywhere (not TOML any more): no exception
        key_lines(text[:end])


@pytest.mark.parametrize("content", [b"", b"\n\n", b"# banned words, exported 3 Dec\n\n   \n# end\n", b"\xef\xbb\xbf\r\n"])
def test_a_word_file_with_no_entries_is_an_error_naming_it(tmp_path, content):
    # QA pass 11 leftover: an empty or comments-only file (a truncated export) was accepted,
    # so the list the site thinks is on was off.
    (tmp_path / "good.txt").write_text("raghead*\n", encoding="utf-8")
    (tmp_path / "cut.txt").write_bytes(content)
    path = write(tmp_path, '[words]\nbanned = ["x"]\nsuspect_files = ["good.txt", "cut.txt"]\n', "p.toml")
    with pytest.raises(PolicyError, match=r"p\.toml:3: words\.suspect_files: .*cut\.txt has no entries"):
        load_policy(path, card=CARD)
    # the way to say "no words from files": leave the file out
    path = write(tmp_path, '[words]\nbanned = ["x"]\nsuspect_files = ["good.txt"]\n', "p.toml")
    assert load_policy(path, card=CARD).suspect.words == ["raghead*"]

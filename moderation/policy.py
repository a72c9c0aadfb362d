"""Turning label scores into a decision (allow / hold / reject), with reasons.

A newsroom decides what happens to a comment, not the model: the model gives
each label a probability, the policy says at which score a comment is held for
a moderator or rejected outright, which words reject or hold a comment whatever
the model says (Coral Talk's banned and suspect word lists), and what to do
when scoring fails. The policy lives in a TOML file so a site can change it
without touching code; see docs/policy.md for the format and
`resources/default_policy.toml` for the default.

Every decision carries its reasons (plain dicts, so they travel as JSON):

- ``{"kind": "score", "label", "score", "threshold", "action", "evidence"?}``
- ``{"kind": "banned_word" | "suspect_word", "word", "start", "end", "text", "action"}``
- ``{"kind": "implied", "label", "by", "action"}`` (a label flagged because `by` was: ``implies``)
- ``{"kind": "clear", "action": "allow", "label", "score", "threshold"}`` (why nothing was flagged)
- ``{"kind": "error", "action", "error"}`` (the fail mode, when scoring raised)
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate, islice
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from moderation.normalize import normalize, normalize_batch, normalize_with_offsets
from moderation.records import DECISIONS, Evidence, Verdict
from moderation.toml_lines import key_lines

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

#: How bad each decision is; the comment gets the worst one any reason asks for.
SEVERITY = {decision: rank for rank, decision in enumerate(DECISIONS)}

#: Joins texts when the word lists scan a whole batch at once (see `WordList.find_batch`).
_BATCH_SEP = "\x00"
_WORD_CHAR = re.compile(r"\w")

#: The policy shipped with the package (thresholds from the model card, word lists, fail mode).
DEFAULT_POLICY_PATH = Path(__file__).resolve().parent / "resources" / "default_policy.toml"

#: Perspective attribute -> the labels whose highest score answers it (see docs/service.md).
DEFAULT_PERSPECTIVE_ATTRIBUTES: dict[str, list[str]] = {
    "TOXICITY": ["abusive", "dehumanising"],
    "SEVERE_TOXICITY": ["dehumanising"],
    "INSULT": ["abusive"],
    "PROFANITY": ["abusive"],
    "IDENTITY_ATTACK": ["dehumanising"],
    "DEHUMANISING": ["dehumanising"],
    "ABUSIVE": ["abusive"],
}

#: A flagged label also flags these: a dehumanising comment is also abusive (docs/labels.md).
#: The scores are the model's own; only the flagged labels follow the rule.
DEFAULT_IMPLIES: dict[str, list[str]] = {"dehumanising": ["abusive"]}

#: The most `reject_min_words` may be. The rule is for short replies (one to six words in
#: docs/model-history.md, "Short replies"); comments of fewer than 10 words are already 17% of
#: the Globe and Mail's hostile comments and 22% of Fox News's, of 20 words half. A larger value
#: stops scores rejecting most comments, silently: a mistake, not a policy (QA pass 11 leftover).
REJECT_MIN_WORDS_MAX = 10

_TOP_LEVEL_KEYS = {"version", "fail_mode", "thresholds", "implies", "words", "perspective", "wordpress",
                   "reject_min_words", "hold_quoted"}
_WORDS_KEYS = {"banned", "suspect", "banned_files", "suspect_files"}


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file, the line and the key."""


class _Where:
    """Where a policy key is, for an error message: `file:line`, or the file alone.

    Clear errors name the file and line, so a site's editor goes straight to
    the key; `tomllib` gives no positions, so the line is found in the TOML
    source (`key_lines`), and only when an error is raised: a good policy
    costs no second scan. With no source (a Policy built in Python), or a key
    the source does not show (a value from the model card), the file alone.
    """

    def __init__(self, source: str, text: str | None = None) -> None:
        self.source = source
        self._text = text
        self._lines: dict[tuple[str, ...], int] | None = None

    def line(self, key: tuple[str, ...]) -> int | None:
        """The line on which `key` (a key path: ``("thresholds", "abusive", "hold")``) is set, if known."""
        if self._text is None:
            return None
        if self._lines is None:
            self._lines = key_lines(self._text)
        return self._lines.get(key)

    def in_file_order(self, keys: Iterable[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """`keys` by the line that sets them (those the source does not show last, by name)."""
        return sorted(keys, key=lambda key: (self.line(key) is None, self.line(key) or 0, key))

    def __call__(self, *keys: tuple[str, ...]) -> str:
        """``file:line`` of the first of `keys` the source sets; the file alone if none."""
        for key in keys:
            line = self.line(key)
            if line is not None:
                return f"{self.source}:{line}"
        return self.source


def _lower(text: str) -> str:
    """`text` lower-cased one character for one, so offsets stay those of the text.

    "İ" (Turkish dotted capital I) is the one letter whose lower case is two
    characters ("i" and a combining dot): it is read as "i". Nothing else is
    folded: a dotless "ı" stays "ı" (the normalised form reads it as "i").
    """
    return (text.replace("\u0130", "i") if "\u0130" in text else text).lower()


@dataclass
class WordList:
    """Words and phrases matched whole, case-insensitively, anywhere in a comment.

    Entries match on word boundaries ("pig" does not match "pigment"), a space
    in a phrase matches any run of whitespace, and a trailing ``*`` matches any
    word ending ("cockroach*" matches "cockroaches"). Compiled once into one
    regular expression, so a list of thousands costs one scan per comment.

    A list is matched on the comment as written and on its normalised form
    (the model's: look-alike letters, leetspeak, invisible characters, spaced
    letters undone), so `wetb4ck` or `rag\u200bhead` are found too; a match in
    the normalised form is reported with its span in the original text. One
    comment and a batch are matched the same way (`find` is `find_batch` of one).
    """

    words: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        cleaned, seen = [], set()  # a set: `word not in cleaned` made 10,000 entries take 0.8 s (QA pass 11)
        for word in self.words:
            word = " ".join(str(word).split())
            if _BATCH_SEP in word:  # it would match across two comments of a batch: refused, not dropped
                raise ValueError(f"word list entry {word!r} contains a NUL character")
            if word and word not in seen:
                seen.add(word)
                cleaned.append(word)
        self.words = cleaned
        # The entries, lower-cased, matched over lower-cased text, with no leading
        # look-behind, so the pattern opens with the alternation and the regex engine
        # skips ahead to the entries' first letters in C (about 3x faster than a
        # case-insensitive pattern); the word boundary before a match is checked for
        # the few matches there are.
        # An entry is lower-cased as the text is, "İ" read as "i" on both sides (an entry "KİKE"
        # lower-cased by str.lower would be "ki̇ke", with a combining dot no text keeps).
        self._lower_pattern = self._compile([_lower(w) for w in cleaned]) if cleaned else None

    @staticmethod
    def _compile(words: Sequence[str]) -> re.Pattern[str]:
        # The entries as a trie (one branch per letter), not a flat alternation: the regex engine
        # then tries one branch per letter of the text, not every entry sharing its first letter
        # (10,000 entries: 8 ms for a 400-character comment and 18 s for 1 MB before, QA pass 11).
        # A node tries its longer continuations before ending, so "white trash" wins over "white"
        # at the same position, and the engine backs off to a shorter entry if a longer one is
        # not followed by a word boundary.
        end, wild = 0, 1  # keys no letter can be
        trie: dict[Any, Any] = {}
        for word in words:
            stem, wildcard = (word[:-1], True) if word.endswith("*") and len(word) > 1 else (word, False)
            node = trie
            for ch in stem:
                node = node.setdefault(ch, {})
            node[wild if wildcard else end] = True

        def esc(ch: str) -> str:
            return r"\s+" if ch == " " else re.escape(ch)

        def render(node: dict[Any, Any]) -> str:
            head = []  # a run of letters with one way on (a long entry's tail) is walked, not recursed
            while len(node) == 1 and isinstance(ch := next(iter(node)), str):
                head.append(esc(ch))
                node = node[ch]
            alts = [esc(ch) + render(node[ch]) for ch in sorted(k for k in node if isinstance(k, str))]
            if wild in node:
                alts.append(r"\w*")
            elif end in node:
                alts.append("")
            return "".join(head) + (alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")")

        return re.compile(r"(?:" + render(trie) + r")(?!\w)")

    def find(self, text: str, normalized: str | None = None) -> list[tuple[int, int, str]]:
        """(start, end, matched text as written) of every match, in text order.

        `normalized` is the text's normalised form when the caller has it (the
        model's); otherwise it is worked out here.
        """
        return self.find_batch([text], None if normalized is None else [normalized]).get(0, [])

    def find_batch(self, texts: Sequence[str], normalized: Sequence[str] | None = None
                   ) -> dict[int, list[tuple[int, int, str]]]:
        """`find` for many texts with one scan of the joined batch: {text index: matches}.

        Texts are joined with NUL, which no entry can match across: it is not a
        word character (so `\\w*` and the word boundaries stop at it) and not
        whitespace (so a phrase's `\\s+` does not span two texts). `normalized`:
        the texts' normalised forms (`normalize_batch`), worked out here if None.
        """
        if self._lower_pattern is None or not texts:
            return {}
        joined = _BATCH_SEP.join(texts)
        lowered = _lower(joined)
        out: dict[int, list[tuple[int, int, str]]] = {}
        spans = self._lower_spans(lowered)
        if spans:
            starts = list(accumulate(len(t) + 1 for t in texts))  # start of the next text, per text
            for a, b in spans:
                d = bisect_right(starts, a)
                base = starts[d - 1] if d else 0
                out.setdefault(d, []).append((a - base, b - base, joined[a:b]))
        parts = lowered.split(_BATCH_SEP)
        self._add_normalized(texts, parts if len(parts) == len(texts) else None,
                             normalize_batch(texts) if normalized is None else normalized, out)
        return out

    def _add_normalized(self, texts: Sequence[str], lowered: list[str] | None, normalized: Sequence[str],
                        out: dict[int, list[tuple[int, int, str]]]) -> None:
        """Add to `out` the matches only the normalised form shows, with their spans in the text.

        Only texts whose normalised form is not their lower case (a folded letter,
        leetspeak, spaced letters: a few in a hundred) are looked at again, and
        only those with a match there are normalised again with offsets.
        """
        todo = [i for i, n in enumerate(normalized) if lowered is None or n != lowered[i]]
        if not todo:
            return
        joined = _BATCH_SEP.join(normalized[i] for i in todo)
        spans = self._lower_spans(joined)
        if not spans:
            return
        starts = list(accumulate(len(normalized[i]) + 1 for i in todo))
        found: dict[int, list[tuple[int, int]]] = {}
        for a, b in spans:
            k = bisect_right(starts, a)
            base = starts[k - 1] if k else 0
            found.setdefault(todo[k], []).append((a - base, b - base))
        for i, pairs in found.items():
            mapped = normalize_with_offsets(texts[i])
            have = out.get(i, [])
            known = [(s, e) for s, e, _ in have]
            for a, b in pairs:
                s, e = mapped.original_span(a, b)
                if e > s and not any(s < ke and ks < e for ks, ke in known):
                    have.append((s, e, texts[i][s:e]))
                    known.append((s, e))
            if have:
                out[i] = sorted(have)

    def _lower_spans(self, lowered: str) -> list[tuple[int, int]]:
        """(start, end) of every whole-word match in lower-cased text (see `__post_init__`)."""
        search, word_char = self._lower_pattern.search, _WORD_CHAR.match
        spans, pos = [], 0
        while (m := search(lowered, pos)) is not None:
            a, b = m.span()
            if a and word_char(lowered, a - 1):  # inside a word: look again from the next character
                pos = a + 1
                continue
            spans.append((a, b))
            pos = b
        return spans

    def entry_for(self, matched: str) -> str:
        """The list entry a matched text came from (for the reason shown to a moderator).

        A text matched through its normalised form (`wetb4ck`) is looked up by that form.
        """
        for folded in (_lower(" ".join(matched.split())), " ".join(normalize(matched).split())):
            for word in self.words:
                if word.endswith("*") and folded.startswith(_lower(word[:-1])):
                    return word
                if _lower(word) == folded:
                    return word
        return matched

    def __len__(self) -> int:
        return len(self.words)


@dataclass
class Policy:
    """Per-label thresholds, word lists and the fail mode.

    A label score >= its ``reject`` threshold rejects, >= ``hold`` holds; a
    banned word rejects and a suspect word holds; the comment gets the worst
    of these. Labels with no threshold are reported in scores but never act.
    A flagged label also flags the labels it ``implies`` (by default a
    dehumanising comment is also abusive), even when their own score is below
    their threshold: the labels' thresholds are chosen one by one, so without
    the rule a comment could be dehumanising and yet not abusive.
    """

    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    fail_mode: str = "hold"
    implies: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_IMPLIES.items()})
    banned: WordList = field(default_factory=WordList)
    suspect: WordList = field(default_factory=WordList)
    perspective_attributes: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_PERSPECTIVE_ATTRIBUTES.items()}
    )
    #: What the WordPress endpoint answers for each decision (`pre_comment_approved` values).
    wordpress: dict[str, Any] = field(default_factory=lambda: {"allow": 1, "hold": 0, "reject": "trash"})
    #: A comment of fewer words is never rejected on a score alone, only held: one word is too
    #: little evidence to publish nothing unseen ("Typical." scored 0.99 abusive), and the reject
    #: thresholds were chosen on comments, not single words. Word lists still reject. 1: off.
    reject_min_words: int = 2
    #: Hold a comment the model allows only because of its quotation marks: read without them,
    #: it would be flagged. Quotation is how counter-speech and reporting name abuse, and also
    #: the cheapest way to slip abuse past the hook ("They breed like rats" indeed): a moderator
    #: tells the two apart. Off: the model's quoted reading decides alone.
    hold_quoted: bool = True
    source: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.banned, (list, tuple)):
            self.banned = WordList(list(self.banned))
        if isinstance(self.suspect, (list, tuple)):
            self.suspect = WordList(list(self.suspect))
        at = _Where(self.source or "policy")
        _check_fail_mode(self.fail_mode, at)
        _check_reject_min_words(self.reject_min_words, at)
        _check_hold_quoted(self.hold_quoted, at)
        for label, t in self.thresholds.items():
            _check_thresholds(label, t, at)

    @classmethod
    def from_card(cls, card: Mapping[str, Any]) -> "Policy":
        """The model card's thresholds, no word lists, fail mode `hold`."""
        return cls(thresholds={label: dict(t) for label, t in card["thresholds"].items()}, source="model card")

    def decide(
        self,
        scores: Mapping[str, float],
        text: str = "",
        evidence: Iterable[Evidence] | None = None,
        normalized: str | None = None,
    ) -> tuple[str, list[str], list[dict[str, Any]]]:
        """Return (decision, flagged labels, reasons) for one comment's scores and text.

        `evidence` (optional) attaches the model's evidence spans to each
        score reason, so a moderator sees which words tipped the label.
        `normalized`: the text's normalised form if the caller has it (the
        word lists also match it); worked out here otherwise.
        """
        decision, labels, reasons = "allow", [], []
        closest: tuple[float, str, float] | None = None  # (margin, label, threshold) for the "clear" reason
        few_words: bool | None = None  # worked out only when a score asks for reject
        for label, score in scores.items():
            t = self.thresholds.get(label)
            if t is None:
                continue
            score = float(score)
            if score >= t["reject"]:
                if few_words is None:
                    few_words = self._too_few_words(text)
                action = "hold" if few_words else "reject"
            elif score >= t["hold"]:
                action = "hold"
            else:
                margin = t["hold"] - score
                if closest is None or margin < closest[0]:
                    closest = (margin, label, t["hold"])
                continue
            labels.append(label)
            reason: dict[str, Any] = {"kind": "score", "label": label, "score": round(score, 4),
                                      "threshold": t[action], "action": action}
            if action == "hold" and score >= t["reject"]:
                reason["capped"] = _capped(self.reject_min_words)
            if evidence is not None:
                reason["evidence"] = [{"start": e.start, "end": e.end, "text": e.text, "weight": e.weight}
                                      for e in evidence if e.label == label]
            reasons.append(reason)
            decision = _worse(decision, action)
        if labels and self.implies:
            labels = self._add_implied(labels, reasons, list(scores))
        for kind, wordlist, action in self._word_lists():
            if not wordlist.words or not text:
                continue
            if normalized is None:
                normalized = normalize(text)
            for start, end, matched in wordlist.find(text, normalized):
                reasons.append(_word_reason(kind, wordlist, action, start, end, matched))
                decision = _worse(decision, action)
        if not reasons:
            if closest is not None:
                _, label, threshold = closest
                reasons.append(_clear_reason(label, round(float(scores[label]), 4), threshold))
            else:
                reasons.append(_clear_reason(None, None, None))
        return decision, labels, reasons

    def _too_few_words(self, text: str) -> bool:
        """Whether `text` is too short to be rejected on a score alone (`reject_min_words`).

        No text (`decide(scores)`, as when only scores are at hand) is not judged short."""
        if self.reject_min_words <= 1 or not text:
            return False
        return sum(1 for _ in islice(_WORD.finditer(text), self.reject_min_words)) < self.reject_min_words

    def _add_implied(self, flagged: list[str], reasons: list[dict[str, Any]], order: Sequence[str]) -> list[str]:
        """`flagged` plus the scored labels its score reasons imply, in `order` (the scores' order).

        Each added label gets an ``implied`` reason (appended to `reasons`)
        naming the label that implied it and that label's action; the
        decision is unchanged, since the implying label already set it. A
        label the model does not score is never implied.
        """
        have = set(flagged)
        for reason in list(reasons):
            if reason["kind"] != "score":
                continue
            for other in self.implies.get(reason["label"], ()):
                if other not in have and other in order:
                    have.add(other)
                    reasons.append({"kind": "implied", "label": other, "by": reason["label"],
                                    "action": reason["action"]})
        if len(have) == len(flagged):
            return flagged
        return [label for label in order if label in have]

    def _word_lists(self) -> tuple[tuple[str, WordList, str], ...]:
        """(reason kind, list, action) for each word list, in the order reasons list them."""
        return (("banned_word", self.banned, "reject"), ("suspect_word", self.suspect, "hold"))

    def decide_batch(self, labels: Sequence[str], scores: np.ndarray, texts: Sequence[str], *,
                     rounded: bool = False, normalized: Sequence[str] | None = None
                     ) -> list[tuple[str, list[str], list[dict[str, Any]]]]:
        """`decide` for a batch: `scores` is (n_texts, n_labels), columns in `labels` order.

        Gives exactly what `decide(dict(zip(labels, row)), text)` gives for each
        row, but compares all scores with the thresholds at once and scans the
        word lists once over the joined batch, so the per-comment Python work is
        only building the reasons. `rounded=True` says the scores are already
        `round(x, 4)` values (rounding them again would give the same floats).
        `normalized`: the texts' normalised forms if the caller has them (the model).
        """
        scores = np.asarray(scores, dtype=np.float64)
        n = len(texts)
        if scores.shape != (n, len(labels)):
            raise ValueError(f"scores has shape {scores.shape}, expected ({n}, {len(labels)})")
        # a label may appear twice in `labels`; as a dict key the last column wins
        cols = list({label: j for j, label in enumerate(labels)}.items())
        active = [(label, j, self.thresholds[label]) for label, j in cols if label in self.thresholds]
        actions = np.zeros((n, len(active)), dtype=np.int8)  # 0 below hold, 1 hold, 2 reject
        margins = np.full((n, len(active)), np.inf)
        for k, (label, j, t) in enumerate(active):
            s = scores[:, j]
            actions[:, k] = np.where(s >= t["reject"], 2, np.where(s >= t["hold"], 1, 0))
            margins[:, k] = np.where(actions[:, k] == 0, t["hold"] - s, np.inf)
        capped: set[int] = set()  # rows whose rejects are holds (`reject_min_words`); rejects are rare
        if active and self.reject_min_words > 1:
            for i in np.flatnonzero((actions == 2).any(axis=1)).tolist():
                if self._too_few_words(texts[i]):
                    capped.add(i)
                    actions[i][actions[i] == 2] = 1
        any_action = actions.max(axis=1) if active else np.zeros(n, dtype=np.int8)
        closest = np.argmin(margins, axis=1) if active else np.zeros(n, dtype=np.int64)
        has_closest = np.isfinite(margins.min(axis=1)) if active else np.zeros(n, dtype=bool)
        if normalized is None and any(wordlist.words for _, wordlist, _ in self._word_lists()):
            normalized = normalize_batch(texts)
        words = [(kind, wordlist, action, wordlist.find_batch(texts, normalized))
                 for kind, wordlist, action in self._word_lists()]
        with_words = set().union(*(found for *_, found in words))
        score_list = scores.tolist()
        shown = score_list if rounded else [[round(x, 4) for x in row] for row in score_list]  # as reasons show them
        action_names = ("allow", "hold", "reject")
        order = [label for label, _ in cols]
        out: list[tuple[str, list[str], list[dict[str, Any]]]] = []
        for i in range(n):
            if not any_action[i] and i not in with_words:
                if has_closest[i]:
                    label, j, t = active[closest[i]]
                    reason = _clear_reason(label, shown[i][j], t["hold"])
                else:
                    reason = _clear_reason(None, None, None)
                out.append(("allow", [], [reason]))
                continue
            decision, flagged, reasons = "allow", [], []
            if any_action[i]:
                for k, a in enumerate(actions[i].tolist()):
                    if a:
                        label, j, t = active[k]
                        action = action_names[a]
                        flagged.append(label)
                        reason = {"kind": "score", "label": label, "score": shown[i][j],
                                  "threshold": t[action], "action": action}
                        if i in capped and scores[i, j] >= t["reject"]:
                            reason["capped"] = _capped(self.reject_min_words)
                        reasons.append(reason)
                        decision = _worse(decision, action)
                if self.implies:
                    flagged = self._add_implied(flagged, reasons, order)
            for kind, wordlist, action, found in words:
                for start, end, matched in found.get(i, ()):
                    reasons.append(_word_reason(kind, wordlist, action, start, end, matched))
                    decision = _worse(decision, action)
            if not reasons:  # pragma: no cover - any_action or a word match always gives a reason
                raise AssertionError("no reason for a flagged comment")
            out.append((decision, flagged, reasons))
        return out

    def fail_verdict(self, error: BaseException | str, model_version: str = "", text: str = "") -> Verdict:
        """The verdict when scoring raised: the fail mode, with the error as its reason.

        The word lists still apply (they need no model), so a banned word
        rejects even when the model is down.
        """
        message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        decision = self.fail_mode
        reasons: list[dict[str, Any]] = [{"kind": "error", "action": self.fail_mode, "error": message}]
        for kind, wordlist, action in self._word_lists():
            for start, end, matched in wordlist.find(text):
                reasons.append({"kind": kind, "word": wordlist.entry_for(matched), "start": start, "end": end,
                                "text": matched, "action": action})
                decision = _worse(decision, action)
        return Verdict(scores={}, labels=[], decision=decision, evidence=[],
                       model_version=model_version, reasons=reasons)

    def quoted_reasons(self, unquoted: Mapping[str, float]) -> list[dict[str, Any]]:
        """Hold reasons for an allowed comment whose words, read without their quotation marks,
        score `unquoted`: one per label at or above its `hold` threshold (none when `hold_quoted`
        is off).

        The model reads quoted words as reported or condemned, which keeps counter-speech
        clear; whether a quotation endorses or condemns is for a moderator, so the comment
        is held, not flagged: `Verdict.labels` stays the model's own reading.
        """
        if not self.hold_quoted:
            return []
        return [{"kind": "quoted", "label": label, "score": unquoted[label], "threshold": t["hold"], "action": "hold"}
                for label, t in self.thresholds.items() if label in unquoted and unquoted[label] >= t["hold"]]

    def to_dict(self) -> dict[str, Any]:
        """A plain summary (for `GET /version` and `--format json`)."""
        return {
            "source": self.source,
            "fail_mode": self.fail_mode,
            "reject_min_words": self.reject_min_words,
            "hold_quoted": self.hold_quoted,
            "thresholds": {k: dict(v) for k, v in self.thresholds.items()},
            "implies": {k: list(v) for k, v in self.implies.items()},
            "banned_words": len(self.banned),
            "suspect_words": len(self.suspect),
        }


_WORD = re.compile(r"\w+")


def _capped(min_words: int) -> str:
    return f"reject_min_words: fewer than {min_words} words, held instead of rejected"


def _word_reason(kind: str, wordlist: WordList, action: str, start: int, end: int, matched: str) -> dict[str, Any]:
    """The reason a word-list match gives (`decide` and `decide_batch` alike)."""
    return {"kind": kind, "word": wordlist.entry_for(matched), "start": start, "end": end, "text": matched,
            "action": action}


def _clear_reason(label: str | None, score: float | None, threshold: float | None) -> dict[str, Any]:
    """The reason of an allowed comment: the label closest to its hold threshold, if any."""
    return {"kind": "clear", "action": "allow", "label": label, "score": score, "threshold": threshold}


def _worse(a: str, b: str) -> str:
    return a if SEVERITY[a] >= SEVERITY[b] else b


def _check_fail_mode(value: Any, at: _Where) -> None:
    if value not in SEVERITY:
        raise PolicyError(f"{at(('fail_mode',))}: fail_mode must be one of {', '.join(DECISIONS)}, not {value!r}")


def _check_reject_min_words(value: Any, at: _Where) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= REJECT_MIN_WORDS_MAX:
        raise PolicyError(f"{at(('reject_min_words',))}: reject_min_words must be a whole number from 1 to "
                          f"{REJECT_MIN_WORDS_MAX}, not {value!r}")


def _check_hold_quoted(value: Any, at: _Where) -> None:
    if not isinstance(value, bool):
        raise PolicyError(f"{at(('hold_quoted',))}: hold_quoted must be true or false, not {value!r}")


def _check_thresholds(label: str, t: Mapping[str, Any], at: _Where) -> None:
    table = ("thresholds", label)
    for key in ("hold", "reject"):
        value = t.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise PolicyError(f"{at((*table, key), table)}: thresholds.{label}.{key} must be a number "
                              f"between 0 and 1, not {value!r}")
    if t["hold"] > t["reject"]:  # the file may set only one of the two (the other is the card's)
        raise PolicyError(f"{at((*table, 'hold'), (*table, 'reject'), table)}: thresholds.{label}: "
                          f"hold ({t['hold']}) is above reject ({t['reject']})")


def _read_word_files(names: Any, base: Path, at: _Where, key: str) -> list[str]:
    """The entries of the word files `names` (words.`key`, relative to `base`).

    A file with no entry (empty, or only comments and blank lines: a truncated
    export) is an error, not an empty list: the site listed it to switch words
    on, and says "no words" by leaving the file out. Loading a policy has no
    warning channel, and `check` runs as a hook whose stderr no one reads.
    """
    if not isinstance(names, list):
        raise PolicyError(f"{at(('words', key))}: words.{key} must be a list of file names")
    words: list[str] = []
    for name in names:
        path = (base / str(name)).resolve()
        try:
            # utf-8-sig: a BOM (Notepad's) would otherwise stick to the first entry, which then never matches.
            lines = path.read_bytes().decode("utf-8-sig").splitlines()
        except OSError as exc:
            raise PolicyError(f"{at(('words', key))}: words.{key}: cannot read {path}: "
                              f"{exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise PolicyError(f"{at(('words', key))}: words.{key}: {path} is not UTF-8 text "
                              f"({exc.reason} at byte {exc.start})") from None
        before = len(words)
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if re.search(r"\s#", line):  # QA pass 11: "pig  # note" was an entry that never matched
                raise PolicyError(f"{at(('words', key))}: words.{key}: {path}, line {number}: {line!r}: "
                                  f"a # comment goes on its own line (an entry with \" #\" in it belongs in "
                                  f"the policy's own list)")
            words.append(line)
        if len(words) == before:  # QA pass 11 leftover: a truncated export switched its list off, silently
            raise PolicyError(f"{at(('words', key))}: words.{key}: {path} has no entries (it is empty or holds "
                              f"only comments and blank lines); leave it out of words.{key} for no words")
    return words


def _label_list(value: Any, at: _Where, key: tuple[str, ...]) -> list[str]:
    """A policy value (at `key`) that names labels: one label, or a list of them (empty allowed)."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise PolicyError(f"{at(key)}: {'.'.join(key)} must be a label or a list of labels")
    return list(value)


def _card_labels(card: Mapping[str, Any] | None) -> set[str] | None:
    """The labels the card's model scores (None: no card, so nothing to check a policy against)."""
    if card is None:
        return None
    labels = set(card.get("labels") or ()) | set(card.get("thresholds") or {})
    return labels or None


def parse_policy(data: Mapping[str, Any], card: Mapping[str, Any] | None = None, *,
                 source: str = "policy", base: Path | None = None, text: str | None = None) -> Policy:
    """A Policy from parsed TOML. Labels the file leaves out take the card's thresholds.

    `text`: the TOML source `data` was parsed from, if at hand, so that an
    error names the line of its key (``policy.toml:12: ...``), not only the file.
    """
    at = _Where(source, text)
    unknown = set(data) - _TOP_LEVEL_KEYS
    if unknown:
        where = at(*at.in_file_order((k,) for k in unknown))
        raise PolicyError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                          f"(expected {', '.join(sorted(_TOP_LEVEL_KEYS))})")
    version = data.get("version", 1)
    if version != 1:
        raise PolicyError(f"{at(('version',))}: version {version!r} is not supported (this release reads version 1)")
    known = _card_labels(card)

    def check_label(label: str, key: tuple[str, ...]) -> None:
        # A misspelt label ([thresholds.abusve]) would otherwise be accepted and do nothing.
        if known is not None and label not in known:
            raise PolicyError(f"{at(key)}: {'.'.join(key)}: the model has no label {label!r} "
                              f"(its labels: {', '.join(sorted(known))})")

    thresholds: dict[str, dict[str, float]] = {}
    if card is not None and card.get("thresholds"):
        thresholds = {label: dict(t) for label, t in card["thresholds"].items()}
    file_thresholds = data.get("thresholds", {})
    if not isinstance(file_thresholds, dict):
        raise PolicyError(f"{at(('thresholds',))}: [thresholds] must be a table of labels")
    for label, t in file_thresholds.items():
        table = ("thresholds", label)
        check_label(label, table)
        if not isinstance(t, dict):
            raise PolicyError(f"{at(table)}: thresholds.{label} must be a table with hold and reject")
        extra = set(t) - {"hold", "reject"}
        if extra:
            raise PolicyError(f"{at(*((*table, k) for k in sorted(extra)), table)}: thresholds.{label}: "
                              f"unknown key(s) {', '.join(sorted(extra))}")
        merged = {**thresholds.get(label, {}), **t}
        _check_thresholds(label, {"hold": merged.get("hold", 0.0), "reject": merged.get("reject", 1.0), **t}, at)
        if set(merged) != {"hold", "reject"}:
            raise PolicyError(f"{at(table)}: thresholds.{label} needs both hold and reject "
                              f"(the model card has no threshold for {label!r})")
        thresholds[label] = {k: float(v) if not isinstance(v, bool) else v for k, v in merged.items()}
    implies = {k: list(v) for k, v in DEFAULT_IMPLIES.items()}
    file_implies = data.get("implies", {})
    if not isinstance(file_implies, dict):
        raise PolicyError(f"{at(('implies',))}: [implies] must be a table of labels")
    for label, others in file_implies.items():
        others = _label_list(others, at, ("implies", label))
        for name in (label, *others):
            check_label(name, ("implies", label))
        if label in others:
            raise PolicyError(f"{at(('implies', label))}: implies.{label}: a label cannot imply itself")
        implies[label] = others  # an empty list switches the rule off for that label
    words = data.get("words", {})
    if not isinstance(words, dict):
        raise PolicyError(f"{at(('words',))}: [words] must be a table")
    unknown = set(words) - _WORDS_KEYS
    if unknown:
        where = at(*at.in_file_order(("words", k) for k in unknown), ("words",))
        raise PolicyError(f"{where}: words: unknown key(s) {', '.join(sorted(unknown))}")
    lists: dict[str, list[str]] = {}
    for key in ("banned", "suspect"):
        entries = words.get(key, [])
        if not isinstance(entries, list) or not all(isinstance(w, str) for w in entries):
            raise PolicyError(f"{at(('words', key))}: words.{key} must be a list of strings")
        lists[key] = list(entries) + _read_word_files(words.get(f"{key}_files", []), base or Path.cwd(),
                                                      at, f"{key}_files")
        bad = [w for w in lists[key] if _BATCH_SEP in w]
        if bad:  # QA pass 11: such an entry switched the whole list off, silently
            # the entry is in the inline list or in one of the files
            where = at(("words", key)) if bad[0] in entries else at(("words", f"{key}_files"))
            raise PolicyError(f"{where}: words.{key}: entry {bad[0]!r} contains a NUL character")
    for key in ("perspective", "wordpress"):
        if not isinstance(data.get(key, {}), dict):
            raise PolicyError(f"{at((key,))}: [{key}] must be a table")
    perspective = {k: list(v) for k, v in DEFAULT_PERSPECTIVE_ATTRIBUTES.items()}
    for attribute, labels in data.get("perspective", {}).items():
        labels = _label_list(labels, at, ("perspective", attribute))
        for name in labels:
            check_label(name, ("perspective", attribute))
        if labels:
            perspective[attribute.upper()] = labels
        else:  # an empty list switches the attribute off (requests for it get a 400)
            perspective.pop(attribute.upper(), None)
    wordpress = {"allow": 1, "hold": 0, "reject": "trash"}
    for decision, answer in data.get("wordpress", {}).items():
        if decision not in SEVERITY:
            raise PolicyError(f"{at(('wordpress', decision))}: wordpress.{decision}: not a decision "
                              f"({', '.join(DECISIONS)})")
        if answer not in (0, 1, "spam", "trash") or isinstance(answer, bool):
            raise PolicyError(f"{at(('wordpress', decision))}: wordpress.{decision} must be 0, 1, \"spam\" "
                              f"or \"trash\", not {answer!r}")
        if answer == 1 and decision != "allow":  # QA pass 11: a swapped table published what the policy stops
            raise PolicyError(f"{at(('wordpress', decision))}: wordpress.{decision} = 1 would publish every "
                              f"comment the policy decides to {decision}; use 0, \"spam\" or \"trash\"")
        wordpress[decision] = answer
    fail_mode = data.get("fail_mode", "hold")
    _check_fail_mode(fail_mode, at)
    # checked here too, where the source is at hand, so the error names the line (Policy checks again)
    reject_min_words, hold_quoted = data.get("reject_min_words", 2), data.get("hold_quoted", True)
    _check_reject_min_words(reject_min_words, at)
    _check_hold_quoted(hold_quoted, at)
    return Policy(thresholds=thresholds, fail_mode=fail_mode, implies=implies, banned=WordList(lists["banned"]),
                  suspect=WordList(lists["suspect"]), perspective_attributes=perspective,
                  wordpress=wordpress, reject_min_words=reject_min_words, hold_quoted=hold_quoted, source=source)


def load_policy(path: str | Path | None = None, card: Mapping[str, Any] | None = None) -> Policy:
    """The policy for a model.

    `path` is a TOML policy file (docs/policy.md); labels it does not set take
    the model card's thresholds. With no path: the card's thresholds plus the
    shipped default policy (word lists, fail mode `hold`).
    """
    if path is None:
        if card is None:
            raise ValueError("load_policy needs a policy file or a model card")
        path = DEFAULT_POLICY_PATH
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")  # a BOM (Notepad's) is not TOML, but no reason to refuse
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: invalid TOML: {exc}") from None
    policy = parse_policy(data, card, source=str(path), base=path.parent, text=text)
    if not policy.thresholds:
        raise PolicyError(f"{path}: no thresholds: give a [thresholds.<label>] table or a model card")
    return policy


def attach_evidence(verdict: Verdict) -> Verdict:
    """Give each score reason the evidence spans for its label, when the model did not.

    Lets the hook say which words tipped a label whether or not the model
    passed `evidence=` to `Policy.decide`. Changes the verdict in place and
    returns it.
    """
    attach_to_reasons(verdict.reasons, verdict.evidence)
    return verdict


def attach_to_reasons(reasons: list[dict[str, Any]], evidence: Iterable[Evidence]) -> None:
    """`attach_evidence` on a verdict's reasons and evidence as plain data (in place)."""
    for reason in reasons:
        if reason.get("kind") in ("score", "quoted") and "evidence" not in reason:
            reason["evidence"] = [{"start": e.start, "end": e.end, "text": e.text, "weight": e.weight}
                                  for e in evidence if e.label == reason.get("label")]

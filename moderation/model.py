"""The moderator: load the shipped model, score comments, explain the scores.

The model file is a NumPy `.npz` archive of plain arrays (token strings,
feature codes, idf weights, one stacked coefficient matrix for all labels,
Platt calibration), loaded with `allow_pickle=False`: loading it cannot run
code, unlike a joblib/pickle file. It is still checked against its model card
(`model-card.json`: sha256, format version, library versions) and refused if
anything does not match, so a tampered or half-copied model never scores a
comment. A model other than the shipped one must be named explicitly
(`load_model(path)` / `--model PATH`).

This module imports only numpy and scipy (no pandas, no plotting), so that the
pre-publish hook starts fast.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import platform
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Container, Mapping, Sequence

import numpy as np

from moderation.features import SEP_ID, Featurizer, KIND_BIGRAM, KIND_BIGRAM_CTX
from moderation.normalize import NormalizedText, normalize_batch, normalize_batch_changed, normalize_with_offsets
from moderation.policy import Policy, attach_evidence, attach_to_reasons
from moderation.records import Evidence, Verdict

#: Version of the model file layout this code reads and writes.
FORMAT_VERSION = 1
CARD_NAME = "model-card.json"
MODEL_NAME = "moderation-model.npz"
#: Where the shipped model lives: the repository's models/ directory (a checkout or an
#: editable install, where `make train` writes it), else the copy a wheel carries in the
#: package (setup.py), since an installed package has no repository beside it.
_REPOSITORY_MODELS = Path(__file__).resolve().parent.parent / "models"
_PACKAGED_MODELS = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL_DIR = _REPOSITORY_MODELS if (_REPOSITORY_MODELS / CARD_NAME).is_file() else _PACKAGED_MODELS
#: Evidence: at most this many tokens per label, each contributing at least
#: `EVIDENCE_FLOOR` times the comment's strongest token.
MAX_EVIDENCE = 5
EVIDENCE_FLOOR = 0.50
#: Long comments: n-gram values are divided by sqrt(length), so one slur at the
#: end of a 6,000-character comment is diluted to nothing. A comment whose
#: normalised text is longer than `LONG_TEXT` characters is also scored in
#: overlapping windows of `WINDOW_TOKENS` tokens (words and punctuation marks:
#: about 400 characters of news text, whose long comments run 5.0 characters a
#: token in Civil Comments), a new one every `STEP_TOKENS`, each label taking the
#: highest of the whole and its windows: abuse anywhere is scored as if it stood
#: in a comment of ordinary length. The windows are not featurised again: the
#: whole comment's feature occurrences (negation, quotation and reporting read
#: from the whole comment) are shared out among them by token position
#: (`window_rows`), so a window costs a weighted sum over its features, not an
#: analysis of its text. Featurising each window's text again cost ~0.4-0.6 ms of
#: check()'s p99 at 600 characters, which the 2 ms target had no room for; with
#: windows at 600 rather than 1,000, ~100-150 civil words after the abuse let
#: fewer flagged comments through (51-53% -> 35%, benchmarks/red_team.py;
#: docs/model-history.md).
LONG_TEXT = 600
WINDOW_TOKENS = 80
STEP_TOKENS = 60
#: A large batch is scored in blocks of about this many characters: the batch's
#: arrays (code points, tokens, feature codes) then stay in the CPU's cache.
#: 20,000 news comments (3.2M characters) scored in one go took 0.82 s, in
#: blocks of about 300,000 characters 0.56 s (docs/model.md). Results are the same.
BLOCK_CHARS = 300_000


@dataclass
class _Analysis:
    """A featurised batch: feature occurrences (for evidence) and the non-zero values (for scores)."""

    n: int
    codes: np.ndarray
    cols: np.ndarray
    pos: np.ndarray
    doc_start: np.ndarray
    rows: np.ndarray
    ucols: np.ndarray
    val: np.ndarray
    inv: np.ndarray
    cnt: np.ndarray
    ids: np.ndarray  # token ids of the batch, each document followed by a separator
    tok_start: np.ndarray | None  # each token's [start, end) within its own normalised text (None: not asked for)
    tok_end: np.ndarray | None


def long_texts(normalized: Sequence[str]) -> np.ndarray | None:
    """Which texts are long enough to be scored in windows too (`LONG_TEXT`), or None if none is."""
    lengths = np.fromiter(map(len, normalized), np.int64, len(normalized))
    long = lengths > LONG_TEXT
    return long if long.any() else None


def window_rows(docs: np.ndarray, rel: np.ndarray, tokens: np.ndarray, long: np.ndarray,
                size: int = WINDOW_TOKENS, step: int = STEP_TOKENS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The long documents' feature occurrences shared out among their windows.

    `docs` and `rel` are each occurrence's document and token position within it,
    `tokens` each document's number of tokens; window k of a document holds the
    positions [k * step, k * step + size), and its last window reaches the
    document's end. A position lies in one window or two (`size` <= 2 * `step`).
    Returns (occurrence index, window row) pairs, windows numbered from 0 in order
    of (document, k), and each window row's document (so in order). A window with
    no known feature still gets a row (its score is the intercept alone);
    `Moderator._raise_to_windows` leaves it out.
    """
    assert size <= 2 * step
    occ = np.flatnonzero(long[docs])
    d, r = docs[occ], rel[occ]
    count = np.where(long, (np.maximum(tokens - size, 0) + step - 1) // step + 1, 0)  # windows per document
    first = np.cumsum(count) - count  # each document's first window row
    lo = np.maximum(r - size + step, 0) // step
    hi = np.minimum(r // step, count[d] - 1)
    two = np.flatnonzero(hi > lo)
    row = first[d] + lo
    return np.concatenate([occ, occ[two]]), np.concatenate([row, row[two] + 1]), np.repeat(np.arange(len(long)), count)


def doc_tokens(ids: np.ndarray) -> np.ndarray:
    """Each document's number of tokens in a batch's token ids (`Featurizer._ids`: each document ends with SEP_ID)."""
    return np.diff(np.flatnonzero(ids == SEP_ID), prepend=-1) - 1


def blocks(texts: Sequence[str], budget: int = BLOCK_CHARS) -> list[slice]:
    """Consecutive slices of `texts` of about `budget` characters each (at least one text each).

    A block ends with the text that brings it to `budget` characters or more.
    """
    n = len(texts)
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, n))  # characters up to each text, inclusive
    out, start, base = [], 0, 0
    while start < n:
        i = int(np.searchsorted(ends, base + budget))  # the first text that brings the block to the budget
        if i >= n:
            out.append(slice(start, n))
            break
        out.append(slice(start, i + 1))
        start, base = i + 1, int(ends[i])
    return out


def _top_tokens(c: np.ndarray) -> list[int]:
    """The evidence rule for one comment's token contributions `c`: the top
    `MAX_EVIDENCE` tokens (np.argsort's order among ties), kept if positive and
    at least `EVIDENCE_FLOOR` of the best, in text order."""
    top = [j for j in np.argsort(-c)[:MAX_EVIDENCE] if c[j] > 0]
    if not top:
        return []
    best = c[top[0]]
    return sorted(j for j in top if c[j] >= EVIDENCE_FLOOR * best)


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while a batch builds its verdicts.

    A batch of 20,000 comments allocates some 200,000 small dicts, lists and
    records, none of them cyclic (reference counting frees them all); each
    700 allocations would otherwise start a collection that walks the young
    objects again, and the full collections walk the whole growing batch:
    about a sixth of `score()`'s time when this was measured (docs/batch.md
    has the collector's share of a scan). The previous state is restored, so
    a caller that disabled the collector keeps it disabled.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ModelError(RuntimeError):
    """The model file or its card cannot be trusted or read."""


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the libraries that read and write the model file."""
    import scipy

    versions = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__}
    try:
        import sklearn

        versions["scikit-learn"] = sklearn.__version__
    except ImportError:  # pragma: no cover - scikit-learn is a core dependency
        pass
    return versions


def _major(version: str) -> str:
    return str(version).split(".")[0]


class Moderator:
    """A loaded model: scores comments for each label, decides via a policy, explains."""

    def __init__(self, featurizer: Featurizer, coef: np.ndarray, intercept: np.ndarray,
                 calibration: np.ndarray, labels: Sequence[str], card: Mapping[str, Any],
                 policy: Policy | None = None) -> None:
        self.featurizer = featurizer
        self.coef = np.ascontiguousarray(coef, dtype=np.float32)  # (n_features, n_labels)
        # each label's weights as one contiguous array: a gather from it is cheaper than from a column
        self._label_coef = [np.ascontiguousarray(self.coef[:, j]) for j in range(self.coef.shape[1])]
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.calibration = np.asarray(calibration, dtype=np.float64)  # (n_labels, 2): a, b
        self.labels = list(labels)
        self.card = dict(card)
        self.version = str(self.card.get("version", "unversioned"))
        self.policy = policy if policy is not None else Policy.from_card(self.card)
        self._nested = None
        if self.card.get("model", {}).get("abusive_at_least_dehumanising") and {"dehumanising", "abusive"} <= set(self.labels):
            self._nested = (self.labels.index("dehumanising"), self.labels.index("abusive"))

    # ----- scores -----------------------------------------------------
    def _analyse(self, normalized: Sequence[str]) -> _Analysis:
        """The batch's features, with what evidence needs (occurrences, token offsets)."""
        fz = self.featurizer
        ids, tok_start, tok_end = fz._tokens(normalized)
        docs, codes, pos, doc_start = fz.analyse_ids(ids)
        cols, ok = fz._columns(codes)
        docs, codes, cols, pos = docs[ok], codes[ok], cols[ok], pos[ok]
        rows, ucols, val, inv, cnt = fz.entries(docs, cols, len(normalized))
        return _Analysis(len(normalized), codes, cols, pos, doc_start, rows, ucols, val, inv, cnt, ids, tok_start, tok_end)

    def _linear(self, rows: np.ndarray, ucols: np.ndarray, val: np.ndarray, n: int) -> np.ndarray:
        """Raw linear scores (n, n_labels) from the non-zero values: one weighted bincount per label."""
        z = np.empty((n, len(self.labels)))
        for j in range(len(self.labels)):
            z[:, j] = np.bincount(rows, weights=val * self._label_coef[j][ucols], minlength=n)
        return z + self.intercept

    def _scored(self, normalized: Sequence[str]) -> tuple[_Analysis, np.ndarray]:
        """One analysis of the batch and its raw scores (n_texts, n_labels).

        Each long text's row is raised to the highest of its windows' scores
        (`_raise_to_windows`), read from the same analysis.
        """
        an = self._analyse(normalized)
        z = self._linear(an.rows, an.ucols, an.val, an.n)
        long = long_texts(normalized)
        if long is not None:
            docs = an.rows[an.inv]  # each occurrence's document
            z = self._raise_to_windows(z, long, docs, an.cols, an.pos - an.doc_start[an.pos], doc_tokens(an.ids))
        return an, z

    def _plain_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Raw scores of `texts` as they are (no windows), without what only evidence needs.

        No token offsets, feature codes or positions: each kind of feature is
        looked up on its own (`Featurizer.columns_ids`).
        """
        fz = self.featurizer
        return self._scores_of(*fz.columns_ids(fz._ids(texts)), len(texts))

    def _scores_of(self, docs: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
        """Raw scores (n, n_labels) of `n` documents from their kept feature occurrences (document, column)."""
        rows, ucols, val, _, _ = self.featurizer.entries(docs, cols, n)
        return self._linear(rows, ucols, val, n)

    def _raise_to_windows(self, z: np.ndarray, long: np.ndarray, docs: np.ndarray, cols: np.ndarray,
                          rel: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """`z` with each long text's row raised to the highest of its windows' scores.

        `docs`, `cols` and `rel` are the batch's kept feature occurrences: document,
        column and token position within the document, and `tokens` each document's
        number of tokens (`window_rows`). A window with no known feature says
        nothing, so it raises nothing.
        """
        occ, row, owner = window_rows(docs, rel, tokens, long)
        if not len(owner):
            return z
        n = len(owner)
        wz = self._scores_of(row, cols[occ], n)
        said = np.bincount(row, minlength=n) > 0
        wz, owner = wz[said], owner[said]
        # owner is in order: the highest window per text is one reduceat over its run of rows
        starts = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
        texts = owner[starts]
        z[texts] = np.maximum(z[texts], np.maximum.reduceat(wz, starts, axis=0))
        return z

    def _scores_only(self, normalized: Sequence[str]) -> np.ndarray:
        """`_scored`'s scores, bit for bit, without what only evidence needs.

        This is the path of `predict_proba`, the one compared with alt-profanity-check.
        """
        long = long_texts(normalized)
        if long is None:  # the usual batch
            return self._plain_scores(normalized)
        fz = self.featurizer
        ids = fz._ids(normalized)
        docs, cols, rel = fz.columns_ids(ids, positions=True)
        z = self._scores_of(docs, cols, len(normalized))
        return self._raise_to_windows(z, long, docs, cols, rel, doc_tokens(ids))

    def decision_function(self, normalized: Sequence[str]) -> np.ndarray:
        """Raw linear scores (n_texts, n_labels) for already normalised texts."""
        if not normalized:
            return np.zeros((0, len(self.labels)))
        normalized = list(normalized)
        return np.vstack([self._scores_only(normalized[b]) for b in blocks(normalized)])

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities (n_texts, n_labels), columns in `labels` order."""
        if not texts:
            return np.zeros((0, len(self.labels)))
        texts = list(texts)
        return np.vstack([self._proba(self._scores_only(normalize_batch(texts[b]))) for b in blocks(texts)])

    def _proba(self, z: np.ndarray) -> np.ndarray:
        a, b = self.calibration[:, 0], self.calibration[:, 1]
        p = 1.0 / (1.0 + np.exp(-(z * a + b)))
        if self._nested is not None:
            # a dehumanising comment is also abusive (docs/labels.md)
            inner, outer = self._nested
            p[:, outer] = np.maximum(p[:, outer], p[:, inner])
        return p

    def score(self, texts: Sequence[str]) -> list[Verdict]:
        """One verdict per text (batch, vectorised); evidence for the flagged labels.

        The batch is normalised and featurised once: scores, policy decisions
        (`Policy.decide_batch`) and evidence all come from that one analysis.
        Only flagged comments whose normalisation moved characters (folded
        Unicode, replaced URLs, leetspeak ...) are normalised again, with
        offsets, to map their evidence back to the original text.
        """
        return self._score_all(texts, plain=False)

    def score_plain(self, texts: Sequence[str]) -> list[tuple]:
        """`score` as plain tuples, (scores, labels, decision, evidence, reasons, model_version),
        with each evidence span a dict: what a batch job writes and sends between processes.

        The same values as `score(texts)` turned into plain data (`moderation.scan.verdict_tuple`),
        without building a `Verdict` and an `Evidence` per comment first.
        """
        return self._score_all(texts, plain=True)

    def _score_all(self, texts: Sequence[str], plain: bool) -> list:
        """`score` (`plain=False`) or `score_plain` (`plain=True`).

        A text must be a `str`: a CMS that passes a missing field (None), bytes or a
        whole record would otherwise get a confident verdict on "None", "b'...'" or
        the record's repr, with evidence offsets into that string.
        """
        if isinstance(texts, str):
            raise TypeError("score() takes a list of comment texts, not one str: use check(text) for one comment")
        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"comment text {i} is {type(t).__name__}, not str"
                                + (" (decode bytes first)" if isinstance(t, (bytes, bytearray)) else ""))
        if len(texts) == 1:
            v = self._check_one(texts[0])
            if not plain:
                return [v]
            return [(v.scores, v.labels, v.decision, [e.to_dict() for e in v.evidence], v.reasons, v.model_version)]
        if not texts:
            return []
        with gc_paused():
            return [v for b in blocks(texts) for v in self._score_batch(texts[b], plain)]

    def _score_batch(self, texts: list[str], plain: bool = False) -> list:
        """Verdicts for one block of texts (`plain`: the tuples of `score_plain`)."""
        rounded, decided, evidence = self._judge_batch(texts)
        version = self.version
        labels_ = self.labels
        n_labels = len(labels_)
        if n_labels == 2:  # the shipped model: a dict display is cheaper than dict(zip(...))
            first, second = labels_
            all_scores = [{first: rounded[k], second: rounded[k + 1]} for k in range(0, len(rounded), 2)]
        else:
            all_scores = [dict(zip(labels_, rounded[k:k + n_labels])) for k in range(0, len(rounded), n_labels)]
        out = []
        append = out.append
        for i, (decision, labels, reasons) in enumerate(decided):
            ev = evidence.get(i)
            if plain:
                if ev:
                    attach_to_reasons(reasons, ev)
                    append((all_scores[i], labels, decision,
                            [{"label": e.label, "start": e.start, "end": e.end, "text": e.text, "weight": e.weight}
                             for e in ev], reasons, version))
                else:
                    append((all_scores[i], labels, decision, [], reasons, version))
            elif ev:
                append(attach_evidence(Verdict(all_scores[i], labels, decision, ev, version, reasons)))
            else:
                append(Verdict(all_scores[i], labels, decision, [], version, reasons))
        return out

    def _judge_batch(self, texts: list[str]) -> tuple[list[float], list[tuple], dict[int, list[Evidence]]]:
        """One block's rounded scores (row after row), policy decisions and evidence (by text index)."""
        normalized, changed = normalize_batch_changed(texts)
        an, z = self._scored(normalized)
        rounded, decided = self._decided(texts, self._proba(z), normalized)
        # evidence for the flagged comments, from the batch analysis (a hold for a quotation
        # flags no label: `_quoted_holds` gives its evidence)
        todo, maps, redo = [], [], []
        for i, (text, (_, labels, _)) in enumerate(zip(texts, decided)):
            if not (text and labels):
                continue
            if i in changed:
                nt = normalize_with_offsets(text)
                if nt.text != normalized[i]:  # pragma: no cover - the two paths agree (tests/test_normalize.py)
                    redo.append(i)
                    continue
                maps.append(nt)
            else:
                maps.append(None)
            todo.append(i)
        evidence: dict[int, list[Evidence]] = self._quoted_holds(texts, normalized, changed, decided)
        if todo:
            found = self._evidence([texts[i] for i in todo], maps,
                                   [decided[i][1] for i in todo], an, todo)
            evidence.update(zip(todo, found))
        if redo:  # pragma: no cover - see above
            found = self.explain_batch([texts[i] for i in redo], [decided[i][1] for i in redo])
            evidence.update(zip(redo, found))
        return rounded, decided, evidence

    def _decided(self, texts: Sequence[str], probs: np.ndarray, normalized: Sequence[str]
                 ) -> tuple[list[float], list[tuple]]:
        """One block's scores rounded as verdicts show them (row after row) and the policy's
        (decision, labels, reasons) per text, decided on those rounded scores (the word
        lists also on the normalised texts the model read)."""
        rounded = [round(p, 4) for p in probs.ravel().tolist()]
        decide_batch = getattr(self.policy, "decide_batch", None)
        if decide_batch is not None:
            decided = decide_batch(self.labels, np.array(rounded).reshape(probs.shape), texts, rounded=True,
                                   normalized=normalized)
        else:  # a policy object of its own that only has `decide`
            n_labels = len(self.labels)
            decided = [self.policy.decide(dict(zip(self.labels, rounded[i * n_labels:(i + 1) * n_labels])), text)
                       for i, text in enumerate(texts)]
        return rounded, list(decided)

    def _quoted_holds(self, texts: Sequence[str], normalized: Sequence[str], changed: Container[int],
                      decided: list[tuple[str, list[str], list[dict[str, Any]]]], *,
                      evidence: bool = True) -> dict[int, list[Evidence]]:
        """Hold the allowed comments the policy holds for their quotation (`Policy.quoted_reasons`).

        Two quotation marks make the model read their words as reported or condemned,
        so quoting abuse can keep it under the threshold. Only allowed comments with two
        double quotation marks (after normalisation; a few in a hundred) are read again,
        with the marks as spaces (same length, so the offset maps still hold); the ones the
        policy holds get ("hold", [], reasons) in `decided`, in place. Returns their
        evidence (the quoted words) by index, unless `evidence` is False.
        """
        if not getattr(self.policy, "hold_quoted", False):
            return {}
        todo = [i for i, (decision, _, _) in enumerate(decided)
                if decision == "allow" and normalized[i].count('"') >= 2]
        if not todo:
            return {}
        an, z = self._scored([normalized[i].replace('"', " ") for i in todo])
        probs = self._proba(z).tolist()
        held: list[int] = []
        held_labels: list[list[str]] = []
        for k, i in enumerate(todo):
            reasons = self.policy.quoted_reasons({label: round(p, 4) for label, p in zip(self.labels, probs[k])})
            if reasons:
                decided[i] = ("hold", [], reasons)
                held.append(k)
                held_labels.append([r["label"] for r in reasons])
        if not (held and evidence):
            return {}
        held_texts = [texts[todo[k]] for k in held]
        maps = [normalize_with_offsets(t) if todo[k] in changed else None for k, t in zip(held, held_texts)]
        return dict(zip((todo[k] for k in held), self._evidence(held_texts, maps, held_labels, an, held)))

    def decisions(self, texts: Sequence[str]) -> tuple[np.ndarray, list[tuple[str, list[str], list[dict[str, Any]]]]]:
        """Probabilities and the policy's (decision, labels, reasons) per text, with no evidence.

        The decisions `score` gives (quotation holds included), for measuring many comments
        (`moderation evaluate`) without building evidence spans.
        """
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.labels))), []
        all_probs, all_decided = [], []
        for b in blocks(texts):
            block = texts[b]
            normalized, changed = normalize_batch_changed(block)
            probs = self._proba(self._scores_only(normalized))
            _, decided = self._decided(block, probs, normalized)
            self._quoted_holds(block, normalized, changed, decided, evidence=False)
            all_probs.append(probs)
            all_decided += decided
        return np.vstack(all_probs), all_decided

    def _check_one(self, text: str) -> Verdict:
        """One comment: normalise and featurise once, score and explain from that.

        As in a batch, the offset map is built only for a flagged comment whose
        normalisation moved characters: tracking offsets through every step costs
        more than the steps' own pre-filters, most on long comments (the p99 of `check`).
        """
        normalized, changed = normalize_batch_changed([text])
        an, z = self._scored(normalized)
        row = self._proba(z)[0]
        scores = {label: round(float(p), 4) for label, p in zip(self.labels, row)}
        decision, labels, reasons = self.policy.decide(scores, text, normalized=normalized[0])
        evidence: list[Evidence] = []
        if decision == "allow":
            decided = [(decision, labels, reasons)]
            evidence = self._quoted_holds([text], normalized, changed, decided).get(0, [])
            decision, labels, reasons = decided[0]
        elif labels and text:
            nt = normalize_with_offsets(text) if changed else None
            if nt is not None and nt.text != normalized[0]:  # pragma: no cover - the two paths agree (tests/test_normalize.py)
                evidence = self.explain(text, labels)
            else:
                evidence = self._evidence([text], [nt], [labels], an, [0])[0]
        verdict = Verdict(scores=scores, labels=labels, decision=decision, evidence=evidence,
                          model_version=self.version, reasons=reasons)
        return attach_evidence(verdict) if evidence else verdict

    def check(self, text: str, context: Mapping[str, Any] | None = None) -> Verdict:
        """One comment, as the pre-publish hook sees it (`text` must be a str: TypeError otherwise).

        An empty text is allowed (nothing to moderate), as a scan counts an empty
        comment; the `check` CLI and the HTTP endpoints refuse one as a request
        error instead (docs/service.md), since a CMS sending nothing is a bug to see.

        `context` (parent comment, article title, ...) is accepted for the
        hook's API but not used by this model: a comment is judged on its own
        words, so quoting or replying to abuse is never blamed on the replier.
        """
        return self.score([text])[0]

    # ----- evidence ---------------------------------------------------
    def explain(self, text: str, labels: Sequence[str] | None = None) -> list[Evidence]:
        """The spans of the original text that pushed each label's score up."""
        labels = list(self.labels if labels is None else labels)
        return self.explain_batch([text], [labels])[0]

    def explain_batch(self, texts: Sequence[str], labels: Sequence[Sequence[str]]) -> list[list[Evidence]]:
        """Evidence for many texts at once (one featurisation of the batch).

        A token's contribution to a label is the sum, over the features it
        takes part in, of feature value x coefficient (a bigram's is split
        between its two tokens; a lexicon pattern's goes to the metaphor,
        verb or swear word that triggered it). The top tokens (at most
        `MAX_EVIDENCE`, each at least `EVIDENCE_FLOOR` of the best) become spans, adjacent
        tokens merged, mapped back to the original characters.
        """
        out: list[list[Evidence]] = [[] for _ in texts]
        todo = [i for i, (t, ls) in enumerate(zip(texts, labels)) if t and ls]
        if not todo:
            return out
        nts = [normalize_with_offsets(texts[i]) for i in todo]
        an = self._analyse([nt.text for nt in nts])
        found = self._evidence([texts[i] for i in todo], nts, [labels[i] for i in todo], an, range(len(todo)))
        for i, ev in zip(todo, found):
            out[i] = ev
        return out

    def _evidence(self, texts: Sequence[str], maps: Sequence[NormalizedText | None],
                  labels: Sequence[Sequence[str]], an: _Analysis, docs: Sequence[int]) -> list[list[Evidence]]:
        """Evidence for `texts`, which are documents `docs` of the analysed batch `an`.

        `maps[k]` is the offset map of `texts[k]` (`normalize_with_offsets`), or None when
        its normalised character j is its original character j.
        """
        out: list[list[Evidence]] = [[] for _ in texts]
        if len(an.cols) == 0:
            return out
        cols, pos = an.cols, an.pos
        value = an.val[an.inv] / an.cnt[an.inv]
        kinds = an.codes >> np.int64(40)
        is_bi = (kinds == KIND_BIGRAM) | (kinds == KIND_BIGRAM_CTX)
        n_pos = len(an.ids)
        # a token's share of each feature: unigrams and lexicon patterns whole, bigrams split
        # between their two tokens; one bincount adds them in the order np.add.at would
        where = np.concatenate([pos[~is_bi], pos[is_bi], pos[is_bi] - 1])
        label_index = {l: j for j, l in enumerate(self.labels)}
        contrib_by_label = {}
        for label in {l for ls in labels for l in ls}:
            share = value * self._label_coef[label_index[label]][cols]
            half = share[is_bi] / 2
            contrib_by_label[label] = np.bincount(where, weights=np.concatenate([share[~is_bi], half, half]),
                                                  minlength=n_pos)
        sep_pos = np.flatnonzero(an.ids == SEP_ID)
        first = np.concatenate(([0], sep_pos[:-1] + 1))  # first token position of each document
        words_all = ~self.featurizer._tables.flags["punct"][an.ids]  # punctuation is never evidence
        tok_start, tok_end = an.tok_start, an.tok_end
        if len(docs) <= 4:  # the hook's single comment: per document costs less than the batch set-up
            for k, d in enumerate(docs):
                s0, s1 = int(first[d]), int(sep_pos[d])
                nt = maps[k]
                for label in labels[k]:
                    c = np.where(words_all[s0:s1], contrib_by_label[label][s0:s1], 0.0)
                    top = _top_tokens(c)
                    groups: list[list[int]] = []
                    for j in top:
                        if groups and j == groups[-1][-1] + 1:
                            groups[-1].append(j)
                        else:
                            groups.append([j])
                    for g in groups:
                        start, end = int(tok_start[s0 + g[0]]), int(tok_end[s0 + g[-1]])
                        if nt is not None:
                            start, end = nt.original_span(start, end)
                        out[k].append(Evidence(label, start, end, texts[k][start:end], round(float(c[g].sum()), 4)))
            return out
        docs = np.asarray(docs, dtype=np.int64)
        found: list[dict[str, list[tuple[int, int, float]]]] = [{} for _ in texts]  # label -> (start, end, weight)
        for label, contrib_all in contrib_by_label.items():
            ks = np.array([k for k, ls in enumerate(labels) if label in ls], dtype=np.int64)
            if not len(ks):
                continue
            s0 = first[docs[ks]]
            lengths = sep_pos[docs[ks]] - s0
            owner = np.repeat(np.arange(len(ks)), lengths)
            offset = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)  # token index in its doc
            p = s0[owner] + offset
            c = np.where(words_all[p], contrib_all[p], 0.0)
            # The old per-document rule: the top MAX_EVIDENCE tokens by contribution (np.argsort(-c)),
            # kept if > 0 and >= EVIDENCE_FLOOR of the best. Here: all documents at once, sorted by (doc, -c);
            # where the cut at MAX_EVIDENCE falls inside a tie, argsort's own order decides (below).
            # A token under EVIDENCE_FLOOR of its document's best is never kept, and ranks below every token
            # that is: dropping those first leaves the same selection and a much smaller sort.
            doc_max = np.zeros(len(ks))
            nonempty = np.flatnonzero(lengths > 0)
            if len(nonempty):
                doc_max[nonempty] = np.maximum.reduceat(c, (np.cumsum(lengths) - lengths)[nonempty])
            pos_ = (c > 0) & (c >= EVIDENCE_FLOOR * doc_max[owner])
            owner, offset, c = owner[pos_], offset[pos_], c[pos_]
            order = np.lexsort((-c, owner))
            owner, offset, c = owner[order], offset[order], c[order]
            n_own = np.bincount(owner, minlength=len(ks))
            begin = np.cumsum(n_own) - n_own
            rank = np.arange(len(owner)) - begin[owner]
            tie = np.flatnonzero(n_own > MAX_EVIDENCE)
            tie = tie[c[begin[tie] + MAX_EVIDENCE - 1] == c[begin[tie] + MAX_EVIDENCE]]
            keep = rank < MAX_EVIDENCE
            if len(tie):
                keep[np.isin(owner, tie)] = False
            best = np.zeros(len(ks))
            has = n_own > 0
            best[has] = c[begin[has]]
            keep &= c >= EVIDENCE_FLOOR * best[owner]
            sel = np.flatnonzero(keep)
            sel = sel[np.lexsort((offset[sel], owner[sel]))]
            o, j, c = owner[sel], offset[sel], c[sel]
            if len(tie):  # as the per-document code did it
                extra_o, extra_j, extra_c = [o], [j], [c]
                for t in tie.tolist():
                    a, b = int(s0[t]), int(s0[t] + lengths[t])
                    cc = np.where(words_all[a:b], contrib_all[a:b], 0.0)
                    top = np.array(_top_tokens(cc), dtype=np.int64)
                    extra_o.append(np.full(len(top), t))
                    extra_j.append(top)
                    extra_c.append(cc[top])
                o, j, c = np.concatenate(extra_o), np.concatenate(extra_j), np.concatenate(extra_c)
                order = np.lexsort((j, o))
                o, j, c = o[order], j[order], c[order]
            if not len(o):
                continue
            # adjacent tokens make one span; its weight adds their contributions left to right
            new = np.ones(len(o), dtype=bool)
            new[1:] = (o[1:] != o[:-1]) | (j[1:] != j[:-1] + 1)
            g0 = np.flatnonzero(new)
            size = np.diff(np.append(g0, len(o)))
            weight = c[g0].copy()
            for step in range(1, int(size.max())):
                more = size > step
                weight[more] += c[g0[more] + step]
            g_owner = o[g0]
            tok0 = first[docs[ks[g_owner]]]
            a_l = tok_start[tok0 + j[g0]].tolist()
            b_l = tok_end[tok0 + j[g0 + size - 1]].tolist()
            for k, a, b, w in zip(ks[g_owner].tolist(), a_l, b_l, weight.tolist()):
                found[k].setdefault(label, []).append((a, b, w))
        for k, by_label in enumerate(found):
            if not by_label:
                continue
            text = texts[k]
            nt = maps[k]
            ev = out[k]
            for label in labels[k]:
                for start, end, weight in by_label.get(label, ()):
                    if nt is not None:
                        start, end = nt.original_span(start, end)
                    ev.append(Evidence(label, start, end, text[start:end], round(weight, 4)))
        return out

    # ----- persistence ------------------------------------------------
    def save(self, directory: str | os.PathLike, card: Mapping[str, Any] | None = None) -> Path:
        """Write the model file and its card (with the file's sha256) to `directory`."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        fz = self.featurizer
        model_path = directory / MODEL_NAME
        with open(model_path, "wb") as fh:
            np.savez_compressed(
                fh,
                tokens=np.array(fz.tokens_, dtype=str),
                codes=fz.codes_,
                idf=fz.idf_,
                coef=self.coef,
                intercept=self.intercept,
                calibration=self.calibration,
                labels=np.array(self.labels, dtype=str),
                weighting=np.array([fz.weighting], dtype=str),
                bigrams=np.array([fz.bigrams], dtype=bool),
            )
        card = dict(card if card is not None else self.card)
        card["format_version"] = FORMAT_VERSION
        card["labels"] = list(self.labels)
        card["library_versions"] = library_versions()
        card["file"] = {"name": MODEL_NAME, "sha256": sha256_file(model_path), "bytes": model_path.stat().st_size}
        (directory / CARD_NAME).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        self.card = card
        self.version = str(card.get("version", self.version))
        return model_path


def _find_card(path: Path) -> Path:
    if path.is_dir():
        return path / CARD_NAME
    if path.suffix == ".json":
        return path
    return path.with_name(CARD_NAME)


def load_model(path: str | os.PathLike | None = None, policy: Policy | None = None) -> Moderator:
    """Load and verify a model: the shipped one in `models/` unless `path` names another.

    `path` may be a model directory, its `model-card.json` or its `.npz` file.
    Refuses (ModelError) a file whose sha256 differs from its card, an unknown
    format version, or a card written with a different major numpy version.
    """
    if path is None:
        path = os.environ.get("MODERATION_MODEL") or DEFAULT_MODEL_DIR
    given = Path(path)
    if not given.exists():
        raise ModelError(f"{given}: no such model file or directory")
    card_path = _find_card(given)
    if not card_path.is_file():
        looked = "" if card_path == given else f" (looked for {card_path})"
        raise ModelError(f"{given}: model card not found{looked}; a model is a directory with {CARD_NAME} and {MODEL_NAME}")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{card_path}: unreadable model card: {exc}") from exc
    if card.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{card_path}: model format {card.get('format_version')!r}, this code reads {FORMAT_VERSION}")
    info = card.get("file") or {}
    model_path = card_path.with_name(info.get("name", MODEL_NAME))
    if Path(path).suffix == ".npz" and Path(path).resolve() != model_path.resolve():
        raise ModelError(f"{path}: its card {card_path} describes {model_path.name}, not this file")
    if not model_path.is_file():
        raise ModelError(f"{model_path}: model file not found")
    digest = sha256_file(model_path)
    if digest != info.get("sha256"):
        raise ModelError(f"{model_path}: sha256 {digest[:12]}... does not match the card's "
                         f"{str(info.get('sha256'))[:12]}...: refusing a file that may have been altered")
    written = card.get("library_versions", {})
    if _major(written.get("numpy", np.__version__)) != _major(np.__version__):
        raise ModelError(f"{model_path}: written with numpy {written.get('numpy')}, running numpy {np.__version__} "
                         "(major versions differ); retrain with `moderation train`")
    try:
        with np.load(model_path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError) as exc:
        raise ModelError(f"{model_path}: not a readable model file: {exc}") from exc
    weighting = str(arrays["weighting"][0]) if "weighting" in arrays else "sublinear_l2"
    if weighting not in Featurizer.WEIGHTINGS:
        raise ModelError(f"{model_path}: unknown feature weighting {weighting!r}")
    bigrams = bool(arrays["bigrams"][0]) if "bigrams" in arrays else True
    featurizer = Featurizer(weighting=weighting, bigrams=bigrams).set_state(arrays["tokens"].tolist(), arrays["codes"], arrays["idf"])
    labels = arrays["labels"].tolist()
    if labels != list(card.get("labels", labels)):
        raise ModelError(f"{model_path}: labels {labels} differ from the card's {card.get('labels')}")
    return Moderator(featurizer, arrays["coef"], arrays["intercept"], arrays["calibration"], labels, card, policy)

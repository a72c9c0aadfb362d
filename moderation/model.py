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

import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from moderation.features import Featurizer, KIND_BIGRAM, KIND_BIGRAM_CTX, KIND_LEXICON, _SHIFT, token_spans
from moderation.normalize import normalize_batch, normalize_with_offsets
from moderation.policy import Policy, attach_evidence
from moderation.records import Evidence, Verdict

#: Version of the model file layout this code reads and writes.
FORMAT_VERSION = 1
CARD_NAME = "model-card.json"
MODEL_NAME = "moderation-model.npz"
#: Where the shipped model lives (the repository's models/ directory).
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models"
#: Evidence: at most this many spans per label.
MAX_EVIDENCE = 5


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
    def decision_function(self, normalized: Sequence[str]) -> np.ndarray:
        """Raw linear scores (n_texts, n_labels) for already normalised texts."""
        X = self.featurizer.transform(normalized)
        return np.asarray(X @ self.coef, dtype=np.float64) + self.intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities (n_texts, n_labels), columns in `labels` order."""
        if not texts:
            return np.zeros((0, len(self.labels)))
        z = self.decision_function(normalize_batch(list(texts)))
        a, b = self.calibration[:, 0], self.calibration[:, 1]
        p = 1.0 / (1.0 + np.exp(-(z * a + b)))
        if self._nested is not None:
            # a dehumanising comment is also abusive (docs/labels.md)
            inner, outer = self._nested
            p[:, outer] = np.maximum(p[:, outer], p[:, inner])
        return p

    def score(self, texts: Sequence[str]) -> list[Verdict]:
        """One verdict per text (batch, vectorised); evidence for the flagged labels."""
        texts = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        probs = self.predict_proba(texts)
        verdicts = []
        for text, row in zip(texts, probs):
            scores = {label: round(float(p), 4) for label, p in zip(self.labels, row)}
            decision, labels, reasons = self.policy.decide(scores, text)
            evidence = self.explain(text, labels) if labels else []
            verdict = Verdict(scores=scores, labels=labels, decision=decision, evidence=evidence,
                              model_version=self.version, reasons=reasons)
            verdicts.append(attach_evidence(verdict) if evidence else verdict)
        return verdicts

    def check(self, text: str, context: Mapping[str, Any] | None = None) -> Verdict:
        """One comment, as the pre-publish hook sees it.

        `context` (parent comment, article title, ...) is accepted for the
        hook's API but not used by this model: a comment is judged on its own
        words, so quoting or replying to abuse is never blamed on the replier.
        """
        return self.score([text])[0]

    # ----- evidence ---------------------------------------------------
    def explain(self, text: str, labels: Sequence[str] | None = None) -> list[Evidence]:
        """The spans of the original text that pushed each label's score up."""
        labels = list(self.labels if labels is None else labels)
        if not text or not labels:
            return []
        nt = normalize_with_offsets(text)
        fz = self.featurizer
        docs, codes, pos, _ = fz.analyse([nt.text])
        if len(codes) == 0:
            return []
        cols, ok = fz._columns(codes)
        codes, cols, pos = codes[ok], cols[ok], pos[ok]
        X = fz._matrix(np.zeros(len(cols), dtype=np.int64), codes, 1)
        values = dict(zip(X.indices.tolist(), X.data.tolist()))
        occurrences = np.bincount(cols, minlength=fz.n_features_)
        spans = token_spans(nt.text)
        kinds = codes // _SHIFT
        out: list[Evidence] = []
        for label in labels:
            j = self.labels.index(label)
            contrib = np.zeros(len(spans) + 1)
            for c, p, k in zip(cols.tolist(), pos.tolist(), kinds.tolist()):
                share = values.get(c, 0.0) * float(self.coef[c, j]) / occurrences[c]
                if k in (KIND_BIGRAM, KIND_BIGRAM_CTX):
                    contrib[p - 1] += share / 2
                    contrib[p] += share / 2
                else:
                    contrib[p] += share
            contrib = contrib[: len(spans)]
            top = [i for i in np.argsort(-contrib)[:MAX_EVIDENCE] if contrib[i] > 0]
            if not top:
                continue
            best = contrib[top[0]]
            top = sorted(i for i in top if contrib[i] >= 0.15 * best)
            groups: list[list[int]] = []
            for i in top:
                if groups and i == groups[-1][-1] + 1:
                    groups[-1].append(i)
                else:
                    groups.append([i])
            for g in groups:
                start, end = nt.original_span(spans[g[0]][0], spans[g[-1]][1])
                out.append(Evidence(label=label, start=start, end=end, text=text[start:end],
                                    weight=round(float(contrib[g].sum()), 4)))
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
    card_path = _find_card(Path(path))
    if not card_path.is_file():
        raise ModelError(f"{card_path}: model card not found (a model is a directory with {CARD_NAME} and {MODEL_NAME})")
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
    featurizer = Featurizer().set_state(arrays["tokens"].tolist(), arrays["codes"], arrays["idf"])
    labels = arrays["labels"].tolist()
    if labels != list(card.get("labels", labels)):
        raise ModelError(f"{model_path}: labels {labels} differ from the card's {card.get('labels')}")
    return Moderator(featurizer, arrays["coef"], arrays["intercept"], arrays["calibration"], labels, card, policy)

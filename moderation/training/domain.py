"""Domain adaptation by feature augmentation (Daumé III, "Frustratingly easy domain adaptation", 2007).

Why: nine tenths of the training rows are tweets, forum posts and hate-corpus
sentences, and their labels set every word's weight. Words that insult in a news
comment can look harmless there ("brainwashed", "crybaby", "gullible" had
negative `abusive` weights). Each chosen feature gets a second copy that is
non-zero only on the rows of the domain we serve (our own news-style comments and
the templates); L2 regularisation keeps that copy at zero unless the domain's rows
ask for a different weight. The model only ever scores news comments, so the two
weights are summed after the fit: the saved model has one weight per feature and
scores exactly as fast as before.

Only features with a content word, and the lexicon patterns, get a copy. Our own
set is small, and copies of "you", "should" or "them" learnt its style rather
than abuse (BBC article sentences with "you" were flagged).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.linear_model import LogisticRegression


def is_content_word(token: str) -> bool:
    """A token with a letter that is not a stop word ("'re" and "re" alike): punctuation,
    numbers, "you" and "should" are not."""
    return (any("a" <= ch <= "z" for ch in token) and token not in ENGLISH_STOP_WORDS
            and token.strip("'") not in ENGLISH_STOP_WORDS)


def has_content(tokens: tuple[str, ...] | None) -> bool:
    """Whether a column (its tokens, `Featurizer.column_tokens`; None for a lexicon pattern)
    gets a domain copy: every lexicon pattern, and every n-gram with a content word."""
    return tokens is None or any(is_content_word(t) for t in tokens)


def domain_columns(column_tokens: Sequence[tuple[str, ...] | None]) -> np.ndarray:
    """Indices of the columns that get a domain copy."""
    return np.flatnonzero([has_content(t) for t in column_tokens])


def fit_augmented(clf: LogisticRegression, X: sp.spmatrix, y: np.ndarray, sample_weight: np.ndarray,
                  in_domain: np.ndarray, columns: np.ndarray, scale: float) -> LogisticRegression:
    """Fit `clf` on X with a domain copy of `columns` (and of the intercept), then fold the copies in.

    A copy's values are multiplied by `scale`: a larger scale regularises it less.
    On return `clf.coef_` and `clf.intercept_` hold the summed weights, as if the
    model had been fitted on X alone, for scoring rows of the domain.
    """
    d = np.asarray(in_domain, dtype=float) * scale
    Xa = sp.hstack([X, sp.diags(d) @ X[:, columns], sp.csr_matrix(d[:, None])]).tocsr()
    clf.fit(Xa, y, sample_weight=sample_weight)
    n = X.shape[1]
    c = clf.coef_[0]
    coef = c[:n].copy()
    coef[columns] += scale * c[n:n + len(columns)]
    clf.coef_ = coef[None, :]
    clf.intercept_ = clf.intercept_ + scale * c[-1]
    return clf

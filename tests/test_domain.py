"""Feature augmentation (moderation/training/domain.py): the domain copy is fitted, then folded in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from moderation.features import Featurizer
from moderation.training.domain import domain_columns, fit_augmented, has_content
from moderation.training.synthetic import synthetic_examples
from moderation.training.train import TrainConfig, fit


def test_only_content_words_and_lexicon_patterns_get_a_domain_copy():
    assert has_content(("brainwashed",))
    assert has_content(("you", "idiot"))  # a bigram with one content word
    assert has_content(("idiot", "."))
    assert has_content(None)  # a lexicon pattern
    for tokens in (("you",), ("should",), ("them",), ("you", "are"), ("you", "'re"), (",",), (".", "."),
                   ("!", "128074")):
        assert not has_content(tokens), tokens
    assert domain_columns([("you",), ("idiot",), (",",), None]).tolist() == [1, 3]


def test_column_tokens_are_the_tokens_of_the_readable_names():
    """Training picks the copied columns by their tokens; the names a moderator reads spell the same tokens."""
    fz = Featurizer(min_df=1).fit(["you idiot, not vermin", 'they said "rats" again', "calling them pigs"])
    for name, tokens in zip(fz.feature_names(), fz.column_tokens()):
        if name.startswith("LEX "):
            assert tokens is None, name
        else:
            words = name.removeprefix("CTX ").split(" ")
            assert len(words) == len(tokens), name
            assert words[-1].endswith(tokens[-1]) and words[0].endswith(tokens[0]), (name, tokens)  # NEG_/Q_ prefixes


def _toy():
    # "gullible" is harmless in the general rows and an insult in the domain rows
    rng = np.random.default_rng(0)
    n = 400
    gullible = rng.random(n) < 0.5
    other = rng.random(n) < 0.3
    domain = np.arange(n) >= 300
    y = np.where(domain, gullible, other).astype(int)
    X = sp.csr_matrix(np.column_stack([gullible, other, np.ones(n)]).astype(float))
    return X, y, domain


def test_the_folded_weights_score_domain_rows_as_the_augmented_fit_does():
    X, y, domain = _toy()
    cols = np.array([0, 1])
    clf = fit_augmented(LogisticRegression(C=1.0, solver="liblinear"), X, y, np.ones(len(y)), domain, cols, 2.0)
    # the same fit by hand, without folding
    d = domain * 2.0
    Xa = sp.hstack([X, sp.diags(d) @ X[:, cols], sp.csr_matrix(d[:, None])]).tocsr()
    ref = LogisticRegression(C=1.0, solver="liblinear").fit(Xa, y)
    rows = np.flatnonzero(domain)
    assert np.allclose(X[rows] @ clf.coef_[0] + clf.intercept_[0], ref.decision_function(Xa[rows]))
    plain = LogisticRegression(C=1.0, solver="liblinear").fit(X, y)
    assert clf.coef_.shape == plain.coef_.shape
    assert clf.coef_[0, 0] > plain.coef_[0, 0] + 0.5  # the domain's rows raised "gullible"


def test_training_folds_the_copy_and_records_it_in_the_card():
    df = synthetic_examples(n_per_template=2, seed=1)
    general = pd.DataFrame({"text": [f"so gullible, the lot of them ({i})" for i in range(40)] +
                                    [f"what a nice walk by the sea ({i})" for i in range(40)],
                            "abusive": [float(i % 4 == 0) for i in range(80)], "dehumanising": 0.0,
                            "source": "tiny", "file": "-"})
    data = pd.concat([df, general], ignore_index=True)
    used = [{"name": "tiny", "licence": "MIT", "files": [], "rows": len(data)}]
    base = dict(data_dir=".", min_df=1, validation_fraction=0.2, seed=3)
    on, card = fit(data, used, TrainConfig(**base), log=lambda m: None)
    off, off_card = fit(data, used, TrainConfig(**base, domain_labels=()), log=lambda m: None)
    info = card["model"]["domain_adaptation"]
    assert info["labels"] == ["abusive"] and info["scale"] == 2.0 and info["copied_features"] > 0
    assert off_card["model"]["domain_adaptation"]["copied_features"] == 0
    assert on.coef.shape == off.coef.shape  # one weight per feature either way
    assert np.array_equal(on.coef[:, 0], off.coef[:, 0])  # dehumanising has no copy
    assert not np.array_equal(on.coef[:, 1], off.coef[:, 1])

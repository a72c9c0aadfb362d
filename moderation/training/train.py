"""Fit the shipped model: assemble the training data, fit, calibrate, choose thresholds, save.

Everything is seeded (the validation split, the templates, the solver), so
`make train` on the same data gives the same model.
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field
from importlib.metadata import version as _version
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, precision_score, roc_auc_score

from moderation.features import Featurizer
from moderation.model import Moderator
from moderation.normalize import normalize_batch
from moderation.training.data import DATASETS, TRAIN_SETS, _hash_fraction, load_own
from moderation.training.domain import domain_columns, fit_augmented
from moderation.training.synthetic import synthetic_examples
from moderation.training.weak import weak_dehumanising

LABELS = ("dehumanising", "abusive")
SEED = 20241122

#: Total sample weight each source contributes per label (so that 25k tweets do
#: not drown 400 news comments). Our own news-style set and the lexicon
#: templates weigh most: they are the domain and the label we serve.
SOURCE_WEIGHT = {
    "davidson": 1000, "toxigen": 3000, "gab_hate_corpus": 5000, "implicit_hate_latent_hatred": 3000,
    "stormfront_degibert": 2500, "toxic_spans_civil": 3000, "toxic_spans_civil_clean": 3000,
    "wiki_talk_context_cat": 4000, "fox_news_comments": 1500, "news_comments": 24000, "synthetic_lexicon_templates": 5000,
}
#: How the settings above and below were chosen (recorded in the model card). Never on the test split
#: of our own set, never on the evaluation rows of the news data (Fox held-out threads, Globe and Mail).
SELECTION = (
    "chosen on validation data only: 3-fold cross-validation over our own train split (each fold left out of the fit; "
    "Platt calibration and thresholds on the calibration part, as here) for F1 and the hard-negative false-positive "
    "rate; ROC AUC for `abusive` on kaggle_insults_impermium train.csv (news and blog comments; unknown licence, so "
    "used only to compare settings, never trained on) and on 3 of the 6 training Fox News threads left out of the fit. "
    "Kept: extermination:human feature and weak label (own-CV dehumanising F1 0.847 -> 0.874 at the old rule); "
    "news_comments weight 24000 over 12000 (own-CV abusive AUC 0.913 -> 0.916); hold precision 0.90 over 0.85 for "
    "both labels (own-CV hard-negative false positives 13.3% -> 10.6%, F1 dehumanising 0.868 -> 0.873, abusive "
    "0.844 -> 0.837); templates with three ordinary sentences before a dehumanising one, so that a long comment "
    "scored in windows keeps its flag (tests/test_model.py; own-CV at hold 0.90: F1 0.859 dehumanising, 0.831 "
    "abusive, hard-negative false positives 10.6%). Tried and not kept: sublinear_l2 weighting (kaggle AUC 0.819 -> 0.838 but own-CV dehumanising "
    "AUC 0.969 -> 0.955, and Globe and Mail AUC unchanged), toxic_spans_civil cut into sentences on both sides "
    "(kaggle AUC 0.843, but broke a seed-table comment and raised toxigen-neutral flags), C 0.25/1/2, min_df 2, "
    "davidson weight 300, toxic_spans_civil weight 9000, less hate-corpus weight, more Civil Comments "
    "(data_comments.csv outside the SemEval splits). "
    "Issue 5 (222 train-only rows added to our own set, nc1015-nc1236): 3-fold CV over the 605 earlier train rows "
    "(each fold left out of fit and calibration; the new rows always fitted), against the same folds without the new "
    "rows (F1 dehumanising 0.884, abusive 0.838; hard-negative false positives 10.7%; insults missed 32.8%; "
    "kaggle train AUC 0.816): new rows, settings unchanged 0.878 / 0.841 / 7.5% / 31.9% / 0.818; kept: plus hold "
    "precision 0.85 for dehumanising 0.885 / 0.841 / 8.2% / 31.9% / 0.818 (dehumanising missed 12.8% -> 14.2%, "
    "17.6% without it). Tried and not kept: abusive hold precision 0.85 (abusive F1 0.870, insults missed 22.7%, but "
    "hard-negative false positives 10.0%), news_comments weight 36000 (0.878 / 0.843 / 8.2%), C 1 (0.883 / 0.822 / "
    "7.8%). "
    "December 2026: 3-fold CV over all 827 rows of our own train split (F1 dehumanising / abusive, hard-negative "
    "false positives, insults missed, kaggle train AUC; Fox News AUC on the two halves of the training threads): "
    "settings before 0.877 / 0.785 / 9.5% / 43.7% / 0.818, Fox 0.641 / 0.683. Kept, step by step: insults and swear "
    "words from Civil Comments' toxic spans (tsd_train, lexicon_candidates.py) 0.877 / 0.799 / 9.5% / 39.7% / 0.819; "
    "Civil Comments remnants (each toxic comment with its toxic sentences taken out) besides the clean sentences, "
    "negator scope 6 tokens instead of 4: 0.878 / 0.804 / 7.8% / 39.7% / 0.824, Fox 0.630 / 0.668; more insults, "
    "swear words and threat verbs in general use (some found in this CV's misses, so its figure flatters them): "
    "0.878 / 0.819 / 8.0% / 36.2% / 0.824, Fox 0.628 / 0.672. Tried and not kept: remnants instead of the "
    "sentences (0.873 / 0.799 / 7.8% / 41.2% / 0.832 with the scope and the first words), a `profanity:untargeted` "
    "pattern (untargeted-swearing false positives 9.1% -> 13.6%), Civil Comments weight 6000 and 9000 (abusive CV "
    "AUC 0.903 -> 0.898 / 0.894), abusive hold precision 0.85 (abusive F1 0.811, hard-negative false positives "
    "10.8%), dehumanising hold precision 0.90 (0.875 / 0.802 / 7.8%). Also not kept: cross-fitted calibration "
    "(`calibration='cross_fitted'`: own train split fitted on and calibrated out of fold; CV abusive AUC 0.903 -> "
    "0.928, with hold precision 0.90 / 0.93: 0.890 / 0.805 / 6.1% against 0.864 / 0.786 / 8.1% over 947 rows), "
    "because the model it trained missed a seed-table comment (an untargeted-looking 'fuck' at 0.71 under a 0.73 "
    "hold); 120 more train-only rows (nc1237-nc1356, commit 8790104, reverted): no better on the test split. "
    "Second December round, same CV (shipped settings before: 0.878 / 0.819 / 8.0% / 36.2% / 0.824, Fox 0.628 / "
    "0.672): kept: lexicon entries whose everyday sense wins in news text taken out (refuse, rubbish, killed, "
    "kills) and literal cues for pets, farming, wildlife and entertainment added 0.875 / 0.819 / 8.5% / 35.7% / "
    "0.824, Fox 0.628 / 0.671; templates of swearing that dismisses its target ('fuck off', 'get the fuck out of our "
    "town'; the Gab labels, which mark hate, call them not abusive) 0.882 / 0.814 / 8.0% / 37.7% / 0.824; BBC "
    "news sentences flagged (evaluation only, a diagnostic) 0.51% -> 0.39%. Tried and not kept: one offset column "
    "per source during the fit (0.877 / 0.805 / 7.3%, kaggle 0.812, Fox 0.632 / 0.678, BBC sentences flagged "
    "0.61%); a profanity:imperative pattern (its learnt abusive weight was negative); cross-fitted calibration with "
    "hold precision 0.90 (dehumanising) / 0.93 (abusive), the best CV (0.891 / 0.829 / 6.5% / 35.7% / 0.827, Fox "
    "0.629 / 0.668) but on the test split F1 0.900 / 0.882 and hard-negative false positives 5.4% (over the 5% "
    "target), so the held-out calibration stays; with 0.90 / 0.90 (0.885 / 0.837 / 9.0%) its worst toxigen group "
    "reached 5.6%; C per label, 1 for abusive (0.882 / 0.810 / 8.0%, kaggle 0.820) or 1 for dehumanising (0.883 / "
    "0.815 / 8.3%). "
    "Third December round, same CV (shipped settings before: 0.882 / 0.814 / 8.0% / 37.7% / 0.824, Fox 0.629 / 0.668, "
    "BBC 0.39%): kept: feature augmentation for `abusive` (training/domain.py; content-word and lexicon features get "
    "a copy active on our own rows and the templates, scale 2, folded into one weight) 0.882 / 0.848 / 7.3% / 28.6% / "
    "0.837 (abusive CV AUC 0.917 -> 0.933); its cost: BBC news sentences flagged 0.39% -> 1.05%, and the Fox halves "
    "0.629 / 0.668 -> 0.619 / 0.669. Tried and not kept: the copy for both labels (0.883 / 0.847 / "
    "6.8%, but dehumanising CV AUC 0.978 -> 0.966 and its reject threshold fell to the 0.60 bound); copies of every "
    "feature, stop words included (0.882 / 0.866 / 6.0%, kaggle 0.854, but BBC sentences flagged 1.5%: 'you', 'be', "
    "'them', 'should' had learnt our set's style; scale 4: 0.882 / 0.869 / 6.5%, Fox 0.581 / 0.636); the domain "
    "widened to the Fox News training threads (0.883 / 0.849 / 6.3%, kaggle 0.832, Fox 0.575 / 0.638) or to Civil "
    "Comments (0.878 / 0.799 / 8.8%, kaggle 0.806) or to the Civil Comments clean sentences only (0.892 / 0.789 / "
    "7.5%); scale 1 (0.882 / 0.843 / 8.3%, BBC 0.91%); templates filled with every insult noun of the lexicon (0.875 "
    "/ 0.813 / 8.5%). The chosen candidate was then measured once on the test split, the blind batch "
    "(data/blind_comments.csv) and the news rows, under a rule written beforehand (docs/model.md). Then tried and "
    "not kept: copies only for lexicon patterns and n-grams holding a lexicon word (0.882 / 0.840 / 7.5% / 30.2% / "
    "0.830, BBC 1.37%); 54 train-only neutral, reporting and literal rows with the words the BBC sentences were flagged for "
    "(fraud, racist, Nazi, shut, viruses, dogs; CV 0.884 / 0.842 / 6.3% / 31.7% / 0.838, BBC 1.05% -> 0.51%): its "
    "abusive hold rose 0.46 -> 0.56, and under its rule it failed (test abusive F1 0.893, blind batch 0.743); 50 "
    "adjectives that describe things as often as people (useless, ridiculous, pathetic, stupid) taken out of the "
    "insult list (CV 0.885 / 0.829 / 7.5% / 33.7% / 0.835, BBC 1.45%); an insult:thing pattern (insult word near "
    "policy, decision, thing ...: learnt weight +0.79, CV unchanged), and with templates of policy criticism as hard "
    "negatives (weight -0.29, CV 0.875 / 0.847 / 7.8%). Then (stop 16) 124 insults and 12 swear words of UK, Irish, "
    "Scottish, Australian, US, Canadian and Indian English in the lexicon: CV 0.885 / 0.846 / 7.5% / 28.6% / 0.838, "
    "Fox halves 0.619 / 0.671, BBC 1.06%; kept under a rule written beforehand, on a blind batch no model had been "
    "measured on (data/blind_comments_3.csv: abusive F1 0.782 -> 0.800, the rest unchanged). Not kept: the same with "
    "41 creatures, parasites, diseases, filth and monster words in the dh_* lists (CV 0.889 / 0.848 / 7.3%, but "
    "dehumanising F1 0.789 -> 0.754 on the second blind batch); the hold bound 0.20 instead of 0.30 (CV 0.878 / "
    "0.844 / 8.3%). Then 72 reporting verbs and nouns (told, quoted, accused, slurs, condemned, dehumanising) and 59 "
    "literal cues of farming, wildlife and pest control: CV 0.888 / 0.852 / 6.8% / 28.1% / 0.838, Fox halves 0.619 / "
    "0.671, BBC 0.99%; kept under a rule written beforehand, decided on the fourth blind batch "
    "(data/blind_comments_4.csv: hard-negative false positives 6.6% -> 5.7%, F1 0.750 / 0.812 -> 0.760 / 0.815). Then "
    "899 train-only rows written by helpers from docs/labels.md alone (nc2001-nc4320; CV over the 827 earlier train rows, "
    "the new ones always fitted): 0.894 / 0.881 / 8.8% / 18.1% / 0.843; with hold precision 0.90 / 0.93: 0.907 / 0.878 "
    "/ 6.3%, measured under its rule and not kept (test hard-negative FP 5.4%, toxigen worst group 12.5%); news_comments "
    "weight 36000: no change; toxigen weight 3000 with 0.90 / 0.93: 0.907 / 0.880 / 6.0%; kept: hold precision "
    "dehumanising 0.90, abusive 0.95 and toxigen weight 3000 (0.907 / 0.875 / 5.3% / 24.6% / 0.843, BBC 0.92%), chosen "
    "after the 0.93 candidate's failure and measured under a rule written beforehand (fifth blind batch F1 0.785 / 0.831 "
    "-> 0.818 / 0.890); then, not kept, dehumanising hold precision 0.85 with the rest (0.894 / 0.872 / 6.8%); and 899 more helper-written "
    "train rows (long comments, short replies, hard cases): CV 0.879 / 0.893 / 4.8% / 17.6% / 0.848 (dehumanising hold "
    "precision 0.85: 0.889 / 0.895 / 6.0%; 0.80: 0.877 / 0.890 / 8.5%), Fox halves 0.621 / 0.665 -> 0.613 / 0.662: "
    "dehumanising F1 below the shipped 0.907 in every variant, so never measured on the test split or a blind batch; "
    "then, not kept: single quotation marks read as quotation (CV 0.900 / 0.878 / 6.0%; test hard-negative FP 5.4%, "
    "Globe and Mail AUC 0.703 under its rule's 0.704), and the same with 225 helper-written rows and hold precision "
    "0.85 / 0.93 (CV 0.905 / 0.876 / 4.5%; seventh blind batch 0.825 / 0.879 / 9.2% -> 0.852 / 0.893 / 5.5%, but "
    "Globe and Mail AUC 0.702, Fox News 0.610)"
)
#: Precision the hold and reject thresholds must reach on the validation rows.
#: `hold` is per label (chosen by cross-validation, see SELECTION). `reject` is
#: reached at TrainConfig.reject_prevalence, not at the calibration rows' own share.
PRECISION_TARGETS = {"hold": {"dehumanising": 0.90, "abusive": 0.95}, "reject": 0.97}
THRESHOLD_BOUNDS = {"hold": (0.3, 0.8), "reject": (0.6, 0.97)}


@dataclass
class TrainConfig:
    data_dir: Path
    own_path: Path | None = None
    C: float = 0.5
    min_df: int = 3
    max_features: int = 300_000
    validation_fraction: float = 0.15
    calibration_fraction: float = 0.3  # of our own train split: calibration + thresholds, in the domain we serve
    # "held_out": calibrate on that fraction, never fitted on; "cross_fitted": fit on all of our own train
    # split and calibrate on out-of-fold scores of all of it (calibration_folds folds by id hash); see SELECTION
    calibration: str = "held_out"
    calibration_folds: int = 3
    seed: int = SEED
    sources: list[str] = field(default_factory=lambda: list(TRAIN_SETS))
    synthetic: bool = True
    bigrams: bool = True
    weighting: str = "sqrt_length"  # n-gram values (Featurizer.WEIGHTINGS); see SELECTION
    # Civil Comments' non-toxic text (data.load_toxic_spans): its clean sentences and/or the
    # comments with their toxic sentences taken out ("remnants"); see SELECTION
    civil_negatives: tuple[str, ...] = ("sentences", "remnants")
    # feature augmentation (training/domain.py): the labels whose content-word and lexicon features get a
    # second copy fitted on the domain sources' rows only, folded into one weight; () turns it off
    domain_labels: tuple[str, ...] = ("abusive",)
    domain_sources: tuple[str, ...] = ("news_comments", "synthetic_lexicon_templates")
    domain_scale: float = 2.0
    # The share of a news thread's comments taken to be abusive (and dehumanising) when the
    # reject threshold's precision is worked out: our calibration rows are 45% abusive, and
    # precision measured at that share overstates what a site sees (Bayes: the same true- and
    # false-positive rates give far lower precision at a lower share). None: the rows' own share
    reject_prevalence: float | None = 0.10
    limit_per_source: int | None = None  # tests train a tiny model


def assemble(config: TrainConfig, log: Callable[[str], None] = print) -> tuple[pd.DataFrame, list[dict]]:
    """The training rows (text, labels, source, weight) and a record of what data was used."""
    frames, used = [], []
    for name in config.sources:
        ds = DATASETS[name]
        if not ds.trainable:
            raise ValueError(f"{name}: licence {ds.licence!r} does not allow training the shipped model")
        if name == "toxic_spans_civil":
            df = ds.loader(config.data_dir, clean_sentences="sentences" in config.civil_negatives,
                           clean_remnants="remnants" in config.civil_negatives)
        else:
            df = ds.loader(config.data_dir)
        if "split" in df:
            df = df[df["split"] == "train"]
        hateful = df["hate"].astype(float) if "hate" in df else df["abusive"]
        if name == "toxic_spans_civil":
            hateful = pd.Series(np.where(df["source"] == "toxic_spans_civil_clean", 0.0, np.nan), index=df.index)
        df = df.copy()
        weak = weak_dehumanising(df["text"].tolist(), hateful.to_numpy())
        known = df["dehumanising"].notna()
        df.loc[~known, "dehumanising"] = weak[~known.to_numpy()]
        if config.limit_per_source:
            df = df.sample(min(len(df), config.limit_per_source), random_state=config.seed)
        frames.append(df)
        used.append({"name": name, "licence": ds.licence, "files": sorted(set(df["file"])), "rows": int(len(df)),
                     "abusive_positive": int((df["abusive"] == 1).sum()),
                     "dehumanising_positive_weak": int((df["dehumanising"] == 1).sum()), "note": ds.note})
        if name == "toxic_spans_civil":
            n_clean = int((df["source"] == "toxic_spans_civil_clean").sum())
            kinds = " and ".join({"sentences": "sentences with no toxic span",
                                  "remnants": "comments with their toxic sentences taken out"}[k]
                                 for k in config.civil_negatives)
            used[-1]["note"] = (f"tsd_train comments ({len(df) - n_clean}, abusive) + {n_clean} of their {kinds} "
                                "(not abusive); tsd_test held out")
        log(f"  {name}: {len(df)} rows ({(df['abusive'] == 1).sum()} abusive, {(df['dehumanising'] == 1).sum()} dehumanising)")
    own = config.own_path
    if own is not None and Path(own).is_file():
        df = load_own(Path(own))
        df = df[df["split"] == "train"].copy()
        # a fixed part of the train split calibrates the scores and sets the thresholds (never fitted on)
        df["calibration"] = [_hash_fraction(str(i)) < config.calibration_fraction for i in df["id"]]
        if config.limit_per_source:
            df = df.head(config.limit_per_source)
        frames.append(df)
        used.append({"name": "news_comments", "licence": "MIT (ours)", "files": [str(own)], "rows": int(len(df)),
                     "abusive_positive": int(df["abusive"].sum()), "dehumanising_positive": int(df["dehumanising"].sum()),
                     "note": "train split only; the test split is for evaluation"})
        log(f"  news_comments (ours): {len(df)} rows")
    if config.synthetic:
        df = synthetic_examples()
        if config.limit_per_source:
            df = df.sample(min(len(df), config.limit_per_source), random_state=config.seed)
        frames.append(df)
        used.append({"name": "synthetic_lexicon_templates", "licence": "MIT (ours)", "files": [df["file"].iloc[0]],
                     "rows": int(len(df)), "dehumanising_positive": int(df["dehumanising"].sum()),
                     "note": "templates filled with lexicon terms (seeded)"})
        log(f"  synthetic templates: {len(df)} rows")
    data = pd.concat(frames, ignore_index=True)
    data = data.drop_duplicates("text").reset_index(drop=True)
    # a dehumanising comment is also abusive
    data.loc[data["dehumanising"] == 1, "abusive"] = 1.0
    return data, used


def _weights(data: pd.DataFrame, label: str) -> np.ndarray:
    w = np.zeros(len(data))
    known = data[label].notna().to_numpy()
    for source, idx in data.groupby("source").indices.items():
        idx = idx[known[idx]]
        if len(idx):
            w[idx] = SOURCE_WEIGHT.get(source, 1000) / len(idx)
    return w


def _platt(z: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    lr = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
    lr.fit(z.reshape(-1, 1), y, sample_weight=w)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _threshold(p: np.ndarray, y: np.ndarray, w: np.ndarray, precision: float, bounds: tuple[float, float],
               prevalence: float | None = None) -> float:
    """Lowest threshold whose weighted precision on (p, y) reaches `precision`.

    With `prevalence`, precision is the one a set with that share of positives
    would show at the same true- and false-positive rates: a threshold chosen
    on rows far richer in abuse than a news thread is otherwise too low.
    """
    y = np.asarray(y, dtype=float)
    pos, neg = w * y, w * (1 - y)
    for t in np.round(np.arange(bounds[0], bounds[1] + 1e-9, 0.01), 2):
        sel = p >= t
        if sel.sum() == 0:
            return float(t)
        if prevalence is None:
            prec = pos[sel].sum() / w[sel].sum()
        else:
            tpr = pos[sel].sum() / max(pos.sum(), 1e-12)
            fpr = neg[sel].sum() / max(neg.sum(), 1e-12)
            prec = prevalence * tpr / (prevalence * tpr + (1 - prevalence) * fpr) if tpr + fpr > 0 else 1.0
        if prec >= precision:
            return float(t)
    return float(bounds[1])


def train_model(config: TrainConfig, log: Callable[[str], None] = print) -> tuple[Moderator, dict]:
    """Fit the model; return it with its model card (not yet saved)."""
    t0 = time.time()
    log("assembling training data")
    data, used = assemble(config, log)
    return fit(data, used, config, log, t0)


def fit(data: pd.DataFrame, used: list[dict], config: TrainConfig, log: Callable[[str], None] = print,
        t0: float | None = None) -> tuple[Moderator, dict]:
    """Fit, calibrate and choose thresholds on prepared rows (text, labels, source)."""
    t0 = time.time() if t0 is None else t0
    if config.calibration not in ("held_out", "cross_fitted"):
        raise ValueError(f"calibration must be 'held_out' or 'cross_fitted', not {config.calibration!r}")
    rng = np.random.default_rng(config.seed)
    in_domain = data["source"].isin(config.domain_sources).to_numpy()
    is_val = rng.random(len(data)) < config.validation_fraction
    is_cal = data["calibration"].fillna(False).to_numpy(dtype=bool) if "calibration" in data else np.zeros(len(data), bool)
    fold = np.full(len(data), -1)
    cross = config.calibration == "cross_fitted" and is_cal.sum() >= 20
    if cross:
        # Our own train split is both fitted and calibrated on: each row's calibration score comes
        # from a model fitted without its fold, so 251 calibration rows become 827 and none is lost
        # to the fit.
        own = (data["source"] == "news_comments").to_numpy()
        fold[own] = [int(_hash_fraction(f"fold:{i}") * config.calibration_folds) for i in data.loc[own, "id"]]
        is_cal = own
        is_val &= ~own
    else:
        if is_cal.sum() < 20:  # no own set: calibrate on the random validation rows
            is_cal = is_val.copy()
        is_val |= is_cal
    log(f"normalising {len(data)} texts")
    norm = normalize_batch(data["text"].tolist())
    fz = Featurizer(min_df=config.min_df, max_features=config.max_features, bigrams=config.bigrams,
                    weighting=config.weighting)
    train_idx = np.flatnonzero(~is_val)
    fz.fit([norm[i] for i in train_idx])
    X = fz.transform(norm)
    log(f"features: {fz.n_features_} ({fz.n_ngram_} n-grams), {time.time() - t0:.0f}s")
    copied = domain_columns(fz.column_tokens()) if config.domain_labels else np.zeros(0, dtype=np.int64)
    coef = np.zeros((fz.n_features_, len(LABELS)), dtype=np.float32)
    intercept = np.zeros(len(LABELS))
    calibration = np.zeros((len(LABELS), 2))
    thresholds, metrics = {}, {}
    for j, label in enumerate(LABELS):
        y = data[label].to_numpy()
        w = _weights(data, label)
        known = ~np.isnan(y)
        tr = known & ~is_val
        va = known & is_val
        def _fit(rows: np.ndarray) -> LogisticRegression:
            clf = LogisticRegression(C=config.C, solver="liblinear", max_iter=200, random_state=config.seed)
            yr, wr = y[rows].astype(int), w[rows] * rows.sum() / w[rows].sum()
            if label in config.domain_labels:
                return fit_augmented(clf, X[rows], yr, wr, in_domain[rows], copied, config.domain_scale)
            return clf.fit(X[rows], yr, sample_weight=wr)

        clf = _fit(tr)
        coef[:, j] = clf.coef_[0]
        intercept[j] = clf.intercept_[0]
        ca = known & is_cal
        if cross:  # out-of-fold scores: every own row is in exactly one fold
            z_ca = np.empty(int(ca.sum()))
            for k in range(config.calibration_folds):
                out = fold == k
                part = _fit(tr & ~out)
                z_ca[out[ca]] = X[ca & out] @ part.coef_[0] + part.intercept_[0]
        else:
            z_ca = X[ca] @ coef[:, j] + intercept[j]
        a, b = _platt(z_ca, y[ca].astype(int), np.ones(ca.sum()))
        calibration[j] = (a, b)
        z_va = X[va] @ coef[:, j] + intercept[j]
        p_va = 1 / (1 + np.exp(-(a * z_va + b)))
        p_t, y_t, w_t = 1 / (1 + np.exp(-(a * z_ca + b))), y[ca], np.ones(ca.sum())
        hold = _threshold(p_t, y_t, w_t, PRECISION_TARGETS["hold"][label], THRESHOLD_BOUNDS["hold"])
        reject = max(_threshold(p_t, y_t, w_t, PRECISION_TARGETS["reject"], THRESHOLD_BOUNDS["reject"],
                                config.reject_prevalence), hold + 0.05)
        thresholds[label] = {"hold": round(hold, 2), "reject": round(min(reject, 0.99), 2)}
        yc = y_t.astype(int)
        cal_metrics = {"calibration_rows": int(ca.sum()), "calibration_positive": int(yc.sum()),
                       "f1_at_hold": round(float(f1_score(yc, p_t >= hold)), 4),
                       "precision_at_hold": round(float(precision_score(yc, p_t >= hold, zero_division=0)), 4)}
        yv = y[va].astype(int)
        metrics[label] = {
            "validation_rows": int(va.sum()), "validation_positive": int(yv.sum()),
            "roc_auc": round(float(roc_auc_score(yv, p_va, sample_weight=w[va])), 4) if 0 < yv.sum() < len(yv) else None,
            "average_precision": round(float(average_precision_score(yv, p_va, sample_weight=w[va])), 4) if yv.sum() else None,
            "f1_at_hold": round(float(f1_score(yv, p_va >= hold, sample_weight=w[va])), 4),
            "calibration_set": cal_metrics,
        }
        log(f"{label}: {metrics[label]} thresholds {thresholds[label]} ({time.time() - t0:.0f}s)")
    card = {
        "name": "moderation-linear",
        "version": "",
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "labels": list(LABELS),
        "model": {
            "kind": "logistic regression per label (liblinear, L2) over IDF-weighted word uni+bigrams in context "
                    "(plain/negated/reported/quoted) + lexicon pattern features; Platt-calibrated",
            "weighting": fz.weighting, "bigrams": fz.bigrams,
            "C": config.C, "min_df": config.min_df, "max_features": config.max_features, "seed": config.seed,
            "n_features": int(fz.n_features_), "abusive_at_least_dehumanising": True,
            "civil_negatives": list(config.civil_negatives),
            "domain_adaptation": {
                "method": "feature augmentation (Daume III 2007): content-word and lexicon features get a copy "
                          "active on the domain sources' rows only; the copy is folded into the feature's weight",
                "labels": list(config.domain_labels), "sources": list(config.domain_sources),
                "scale": config.domain_scale, "copied_features": int(len(copied))},
            "real_words": {
                "source": f"wordfreq {_version('wordfreq')} (code Apache-2.0; word frequency data CC BY-SA 4.0, "
                          "Robyn Speer and contributors, https://github.com/rspeer/wordfreq)",
                "use": "an English word wordfreq knows that would read as a lexicon word with a letter dropped "
                       "(bests, insets) or glued to other words (candlestick, berkshire) is kept in the vocabulary "
                       "as itself, never read as the lexicon word (Featurizer.fit)"},
        },
        "training_data": used,
        "training_rows": int((~is_val).sum()),
        "validation": {"fraction": config.validation_fraction, "rows": int(is_val.sum()),
                       "calibration_rows": int(is_cal.sum()),
                       "calibration": config.calibration,
                       "note": ("random seeded split of the training rows other than our own set; none of it is fitted "
                                f"on. Platt calibration and thresholds use out-of-fold scores ({config.calibration_folds} "
                                "folds by id hash) of our whole own train split, which is also fitted on" if cross else
                                "random seeded split of the training rows, plus the calibration part of our own train "
                                "split; none of it is fitted on. Platt calibration and thresholds use the calibration "
                                "part")},
        "source_weights": SOURCE_WEIGHT,
        "settings_selection": SELECTION,
        "thresholds": thresholds,
        "threshold_rule": {"hold": f"lowest score with validation precision >= {PRECISION_TARGETS['hold']} (per label)",
                           "reject": (f"lowest score with validation precision >= {PRECISION_TARGETS['reject']}"
                                      + ("" if config.reject_prevalence is None else
                                         f" at a prevalence of {config.reject_prevalence:.0%} (the precision the "
                                         "validation rows' true- and false-positive rates give at that share of "
                                         "positives)")),
                           "on": (f"out-of-fold scores of our own train split ({config.calibration_folds} folds by id hash)"
                                  if cross else
                                  f"the calibration part of our own train split ({config.calibration_fraction:.0%} by id "
                                  "hash), or the random validation rows without it"),
                           "bounds": THRESHOLD_BOUNDS},
        "metrics": {"validation": metrics},
        "training_seconds": round(time.time() - t0, 1),
    }
    model = Moderator(fz, coef, intercept, calibration, list(LABELS), card | {"thresholds": thresholds})
    return model, card


def model_version(card: dict, directory: Path) -> str:
    """A version that changes when the model's content changes: date + short sha of the file."""
    day = card["created"][:10].replace("-", "")
    return f"{day}-{card['file']['sha256'][:8]}"


def train_and_save(config: TrainConfig, output: Path, log: Callable[[str], None] = print) -> Path:
    model, card = train_model(config, log)
    path = model.save(output, card)
    card = dict(model.card)
    card["version"] = model_version(card, output)
    model.save(output, card)  # the file is unchanged, the card gains its version
    log(f"saved {path} ({path.stat().st_size / 1e6:.1f} MB), version {card['version']}")
    return path

"""Loaders for the labelled data sets in ../shared/data and our own labelled set.

Each loader returns a DataFrame with the columns `text`, `abusive` and
`dehumanising` (1, 0, or NaN when the data set says nothing about that label),
`source` (the data set), `file` and optionally `group` (toxigen) or `split`.
The registry `DATASETS` records each set's licence and whether the shipped
model may be trained on it: only sets whose licence allows redistributing a
derived model are used for training; the others are for evaluation only.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

NAN = np.nan


@dataclass(frozen=True)
class DataSet:
    name: str
    licence: str
    trainable: bool
    loader: Callable[[Path], pd.DataFrame]
    note: str = ""


def _frame(text, abusive, dehumanising=None, source="", file="", **extra) -> pd.DataFrame:
    df = pd.DataFrame({"text": list(text)})
    df["abusive"] = np.asarray(abusive, dtype=float) if abusive is not None else NAN
    df["dehumanising"] = np.asarray(dehumanising, dtype=float) if dehumanising is not None else NAN
    df["source"] = source
    df["file"] = file
    for k, v in extra.items():
        df[k] = list(v) if not np.isscalar(v) else v
    df = df[df["text"].astype(str).str.strip().astype(bool)].copy()
    df["text"] = df["text"].astype(str)
    return df.reset_index(drop=True)


def load_davidson(root: Path) -> pd.DataFrame:
    f = root / "davidson" / "labeled_data.csv"
    df = pd.read_csv(f)
    return _frame(df["tweet"], df["class"].isin([0, 1]).astype(int), source="davidson", file=str(f.relative_to(root)),
                  hate=(df["class"] == 0).astype(int).tolist())


def _toxigen_statements(path: Path) -> list[str]:
    seen: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        for s in line.split("\\n"):
            s = s.strip().lstrip("-").strip()
            if len(s) > 3:
                seen.setdefault(s, None)
    return list(seen)


def _hash_fraction(text: str) -> float:
    """A stable pseudo-random number in [0, 1) for a text (seed-free, reproducible splits)."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) / 16**8


def load_toxigen(root: Path) -> pd.DataFrame:
    """Toxigen statements; half of them (by a hash of the text) are held out to measure identity bias."""
    frames = []
    for f in sorted((root / "toxigen").glob("*_1k.txt")):
        kind, group = f.stem.split("_", 1)
        group = group.rsplit("_", 1)[0]
        st = _toxigen_statements(f)
        lab = 1 if kind == "hate" else 0
        split = ["test" if _hash_fraction(s) < 0.5 else "train" for s in st]
        # hateful statements are mostly stereotypes without insult: `abusive` unknown; neutral ones are 0/0
        frames.append(_frame(st, [0 if lab == 0 else NAN] * len(st), [0 if lab == 0 else NAN] * len(st), source="toxigen",
                             file=str(f.relative_to(root)), group=[group] * len(st), hate=[lab] * len(st),
                             split=split))
    return pd.concat(frames, ignore_index=True)


def load_gab(root: Path) -> pd.DataFrame:
    frames = []
    for part in ("train", "test"):
        f = root / "gab_hate_corpus" / f"GabHateCorpus_Data_ghc_{part}.tsv"
        df = pd.read_csv(f, sep="\t", quoting=csv.QUOTE_MINIMAL)
        ab = ((df["hd"] == 1) | (df["cv"] == 1) | (df["vo"] == 1)).astype(int)
        frames.append(_frame(df["text"], ab, source="gab_hate_corpus", file=str(f.relative_to(root)),
                             hd=df["hd"].tolist(), cv=df["cv"].tolist(), hate=df["hd"].tolist()))
    return pd.concat(frames, ignore_index=True)


def load_implicit_hate(root: Path) -> pd.DataFrame:
    d = root / "implicit_hate_latent_hatred"
    f1 = d / "implicit-hate-corpus_implicit_hate_v1_stg1_posts.tsv"
    f2 = d / "implicit-hate-corpus_implicit_hate_v1_stg2_posts.tsv"
    s1 = pd.read_csv(f1, sep="\t")
    s2 = pd.read_csv(f2, sep="\t")
    inferiority = set(s2.loc[s2["implicit_class"] == "inferiority", "post"])
    # implicit hate is hateful but rarely abusive in form: leave its `abusive` unknown
    ab = s1["class"].map({"explicit_hate": 1.0, "not_hate": 0.0, "implicit_hate": NAN})
    return _frame(s1["post"], ab, source="implicit_hate_latent_hatred", file=str(f1.relative_to(root)),
                  hate=(s1["class"] != "not_hate").astype(int).tolist(),
                  inferiority=s1["post"].isin(inferiority).astype(int).tolist())


def load_stormfront(root: Path) -> pd.DataFrame:
    f = root / "stormfront_degibert" / "stormfront_sentences.csv"
    df = pd.read_csv(f)
    df = df[df["label"].isin(["hate", "noHate"])]
    lab = (df["label"] == "hate").astype(int)
    # hate sentences generalise about groups, often without insult: `abusive` unknown, noHate is 0
    ab = lab.map({1: NAN, 0: 0.0})
    return _frame(df["text"], ab, source="stormfront_degibert", file=str(f.relative_to(root)), hate=lab.tolist())


def load_toxic_spans(root: Path, part: str = "train", clean_sentences: bool = False,
                     clean_remnants: bool = False) -> pd.DataFrame:
    """Civil Comments (news sites), all rated toxic, with toxic character spans.

    The only non-toxic news-site text in these data is the part of each toxic
    comment its raters did not mark, so it is what teaches the model the toxic
    words rather than the news-comment register. As `abusive` 0 (source
    `toxic_spans_civil_clean`), with `clean_sentences` each sentence that holds
    no toxic span, and with `clean_remnants` each comment with its toxic
    sentences taken out: a remnant is as long as a comment, so that a long
    comment is not learnt as abusive merely for being long, as the positives
    are whole comments and the sentences short.
    """
    f = root / "toxic_spans_civil" / f"SemEval2021_data_tsd_{part}.csv"
    df = pd.read_csv(f)
    spans = [ast.literal_eval(s) for s in df["spans"]]
    out = _frame(df["text"], [1] * len(df), source="toxic_spans_civil", file=str(f.relative_to(root)),
                 spans=spans, hate=[NAN] * len(df))
    if not (clean_sentences or clean_remnants):
        return out
    sentences, remnants = [], []
    for text, sp in zip(df["text"], spans):
        if not sp:
            continue
        marked = set(sp)
        kept = []
        for m in _SENTENCE.finditer(text):
            a, b = m.span()
            if not any(i in marked for i in range(a, b)):
                kept.append(m.group(0).strip())
        sentences += [k for k in kept if len(k.split()) >= 6]
        remnant = " ".join(k for k in kept if k)
        if len(remnant.split()) >= 6:
            remnants.append(remnant)
    clean = (sentences if clean_sentences else []) + (remnants if clean_remnants else [])
    neg = _frame(clean, [0] * len(clean), source="toxic_spans_civil_clean", file=str(f.relative_to(root)),
                 hate=[0] * len(clean))
    return pd.concat([out, neg], ignore_index=True)


_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def load_wiki_talk(root: Path) -> pd.DataFrame:
    frames = []
    for name in ("gc", "gn"):
        f = root / "wiki_talk_context_cat" / f"data_CAT_LARGE_{name}.csv"
        df = pd.read_csv(f)
        frames.append(_frame(df["text"], df["label"].astype(int), [0] * len(df) if False else None,
                             source="wiki_talk_context_cat", file=str(f.relative_to(root))))
    return pd.concat(frames, ignore_index=True)


#: Fox News articles whose comments are held out for evaluation (4 of 10 threads).
def fox_heldout(title: str) -> bool:
    return int(hashlib.sha256(title.encode("utf-8")).hexdigest(), 16) % 10 < 4


def load_fox(root: Path) -> pd.DataFrame:
    f = root / "fox_news_comments" / "fox_news_comments.csv"
    df = pd.read_csv(f)
    split = ["test" if fox_heldout(t) else "train" for t in df["title"]]
    return _frame(df["text"], df["label"].astype(int), source="fox_news_comments", file=str(f.relative_to(root)),
                  split=split, thread=df["title"].tolist())


def load_ucc(root: Path) -> pd.DataFrame:
    """Globe and Mail comments: hostile or antagonising (1) vs healthy (0). Evaluation only (NC)."""
    frames = []
    for part in ("test", "val"):
        f = root / "ucc_unhealthy_globe" / f"corpus_{part}.csv"
        df = pd.read_csv(f)
        pos = (df["hostile"] == 1) | (df["antagonize"] == 1)
        neg = (df["healthy"] == 1) & ~pos
        df = df[pos | neg]
        frames.append(_frame(df["comment"], pos[pos | neg].astype(int), source="ucc_unhealthy_globe",
                             file=str(f.relative_to(root))))
    return pd.concat(frames, ignore_index=True)


def load_olid(root: Path) -> pd.DataFrame:
    f = root / "tweeteval_offensive" / "tweeteval_offensive_all.csv"
    df = pd.read_csv(f)
    df = df[df["split"] == "test"]
    return _frame(df["text"], df["label"].astype(int), source="tweeteval_offensive", file=str(f.relative_to(root)))


def load_kaggle_insults(root: Path) -> pd.DataFrame:
    f = root / "kaggle_insults_impermium" / "test_with_solutions.csv"
    df = pd.read_csv(f)

    def unescape(s: str) -> str:
        s = s.strip().strip('"')
        try:
            return s.encode("latin-1", "backslashreplace").decode("unicode_escape")
        except Exception:
            return s

    return _frame([unescape(s) for s in df["Comment"]], df["Insult"].astype(int), source="kaggle_insults_impermium",
                  file=str(f.relative_to(root)))


def load_jigsaw(root: Path) -> pd.DataFrame:
    f = root / "jigsaw_robtest_balanced" / "jigsaw_robtest_balanced_with_header.csv"
    df = pd.read_csv(f)
    return _frame(df["comment_text"], df["toxic"].astype(int), source="jigsaw_robtest_balanced", file=str(f.relative_to(root)))


#: A BBC article's sentences end in ". " (the staged text is lower-cased, most punctuation stripped).
_BBC_SENTENCE = re.compile(r"(?<=[a-z0-9])\.\s+")


def load_bbc_sentences(root: Path) -> pd.DataFrame:
    """Sentences of BBC News articles (2004-05), none abusive: how often news prose is flagged.

    The article is never scored as a comment, but readers quote it and write in its
    words (hunting dogs, the Barbarians rugby team, a film called "Monster"), so a word the
    model has learnt as abuse shows up here first. Both staged files (their articles
    overlap), each sentence once, of 30-400 characters. Evaluation only (research use, copyright BBC).
    """
    articles = pd.concat([pd.read_csv(root / "bbc_news_text" / name)["text"].astype(str)
                          for name in ("bbc-text_5cat_JhD10.csv", "bbc-text_sport_politics_namyadhingra.csv")])
    sentences = list(dict.fromkeys(s for t in articles for s in map(str.strip, _BBC_SENTENCE.split(t.strip()))
                                   if 30 <= len(s) <= 400))
    return _frame(sentences, [0] * len(sentences), [0] * len(sentences), source="bbc_news_text", file="bbc_news_text")


DATASETS: dict[str, DataSet] = {d.name: d for d in (
    DataSet("davidson", "MIT", True, load_davidson),
    DataSet("toxigen", "MIT", True, load_toxigen, "half the statements (by hash) held out for the identity-bias check"),
    DataSet("gab_hate_corpus", "CC BY 4.0", True, load_gab),
    DataSet("implicit_hate_latent_hatred", "CC BY 4.0", True, load_implicit_hate),
    DataSet("stormfront_degibert", "CC BY-SA 3.0", True, load_stormfront),
    DataSet("toxic_spans_civil", "CC0 1.0", True, load_toxic_spans, "tsd_train only; tsd_test held out"),
    DataSet("wiki_talk_context_cat", "Apache-2.0", True, load_wiki_talk),
    DataSet("fox_news_comments", "MIT", True, load_fox, "6 of 10 threads train, 4 held out"),
    DataSet("ucc_unhealthy_globe", "CC BY-NC-SA 4.0", False, load_ucc, "evaluation only (non-commercial)"),
    DataSet("tweeteval_offensive", "research (unknown)", False, load_olid, "evaluation only"),
    DataSet("kaggle_insults_impermium", "unknown", False, load_kaggle_insults, "evaluation only"),
    DataSet("jigsaw_robtest_balanced", "unknown", False, load_jigsaw, "evaluation only"),
    DataSet("bbc_news_text", "research use (copyright BBC)", False, load_bbc_sentences, "evaluation only"),
)}

#: The data sets the shipped model is trained on.
TRAIN_SETS = [name for name, d in DATASETS.items() if d.trainable]

OWN_SET = Path("data") / "news_comments.csv"
OBFUSCATED_SEED = Path("data") / "obfuscated_seed.csv"
#: Batches written by someone who saw only docs/labels.md, never the model, its lexicon or our other rows:
#: evaluation only. Each later one was written when the one before had been used to choose (data/README.md).
BLIND_SETS = tuple(Path("data") / f"blind_comments{suffix}.csv" for suffix in ("", "_2", "_3", "_4", "_5", "_6", "_7", "_8", "_9", "_10", "_11", "_12", "_13", "_14"))


def load_own(path: Path) -> pd.DataFrame:
    """Our own labelled news-style comments (data/news_comments.csv), with its train/test split."""
    df = pd.read_csv(path)
    out = _frame(df["text"], df["abusive"].astype(int), df["dehumanising"].astype(int), source="news_comments",
                 file=str(path), split=df["split"].tolist(), category=df["category"].tolist(), id=df["id"].tolist())
    return out

"""Candidate insult words: the words Civil Comments' raters most often marked toxic.

Why: the `insult` list of the lexicon was written from the seed and our own
comments, and news readers insult in words it lacked ("stupidity",
"sociopath", "ignoramus"). The toxic spans of `toxic_spans_civil`'s
`tsd_train` split (CC0, news-site comments; the `tsd_test` split is never
read here) say which words readers of news sites mean as abuse. This lists,
for each word, how often it fell inside a toxic span and what share of its
uses that was; a person then screens the list (identity terms, body parts,
violence and fragments are not insults) before words go into
`moderation/resources/lexicon/lexicon.tsv`. The list is a candidate list,
not a rule: the lexicon stays written here.

    python -m moderation.training.lexicon_candidates --data ../shared/data
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from moderation.lexicon import load_lexicon
from moderation.training.data import load_toxic_spans
from moderation.training.paths import default_data_dir

_WORD = re.compile(r"[a-z]+(?:['-][a-z]+)*")


def span_word_counts(texts: list[str], spans: list[list[int]]) -> tuple[Counter, Counter]:
    """Per lower-cased word: uses inside a toxic span, and uses outside one."""
    inside: Counter = Counter()
    outside: Counter = Counter()
    for text, span in zip(texts, spans):
        marked = set(span)
        for m in _WORD.finditer(text.lower()):
            hit = any(i in marked for i in range(m.start(), m.end()))
            (inside if hit else outside)[m.group(0)] += 1
    return inside, outside


def candidates(data_dir: Path, min_count: int = 4, min_share: float = 0.5) -> pd.DataFrame:
    """Words not yet in the insult or profanity lists, most often marked toxic first."""
    df = load_toxic_spans(data_dir, "train")
    inside, outside = span_word_counts(df["text"].tolist(), df["spans"].tolist())
    lex = load_lexicon()
    known = lex["insult"] | lex["profanity"]
    rows = [(w, c, c / (c + outside[w])) for w, c in inside.items()
            if c >= min_count and c / (c + outside[w]) >= min_share and w not in known]
    out = pd.DataFrame(rows, columns=["word", "in_span", "share"])
    return out.sort_values(["in_span", "word"], ascending=[False, True]).reset_index(drop=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=default_data_dir(), help="the shared data directory")
    ap.add_argument("--min-count", type=int, default=4, help="times inside a toxic span, at least")
    ap.add_argument("--min-share", type=float, default=0.5, help="share of the word's uses inside a span, at least")
    args = ap.parse_args(argv)
    print(candidates(args.data, args.min_count, args.min_share).to_string(index=False))


if __name__ == "__main__":
    main()

"""Weak `dehumanising` labels for public corpora, from the lexicon in context.

The public data sets label hate, toxicity or "assault on human dignity", not
dehumanisation. A post is weakly labelled dehumanising when its data set calls
it hateful AND the lexicon finds a dehumanising metaphor aimed at people in
it (a metaphor term near a human cue, a monster/sub-human term, a mass-killing
verb next to a metaphor term, an extermination verb aimed at people ("wipe
them out"), or "breed like"), all in plain context (not
negated, reported or quoted). A hateful post with a metaphor term but none of
these is left unlabelled (NaN) rather than guessed; a post its data set calls
not hateful is not dehumanising.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
import pandas as pd

from moderation.features import (
    CUE_WORDS, KIND_LEXICON, LEXICON_FEATURES, PUNCT, SEP, Featurizer, _SHIFT,
)
from moderation.lexicon import load_lexicon
from moderation.normalize import normalize_batch

#: Lexicon patterns strong enough to call a hateful post dehumanising.
STRONG = ("dh:human", "dh:figurative", "violence:dh", "breed:like", "extermination:human")


@lru_cache(maxsize=1)
def lexicon_featurizer() -> Featurizer:
    """A featurizer that knows only the lexicon's words: computes the lexicon patterns alone."""
    lex = load_lexicon()
    words = set()
    for ws in lex.lists.values():
        words |= ws
    for cue in CUE_WORDS.values():
        words |= cue
    words |= set(PUNCT)
    tokens = ["<unk>", SEP] + sorted(words - {SEP})
    codes = KIND_LEXICON * _SHIFT + np.arange(len(LEXICON_FEATURES), dtype=np.int64)
    # no dropped-letter spellings or glued words: knowing no other words, it would read `money` as monkey
    return Featurizer(lexicon=lex, knows_words=False).set_state(tokens, codes, np.ones(len(codes), np.float32))


def lexicon_hits(texts: Sequence[str], batch: int = 8192) -> pd.DataFrame:
    """One boolean column per lexicon pattern (LEXICON_FEATURES), one row per text."""
    fz = lexicon_featurizer()
    out = np.zeros((len(texts), len(LEXICON_FEATURES)), dtype=bool)
    for i in range(0, len(texts), batch):
        part = normalize_batch(list(texts[i:i + batch]))
        docs, codes, _, _ = fz.analyse(part)
        lex = codes >= KIND_LEXICON * _SHIFT
        out[docs[lex] + i, (codes[lex] - KIND_LEXICON * _SHIFT).astype(int)] = True
    return pd.DataFrame(out, columns=list(LEXICON_FEATURES))


def weak_dehumanising(texts: Sequence[str], hateful: Sequence[float]) -> np.ndarray:
    """1 / 0 / NaN weak labels (see the module docstring)."""
    hits = lexicon_hits(texts)
    hateful = np.asarray(hateful, dtype=float)
    strong = hits[list(STRONG)].any(axis=1).to_numpy()
    anyterm = hits["dh:any"].to_numpy()
    out = np.zeros(len(texts))
    is_hate = hateful == 1
    out[is_hate & strong] = 1.0
    out[is_hate & anyterm & ~strong] = np.nan
    out[np.isnan(hateful) & anyterm] = np.nan
    out[np.isnan(hateful) & strong] = np.nan
    return out

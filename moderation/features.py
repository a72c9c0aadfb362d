"""Features for the linear model: n-grams in context plus lexicon patterns.

Why a custom transform instead of scikit-learn's TfidfVectorizer: a word +
char TF-IDF pipeline is about 8x slower than alt-profanity-check, and the
pre-publish hook needs a comment scored in well under 2 ms. Here a whole batch
is tokenised with one regular expression over the joined, normalised texts;
everything after the tokens (context marks, n-gram codes, lexicon patterns,
TF-IDF weighting) is numpy array work, and one sparse product with a single
stacked coefficient matrix scores every label at once.

Each token gets a *context*: plain, negated (up to 6 tokens after a negator,
to the next punctuation or contrast word such as "but"; "no better than" and
"nothing but" negate nothing), reported (after "called", "described as", ...:
counter-speech and news reporting) or quoted (inside a pair of double
quotes). Unigrams are coded with their context, so "vermin" after "not" is a
different feature from plain "vermin", and bigrams that are not plain go to
their own block. On top, a few dozen binary lexicon features
(`LEXICON_FEATURES`) say whether a dehumanising metaphor appears in plain
context near a human cue, after a mass-killing verb, near literal-animal words,
and so on. They are not length-normalised, so one "orcs" in a long comment
still counts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from moderation.lexicon import DH_CATEGORIES, LITERAL_PRONE, Lexicon, load_lexicon
from moderation.normalize import GLUE_WORDS, SEP, collapse_repeats

TOKEN_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:'(?:t|re|ve|ll|d|m)\b)?|[.!?;:,()\"]|\x1e")

UNK, SEP_ID = 0, 1
PUNCT = tuple('.!?;:,()"')
CTX_PLAIN, CTX_NEG, CTX_REPORTED, CTX_QUOTED = 0, 1, 2, 3
#: How `Featurizer.feature_names` marks a unigram's context (a plain one has no prefix).
CONTEXT_PREFIX = {CTX_PLAIN: "", CTX_NEG: "NEG_", CTX_REPORTED: "REP_", CTX_QUOTED: "Q_"}
NEG_WINDOW = 6  # "nobody on that estate is a cockroach": 4 stopped short (own-set CV, docs/model-history.md)
REPORT_WINDOW = 6
CUE_WINDOW = 4
_BITS = np.int64(40)
_SHIFT = np.int64(1) << _BITS
_MASK = _SHIFT - 1
KIND_UNIGRAM, KIND_BIGRAM, KIND_BIGRAM_CTX, KIND_LEXICON = 1, 2, 3, 4

#: The binary lexicon pattern features, in column order.
LEXICON_FEATURES: tuple[str, ...] = (
    *(f"{c}" for c in DH_CATEGORIES),
    *(f"{c}:human" for c in DH_CATEGORIES),
    "dh:any",
    "dh:human",
    "dh:group",
    "dh:determiner",
    "dh:predicative",
    "dh:figurative",
    "dh:literal",
    "dh:praise",
    "dh:negated",
    "dh:reported",
    "dh:quoted",
    "dh:two_or_more",
    "violence:dh",
    "violence:human",
    "breed:like",
    "profanity",
    "profanity:second_person",
    "insult",
    "insult:second_person",
    "insult:human",
    "threat:second_person",
    "insult:count2",
    "extermination:human",
)
_LEX_INDEX = {name: i for i, name in enumerate(LEXICON_FEATURES)}

_DETERMINERS = {"the", "these", "those", "such", "filthy", "dirty", "bloody", "of", "you", "russian", "little", "stinking"}
_COPULAS = {"are", "is", "be", "were", "was", "being", "like", "as", "bunch", "pack", "herd", "horde", "hordes", "nest"}
_SELF = {"i", "we", "i'd", "we'd", "i'll", "we'll", "i'm", "we're"}
#: Between "I"/"we" and a reporting verb, these keep it the commenter's own words ("what I would call vermin").
_SELF_MODALS = {"would", "will", "should", "could", "must", "might", "always", "just", "also", "still", "do", "can"}
#: A contrast ends a negator's scope: "I'm not racist but they breed like rats".
_NEG_ENDS = {"but", "yet", "though", "although", "however"}
#: A negator followed by one of these negates nothing: "no better than rats", "nothing but vermin",
#: "nothing more than parasites", "no less than", "without doubt", "not only ... but".
_NEG_NOT = {"better", "more", "less", "but", "doubt", "question", "only", "different"}
_PRAISE_TERMS = {"beast", "beasts", "animal", "animals", "monster", "monsters", "machine", "savage"}
_LIKE = {"like", "rabbits", "rats", "cockroaches", "flies", "bacteria", "vermin"}
#: The word sets the patterns and contexts test beside the lexicon's lists, by table flag name.
CUE_WORDS: dict[str, set[str]] = {
    "determiner": _DETERMINERS, "copula": _COPULAS, "self": _SELF, "self_modal": _SELF_MODALS,
    "neg_end": _NEG_ENDS, "neg_not": _NEG_NOT, "a": {"a"}, "praise_term": _PRAISE_TERMS, "like": _LIKE,
}


#: Below this many characters a batch is tokenised with `TOKEN_RE` and looked up in the dict
#: (same result): for one comment, as the pre-publish hook scores them, that is cheaper than
#: setting up the arrays.
_SMALL_BATCH_CHARS = 4000
#: An apostrophe is no token; `Featurizer._join_inside` needs where they stand.
_APOSTROPHE = ord("'")
_APOSTROPHE_RE = re.compile("'")
#: A dot or apostrophe between two word characters that `_join_inside` could join (a contraction
#: of `TOKEN_RE`, or 's, never joins): the one-comment path skips the join without it.
#: (The mark comes first in the pattern, so the search only stops at dots and apostrophes.)
_INSIDE_RE = re.compile(r"[.'](?<=[a-z0-9][.'])(?!(?<=')(?:t|re|ve|ll|d|m|s)\b)[a-z0-9]")
#: Tokens of up to 16 characters are looked up by their bytes (two little-endian uint64
#: words) in an open-addressing hash table held in numpy arrays, so a batch's tokens are
#: looked up with a few vectorised probes; longer or unknown tokens go to the dict.
_KEY_CHARS = 16
_TABLE_MULT = np.uint64(0x9E3779B97F4A7C15)
#: _BYTE_MASKS[k] keeps the low k bytes of a little-endian uint64 word (k = 0..8).
_BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
_HI_MULT = np.uint64(0xC2B2AE3D27D4EB4F)
#: Character classes for `token_offsets`, by code point (129: anything outside ASCII).
_C_OTHER, _C_WORD, _C_HYPHEN, _C_SINGLE, _C_APOS = 0, 1, 2, 3, 4
_CLASS = np.zeros(129, dtype=np.uint8)
for _c in "abcdefghijklmnopqrstuvwxyz0123456789":
    _CLASS[ord(_c)] = _C_WORD
_CLASS[ord("-")] = _C_HYPHEN
for _c in '.!?;:,()"\x1e':
    _CLASS[ord(_c)] = _C_SINGLE
_CLASS[ord("'")] = _C_APOS
#: What `\w` matches among ASCII characters (index 128: decided per character, see `_isword`).
_WORD_ASCII = np.zeros(129, dtype=bool)
for _c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":
    _WORD_ASCII[ord(_c)] = True


def _isword(ch: str) -> bool:
    """`\\w` for one character (str patterns: Unicode letters and digits, and `_`)."""
    return ch.isalnum() or ch == "_"


def token_offsets(joined: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[start, end) of every `TOKEN_RE` match in `joined`, found with array operations, and the
    text's code points.

    `TOKEN_RE.finditer` costs a match object per token (about a third of scoring time);
    here word runs, hyphen joins and single-character tokens are boolean masks over
    the code points, contractions included. tests/test_scoring_frozen.py checks this against `TOKEN_RE`.
    """
    if joined.isascii():
        cp = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
        cls = _CLASS[cp]
    else:
        cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        cls = _CLASS[np.minimum(cp, 128)]
    n = len(cp)
    isw = cls == _C_WORD
    core = isw.copy()
    if n > 2:  # a hyphen between two word characters joins them ("anti-vax")
        core[1:-1] |= (cls[1:-1] == _C_HYPHEN) & isw[:-2] & isw[2:]
    edge = np.diff(core.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    rs = np.flatnonzero(edge == 1)
    re_ = np.flatnonzero(edge == -1)
    ps = np.flatnonzero(cls == _C_SINGLE)  # punctuation and the record separator: one character each
    # contractions: a run, then ' and t/re/ve/ll/d/m, then no word character (`\b`)
    cand = re_[re_ < n - 1]
    cand = cand[cls[cand] == _C_APOS]
    if len(cand):
        pad = np.concatenate([cp[: n], np.zeros(4, dtype=cp.dtype)])
        c1, c2 = pad[cand + 1], pad[cand + 2]
        one = (c1 == ord("t")) | (c1 == ord("d")) | (c1 == ord("m"))
        two = (((c1 == ord("r")) | (c1 == ord("v"))) & (c2 == ord("e"))) | ((c1 == ord("l")) & (c2 == ord("l")))
        length = np.where(one, 1, np.where(two, 2, 0))
        after = cand + 1 + length  # the character that must not be a word character
        ok = length > 0
        nxt = np.where(after < n, pad[np.minimum(after, n)], 0)
        wide = ok & (nxt >= 128)
        word_after = _WORD_ASCII[np.minimum(nxt, 128)]
        if wide.any():
            for i in np.flatnonzero(wide).tolist():
                word_after[i] = _isword(joined[int(after[i])])
        ok &= ~word_after
        cand, length, after = cand[ok], length[ok], after[ok]
    if len(cand):
        k = np.searchsorted(re_, cand)  # the run the contraction ends
        k2 = np.searchsorted(rs, cand + 1)  # the run its letters started
        whole = re_[k2] == after  # the letters were all of that run (else a "-" went on: "don't-care")
        # "a'd'd": the second contraction's run is the first one's letters, swallowed whole;
        # then it does not apply, unless the first one did not apply either (chains alternate)
        chained = np.zeros(len(cand), dtype=bool)
        chained[1:] = (k[1:] == k2[:-1]) & whole[:-1]
        if chained.any():
            applies = np.ones(len(cand), dtype=bool)
            for i in np.flatnonzero(chained).tolist():
                applies[i] = not applies[i - 1]
            k, k2, whole, after = k[applies], k2[applies], whole[applies], after[applies]
        rs, re_ = rs.copy(), re_.copy()
        re_[k] = after
        rs[k2[~whole]] = after[~whole] + 1  # the token after the hyphen
        keep = np.ones(len(rs), dtype=bool)
        keep[k2[whole]] = False
        rs, re_ = rs[keep], re_[keep]
    starts = np.concatenate([rs, ps])
    ends = np.concatenate([re_, ps + 1])
    order = np.argsort(starts, kind="stable")
    return starts[order], ends[order], cp


def _slot(lo: np.ndarray, hi: np.ndarray, bits: int) -> np.ndarray:
    """Home slot in a table of 2**bits slots for tokens with key words (lo, hi)."""
    h = (lo ^ (hi * _HI_MULT)) * _TABLE_MULT
    return (h >> np.uint64(64 - bits)).astype(np.int64)


def _fill_slots(home: np.ndarray, ids: np.ndarray, bits: int, empty: int) -> tuple[np.ndarray, int]:
    """An open-addressing table of 2**bits slots holding `ids` (home slot `home[i]` for `ids[i]`),
    and its longest probe.

    Linear probing, filled in rounds: round k places every id whose home slot + k
    is free (the lowest index first where several want one), so no empty slot lies
    between an id's home and its slot. Empty slots hold `empty`.
    """
    mask = (1 << bits) - 1
    slots = np.full(1 << bits, empty, dtype=np.int64)
    pending = ids
    k = 0
    while len(pending):
        pos = (home + k) & mask
        free = np.flatnonzero(slots[pos] == empty)
        taken, first = np.unique(pos[free], return_index=True)
        slots[taken] = pending[free[first]]
        left = np.ones(len(pending), dtype=bool)
        left[free[first]] = False
        pending, home = pending[left], home[left]
        k += 1
    return slots, max(k - 1, 0)


class _CodeTable:
    """Unique int64 codes -> their index, as an open-addressing hash table in numpy arrays.

    Looks up a whole array of codes with a few vectorised probes (`searchsorted`
    over the sorted codes costs a binary search with cache misses per code).
    Filled by `_fill_slots`, like the token table (`Featurizer._build_table`).
    """

    def __init__(self, codes: np.ndarray) -> None:
        codes = np.asarray(codes, dtype=np.int64)
        self.codes = np.concatenate([codes, [np.int64(-1)]])  # the last entry marks an empty slot
        n = len(codes)
        # At most 1/8 full: most queries are bigrams the model does not know, and a miss probes
        # until an empty slot. At half full (the old size) a batch's misses took up to 28 rounds
        # and the lookup cost 3.8 µs a news comment; at 1/8, 7 rounds and 2.3 µs (8 MB for the
        # shipped model's 110,000 bigrams, built on the first large batch).
        self.bits = max(10, int(np.ceil(np.log2(max(n, 1) * 8))))
        self.slots, self.max_probe = _fill_slots(self._home(codes), np.arange(n), self.bits, empty=n)

    def _home(self, codes: np.ndarray) -> np.ndarray:
        return ((codes.view(np.uint64) * _TABLE_MULT) >> np.uint64(64 - self.bits)).astype(np.int64)

    def index(self, query: np.ndarray) -> np.ndarray:
        """Index of each queried code in the codes the table was built from; -1 when absent
        (codes must be >= 0: -1 marks empty slots)."""
        query = np.ascontiguousarray(query, dtype=np.int64)
        n = len(self.codes) - 1
        mask = (1 << self.bits) - 1
        slot = self._home(query)
        # the first round over every query, without the index arrays of the later rounds
        cand = self.slots[slot]
        match = self.codes[cand] == query
        out = np.where(match, cand, -1)
        pending = np.flatnonzero(~match & (cand != n))
        slot = slot[pending]
        for k in range(1, self.max_probe + 1):
            if not len(pending):
                break
            cand = self.slots[(slot + k) & mask]
            q = query[pending]
            match = self.codes[cand] == q
            out[pending[match]] = cand[match]
            go_on = ~match & (cand != n)  # an empty slot ends the probe
            pending, slot = pending[go_on], slot[go_on]
        return out


class _Vocab(dict):
    """token -> id; an unknown token is UNK unless it is a misspelt lexicon word (`swaps`, repeats)
    or a lexicon word glued to a known word (`glued`)."""

    swaps: dict[str, int] = {}
    glue: "_Glue | None" = None

    def __missing__(self, token: str) -> int:
        j = self.swaps.get(token)
        if j is not None:
            return j
        collapsed = collapse_repeats(token)
        if collapsed != token:
            j = self.get(collapsed)
            return j if j is not None else self.swaps.get(collapsed, UNK)
        return self.glued(token)

    def glued(self, token: str) -> int:
        """The id of the lexicon word in `token` when it is that word glued to one or two known
        words before or after it (`thoseorcs`, `ThoseOrcs` once lower-cased, `draggingtroglodytes`,
        `orcsthey`); else UNK. Only dehumanising and insult words of `_Glue.MIN` letters or more,
        the longest first; never across a negator (`notvermin` stays unknown)."""
        g = self.glue
        if (g is None or len(token) < g.MIN + 3 or not (token[:g.MIN] in g.heads or token[-g.MIN:] in g.tails)
                or not token.isalpha()):
            return UNK
        n = len(token)
        for length in g.lengths:
            if length > n - 3:
                continue
            word = token[n - length:]
            j = g.words.get(word)
            if j is not None and self._known(token[:n - length], word in g.literal):
                return j
            word = token[:length]
            j = g.words.get(word)
            if j is not None and self._known(token[length:], word in g.literal):
                return j
        return UNK

    def _known(self, rest: str, common_only: bool) -> bool:
        """`rest` is one known word, or two (each a common word or a vocabulary word of three
        letters or more), none of them a negator; with `common_only`, common words alone
        (`GLUE_WORDS`: an animal word glued to a content word is mostly an animal's name,
        `groundhogs`, `guineapigs`, `labrats`)."""
        g = self.glue
        if self._word(rest, g, common_only):
            return True
        return any(self._word(rest[:k], g, common_only) and self._word(rest[k:], g, common_only)
                   for k in range(1, len(rest)))

    def _word(self, part: str, g: "_Glue", common_only: bool) -> bool:
        if part in g.common:
            return True
        return not common_only and len(part) >= 3 and dict.get(self, part) is not None and part not in g.negators


@dataclass
class _Glue:
    """The lexicon words `_Vocab.glued` finds inside a token, and what may stand beside them."""

    MIN = 4  # letters of a lexicon word found inside a token (`rats` yes, `rat` no)
    words: dict[str, int]  # dehumanising and insult words of MIN letters or more -> id
    literal: frozenset[str]  # those of them with a literal sense (animals, vermin, diseases)
    common: frozenset[str]  # GLUE_WORDS and "u", "ur", less the negators
    negators: frozenset[str]
    # derived from `words`, for the quick test every unknown token of a batch gets
    lengths: list[int] = field(init=False)  # their lengths, longest first
    heads: frozenset[str] = field(init=False)  # their first MIN letters
    tails: frozenset[str] = field(init=False)  # their last MIN letters

    def __post_init__(self) -> None:
        self.lengths = sorted({len(w) for w in self.words}, reverse=True)
        self.heads = frozenset(w[:self.MIN] for w in self.words)
        self.tails = frozenset(w[-self.MIN:] for w in self.words)


@dataclass
class _Tables:
    """Per-token-id flag arrays for one token vocabulary."""

    dh_cat: np.ndarray  # 0 = none, 1.. = DH_CATEGORIES index + 1
    flags: dict[str, np.ndarray]


#: Dropped-letter spellings (`dropped_letters`) are made only of lexicon words this long, and
#: are at least `DROP_MIN_VARIANT` letters: `rts` or `pgs` could be anything.
DROP_MIN_WORD, DROP_MIN_VARIANT = 5, 4
_VOWELS = frozenset("aeiou")


def dropped_letters(word: str) -> set[str]:
    """`word` with one inner letter dropped (`vrmin`, `cockroches`) or every inner vowel
    dropped (`prsts`, `cckrchs`): the red team's commonest spellings that still got through.

    Empty for a word shorter than `DROP_MIN_WORD`; the first and last letters always stay.
    """
    if len(word) < DROP_MIN_WORD:
        return set()
    out = {word[:k] + word[k + 1:] for k in range(1, len(word) - 1)}
    out.add(word[0] + "".join(c for c in word[1:-1] if c not in _VOWELS) + word[-1])
    out.discard(word)
    return {v for v in out if len(v) >= DROP_MIN_VARIANT}


def _wordfreq():
    try:
        import wordfreq
    except ImportError as exc:  # pragma: no cover - the dev and train extras install it
        raise ImportError("training needs wordfreq to tell real words from misspellings: "
                          "pip install 'moderation[train]'") from exc
    return wordfreq


def english_words() -> frozenset[str]:
    """Every word of wordfreq's large English list made of ASCII letters only (any frequency it
    reports at all).

    Training only (`Featurizer.fit`): the model's vocabulary carries the answer, so
    scoring never needs wordfreq.
    """
    return frozenset(w for w in _wordfreq().iter_wordlist("en", "large") if w.isascii() and w.isalpha())


def tokenize(normalized: str) -> list[str]:
    """Tokens of one normalised text (words, punctuation, quote marks)."""
    return TOKEN_RE.findall(normalized)


def token_spans(normalized: str) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN_RE.finditer(normalized)]


#: Segment kinds of `Featurizer._segments`.
_SEG_UNIGRAM, _SEG_BIGRAM, _SEG_LEXICON = 0, 1, 2


def _segment_codes(kind: int, positions: np.ndarray, data: Any) -> np.ndarray:
    """A segment's feature codes (see `Featurizer._segments`)."""
    if kind == _SEG_UNIGRAM:
        return KIND_UNIGRAM * _SHIFT + data
    if kind == _SEG_BIGRAM:
        return data
    return np.full(len(positions), KIND_LEXICON * _SHIFT + data, dtype=np.int64)


class Featurizer:
    """Normalised texts -> sparse feature matrix (n-grams in context + lexicon patterns).

    Fitted state is plain arrays (token strings, kept feature codes, idf), so
    a model file needs no pickle.
    """

    #: How n-gram values are weighted: "sqrt_length" (IDF / sqrt(number of n-grams in
    #: the comment), summed over repeats: needs no grouping, so scoring is one weighted
    #: bincount) or "sublinear_l2" (classic (1 + log tf) x IDF, L2-normalised: needs a sort).
    WEIGHTINGS = ("sqrt_length", "sublinear_l2")

    def __init__(self, min_df: int = 3, max_features: int = 400_000, bigrams: bool = True,
                 lexicon: Lexicon | None = None, weighting: str = "sqrt_length", knows_words: bool = True) -> None:
        if weighting not in self.WEIGHTINGS:
            raise ValueError(f"weighting must be one of {self.WEIGHTINGS}, not {weighting!r}")
        self.weighting = weighting
        self.min_df = min_df
        self.max_features = max_features
        self.bigrams = bigrams
        # dropped-letter spellings (`_build_swaps`) and glued words (`_Vocab.glued`) need a vocabulary
        # of real words to tell `vrmin` from `money` and `thoseorcs` from a name: a featurizer that
        # knows only the lexicon (training/weak.py) reads neither
        self.knows_words = knows_words
        self.lexicon = lexicon or load_lexicon()
        self.tokens_: list[str] | None = None
        self.codes_: np.ndarray | None = None
        self.idf_: np.ndarray | None = None

    # ----- fitted state -------------------------------------------------
    def set_state(self, tokens: Sequence[str], codes: np.ndarray, idf: np.ndarray) -> "Featurizer":
        self.tokens_ = list(tokens)
        self.codes_ = np.asarray(codes, dtype=np.int64)
        self.idf_ = np.asarray(idf, dtype=np.float32)
        self._prepare()
        return self

    def _prepare(self) -> None:
        self._vocab = _Vocab((t, i) for i, t in enumerate(self.tokens_))
        # the token hash table (slots, key words lo and hi, bits, longest probe), built by the first
        # large batch (`_lookup`) and set in one assignment, so a concurrent reader sees all of it or none
        self._token_table: tuple | None = None
        self._vt = np.int64(len(self.tokens_))
        self._tables = self._build_tables()
        self._vocab.swaps = self._build_swaps()
        self._vocab.glue = self._build_glue() if self.knows_words else None
        self._dot_id = self._vocab.get(".", -1)
        # the one-letter parts an apostrophe joins to a word in real text (`_join_inside`), by token id
        self._elision = np.zeros(len(self.tokens_), dtype=bool)
        self._ending = np.zeros(len(self.tokens_), dtype=bool)
        self._elision[[self._vocab[c] for c in "ldnjscmt" if c in self._vocab]] = True
        self._ending[[self._vocab[c] for c in "stdm" if c in self._vocab]] = True
        self.n_ngram_ = int(np.count_nonzero(self.codes_ < KIND_LEXICON * _SHIFT))
        self.n_features_ = len(self.codes_)
        lex_codes = KIND_LEXICON * _SHIFT + np.arange(len(LEXICON_FEATURES), dtype=np.int64)
        self._lex_cols = np.searchsorted(self.codes_, lex_codes)
        # a model trained before a lexicon feature was added lacks its column: never emitted (-1 = dropped)
        found = self._lex_cols < len(self.codes_)
        found[found] = self.codes_[self._lex_cols[found]] == lex_codes[found]
        self._lex_cols = np.where(found, self._lex_cols, -1)
        # direct lookup tables: unigram code -> column; which tokens start / end a kept bigram
        vt = int(self._vt)
        kinds = self.codes_ >> _BITS
        payload = self.codes_ & _MASK
        self._uni_col = np.full(4 * vt, -1, dtype=np.int64)
        uni = np.flatnonzero(kinds == KIND_UNIGRAM)
        self._uni_col[payload[uni]] = uni
        bi = np.flatnonzero((kinds == KIND_BIGRAM) | (kinds == KIND_BIGRAM_CTX))
        self._bi_start = int(bi[0]) if len(bi) else 0
        self._bi_codes = self.codes_[bi]
        self._bi_table: _CodeTable | None = None  # built by the first large batch (`_columns`)
        self._bi_first = np.zeros(vt, dtype=bool)
        self._bi_second = np.zeros(vt, dtype=bool)
        if len(bi):
            self._bi_first[payload[bi] // vt] = True
            self._bi_second[payload[bi] % vt] = True

    def _build_tables(self) -> _Tables:
        lex = self.lexicon
        n = len(self.tokens_)
        dh_cat = np.zeros(n, dtype=np.int8)
        cat_index = {c: i + 1 for i, c in enumerate(DH_CATEGORIES)}
        for term, cat in lex.category_of.items():
            i = self._vocab.get(term)
            if i is not None:
                dh_cat[i] = cat_index[cat]
        flags = {}
        for name in ("human", "group", "literal", "praise", "negator", "reporting", "violence", "breed",
                     "profanity", "insult", "second_person", "threat", "extermination"):
            arr = np.zeros(n, dtype=bool)
            for w in lex[name]:
                i = self._vocab.get(w)
                if i is not None:
                    arr[i] = True
            flags[name] = arr
        for name, words in CUE_WORDS.items():
            arr = np.zeros(n, dtype=bool)
            for w in words:
                i = self._vocab.get(w)
                if i is not None:
                    arr[i] = True
            flags[name] = arr
        neg = flags["negator"]
        for i, t in enumerate(self.tokens_):
            if t.endswith("n't"):
                neg[i] = True
        punct = np.zeros(n, dtype=bool)
        quote = np.zeros(n, dtype=bool)
        for p in PUNCT:
            i = self._vocab.get(p)
            if i is not None:
                punct[i] = True
        qi = self._vocab.get('"')
        if qi is not None:
            quote[qi] = True
        punct[SEP_ID] = True
        flags["punct"] = punct
        flags["quote"] = quote
        literal_prone = np.zeros(len(DH_CATEGORIES) + 1, dtype=bool)
        for c in LITERAL_PRONE:
            literal_prone[cat_index[c]] = True
        flags["_literal_prone_cat"] = literal_prone
        flags["_human_or_group"] = flags["human"] | flags["group"]
        # the tokens the lexicon patterns are computed at (once here, not per batch: the hook's
        # single comments would otherwise pay for seven passes over the vocabulary each)
        flags["_trigger"] = ((dh_cat > 0) | flags["profanity"] | flags["insult"] | flags["violence"] | flags["breed"]
                             | flags["threat"] | flags["extermination"])
        return _Tables(dh_cat=dh_cat, flags=flags)

    # ----- analysis -----------------------------------------------------
    def _ids(self, normalized: Sequence[str]) -> np.ndarray:
        """Token ids of the batch, documents separated by SEP_ID (one at the end too).

        An unknown token that is a lexicon word with two neighbouring letters
        swapped (`ocrs`, `slaugther`) gets that word's id.
        """
        return self._tokens(normalized, offsets=False)[0]

    def _tokens(self, normalized: Sequence[str], offsets: bool = True) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """`_ids`, and each token's [start, end) within its own normalised text (None without
        `offsets`: scores alone do not need them, only evidence does)."""
        joined = SEP.join(normalized) + SEP
        if len(joined) < _SMALL_BATCH_CHARS:  # a comment or two (the hook): the regex costs less than array setup
            spans = [m.span() for m in TOKEN_RE.finditer(joined)]
            get = self._vocab.__getitem__
            ids = np.array([get(joined[a:b]) for a, b in spans], dtype=np.int64)
            bounds = np.array(spans, dtype=np.int64).reshape(-1, 2)
            starts, ends = bounds[:, 0], bounds[:, 1]
            if _INSIDE_RE.search(joined):  # most comments have no mark inside a word: no array work for them
                marks = np.array([m.start() for m in _APOSTROPHE_RE.finditer(joined)], dtype=np.int64)
                ids, starts, ends = self._join_inside(joined, ids, starts, ends, marks)
        else:
            starts, ends, cp = token_offsets(joined)
            ids = self._lookup(joined, cp, starts, ends)
            ids, starts, ends = self._join_inside(joined, ids, starts, ends, np.flatnonzero(cp == _APOSTROPHE))
        if not offsets:
            return ids, None, None
        # offsets within each text: the text starts after the previous separator
        is_sep = ids == SEP_ID
        sep_at = starts[is_sep]
        base = np.concatenate(([0], sep_at[:-1] + 1))[np.cumsum(is_sep) - is_sep]
        return ids, starts - base, ends - base

    def _join_inside(self, joined: str, ids: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                     marks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A dot or apostrophe typed inside a lexicon word (`verm.in`, `verm'in`) made one token again.

        Two word tokens with one such mark between them and no space become one token when
        together they spell a lexicon word (`_trigger`) of four characters or more and
        neither part is one: `verm.in`, `p.igs` and `o'rcs` are `vermin`, `pigs` and `orcs`,
        while `U.S.`, `end.Then` and `cock.roaches` stay as they are. Next to an apostrophe
        an elision's letter on the left (`l'homme`, `n'est`) or a possessive's or
        contraction's on the right (`Jones's`) keeps the parts apart; a contraction of
        `TOKEN_RE` (`he'll`) is one token already. In 126,980 training texts the only
        apostrophe with a one-letter part that would otherwise join was `n'est`. `marks`
        are the apostrophes' offsets in `joined` (an apostrophe is no token; a dot is).
        Only these rare pairs are looked at, in Python.
        """
        n = len(ids)
        if n < 2:
            return ids, starts, ends
        pairs = []
        # the most selective test first: a dot with a token right after it that is not the separator
        dots = np.flatnonzero(ids[1:-1] == self._dot_id) + 1 if n > 2 else np.zeros(0, np.int64)
        dots = dots[(ends[dots] == starts[dots + 1]) & (ids[dots + 1] != SEP_ID)]
        if len(dots):
            dots = dots[(starts[dots] == ends[dots - 1])
                        & (ends[dots - 1] - starts[dots - 1] + ends[dots + 1] - starts[dots + 1] >= 4)]
            pairs.append(np.stack([dots - 1, dots + 1], axis=1))
        if len(marks):
            before = np.searchsorted(ends, marks, side="right") - 1  # the token ending at or before the mark
            ok = (before >= 0) & (before < n - 1)
            before, at = before[ok], marks[ok]
            ok = (ends[before] == at) & (starts[before + 1] == at + 1)  # not in a contraction, no space
            before = before[ok]
            after = before + 1
            # l'homme, n'est: an elision; Jones's, ma'am's: a possessive or a contraction
            ok = ((ends[before] - starts[before] + ends[after] - starts[after] >= 4)
                  & ~self._elision[ids[before]] & ~self._ending[ids[after]])
            pairs.append(np.stack([before[ok], after[ok]], axis=1))
        found = np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)
        trigger, punct = self._tables.flags["_trigger"], self._tables.flags["punct"]
        if len(found):  # two words, neither a lexicon word (no "..and"; `punct` holds the separator too)
            first, second = ids[found[:, 0]], ids[found[:, 1]]
            found = found[~punct[first] & ~punct[second] & ~trigger[first] & ~trigger[second]]
        if not len(found):
            return ids, starts, ends
        get = self._vocab.get
        keep = np.ones(n, dtype=bool)
        ids = ids.copy()
        ends = ends.copy()
        for a, b in sorted(found.tolist()):
            if not keep[a]:
                continue
            j = get(joined[starts[a]:ends[a]] + joined[starts[b]:ends[b]])
            if j is not None and trigger[j]:
                ids[a], ends[a] = j, ends[b]
                keep[a + 1:b + 1] = False
        if keep.all():
            return ids, starts, ends
        return ids[keep], starts[keep], ends[keep]

    def _build_table(self) -> None:
        """The token hash table (see `_KEY_CHARS`): slot -> token id (`_fill_slots`), and each id's two key words."""
        n = len(self.tokens_)
        keyed = np.array([0 < len(t) <= _KEY_CHARS and t.isascii() for t in self.tokens_] + [False], dtype=bool)
        raw = b"".join(t.encode("ascii").ljust(16, b"\0") if k else bytes(16)
                       for t, k in zip(self.tokens_, keyed.tolist()))
        words = np.frombuffer(raw, dtype="<u8").reshape(n, 2) if n else np.zeros((0, 2), dtype="<u8")
        lo = np.concatenate([words[:, 0], [np.uint64(2**64 - 1)]])  # the last entry: an empty slot's,
        hi = np.concatenate([words[:, 1], [np.uint64(2**64 - 1)]])  # never equal to an ASCII token's key
        bits = max(10, int(np.ceil(np.log2(max(n, 1) * 4))))
        keyed_ids = np.flatnonzero(keyed)
        slots, max_probe = _fill_slots(_slot(lo[keyed_ids], hi[keyed_ids], bits), keyed_ids, bits, empty=n)
        self._token_table = (slots, lo, hi, bits, max_probe)

    def _lookup(self, joined: str, cp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Token ids of the tokens at [starts, ends) of `joined` (cp: its code points)."""
        if self._token_table is None:  # not at load: the hook's single comments never need it
            self._build_table()
        slots, slot_lo, slot_hi, bits, max_probe = self._token_table
        # Characters outside ASCII are never inside a token, and only a token's own
        # bytes are kept (masked) below, so wrapping code points to bytes is safe.
        buf = cp if cp.dtype == np.uint8 else cp.astype(np.uint8)
        buf = np.concatenate([buf, np.zeros(16, dtype=np.uint8)])
        words = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))  # 8 bytes from each offset
        lengths = ends - starts
        lo = words[starts] & _BYTE_MASKS[np.minimum(lengths, 8)]
        hi = np.zeros(len(starts), dtype=np.uint64)
        over8 = np.flatnonzero((lengths > 8) & (lengths <= _KEY_CHARS))  # the rarer long tokens
        hi[over8] = words[starts[over8] + 8] & _BYTE_MASKS[lengths[over8] - 8]
        n_vocab = len(self.tokens_)
        mask = (1 << bits) - 1
        # the first round over every token, without the index arrays of the later rounds; a token
        # longer than the key words is never looked up in the table (its key is not its whole text)
        short = lengths <= _KEY_CHARS
        slot = _slot(lo, hi, bits)
        cand = slots[slot]
        match = (slot_lo[cand] == lo) & (slot_hi[cand] == hi) & short
        ids = np.where(match, cand, -1)
        pending = np.flatnonzero(~match & (cand != n_vocab) & short)  # an empty slot ends the probe
        slot, lo, hi = slot[pending], lo[pending], hi[pending]
        for k in range(1, max_probe + 1):
            if not len(pending):
                break
            cand = slots[(slot + k) & mask]
            match = (slot_lo[cand] == lo) & (slot_hi[cand] == hi)
            ids[pending[match]] = cand[match]
            go_on = ~match & (cand != n_vocab)
            pending, slot, lo, hi = pending[go_on], slot[go_on], lo[go_on], hi[go_on]
        # long tokens and unknown ones: the vocabulary itself (swapped letters, repeats: _Vocab.__missing__)
        rest = np.flatnonzero(ids < 0)
        if len(rest):
            a_l, b_l = starts[rest].tolist(), ends[rest].tolist()
            toks = [joined[a:b] for a, b in zip(a_l, b_l)]
            found = list(map(dict.get, repeat(self._vocab, len(toks)), toks))  # dict.get: no __missing__
            if None in found:  # unknown words: swapped letters, repeats (about one in 70 tokens of news comments)
                # Only a token holding a letter three times running, or one of 6+ characters
                # whose letters all come in pairs, can collapse (`collapse_repeats`); the runs are
                # rare, so they are found for the whole batch at once, and a token is taken for
                # a paired one when its length is even and its first two pairs are pairs (the
                # full check is `collapse_repeats`'s). Every other unknown token is just looked
                # up among the swaps.
                c0, c1, c2 = cp[:-2], cp[1:-1], cp[2:]
                runs = np.flatnonzero((c0 == c1) & (c1 == c2) & (c0 >= 97) & (c0 <= 122))
                k = np.searchsorted(runs, starts[rest])
                holds = ((k < len(runs)) & (runs[np.minimum(k, len(runs) - 1)] <= ends[rest] - 3)
                         if len(runs) else np.zeros(len(rest), dtype=bool))
                n_rest = lengths[rest]
                paired = np.flatnonzero((n_rest >= 6) & (n_rest % 2 == 0))
                if len(paired):
                    a0 = starts[rest[paired]]
                    holds[paired[(cp[a0] == cp[a0 + 1]) & (cp[a0 + 2] == cp[a0 + 3])]] = True
                vocab_missing, swap, glued = self._vocab.__missing__, self._vocab.swaps.get, self._vocab.glued
                found = [j if j is not None else vocab_missing(t) if r else swap(t) or glued(t)
                         for t, j, r in zip(toks, found, holds.tolist())]
            ids[rest] = found
        return ids

    def _build_swaps(self) -> dict[str, int]:
        """Misspellings of lexicon words -> the word's id, for tokens the vocabulary does not know.

        Two neighbouring letters swapped (`ocrs`, `slaugther`); and, the red team's
        commonest spellings that got through (benchmarks/red_team.py), a hyphen inside
        (`ver-min`, two letters or more each side), one letter but the last doubled (`vermmin`)
        and a letter or the inner vowels dropped (`vrmin`, `prsts`: `dropped_letters`).
        A variant that is a known word or another lexicon word is never mapped, nor a dropped
        spelling two words share (`jackas`: jackass or jackals). A real word the vocabulary would
        not know (`bests`, `insets`: seen once in the training texts, or known to wordfreq) is
        kept in it by `fit` for this.
        """
        lex = self.lexicon
        words = set(lex.category_of) | lex["violence"] | lex["profanity"] | lex["insult"]
        out: dict[str, int] = {}

        def add(variant: str, word: str) -> None:
            if variant not in self._vocab and variant not in words:
                out.setdefault(variant, self._vocab[word])

        known = [w for w in sorted(words) if len(w) >= 3 and w.isalpha() and w in self._vocab]
        for w in known:
            for k in range(len(w) - 1):
                if w[k] != w[k + 1]:
                    add(w[:k] + w[k + 1] + w[k] + w[k + 2:], w)
        for w in known:
            for k in range(2, len(w) - 1):
                add(w[:k] + "-" + w[k:], w)
            for k in range(len(w) - 1):  # not the last letter: Pratt, Dogg and Hogg are names
                add(w[:k + 1] + w[k:], w)
        dropped: dict[str, set[str]] = {}
        for w in known if self.knows_words else ():
            for v in dropped_letters(w):
                dropped.setdefault(v, set()).add(w)
        for v, of in sorted(dropped.items()):
            if len(of) == 1:
                add(v, of.pop())
        return out

    def _build_glue(self) -> _Glue:
        """What `_Vocab.glued` looks for: the dehumanising and insult words the vocabulary holds."""
        lex = self.lexicon
        words = {w: self._vocab[w] for w in sorted(lex.name_calling_words())
                 if len(w) >= _Glue.MIN and w.isalpha() and w in self._vocab}
        negators = frozenset(lex["negator"])
        common = frozenset(GLUE_WORDS | {"u", "ur"}) - negators
        literal = frozenset(w for w in words if lex.has_literal_sense(w))
        return _Glue(words, literal, common, negators)

    def _after(self, ids: np.ndarray, cues: np.ndarray, window: int, stop: np.ndarray | None = None) -> np.ndarray:
        """Positions up to `window` tokens after each cue position, up to (not past) the first
        punctuation token or separator (or a token `stop` flags). A position after two cues
        comes twice: callers only assign to these positions, so repeats cost less than making
        them unique."""
        q = cues[:, None] + np.arange(1, window + 1)
        q = np.minimum(q, len(ids) - 1)  # the batch ends with a separator, which stops every window
        ends = self._tables.flags["punct"] if stop is None else self._tables.flags["punct"] | stop
        stopped = np.logical_or.accumulate(ends[ids[q]], axis=1)
        return q[~stopped]

    def analyse(self, normalized: Sequence[str]):
        """Feature occurrences of a batch: (doc, code, token position within the batch, doc_start).

        Positions index the batch token stream (separators included).
        """
        return self.analyse_ids(self._ids(normalized))

    def analyse_ids(self, ids: np.ndarray):
        """`analyse` from the batch's token ids (`_ids`), for callers that also need the ids."""
        n = len(ids)
        doc, doc_start, segments = self._segments(ids)
        if not n:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, doc_start
        codes = np.concatenate([_segment_codes(kind, p, data) for kind, p, data in segments])
        pos = np.concatenate([p for _, p, _ in segments])
        return doc[pos], codes, pos, doc_start

    def columns_ids(self, ids: np.ndarray, positions: bool = False) -> tuple[np.ndarray, ...]:
        """(doc, column) of the batch's kept feature occurrences, for scores alone.

        The same occurrences in the same order as `analyse_ids` then `_columns`
        keep (so sums over them are bit for bit the same), but each kind of
        feature is looked up in its own segment: no feature codes to build,
        split by kind and filter again. With `positions`, also each occurrence's
        token position within its own document (what scoring a long comment's
        windows needs); otherwise no positions (only evidence needs them).
        """
        doc, doc_start, segments = self._segments(ids)
        docs, cols, where = [], [], []
        for kind, p, data in segments:
            if kind == _SEG_LEXICON:
                col = int(self._lex_cols[data])
                if col >= 0:
                    docs.append(doc[p])
                    cols.append(np.full(len(p), col, dtype=np.int64))
                    where.append(p)
                continue
            c = self._uni_col[data] if kind == _SEG_UNIGRAM else self._bigram_cols(data, ids[p - 1], ids[p])
            keep = np.flatnonzero(c >= 0)
            kept = p[keep]
            docs.append(doc[kept])
            cols.append(c[keep])
            where.append(kept)
        if not docs:
            empty = np.zeros(0, np.int64)
            return (empty, empty, empty) if positions else (empty, empty)
        if not positions:
            return np.concatenate(docs), np.concatenate(cols)
        at = np.concatenate(where)
        return np.concatenate(docs), np.concatenate(cols), at - doc_start[at]

    def _segments(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[tuple[int, np.ndarray, Any]]]:
        """The batch's feature occurrences by kind: (doc per position, doc start per position, segments).

        Each segment is (kind, positions, data): `_SEG_UNIGRAM` with the unigram
        payloads (context x vocabulary + token id), `_SEG_BIGRAM` with the bigram
        codes, `_SEG_LEXICON` with one lexicon feature's index. `analyse_ids`
        concatenates them into codes; `columns_ids` looks each kind up on its own.
        """
        n = len(ids)
        t = self._tables
        f = t.flags
        idx = np.arange(n, dtype=np.int64)
        is_sep = ids == SEP_ID
        doc = np.cumsum(is_sep) - is_sep  # separator belongs to the doc it ends
        sep_pos = np.flatnonzero(is_sep)
        doc_start = np.concatenate(([0], sep_pos[:-1] + 1))[doc] if n else idx
        doc_end = sep_pos[doc] - 1 if n else idx  # last real token (may be < start for empty doc)

        # ----- contexts -----
        # Negators, reporting verbs and quote marks are rare (a few in a hundred tokens), so a
        # token's context is found from the windows after them, not from running maxima
        # over the whole batch: a token is negated when a negator stands at most NEG_WINDOW
        # tokens before it with no punctuation (or document end) between them; reported
        # likewise within REPORT_WINDOW of a reporting verb not said by "I"/"we"; quoted when
        # it lies between a quote mark and the next one in its document (pairs counted from
        # the document's start; an unpaired last mark quotes nothing), unless the document has
        # no known word outside its quotations: a comment that is one quotation and nothing
        # else says nothing about it, so it is the commenter's own words (two quote marks
        # around abuse must not turn a reject into an allow).
        ctx = np.full(n, CTX_PLAIN, dtype=np.int64)
        if n:
            cue = ids[:-1]  # a cue in the batch's last position (a separator) governs nothing
            rep = np.flatnonzero(f["reporting"][cue])
            if len(rep):
                # not reported when "I"/"we" say it, right before the verb or with a modal between
                # ("I call them", "what I would call"); the separator before a document is no word
                own = f["self"][ids[np.maximum(rep - 1, 0)]] | (
                    f["self_modal"][ids[np.maximum(rep - 1, 0)]] & f["self"][ids[np.maximum(rep - 2, 0)]] & (rep >= 2))
                rep = rep[(rep == 0) | ~own]
                hit = self._after(ids, rep, REPORT_WINDOW)
                if len(hit):
                    ctx[hit[~f["reporting"][ids[hit]] | ((hit > 0) & f["self"][ids[np.maximum(hit - 1, 0)]])]] = CTX_REPORTED
            neg = np.flatnonzero(f["negator"][cue])
            if len(neg):
                # "no better than", "nothing but", "without (a) doubt" negate nothing
                nxt = ids[neg + 1]
                nxt2 = ids[np.minimum(neg + 2, n - 1)]
                neg = neg[~(f["neg_not"][nxt] | (f["a"][nxt] & f["neg_not"][nxt2]))]
                hit = self._after(ids, neg, NEG_WINDOW, stop=f["neg_end"])
                ctx[hit[~f["negator"][ids[hit]]]] = CTX_NEG
            marks = np.flatnonzero(f["quote"][ids])
            if len(marks) > 1:
                mdoc = doc[marks]
                starts_ = np.flatnonzero(np.concatenate(([True], mdoc[1:] != mdoc[:-1])))
                rank = np.arange(len(marks)) - np.repeat(starts_, np.diff(np.append(starts_, len(marks))))
                opens = np.flatnonzero((rank % 2 == 0)[:-1] & (mdoc[1:] == mdoc[:-1]))
                edge = np.zeros(n + 1, dtype=np.int32)
                edge[marks[opens] + 1] += 1  # each position at most once per line: opens and closes are distinct
                edge[marks[opens + 1]] -= 1
                inside = np.cumsum(edge[:n]) > 0
                own = (ids > SEP_ID) & ~f["punct"][ids] & ~inside  # known words outside every quotation
                said = np.bincount(doc[own], minlength=len(sep_pos)) > 0
                ctx[inside & said[doc]] = CTX_QUOTED

        valid = (ids != UNK) & ~is_sep
        segments: list[tuple[int, np.ndarray, Any]] = []
        # unigrams; a group noun (muslims, refugees, gay ...) is never a feature on its own, so the
        # model cannot learn that naming a group is abusive (identity-term bias); its bigrams remain
        u = np.flatnonzero(valid & ~f["group"][ids])
        segments.append((_SEG_UNIGRAM, u, ctx[u] * self._vt + ids[u]))
        # bigrams (both tokens known, same document)
        if self.bigrams and n > 1:
            b = np.flatnonzero(valid[1:] & valid[:-1]) + 1
            kind = np.where((ctx[b] == CTX_PLAIN) & (ctx[b - 1] == CTX_PLAIN), KIND_BIGRAM, KIND_BIGRAM_CTX)
            segments.append((_SEG_BIGRAM, b, kind * _SHIFT + ids[b - 1] * self._vt + ids[b]))

        # ----- lexicon patterns (computed only at the positions of trigger words) -----
        P = np.flatnonzero(f["_trigger"][ids]) if n else idx
        if len(P):
            iP = ids[P]
            cat = t.dh_cat[iP]
            is_dh = cat > 0
            ctxP = ctx[P]
            plain = ctxP == CTX_PLAIN
            loP, hiP = doc_start[P], doc_end[P]
            loP2, hiP2 = loP[:, None], hiP[:, None]

            def near(flag: np.ndarray, before: int, after: int, by_id: bool = True) -> np.ndarray:
                """Whether `flag` is set within the window around each trigger, inside its document.

                `flag` is per token id (`by_id`) or per batch position. Only the windows are
                read (triggers are ~3% of tokens), not a prefix sum over the whole batch.
                """
                # A window position outside the document is moved to the document's first or
                # last token, which the window holds anyway (the trigger lies in between), so
                # the answer is unchanged and no "inside" mask is needed.
                q = P[:, None] + np.arange(-before, after + 1)
                np.maximum(q, loP2, out=q)
                np.minimum(q, hiP2, out=q)
                return (flag[ids[q]] if by_id else flag[q]).any(axis=1)

            def emit(name: str, mask: np.ndarray) -> None:
                p = P[mask]
                if len(p):
                    segments.append((_SEG_LEXICON, p, _LEX_INDEX[name]))

            def prev(flag_name: str, k: int) -> np.ndarray:
                q = P - k
                okq = q >= loP
                return okq & f[flag_name][ids[np.maximum(q, 0)]]

            # A pattern whose trigger is absent emits nothing, so its whole group is skipped
            # (a comment with a swear word and no metaphor pays for neither family's windows);
            # the segments keep their order.
            human_tok = f["_human_or_group"]  # per token id
            dh_plain = is_dh & plain
            any_dh_plain = bool(dh_plain.any())
            ins = f["insult"][iP] & plain
            any_ins = bool(ins.any())
            human_near = near(human_tok, CUE_WINDOW, CUE_WINDOW) & plain if any_dh_plain or any_ins else None
            if any_dh_plain:
                for ci, c in enumerate(DH_CATEGORIES, 1):
                    m = dh_plain & (cat == ci)
                    emit(c, m)
                    emit(f"{c}:human", m & human_near)
                emit("dh:any", dh_plain)
                emit("dh:human", dh_plain & human_near)
                emit("dh:group", dh_plain & near(f["group"], CUE_WINDOW, CUE_WINDOW))
                emit("dh:determiner", dh_plain & prev("determiner", 1))
                emit("dh:predicative", dh_plain & (prev("copula", 1) | prev("copula", 2)))
                emit("dh:figurative", dh_plain & ~t.flags["_literal_prone_cat"][cat])
                emit("dh:literal", dh_plain & near(f["literal"], 5, 5))
                emit("dh:praise", dh_plain & f["praise_term"][iP] & near(f["praise"], 5, 5))
            if is_dh.any():
                emit("dh:negated", is_dh & (ctxP == CTX_NEG))
                emit("dh:reported", is_dh & (ctxP == CTX_REPORTED))
                emit("dh:quoted", is_dh & (ctxP == CTX_QUOTED))
            docP = doc[P]
            if any_dh_plain:
                dcount = np.bincount(docP[dh_plain], minlength=int(docP[-1]) + 1)
                emit("dh:two_or_more", dh_plain & (dcount[docP] >= 2))
            viol = f["violence"][iP] & plain
            if viol.any():
                dh_tok = np.zeros(n, dtype=bool)
                dh_tok[P[dh_plain]] = True
                emit("violence:dh", viol & near(dh_tok, CUE_WINDOW, CUE_WINDOW, by_id=False))
                emit("violence:human", viol & near(human_tok, 3, 3))
            ext = f["extermination"][iP] & plain
            if ext.any():  # "round them up and exterminate them": a call to mass killing aimed at people
                emit("extermination:human", ext & near(human_tok, 0, CUE_WINDOW))  # whom: after the verb
            brd = f["breed"][iP] & plain
            if brd.any():
                emit("breed:like", brd & near(f["like"], 0, 6))
            second_tok = f["second_person"]  # per token id
            prof = f["profanity"][iP] & plain
            thr = f["threat"][iP] & plain
            any_prof = bool(prof.any())
            if any_prof or any_ins:
                second5 = near(second_tok, 5, 5)
                emit("profanity", prof)
                emit("profanity:second_person", prof & second5)
            if any_ins:
                emit("insult", ins)
                emit("insult:second_person", ins & second5)
                emit("insult:human", ins & human_near)
            if thr.any():
                emit("threat:second_person", thr & near(second_tok, 4, 4))
            if any_ins:
                icount = np.bincount(docP[ins], minlength=int(docP[-1]) + 1)
                emit("insult:count2", ins & (icount[docP] >= 2))

        return doc, (doc_start if n else idx), segments

    # ----- fit / transform ----------------------------------------------
    def fit(self, normalized: Sequence[str]) -> "Featurizer":
        counts: Counter = Counter()
        for i in range(0, len(normalized), 4096):
            counts.update(TOKEN_RE.findall(SEP.join(normalized[i:i + 4096])))
        counts.pop(SEP, None)
        lex_words = set()
        for name, words in self.lexicon.lists.items():
            lex_words |= {w for w in words if TOKEN_RE.fullmatch(w)}
        # a word that could be a lexicon word with a letter dropped is kept when the training texts
        # hold it even once or wordfreq knows it: it is a real word (`garages`, `bests`), which
        # `_build_swaps` then leaves be
        dropped = set().union(*(dropped_letters(w) for w in lex_words if w.isalpha()))
        english = english_words()
        keep = sorted({t for t, c in counts.items() if c >= 2 or t in dropped} | (dropped & english))
        tokens = ["<unk>", SEP] + sorted((set(keep) | lex_words | set(PUNCT)) - {SEP})
        self.tokens_ = tokens
        self.codes_ = np.zeros(0, np.int64)
        self.idf_ = np.zeros(0, np.float32)
        self._prepare()
        # so is a token seen once, or an English word wordfreq knows, that reads as a lexicon word glued
        # to known words (`_Vocab.glued`): the training texts are featurised as written, and a word
        # (`dumbstruck`, `candlestick`, `berkshire`) is read as itself
        glued = {t for t in chain((t for t, c in counts.items() if c == 1), english)
                 if self._vocab.glued(t) != UNK} if self.knows_words else set()
        if glued:
            self.tokens_ = tokens = ["<unk>", SEP] + sorted(set(tokens[2:]) | glued)
            self._prepare()
        doc_parts, code_parts = [], []
        offset = 0
        for i in range(0, len(normalized), 8192):
            d, c, _, _ = self.analyse(normalized[i:i + 8192])
            doc_parts.append(d + offset)
            code_parts.append(c)
            offset += len(normalized[i:i + 8192])
        docs = np.concatenate(doc_parts)
        codes = np.concatenate(code_parts)
        ngram = codes < KIND_LEXICON * _SHIFT
        pairs = np.unique(np.stack([codes[ngram], docs[ngram]], axis=1), axis=0)
        uniq, df = np.unique(pairs[:, 0], return_counts=True)
        keep_mask = df >= self.min_df
        uniq, df = uniq[keep_mask], df[keep_mask]
        if len(uniq) > self.max_features:
            order = np.argsort(-df, kind="stable")[: self.max_features]
            order.sort()
            uniq, df = uniq[order], df[order]
        n_docs = len(normalized)
        idf = np.log((1 + n_docs) / (1 + df)) + 1.0
        lex_codes = KIND_LEXICON * _SHIFT + np.arange(len(LEXICON_FEATURES), dtype=np.int64)
        self.codes_ = np.concatenate([uniq, lex_codes])
        self.idf_ = np.concatenate([idf, np.ones(len(lex_codes))]).astype(np.float32)
        self._prepare()
        return self

    def transform(self, normalized: Sequence[str]) -> sp.csr_matrix:
        n_docs = len(normalized)
        if n_docs == 0:
            return sp.csr_matrix((0, self.n_features_), dtype=np.float32)
        docs, codes, _, _ = self.analyse(normalized)
        return self._matrix(docs, codes, n_docs)

    def _columns(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Column of each feature code, and whether the model kept that feature."""
        kinds = codes >> _BITS
        payload = codes & _MASK
        cols = np.full(len(codes), -1, dtype=np.int64)
        uni = kinds == KIND_UNIGRAM
        cols[uni] = self._uni_col[payload[uni]]
        lex = kinds == KIND_LEXICON
        cols[lex] = self._lex_cols[payload[lex]]
        bi = np.flatnonzero((kinds == KIND_BIGRAM) | (kinds == KIND_BIGRAM_CTX))
        if len(bi):
            p = payload[bi]
            cols[bi] = self._bigram_cols(codes[bi], p // self._vt, p % self._vt)
        ok = cols >= 0
        return np.maximum(cols, 0), ok

    def _bigram_cols(self, codes: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Column of each bigram code (-1 when the model did not keep it); `first`/`second` are its token ids."""
        cols = np.full(len(codes), -1, dtype=np.int64)
        if not len(codes) or not len(self._bi_codes):
            return cols
        bi = np.flatnonzero(self._bi_first[first] & self._bi_second[second])
        query = codes[bi]
        if len(bi) > 256:
            if self._bi_table is None:  # not at load: the hook's single comments never need it
                self._bi_table = _CodeTable(self._bi_codes)
            pos = self._bi_table.index(query)
            hit = pos >= 0
        else:  # a comment or two: one binary search costs less than the table's probing rounds
            pos = np.minimum(np.searchsorted(self._bi_codes, query), len(self._bi_codes) - 1)
            hit = self._bi_codes[pos] == query
        cols[bi[hit]] = pos[hit] + self._bi_start
        return cols

    def entries(self, docs: np.ndarray, cols: np.ndarray, n_docs: int):
        """The non-zero feature values of a batch: (row, column, value), plus, per occurrence,
        the index of its entry and how many occurrences share it (for evidence).

        n-gram values are sublinear TF x IDF, L2-normalised per comment; lexicon
        pattern values are 1 (not normalised, so one metaphor in a long comment counts).
        """
        if self.weighting == "sqrt_length":
            is_ngram = cols < self.n_ngram_
            length = np.bincount(docs[is_ngram], minlength=n_docs).astype(np.float32)
            length[length == 0] = 1.0
            val = np.where(is_ngram, self.idf_[cols] / np.sqrt(length)[docs], np.float32(1.0)).astype(np.float32)
            ones = np.ones(len(cols), dtype=np.int64)
            return docs, cols, val, np.arange(len(cols)), ones
        F = np.int64(self.n_features_)
        keys = docs * F + cols
        uniq, inv, cnt = np.unique(keys, return_inverse=True, return_counts=True)
        rows = uniq // F
        ucols = uniq - rows * F
        is_ngram = ucols < self.n_ngram_
        val = np.where(is_ngram, (1.0 + np.log(cnt, dtype=np.float32)) * self.idf_[ucols], 1.0).astype(np.float32)
        sq = np.where(is_ngram, val.astype(np.float64) ** 2, 0.0)
        norms = np.sqrt(np.bincount(rows, weights=sq, minlength=n_docs))
        norms[norms == 0] = 1.0
        val = np.where(is_ngram, val / norms[rows], val).astype(np.float32)
        return rows, ucols, val, inv, cnt

    def _matrix(self, docs: np.ndarray, codes: np.ndarray, n_docs: int) -> sp.csr_matrix:
        cols, ok = self._columns(codes)
        rows, ucols, val, _, _ = self.entries(docs[ok], cols[ok], n_docs)
        if self.weighting == "sqrt_length":  # repeats are summed by the conversion
            X = sp.csr_matrix((val, (rows, ucols)), shape=(n_docs, self.n_features_), dtype=np.float32)
            X.sum_duplicates()
            return X
        indptr = np.searchsorted(rows, np.arange(n_docs + 1))
        return sp.csr_matrix((val, ucols, indptr), shape=(n_docs, self.n_features_))

    def _decoded(self) -> Iterator[tuple[int, int, tuple[str, ...] | None, str | None]]:
        """Each column as (kind, context, its tokens, lexicon pattern): a unigram has one token and
        its context, a bigram two tokens, a lexicon pattern no tokens but its name."""
        vt = int(self._vt)
        tokens = self.tokens_
        for code in self.codes_.tolist():
            kind, payload = divmod(code, int(_SHIFT))
            if kind == KIND_UNIGRAM:
                c, t = divmod(payload, vt)
                yield kind, c, (tokens[t],), None
            elif kind in (KIND_BIGRAM, KIND_BIGRAM_CTX):
                a, b = divmod(payload, vt)
                yield kind, CTX_PLAIN, (tokens[a], tokens[b]), None
            else:
                yield kind, CTX_PLAIN, None, LEXICON_FEATURES[payload]

    def feature_names(self) -> list[str]:
        """Readable names of the columns (for the model card and debugging)."""
        names = []
        for kind, ctx, toks, pattern in self._decoded():
            if kind == KIND_UNIGRAM:
                names.append(CONTEXT_PREFIX[ctx] + toks[0])
            elif toks is not None:
                names.append(("CTX " if kind == KIND_BIGRAM_CTX else "") + " ".join(toks))
            else:
                names.append("LEX " + pattern)
        return names

    def column_tokens(self) -> list[tuple[str, ...] | None]:
        """The tokens each column is made of: one for a unigram, two for a bigram (whatever
        their context), None for a lexicon pattern. What training asks of a column's words,
        without parsing the readable names of `feature_names`."""
        return [toks for _, _, toks, _ in self._decoded()]


def iter_batches(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]

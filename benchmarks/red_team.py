"""Red team: spelling tricks and everyday phrases that slip flagged comments past the hook.

Takes the comments the model flags (held or rejected) as written: the abusive and
dehumanising rows of data/news_comments.csv, the obfuscated seed comments
(data/obfuscated_seed.csv) and the short comments in `WRITTEN` below (written for
this benchmark). In each, the *offending words* are the words of the evidence spans
the Verdict gives (and of the banned/suspect word matches), less function words
(`STOPWORDS`). Every transform in `TRANSFORMS` rewrites them (character tricks,
word forms) or wraps the comment (context); each result is scored with the same
API and policy as `moderation check`, and a result that is allowed is an
**evasion**. A transform that leaves a comment unchanged (no letter it can change)
is not counted for that comment.

The reverse: the civil comments of data/news_comments.csv (both labels 0) with
the same context wrappers must not become flagged; the table counts those that do.

Transforms draw their choices (which letter, which filler sentence) from a
random.Random seeded with (--seed, transform, comment): a run is reproducible and
one transform's choices do not depend on which others run.

    .venv/bin/python benchmarks/red_team.py [--limit N] [--json FILE] [--seed 20261204]
        [--transforms leet_vowels,no_better_than] [--policy FILE | --model-only] [--model PATH] [--list]

About 15-30 s on one core for the full run (about 135,000 scored texts).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import shlex
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

from moderation.report.highlight import WORD_REASONS  # the policy's reasons that carry a word's span

REPO = Path(__file__).resolve().parent.parent
NEWS = REPO / "data" / "news_comments.csv"
SEED_OBFUSCATED = REPO / "data" / "obfuscated_seed.csv"
DEFAULT_SEED = 20261204

#: Short comments written for this benchmark (not in data/): one or two offending
#: words and little else, where a disguised word has no context to fall back on.
WRITTEN = (
    "They are vermin.",
    "Those people are cockroaches.",
    "Migrants are a plague on this country.",
    "They breed like rats.",
    "Exterminate the lot of them.",
    "You are an idiot.",
    "What a moron.",
    "Shut up, you pathetic clown.",
    "The councillor is a lying scumbag.",
    "Go back to your cave, you animal.",
    "These parasites should be wiped out.",
    "Away fans are subhuman filth.",
    "You stupid bitch.",
    "Fuck off, you prick.",
    "The refugees are swarming in like locusts.",
    "He is a disgusting pig.",
    "Someone should shoot the lot of them.",
    "The mayor is a corrupt bastard.",
    "Protesters are nothing but animals.",
    "Drown every last one of those rats.",
    "You absolute imbecile.",
    "The landlords are leeches.",
    "That tribe are savages.",
    "The new neighbours are filthy pigs.",
    "Get out, you worthless piece of trash.",
    "The opposition are a cancer on democracy.",
    "Hang the traitors.",
    "She is a dumb cow.",
    "The travellers are a disease.",
    "Burn their mosque down.",
)

#: Function words in an evidence span that are not offending words ("every single
#: one of them", "they are like"): left as written.
STOPWORDS = frozenset("""
a an the and or but nor so of to in on at by for from with into onto over under about
as than then that this these those there here their theirs them they they're they've
theyre he him his she her hers it its it's we us our ours you your yours you're youre
i me my mine i'm im is are was were be been being am do does did done have has had
not no yes all any each every single one ones some more most much many lot lots rest
just only even also still ever never always again like such what which who whom whose
when where why how if will would shall should can could may might must let lets get
got go goes going come comes back out up down off very too own same other another
nothing something anything everything everyone someone anyone nobody
""".split())

WORD = re.compile(r"[\w*@$'’]+")
VOWELS = "aeiouAEIOU"


# ----------------------------------------------------------------------------------
# character-level tricks: each takes one word and the rng, returns the word rewritten
# ----------------------------------------------------------------------------------

def _map(word: str, table: dict[str, str]) -> str:
    return "".join(table.get(c, c) for c in word)


def _inner_positions(word: str, chars: str | None = None) -> list[int]:
    """Indices of letters other than the first and last (those in `chars`, if given)."""
    return [i for i in range(1, len(word) - 1) if word[i].isalpha() and (chars is None or word[i] in chars)]


def _letters(word: str) -> list[int]:
    return [i for i, c in enumerate(word) if c.isalpha()]


def _between(word: str, sep: str) -> str:
    """`sep` between every two characters of the word."""
    return sep.join(word)


def _one_inside(word: str, mark: str, rng: random.Random) -> str:
    """`mark` inserted at one inner position (between two letters)."""
    if len(word) < 2:
        return word
    i = rng.randint(1, len(word) - 1)
    return word[:i] + mark + word[i:]


def _after_each(word: str, mark: str) -> str:
    return "".join(c + mark if c.isalpha() else c for c in word)


def _after_one(word: str, mark: str, rng: random.Random) -> str:
    pos = _letters(word)
    if not pos:
        return word
    i = rng.choice(pos)
    return word[:i + 1] + mark + word[i + 1:]


LEET_VOWELS = {"a": "4", "e": "3", "i": "1", "o": "0", "A": "4", "E": "3", "I": "1", "O": "0"}
LEET_FULL = {**LEET_VOWELS, "s": "5", "S": "5", "t": "7", "T": "7", "b": "8", "B": "8", "g": "9", "l": "1"}
CYRILLIC = dict(zip("aceopxyisjhABCEHKMOPTX", "асеорхуіѕјһАВСЕНКМОРТХ"))
GREEK = dict(zip("oaivktupnyxABEHIKMNOPTXYZ", "οαινκτυρηγχΑΒΕΗΙΚΜΝΟΡΤΧΥΖ"))
SMALL_CAPS = dict(zip("abcdefghijklmnopqrstuvwxyz", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡxʏᴢ"))
ACCENTS = dict(zip("aeiouAEIOU", "áéíóúÁÉÍÓÚ"))


def _alpha_block(word: str, lower_start: int | None, upper_start: int | None) -> str:
    """Letters moved to a Unicode block laid out a..z / A..Z (fullwidth, enclosed, math)."""
    out = []
    for c in word:
        if "a" <= c <= "z" and lower_start is not None:
            out.append(chr(lower_start + ord(c) - ord("a")))
        elif "A" <= c <= "Z" and upper_start is not None:
            out.append(chr(upper_start + ord(c) - ord("A")))
        elif "a" <= c <= "z" and upper_start is not None:  # the block has capitals only
            out.append(chr(upper_start + ord(c) - ord("a")))
        elif "A" <= c <= "Z" and lower_start is not None:  # lower case only
            out.append(chr(lower_start + ord(c) - ord("A")))
        else:
            out.append(c)
    return "".join(out)


def _map_one(w, table, rng):
    """`w` with one of its letters that `table` maps (chosen at random) replaced."""
    pos = [i for i, c in enumerate(w) if c in table]
    if not pos:
        return w
    i = rng.choice(pos)
    return w[:i] + table[w[i]] + w[i + 1:]


def leet_vowels(w, rng): return _map(w, LEET_VOWELS)
def leet_full(w, rng): return _map(w, LEET_FULL)


def leet_one(w, rng): return _map_one(w, LEET_FULL, rng)


def at_for_a(w, rng): return w.replace("a", "@").replace("A", "@")
def dollar_for_s(w, rng): return w.replace("s", "$").replace("S", "$")
def pipe_for_i_l(w, rng): return _map(w, {"i": "|", "l": "|", "I": "|"})


def mask_one_vowel(w, rng):
    pos = _inner_positions(w, VOWELS)
    if not pos:
        return w
    i = rng.choice(pos)
    return w[:i] + "*" + w[i + 1:]


def mask_vowels(w, rng): return w[0] + "".join("*" if c in VOWELS else c for c in w[1:]) if w else w
def mask_inner(w, rng): return w[0] + "*" * (len(w) - 2) + w[-1] if len(w) > 2 else w


def mask_one_hash(w, rng):
    pos = _inner_positions(w)
    if not pos:
        return w
    i = rng.choice(pos)
    return w[:i] + "#" + w[i + 1:]


def _spaced(sep: str) -> Callable[[str, random.Random], str]:
    def spaced(w, rng):
        return _between(w, sep)
    return spaced


SEPARATORS = {
    "space": " ", "double_space": "  ", "tab": "\t", "newline": "\n", "nbsp": "\u00a0",
    "thin_space": "\u2009", "dot": ".", "dot_space": ". ", "comma": ",", "comma_space": ", ",
    "hyphen": "-", "underscore": "_", "slash": "/", "pipe": "|", "star": "*", "tilde": "~",
    "plus": "+", "apostrophe": "'", "middle_dot": "\u00b7", "bullet": "\u2022", "emoji": "\U0001f525",
}


def double_all(w, rng): return "".join(c * 2 if c.isalpha() else c for c in w)


def double_one(w, rng):
    pos = _letters(w)
    if not pos:
        return w
    i = rng.choice(pos)
    return w[:i] + w[i] + w[i:]


def stretch_vowel(w, rng):
    pos = [i for i, c in enumerate(w) if c in VOWELS]
    if not pos:
        return w
    i = rng.choice(pos)
    return w[:i] + w[i] * 4 + w[i + 1:]


def stretch_last(w, rng): return w + w[-1] * 3 if w and w[-1].isalpha() else w


def drop_vowel(w, rng):
    pos = _inner_positions(w, VOWELS)
    if not pos or len(w) < 4:
        return w
    i = rng.choice(pos)
    return w[:i] + w[i + 1:]


def drop_inner_vowels(w, rng):
    if len(w) < 4:
        return w
    return w[0] + "".join(c for c in w[1:-1] if c not in VOWELS) + w[-1]


def drop_letter(w, rng):
    pos = _inner_positions(w)
    if not pos or len(w) < 4:
        return w
    i = rng.choice(pos)
    return w[:i] + w[i + 1:]


def swap_neighbours(w, rng):
    pos = [i for i in range(1, len(w) - 2) if w[i].isalpha() and w[i + 1].isalpha() and w[i] != w[i + 1]]
    if not pos:
        return w
    i = rng.choice(pos)
    return w[:i] + w[i + 1] + w[i] + w[i + 2:]


def shuffle_inner(w, rng):
    if len(w) < 4:
        return w
    inner = list(w[1:-1])
    for _ in range(5):  # a shuffle that changes something, if one exists
        rng.shuffle(inner)
        out = w[0] + "".join(inner) + w[-1]
        if out != w:
            return out
    return w


def cyrillic_all(w, rng): return _map(w, CYRILLIC)


def cyrillic_one(w, rng): return _map_one(w, CYRILLIC, rng)


def greek_all(w, rng): return _map(w, GREEK)


def greek_one(w, rng): return _map_one(w, GREEK, rng)


def homoglyph_mixed(w, rng):
    """Each letter that has a Cyrillic or Greek look-alike takes one of them at random."""
    out = []
    for c in w:
        options = [t[c] for t in (CYRILLIC, GREEK) if c in t]
        out.append(rng.choice(options) if options else c)
    return "".join(out)


def small_caps(w, rng): return _map(w.lower(), SMALL_CAPS)
def fullwidth(w, rng): return _alpha_block(w, 0xFF41, 0xFF21)
def math_bold(w, rng): return _alpha_block(w, 0x1D41A, 0x1D400)
def math_double_struck(w, rng): return _alpha_block(w.lower(), 0x1D552, None)
def parenthesized(w, rng): return _alpha_block(w.lower(), 0x249C, None)
def circled(w, rng): return _alpha_block(w, 0x24D0, 0x24B6)
def negative_circled(w, rng): return _alpha_block(w.upper(), None, 0x1F150)
def squared(w, rng): return _alpha_block(w.upper(), None, 0x1F130)
def regional_indicators(w, rng): return _alpha_block(w.upper(), None, 0x1F1E6)
def zero_width_space_each(w, rng): return _between(w, "\u200b")
def zero_width_space_one(w, rng): return _one_inside(w, "\u200b", rng)
def zero_width_joiner_one(w, rng): return _one_inside(w, "\u200d", rng)
def zero_width_non_joiner_one(w, rng): return _one_inside(w, "\u200c", rng)
def word_joiner_one(w, rng): return _one_inside(w, "\u2060", rng)
def soft_hyphen_one(w, rng): return _one_inside(w, "\u00ad", rng)
def bom_one(w, rng): return _one_inside(w, "\ufeff", rng)
def hangul_filler_one(w, rng): return _one_inside(w, "\u3164", rng)
def variation_selector_one(w, rng): return _after_one(w, "\ufe0f", rng)
def variation_selector_each(w, rng): return _after_each(w, "\ufe0e")
def grapheme_joiner_one(w, rng): return _after_one(w, "\u034f", rng)
def combining_acute_each(w, rng): return _after_each(w, "\u0301")
def combining_acute_one(w, rng): return _after_one(w, "\u0301", rng)
def combining_strike_each(w, rng): return _after_each(w, "\u0336")
def combining_underline_each(w, rng): return _after_each(w, "\u0332")
def enclosing_circle_each(w, rng): return _after_each(w, "\u20dd")
def accented_vowels(w, rng): return _map(w, ACCENTS)
def rtl_override(w, rng): return "\u202e" + w[::-1] + "\u202c"
def upper_case(w, rng): return w.upper()
def alternating_case(w, rng): return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(w))
def dot_inside(w, rng): return _one_inside(w, ".", rng)
def apostrophe_inside(w, rng): return _one_inside(w, "'", rng)


# ----------------------------------------------------------------------------------
# word-level: the word's form, or the word inside a larger token
# ----------------------------------------------------------------------------------

def hyphenated(w, rng): return w[:len(w) // 2] + "-" + w[len(w) // 2:] if len(w) >= 4 else w
def in_url_path(w, rng): return f"https://www.example.com/news/{w.lower()}"
def in_url_domain(w, rng): return f"www.{w.lower()}.com"
def as_mention(w, rng): return "@" + w
def as_hashtag(w, rng): return "#" + w


def plural_singular(w, rng):
    """A plural made singular, a singular made plural (regular forms)."""
    lower = w.lower()
    if lower.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if lower.endswith(("ches", "shes", "xes", "sses")):
        return w[:-2]
    if lower.endswith("s") and not lower.endswith("ss"):
        return w[:-1]
    if lower.endswith(("s", "x", "ch", "sh")):
        return w + "es"
    if lower.endswith("y") and len(w) > 2 and lower[-2] not in "aeiou":
        return w[:-1] + "ies"
    return w + "s"


def possessive(w, rng): return w + "'s"


def _on_head(fn: Callable[[str, random.Random], str]) -> Callable:
    """A word transform applied to the head offending word only (`Transform.apply`): a
    plural or a possessive is a noun's, and the head is the metaphor or insult itself."""
    def on_head(text, spans, rng, filler, head=None):
        return _rewrite(text, [head or spans[-1]], lambda w: fn(w, rng))
    on_head.__name__ = fn.__name__
    return on_head


# text-level word transforms: (text, word spans, rng) -> text

def _rewrite(text: str, spans: Sequence[tuple[int, int]], fn: Callable[[str], str]) -> str:
    """`text` with each span replaced by fn(span text), spans in text order, not overlapping."""
    out, last = [], 0
    for s, e in spans:
        out.append(text[last:s])
        out.append(fn(text[s:e]))
        last = e
    out.append(text[last:])
    return "".join(out)


def run_together(text, spans, rng, filler, head=None):
    """Each offending word glued to the word before it (after it, at the start)."""
    return _glue(text, spans, camel=False)


def camel_case(text, spans, rng, filler, head=None):
    return _glue(text, spans, camel=True)


def _glue(text: str, spans: Sequence[tuple[int, int]], camel: bool) -> str:
    chars = list(text)
    drop: set[int] = set()
    upper: set[int] = set()
    for s, e in spans:
        gap = s - 1
        if gap >= 1 and text[gap] == " " and text[gap - 1].isalnum():
            drop.add(gap)
            upper.add(s)
        elif e < len(text) - 1 and text[e] == " " and text[e + 1].isalnum():
            drop.add(e)
            upper.add(e + 1)
    if camel:
        for i in upper:
            chars[i] = chars[i].upper()
        # the word before a glued word starts with a capital too
        for i in drop:
            j = i - 1
            while j > 0 and text[j - 1].isalnum():
                j -= 1
            chars[j] = chars[j].upper()
    return "".join(c for i, c in enumerate(chars) if i not in drop)


# ----------------------------------------------------------------------------------
# context: the comment wrapped, or a phrase before the first offending word
# ----------------------------------------------------------------------------------

def _lower_first(text: str) -> str:
    """The comment's first letter in lower case, to follow a lead-in ("As someone said, they ...")."""
    first = text.split(" ", 1)[0]
    if len(text) > 1 and text[0].isupper() and text[1:2].islower() and first not in ("I", "I'm", "I've", "I'd", "I'll"):
        return text[0].lower() + text[1:]
    return text


def _prefix(lead: str) -> Callable:
    def wrap(text, spans, rng, filler, head=None):
        return lead + _lower_first(text)
    return wrap


def _before_head(phrase: str) -> Callable:
    """`phrase` before the head offending word (`Transform.apply`), or before its article."""
    def wrap(text, spans, rng, filler, head=None):
        s = (head or spans[0])[0]
        article = re.search(r"\b(?:an?|the|An?|The) $", text[:s])
        if article:
            s = article.start()
        if s == 0 and text[:1].isupper() and text[1:2].islower():
            return phrase[0].upper() + phrase[1:] + text[0].lower() + text[1:]
        return text[:s] + phrase + text[s:]
    return wrap


def _quote_words(mark: str) -> Callable:
    def wrap(text, spans, rng, filler, head=None):
        return _rewrite(text, spans, lambda w: mark + w + mark)
    return wrap


def civil_sentence_before(text, spans, rng, filler, head=None):
    return rng.choice(filler) + " " + text


def _civil_text(words: int, before: bool) -> Callable:
    def wrap(text, spans, rng, filler, head=None):
        pieces, n = [], 0
        for sentence in rng.sample(filler, len(filler)):
            pieces.append(sentence)
            n += len(sentence.split())
            if n >= words:
                break
        civil = " ".join(pieces)
        return civil + " " + text if before else text + " " + civil
    return wrap


def quoted_comment(text, spans, rng, filler, head=None): return f'"{text}"'
def quoted_comment_indeed(text, spans, rng, filler, head=None): return f'"{text}" Indeed.'


# ----------------------------------------------------------------------------------
# the registry
# ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Transform:
    name: str
    family: str  # character, word, context
    fn: Callable
    per_word: bool  # fn(word, rng) on each offending word; else fn(text, spans, rng, filler, head)
    doc: str = ""

    def apply(self, text: str, spans: Sequence[tuple[int, int]], rng: random.Random,
              filler: Sequence[str] = (), head: tuple[int, int] | None = None) -> str:
        """`text` transformed; `spans` are the offending words, `head` the one a phrase
        goes before ("no better than", "what I would call"; default the first)."""
        if self.per_word:
            return _rewrite(text, spans, lambda w: self.fn(w, rng))
        return self.fn(text, spans, rng, filler, head)


def _registry() -> list[Transform]:
    t: list[Transform] = []

    def char(fn, doc="", name=None):
        t.append(Transform(name or fn.__name__, "character", fn, True, doc))

    def word(fn, doc="", per_word=True, name=None):
        t.append(Transform(name or fn.__name__, "word", fn, per_word, doc))

    def ctx(name, fn, doc=""):
        t.append(Transform(name, "context", fn, False, doc))

    for fn in (leet_vowels, leet_full, leet_one, at_for_a, dollar_for_s, pipe_for_i_l,
               mask_one_vowel, mask_vowels, mask_inner, mask_one_hash):
        char(fn)
    for key, sep in SEPARATORS.items():
        char(_spaced(sep), f"letters separated by {sep!r}", name=f"spaced_{key}")
    for fn in (double_all, double_one, stretch_vowel, stretch_last, drop_vowel, drop_inner_vowels,
               drop_letter, swap_neighbours, shuffle_inner, cyrillic_all, cyrillic_one, greek_all,
               greek_one, homoglyph_mixed, small_caps, fullwidth, math_bold, math_double_struck,
               parenthesized, circled, negative_circled, squared, regional_indicators,
               zero_width_space_each, zero_width_space_one, zero_width_joiner_one,
               zero_width_non_joiner_one, word_joiner_one, soft_hyphen_one, bom_one, hangul_filler_one,
               variation_selector_one, variation_selector_each, grapheme_joiner_one,
               combining_acute_each, combining_acute_one, combining_strike_each,
               combining_underline_each, enclosing_circle_each, accented_vowels, rtl_override,
               upper_case, alternating_case, dot_inside, apostrophe_inside):
        char(fn)
    word(run_together, "glued to the word before", per_word=False)
    word(camel_case, "glued to the word before, in camelCase", per_word=False)
    for fn in (hyphenated, in_url_path, in_url_domain, as_mention, as_hashtag):
        word(fn)
    word(_on_head(plural_singular), "the head word's plural made singular or singular plural", per_word=False)
    word(_on_head(possessive), "the head word with 's", per_word=False)
    ctx("civil_sentence_before", civil_sentence_before, "a civil sentence before the comment")
    ctx("civil_text_after_50w", _civil_text(50, before=False), "~50 civil words after the comment")
    ctx("civil_text_after_100w", _civil_text(100, before=False), "~100 civil words after the comment")
    ctx("civil_text_after_150w", _civil_text(150, before=False), "~150 civil words after the comment")
    ctx("civil_text_after_300w", _civil_text(300, before=False), "~300 civil words after the comment")
    ctx("civil_text_before_300w", _civil_text(300, before=True), "~300 civil words before the comment")
    ctx("no_better_than", _before_head("no better than "))
    ctx("nothing_but", _before_head("nothing but "))
    ctx("without_doubt", _before_head("without doubt "))
    ctx("without_a_doubt", _before_head("without a doubt "))
    ctx("no_doubt", _before_head("no doubt "))
    ctx("not_only", _before_head("not only "))
    ctx("what_i_would_call", _before_head("what I would call "))
    ctx("what_my_dad_called", _before_head("what my dad called "))
    ctx("not_racist_but", _prefix("I'm not racist but "))
    ctx("as_someone_rightly_said", _prefix("As someone rightly said, "))
    ctx("as_my_dad_always_said", _prefix("As my dad always said, "))
    ctx("like_they_say", _prefix("Like they say, "))
    ctx("i_agree_with_whoever_said", _prefix("I agree with whoever said that "))
    ctx("am_i_the_only_one", _prefix("Am I the only one who thinks "))
    ctx("quoted_comment", quoted_comment, "the whole comment in double quotation marks")
    ctx("quoted_comment_indeed", quoted_comment_indeed, '"..." Indeed.')
    ctx("quoted_words", _quote_words('"'), "double quotation marks around each offending word")
    ctx("single_quoted_words", _quote_words("'"), "single quotation marks around each offending word")
    return t


TRANSFORMS: list[Transform] = _registry()
BY_NAME = {tr.name: tr for tr in TRANSFORMS}
assert len(BY_NAME) == len(TRANSFORMS), "transform names must be unique"


def rng_for(seed: int, transform: str, key: str) -> random.Random:
    """The random choices of one transform on one comment (str seeds hash with sha512: stable)."""
    return random.Random(f"{seed}|{transform}|{key}")


# ----------------------------------------------------------------------------------
# offending words
# ----------------------------------------------------------------------------------

def flagged_spans(verdict) -> list[tuple[int, int]]:
    """Character spans the verdict blames: evidence spans and banned/suspect word matches."""
    spans = [(e.start, e.end) for e in verdict.evidence]
    spans += [(r["start"], r["end"]) for r in verdict.reasons if r.get("kind") in WORD_REASONS and "start" in r]
    return spans


def offending_words(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The words inside `spans` that are not function words, in text order, merged.

    A word is a run of letters, digits, `* @ $` and apostrophes (so `sc*m`, `0rcs` are
    words), trimmed of apostrophes at its ends, of 3+ characters with 2+ letters or
    digits. When no such word is found but spans exist, the longest span's words
    of 2+ characters are taken (the seed's `o r c s` are single letters: none).
    """
    spans = sorted(set(spans))
    found: set[tuple[int, int]] = set()
    fallback: list[tuple[int, int]] = []
    for s, e in spans:
        for m in WORD.finditer(text, s, e):
            ws, we = m.span()
            while ws < we and text[ws] in "'’":
                ws += 1
            while we > ws and text[we - 1] in "'’":
                we -= 1
            w = text[ws:we]
            if len(w) >= 2:
                fallback.append((ws, we))
            if len(w) >= 3 and sum(c.isalnum() for c in w) >= 2 and w.lower() not in STOPWORDS:
                found.add((ws, we))
    if found:
        return sorted(found)
    return sorted(set(fallback))


def head_word(words: Sequence[tuple[int, int]], verdict) -> tuple[int, int] | None:
    """The offending word a phrase goes before: the last one inside the heaviest evidence
    span (the first offending word when no evidence span holds one)."""
    for e in sorted(verdict.evidence, key=lambda e: -e.weight):
        inside = [w for w in words if e.start <= w[0] and w[1] <= e.end]
        if inside:
            return inside[-1]
    return words[0] if words else None


def pseudo_words(text: str, rng: random.Random) -> list[tuple[int, int]]:
    """For a civil comment (no evidence): one word of 4+ letters, not a function word, at random."""
    words = [m.span() for m in re.finditer(r"[A-Za-z]{4,}", text) if m.group().lower() not in STOPWORDS]
    if not words:
        words = [m.span() for m in re.finditer(r"\w+", text)]
    return [rng.choice(words)] if words else []


# ----------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------

@dataclass
class Comment:
    key: str  # source:id, for the seeded choices and the JSON
    text: str


def load_sources(news: Path = NEWS, obfuscated: Path = SEED_OBFUSCATED
                 ) -> tuple[list[Comment], list[Comment], list[str]]:
    """(offending candidates, civil comments, civil filler sentences) from data/ and `WRITTEN`.

    Offending candidates are rows labelled abusive or dehumanising, every obfuscated seed
    comment and `WRITTEN`; civil ones are rows with both labels 0; filler is the
    `neutral` category's rows (ordinary on-topic comments).
    """
    offending, civil, filler = [], [], []
    with open(news, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            c = Comment(f"news:{row['id']}", row["text"])
            if row["abusive"] == "1" or row["dehumanising"] == "1":
                offending.append(c)
            else:
                civil.append(c)
                if row["category"] == "neutral":
                    filler.append(row["text"])
    with open(obfuscated, encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), 1):
            offending.append(Comment(f"seed:{i}:{row['technique']}", row["text"]))
    offending += [Comment(f"written:{i}", t) for i, t in enumerate(WRITTEN, 1)]
    return offending, civil, filler


def _sample(items: list, limit: int | None, seed: int, what: str) -> list:
    if limit is None or limit >= len(items):
        return items
    return sorted(random.Random(f"{seed}|{what}").sample(items, limit), key=items.index)


# ----------------------------------------------------------------------------------
# the run
# ----------------------------------------------------------------------------------

@dataclass
class Row:
    transform: str
    family: str
    applied: int = 0
    flagged: int = 0  # still held or rejected
    allowed: int = 0  # evasions
    rejected_to_held: int = 0  # still flagged, but held where the original was rejected

    @property
    def rate(self) -> float:
        return self.allowed / self.applied if self.applied else 0.0

    def to_dict(self) -> dict:
        return {"transform": self.transform, "family": self.family, "applied": self.applied,
                "still_flagged": self.flagged, "allowed": self.allowed,
                "evasion_rate": round(self.rate, 4), "rejected_to_held": self.rejected_to_held}


@dataclass
class CivilRow:
    transform: str
    applied: int = 0
    flagged_before: int = 0
    flagged_after: int = 0
    newly_flagged: int = 0  # allowed as written, held or rejected once wrapped

    def to_dict(self) -> dict:
        return {"transform": self.transform, "applied": self.applied, "flagged_as_written": self.flagged_before,
                "flagged_after": self.flagged_after, "newly_flagged": self.newly_flagged}


@dataclass
class Result:
    model_version: str
    policy: str
    seed: int
    candidates: int
    flagged_as_written: int
    rows: list[Row]
    civil_comments: int
    civil_flagged_as_written: int
    civil_rows: list[CivilRow]
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)
    scored: int = 0
    seconds: float = 0.0

    def totals(self) -> dict:
        applied = sum(r.applied for r in self.rows)
        allowed = sum(r.allowed for r in self.rows)
        civil_applied = sum(r.applied for r in self.civil_rows)
        return {"applied": applied, "still_flagged": sum(r.flagged for r in self.rows), "allowed": allowed,
                "evasion_rate": round(allowed / applied, 4) if applied else 0.0,
                "civil_applied": civil_applied,
                "civil_newly_flagged": sum(r.newly_flagged for r in self.civil_rows)}

    def to_dict(self) -> dict:
        return {"model_version": self.model_version, "policy": self.policy, "seed": self.seed,
                "candidates": self.candidates, "flagged_as_written": self.flagged_as_written,
                "sources": self.sources, "transforms": [r.to_dict() for r in self.rows],
                "totals": self.totals(), "civil_comments": self.civil_comments,
                "civil_flagged_as_written": self.civil_flagged_as_written,
                "civil": [r.to_dict() for r in self.civil_rows], "examples": self.examples,
                "scored_texts": self.scored, "seconds": round(self.seconds, 2)}


def run(moderator, offending: Sequence[Comment], civil: Sequence[Comment] = (), filler: Sequence[str] = (),
        transforms: Sequence[Transform] = TRANSFORMS, seed: int = DEFAULT_SEED, policy_name: str = "") -> Result:
    """Score `offending` as written, transform the flagged ones, score every result and count.

    `moderator` is a loaded model (its policy decides: give it the hook's with
    `load_policy(card=...)`). `civil` comments get the context transforms only.
    `filler` is the civil text the context transforms draw on (civil_sentence_before,
    civil_text_*); without it those transforms are skipped.
    """
    started = time.perf_counter()
    scored = 0
    originals = moderator.score([c.text for c in offending])
    scored += len(offending)
    targets: list[tuple[Comment, str, list[tuple[int, int]], tuple[int, int] | None]] = []
    sources: dict[str, dict[str, int]] = {}
    for c, v in zip(offending, originals):
        src = sources.setdefault(c.key.split(":", 1)[0], {"comments": 0, "flagged": 0})
        src["comments"] += 1
        if v.decision == "allow":
            continue
        words = offending_words(c.text, flagged_spans(v))
        if not words:
            continue
        src["flagged"] += 1
        targets.append((c, v.decision, words, head_word(words, v)))
    transforms = [t for t in transforms if filler or not t.name.startswith("civil_")]
    texts: list[str] = []
    owners: list[tuple[int, int]] = []  # (transform index, target index)
    examples: dict[str, str] = {}
    for ti, tr in enumerate(transforms):
        for ci, (c, _, words, head) in enumerate(targets):
            new = tr.apply(c.text, words, rng_for(seed, tr.name, c.key), filler, head)
            if new != c.text:
                texts.append(new)
                owners.append((ti, ci))
                examples.setdefault(tr.name, new)
    rows = [Row(t.name, t.family) for t in transforms]
    for (ti, ci), v in zip(owners, moderator.score(texts)):
        row = rows[ti]
        row.applied += 1
        if v.decision == "allow":
            row.allowed += 1
        else:
            row.flagged += 1
            if targets[ci][1] == "reject" and v.decision == "hold":
                row.rejected_to_held += 1
    scored += len(texts)

    civil_rows: list[CivilRow] = []
    civil_flagged = 0
    if civil:
        before = moderator.score([c.text for c in civil])
        scored += len(civil)
        was_flagged = [v.decision != "allow" for v in before]
        civil_flagged = sum(was_flagged)
        ctx = [t for t in transforms if t.family == "context"]
        ctexts, cowners = [], []
        for ti, tr in enumerate(ctx):
            for ci, c in enumerate(civil):
                rng = rng_for(seed, tr.name, c.key)
                words = pseudo_words(c.text, random.Random(f"{seed}|word|{c.key}"))
                if not words:
                    continue
                new = tr.apply(c.text, words, rng, filler, words[0])
                if new != c.text:
                    ctexts.append(new)
                    cowners.append((ti, ci))
        civil_rows = [CivilRow(t.name) for t in ctx]
        for (ti, ci), v in zip(cowners, moderator.score(ctexts)):
            row = civil_rows[ti]
            row.applied += 1
            flagged = v.decision != "allow"
            row.flagged_before += was_flagged[ci]
            row.flagged_after += flagged
            row.newly_flagged += flagged and not was_flagged[ci]
        scored += len(ctexts)
    return Result(model_version=moderator.version, policy=policy_name, seed=seed, candidates=len(offending),
                  flagged_as_written=len(targets), rows=rows, civil_comments=len(civil),
                  civil_flagged_as_written=civil_flagged, civil_rows=civil_rows, sources=sources,
                  examples=examples, scored=scored, seconds=time.perf_counter() - started)


# ----------------------------------------------------------------------------------
# report
# ----------------------------------------------------------------------------------

def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def report(result: Result, command: str, top: int = 15) -> str:
    lines = [f"command: `{command}`",
             f"model `{result.model_version}`, policy: {result.policy}, seed {result.seed}",
             ""]
    src = ", ".join(f"{k} {v['flagged']:,} of {v['comments']:,}" for k, v in result.sources.items())
    lines.append(f"Flagged as written (held or rejected, with offending words): {result.flagged_as_written:,} "
                 f"of {result.candidates:,} candidates ({src}).")
    lines += ["applied: comments the transform changed; allowed: evasions (the hook would publish it); "
              "reject -> hold: still flagged, but held where the comment as written was rejected.",
              "", "| transform | family | applied | still flagged | allowed | evasion rate | reject -> hold |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for r in result.rows:
        lines.append(f"| {r.transform} | {r.family} | {r.applied:,} | {r.flagged:,} | {r.allowed:,} | "
                     f"{_pct(r.allowed, r.applied)} | {r.rejected_to_held:,} |")
    tot = result.totals()
    lines.append(f"| **total** ({len(result.rows)} transforms) | | {tot['applied']:,} | {tot['still_flagged']:,} | "
                 f"{tot['allowed']:,} | {_pct(tot['allowed'], tot['applied'])} | "
                 f"{sum(r.rejected_to_held for r in result.rows):,} |")
    for family in ("character", "word", "context"):
        fam = [r for r in result.rows if r.family == family]
        if fam:
            a, e = sum(r.applied for r in fam), sum(r.allowed for r in fam)
            lines.append(f"| total {family} ({len(fam)}) | | {a:,} | {a - e:,} | {e:,} | {_pct(e, a)} | |")
    ranked = sorted((r for r in result.rows if r.applied), key=lambda r: (-r.rate, r.transform))[:top]
    lines += ["", f"Top {len(ranked)} evasion rates: " + "; ".join(
        f"{r.transform} {r.allowed}/{r.applied} ({_pct(r.allowed, r.applied)})" for r in ranked)]
    if result.civil_rows:
        lines += ["", f"Civil comments (both labels 0) with the context wrappers: {result.civil_comments:,} "
                      f"comments, {result.civil_flagged_as_written:,} flagged as written.", "",
                  "| transform | applied | flagged as written | flagged after | newly flagged |",
                  "|---|---:|---:|---:|---:|"]
        for r in result.civil_rows:
            lines.append(f"| {r.transform} | {r.applied:,} | {r.flagged_before:,} | {r.flagged_after:,} | "
                         f"{r.newly_flagged:,} ({_pct(r.newly_flagged, r.applied)}) |")
        a, n = tot["civil_applied"], tot["civil_newly_flagged"]
        lines.append(f"| **total** | {a:,} | {sum(r.flagged_before for r in result.civil_rows):,} | "
                     f"{sum(r.flagged_after for r in result.civil_rows):,} | {n:,} ({_pct(n, a)}) |")
    lines += ["", f"{result.scored:,} texts scored in {result.seconds:.1f} s"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None,
                        help="at most N offending and N civil comments (a seeded sample; quick run)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--transforms", default=None, help="comma-separated transform names (default: all)")
    parser.add_argument("--model", type=Path, default=None, help="a model (default: the shipped one)")
    policy = parser.add_mutually_exclusive_group()
    policy.add_argument("--policy", type=Path, default=None,
                        help="a policy TOML file (default: the shipped default policy, as `moderation check`)")
    policy.add_argument("--model-only", action="store_true",
                        help="decide on the model card's thresholds alone (no word lists), as bare load_model()")
    parser.add_argument("--no-civil", action="store_true", help="skip the civil comments")
    parser.add_argument("--list", action="store_true", help="list the transforms with an example and exit")
    args = parser.parse_args(argv)
    command = shlex.join(["python", "benchmarks/red_team.py", *(sys.argv[1:] if argv is None else argv)])

    chosen = TRANSFORMS
    if args.transforms:
        names = [n.strip() for n in args.transforms.split(",") if n.strip()]
        unknown = [n for n in names if n not in BY_NAME]
        if unknown:
            print(f"unknown transform(s): {', '.join(unknown)} (see --list)", file=sys.stderr)
            return 2
        chosen = [BY_NAME[n] for n in names]
    if args.list:
        demo = "Honestly, they are cockroaches and he is an idiot."
        spans = offending_words(demo, [(demo.index(w), demo.index(w) + len(w)) for w in ("cockroaches", "idiot")])
        for tr in chosen:
            out = tr.apply(demo, spans, rng_for(args.seed, tr.name, "demo"), ["The bins were late again."])
            shown = out.encode("unicode_escape").decode("ascii") if any(
                unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in out) else out
            print(f"{tr.family:9} {tr.name:28} {shown}")
        return 0

    from moderation import load_model, load_policy

    moderator = load_model(args.model) if args.model else load_model()
    if args.model_only:
        policy_name = "model card thresholds only (no word lists)"
    else:
        moderator.policy = load_policy(args.policy, card=moderator.card)
        policy_name = str(args.policy) if args.policy else "shipped default (as `moderation check`)"
    offending, civil, filler = load_sources()
    offending = _sample(offending, args.limit, args.seed, "offending")
    civil = [] if args.no_civil else _sample(civil, args.limit, args.seed, "civil")
    # filler must be civil for the model: the neutral rows it allows as written
    filler = [t for t, v in zip(filler, moderator.score(filler)) if v.decision == "allow"]
    wall = time.perf_counter()
    result = run(moderator, offending, civil, filler, chosen, args.seed, policy_name)
    print(report(result, command))
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"run at {started}; wall time {time.perf_counter() - wall:.1f} s")
    if args.json:
        out = {"command": command, "run_at": started, **result.to_dict()}
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

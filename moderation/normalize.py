"""Text normalisation before features, with a map back to the original offsets.

People who want to get abuse past a filter write `c0ckr0aches`, `f*ck`,
`p a r a s i t e s`, `r. a. t. s`, Cyrillic look-alike letters, small capitals,
`scuuuum`, an invisible character or an emoji inside a word, or a word stored
reversed under a right-to-left override (read both as shown and as stored). The model only
sees the normalised text, so all of these reach the same features as the
plain spelling. Evidence spans must point into the *original* comment, so
the single-text path (`normalize_with_offsets`) keeps, for every normalised
character, the original character range it came from.

Two paths share the same regular-expression steps, so they agree:

* `normalize_batch(texts)` joins the batch with a record separator and runs
  each step once over the joined string (the scoring hot path: no per-text
  Python work);
* `normalize_with_offsets(text)` runs the same steps with offset tracking
  (used for evidence, only on the comments that are flagged).

Leetspeak and masked letters are undone only when the result is a word the
lexicon knows (a dehumanising term, a swear word or an insult), so `covid19`
or `2nd` are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Sequence

import numpy as np

#: Joins texts in the batch path. It is whitespace to `\s`, never a letter,
#: so no step can match across two comments.
SEP = "\x1e"

URL_TOKEN = " xurlx "
MENTION_TOKEN = " xmentionx "

#: Look-alike letters (Cyrillic, Greek) that NFKC leaves alone.
HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ɡ": "g", "ɩ": "i", "ʀ": "r", "ᴄ": "c", "ᴏ": "o", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ѡ": "w", "ԛ": "q", "ɑ": "a", "ø": "o", "ß": "ss",
    "\u2019": "'", "\u2018": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": " - ", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    "\u00a0": " ", "\u2022": " ", "\u2026": "...",
}
#: More look-alikes of Latin letters (QA pass 6): a hand table restricted to Latin targets rather
#: than Unicode's whole confusables data, which also maps digits, punctuation and every Greek
#: and Cyrillic letter (more of real Greek/Cyrillic text would turn into English-looking tokens).
#: Small capitals and other Latin letters NFKD leaves alone:
HOMOGLYPHS.update(zip("ᴀʙᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴘꞯꜱᴛʏ", "abdefghijklmnpqsty"))
HOMOGLYPHS.update({"ı": "i", "ǀ": "l", "ɾ": "r", "ᴑ": "o", "ʋ": "u", "ɦ": "h", "ƚ": "t", "ƈ": "c", "ɱ": "m", "ƙ": "k",
                   "ɗ": "d", "ɓ": "b", "ƥ": "p", "ⱱ": "v", "ƒ": "f"})
#: Cyrillic, Greek and Armenian letters shaped like Latin ones:
HOMOGLYPHS.update({"ӏ": "l", "Ӏ": "l", "һ": "h", "ԝ": "w", "ѵ": "v", "п": "n", "г": "r", "ԍ": "g", "ь": "b", "ц": "u", "ҽ": "e",
                   "γ": "y", "ϲ": "c", "Ϲ": "c", "ϳ": "j",
                   "օ": "o", "ս": "u", "ո": "n", "հ": "h", "ց": "g", "զ": "q", "ժ": "d", "ռ": "n"})
#: Cherokee capitals shaped like Latin capitals (and their small forms, which `str.lower` gives):
_CHEROKEE = dict(zip("ᎪᏴᏟᎠᎬᏀᎻᎥᎫᏦᏞᎷᎾᏢᎡᏚᎢᏙᏔᎳᏃᎩ", "abcdeghijklmoprstvwwzy"))
HOMOGLYPHS.update(_CHEROKEE)
HOMOGLYPHS.update({k.lower(): v for k, v in _CHEROKEE.items()})
#: Letters in parentheses (NFKC makes "(a)", whose brackets would split the word), negative
#: circled and negative squared letters, regional indicators (a lone pair is a flag: `_fold_match`).
for _first in (0x249C, 0x1F150, 0x1F170, 0x1F1E6):
    HOMOGLYPHS.update((chr(_first + _k), chr(97 + _k)) for _k in range(26))

#: Leetspeak and masking characters -> the letters they may stand for
#: (`*`, `#` and `_` may stand for any letter).
LEET = {
    "0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "il", "+": "t", "€": "e", "(": "c",
}
WILDCARDS = set("*#_")


#: Unicode categories of the characters of other scripts that folding keeps: letters
#: (not modifier letters such as the okina or a stress mark) and digits.
_SCRIPT_CHARS = frozenset({"Lu", "Ll", "Lt", "Lo", "Nd", "Nl", "No"})


#: Default-ignorable fillers that are not marks or format characters (Hangul fillers are
#: letters, the Braille blank a symbol, U+180E a format character in old Unicode versions):
#: they are invisible, so they are deleted like the marks and format characters.
_IGNORABLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180b\u180c\u180d\u180e\u180f")


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    """One non-ASCII character -> lower-case ASCII-ish text (homoglyphs, NFKC, accents)."""
    if ch in _IGNORABLE or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        # Invisible: combining and enclosing marks (also those of combining class 0 that NFKD
        # keeps, such as U+20DD, U+0489, the combining grapheme joiner and the variation
        # selectors), format characters. Nothing, not a space: `ver\ufe0fmin` is one word.
        # A variation selector after an emoji goes, and the emoji becomes a space.
        return ""
    lowered = ch.lower()
    if lowered in HOMOGLYPHS:
        return HOMOGLYPHS[lowered]
    if ch in HOMOGLYPHS:
        return HOMOGLYPHS[ch]
    out = unicodedata.normalize("NFKC", ch)
    out = "".join(HOMOGLYPHS.get(c, c) for c in out)
    decomposed = unicodedata.normalize("NFKD", out)
    out = "".join(c for c in decomposed if not unicodedata.combining(c))
    out = out.lower()
    if len(out) == 1 and unicodedata.category(out) in ("Cc", "Cf", "Zl", "Zp", "Zs"):
        return " " if unicodedata.category(out).startswith("Z") or out in "\t\n\r" else ""
    if not out.isascii():
        # Emoji, symbols and box drawing are never part of a token: a space, so the batch
        # stays ASCII (one emoji makes Python store the whole joined batch four bytes a
        # character, and every later step several times slower). Letters and digits of
        # other scripts are kept, and so are the leetspeak symbols ("€").
        out = "".join(c if c.isascii() or unicodedata.category(c) in _SCRIPT_CHARS or c in LEET else " " for c in out)
    return out


@lru_cache(maxsize=1)
def _targets() -> dict[int, list[str]]:
    """Words that leetspeak and masks are resolved to, by length (lexicon terms)."""
    from moderation.lexicon import load_lexicon

    by_len: dict[int, list[str]] = {}
    for word in load_lexicon().target_words():
        if word.isalpha():
            by_len.setdefault(len(word), []).append(word)
    return by_len


@lru_cache(maxsize=65536)
def _resolve_masked(word: str) -> str | None:
    """`c0ckr0aches` -> `cockroaches`, `f*ck` -> `fuck`; None when nothing fits."""
    candidates = _targets().get(len(word), ())
    for cand in candidates:
        for w, c in zip(word, cand):
            if w == c or w in WILDCARDS:
                continue
            if c not in LEET.get(w, ""):
                break
        else:
            return cand
    return None


@dataclass(frozen=True)
class _Step:
    """One normalisation step, and how the batch path finds the texts it may change
    (`literals`, or `_spaced_docs` for the spaced-letter steps; the full pattern then runs
    on those texts only)."""

    pattern: re.Pattern
    repl: Callable[[re.Match], str] | str
    #: The leetspeak step's cheap pattern, hit in every run its full pattern changes (`_leet_batch`).
    seed: re.Pattern | None = None
    #: Plain strings, one of which every text the step changes contains: found with `str.find`.
    literals: tuple[str, ...] = ()

    def sub(self, text: str) -> str:
        return self.pattern.sub(self.repl, text)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LEET_CHARS = r"a-z0-9@$!|+*#_(€"

_REPEAT = re.compile(r"([a-z])\1{2,}")


def collapse_repeats(token: str) -> str:
    """Letters repeated three or more times -> one ("scuuuum" -> "scum", "orcsss" -> "orcs");
    a token of 6+ characters whose letters all come in pairs -> halved, only when that is a
    lexicon target word ("vveerrmmiinn" -> "vermin", but "aabbcc" stays)."""
    out = _REPEAT.sub(r"\1", token)
    if out is token or out == token:
        if len(token) >= 6 and not len(token) % 2 and token[::2] == token[1::2] and token[::2] in _target_set():
            return token[::2]
    return out


@lru_cache(maxsize=65536)
def _word_repl(word: str) -> str:
    """A word with symbols or digits: collapse repeats, then resolve leetspeak/masks.

    Cached: the same words ("2nd", "covid19", "wow!") come back in every batch."""
    word = _REPEAT.sub(r"\1", word)
    resolved = _resolve_masked(word)
    if resolved is not None:
        return resolved
    # "sh!t!" / "f*ck!!": a trailing mark may be punctuation, not a letter
    stripped = word.rstrip("!?.")
    if stripped != word and len(stripped) >= 3:
        again = _resolve_masked(stripped)
        if again is not None:
            return again + word[len(stripped):]
    return word


def _mention_repl(m: re.Match) -> str:
    i = m.start()
    if i > 0 and (m.string[i - 1].isalnum() or m.string[i - 1] in "_@"):
        return m.group(0)  # an e-mail address or "r@ts": not a mention
    # "@nimals", "@sshole": leetspeak "a" at the start of a lexicon word, not a mention
    word = _lexicon_word("a" + m.group(0)[1:])
    if word is not None:
        return word
    # "those @orcs", "you @idiot": a lexicon word is no one's handle
    handle = m.group(0)[1:]
    if handle in _mention_words():
        return handle
    return MENTION_TOKEN


@lru_cache(maxsize=1)
def _mention_words() -> frozenset[str]:
    """The handles `_mention_repl` reads as words: dehumanising and insult lexicon words, an animal,
    vermin or disease word only in a plural ending in s (`@Pig`, `@Beast` and `@Fox` may be
    someone's name; `@rats` is not)."""
    from moderation.lexicon import load_lexicon

    lex = load_lexicon()
    return frozenset(w for w in lex.name_calling_words()
                     if w.isalpha() and (not lex.has_literal_sense(w) or w.endswith("s")))


#: Common short words that spaced-out phrases are made of besides the lexicon's words
#: ("b r e e d l i k e r a b b i t s" -> "breed like rabbits"): `_segment`.
GLUE_WORDS = frozenset("""a i an the they them their you your he she it we us are is be was were been am
like as than all of to in on at by for from with and or not no so just out up off back every lot
should must will would can get go this that these those what who total little real bunch pack""".split())


@lru_cache(maxsize=1)
def _segment_words() -> tuple[frozenset[str], int]:
    from moderation.lexicon import load_lexicon

    lex = load_lexicon()
    words = {w for name in lex.lists for w in lex[name] if w.isalpha() and len(w) > 1} | GLUE_WORDS
    return frozenset(words), max(map(len, words))


@lru_cache(maxsize=4096)
def _segment(joined: str) -> str | None:
    """A run of spaced letters that is several words (`breedlikerabbits`), split into the
    fewest words of the lexicon and `GLUE_WORDS`, at least one a lexicon target word;
    None when there is no such split (then the run is not split)."""
    if len(joined) < 5 or len(joined) > 60 or not joined.isalpha():
        return None
    words, longest = _segment_words()
    best: list[tuple[int, int] | None] = [None] * (len(joined) + 1)  # (pieces, start of the last piece)
    best[0] = (0, 0)
    for end in range(1, len(joined) + 1):
        for start in range(max(0, end - longest), end):
            if best[start] is not None and joined[start:end] in words:
                cand = (best[start][0] + 1, start)
                if best[end] is None or cand < best[end]:
                    best[end] = cand
    if best[-1] is None or best[-1][0] < 2:
        return None
    pieces, end = [], len(joined)
    while end:
        start = best[end][1]
        pieces.append(joined[start:end])
        end = start
    pieces.reverse()
    targets = _target_set()
    return " ".join(pieces) if any(p in targets for p in pieces) else None


def _split_spaced(joined: str) -> str | None:
    """A joined run of spaced letters that is no lexicon word as a whole: an article or "I"
    kept apart ("a n i g g e r", "a r a t"), or a split into words (`_segment`); None if neither."""
    if joined[0] in "ai":
        rest = _lexicon_word(joined[1:])
        if rest is not None:
            return joined[0] + " " + rest
    return _segment(joined)


def _spaced_repl(m: re.Match) -> str:
    joined = re.sub(r"[ .\-_]", "", m.group(0))
    out = _word_repl(joined)
    if out.rstrip("!?.") not in _target_set():
        split = _split_spaced(joined)
        if split is not None:
            return split
    return out


_SPACED_ANY_SEP = re.compile(r"[^a-z0-9@$!]")


def _spaced_any_repl(m: re.Match) -> str:
    """Single characters with other separators (`r. a. t. s`, `r,a,t,s`, `v  e  r  m  i  n`):
    joined only when that gives a lexicon word (`J. R. R.`, `A, B, C` stay as they are)."""
    joined = _SPACED_ANY_SEP.sub("", m.group(0))
    word = _lexicon_word(joined)
    if word is not None:
        return word
    split = _split_spaced(joined)
    return split if split is not None else m.group(0)


def _leet_repl(m: re.Match) -> str:
    return _word_repl(m.group(0))


#: A `bytes.translate` table for the batch encoded as Latin-1 (other characters become "?"):
#: the characters spaced letters are made of ("*" aside) -> "a", every other byte -> " ".
_SPACED_SHAPE = bytes(ord("a") if chr(b) in "abcdefghijklmnopqrstuvwxyz0123456789@$!" else ord(" ") for b in range(256))

#: The steps, in order.
STEPS: tuple[_Step, ...] = (
    # URLs and @mentions carry no abuse of their own; keep one token for them.
    _Step(re.compile(r"(?:https?://|www\.)[^\s\x1e]+"), URL_TOKEN, literals=("http", "www.")),
    _Step(re.compile(r"@\w+"), _mention_repl, literals=("@",)),
    # s p a c e d  or  s.p.a.c.e.d letters: three or more single characters in a row ("p i g").
    # The texts to try: three single characters with one separator between each and nothing
    # word-like before the first, i.e. " a a a" once the batch is translated to its shape
    # (a superset: the shape also takes "_" and other marks for separators).
    # (The batch path finds the texts to try for this step and the next one at once: `_spaced_docs`.)
    _Step(re.compile(r"(?<![\w@$!*])[a-z0-9@$!*](?:[ .\-_][a-z0-9@$!*]){2,}(?![\w@$!*])"), _spaced_repl),
    # The same with other separators: runs of 1-3 of whitespace and `. , / | ~ + * ' _ -`
    # ("r. a. t. s", "r,a,t,s", "v  e  r  m  i  n", a tab or newline), joined only into a
    # lexicon word.
    _Step(re.compile(r"(?<![\w@$!])[a-z0-9@$!](?:[ \t\n\r\f\v.,/|~+*'_\-]{1,3}[a-z0-9@$!]){2,}(?![\w@$!])"),
          _spaced_any_repl),
    # (Letters repeated three or more times, "scuuuum", are collapsed when the token
    # is looked up: `collapse_repeats`, called by the featurizer for unknown tokens only.)
    # Leetspeak and masks inside a word that has at least one letter and one symbol/digit.
    _Step(re.compile(r"(?<![a-z0-9@$!|+*#_(€])(?=[a-z0-9]*[@$!|+*#_(€0-9])(?=[" + _LEET_CHARS + r"]*[a-z])"
                     r"(?=[" + _LEET_CHARS + r"]*[0-9@$!|+*#_(€])[" + _LEET_CHARS + r"]{3,}"), _leet_repl,
          # a word mixing letters and symbols/digits has a symbol next to a letter
          re.compile(r"[0-9@$!|+*#_(€](?:(?=[a-z])|(?<=[a-z].))")),
)

#: The leetspeak step, as the batch path runs it: its matches are exactly the maximal
#: runs of `_LEET_CHARS` (3 or more long) holding a letter and a digit or symbol, and
#: every such run holds a seed hit (a symbol or digit next to a letter), so the batch
#: path expands each seed hit to its run instead of trying the full pattern (three
#: lookaheads) at every word of the texts.
_LEET_STEP = STEPS[4]
_SPACED_STEP, _SPACED_ANY_STEP = STEPS[2], STEPS[3]
_LEET_SET = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@$!|+*#_(€")
_LEET_RUN = re.compile("[" + _LEET_CHARS + "]*")


@lru_cache(maxsize=1)
def _target_set() -> frozenset[str]:
    return frozenset(w for words in _targets().values() for w in words)


def _lexicon_word(word: str) -> str | None:
    """`word` (lower case, maybe with leetspeak or masks) resolved to a lexicon target word, or None."""
    resolved = _word_repl(word)
    return resolved if resolved.rstrip("!?.") in _target_set() else None


_WORDISH_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@$!*#")


@lru_cache(maxsize=65536)
def _char_kind(ch: str) -> int:
    """0: part of a word once folded (a letter, digit or leetspeak mark); 1: invisible or a symbol
    that folds to a space (emoji); 2: anything else (space, punctuation)."""
    if ch.isascii():
        return 0 if ch in _WORDISH_ASCII else 2
    out = _fold_char(ch)
    if not out:
        return 1
    if out == " ":
        return 1 if unicodedata.category(ch) in ("So", "Sk") else 2
    return 0 if all(c.isalnum() or c in LEET for c in out) else 2


def _is_letter(ch: str) -> bool:
    return ch.isalpha() if ch.isascii() else _fold_char(ch).isalpha()


def _symbol_joins(s: str, i: int) -> bool:
    """Whether the symbol at s[i], between two letters, is inside one word (`ver😀min`,
    `br😀eed`): then it is deleted, not made a space. It stays a space between two words
    when the letters on one side are a lexicon word on their own and the whole run is not
    (`fuck🖕you`, `vermin🐀scum`: an emoji used as a space)."""
    a = i
    while a > 0 and _char_kind(s[a - 1]) == 1:
        a -= 1
    b = i + 1
    while b < len(s) and _char_kind(s[b]) == 1:
        b += 1
    if a == 0 or b == len(s) or not _is_letter(s[a - 1]) or not _is_letter(s[b]):
        return False
    left, right = a, b
    while left > 0 and _char_kind(s[left - 1]) == 0:
        left -= 1
    while right < len(s) and _char_kind(s[right]) == 0:
        right += 1
    if _lexicon_word(_fold_word(s[left:a])) is None and _lexicon_word(_fold_word(s[b:right])) is None:
        return True
    # the whole run, across the other symbols in it
    while left > 0 and _char_kind(s[left - 1]) < 2:
        left -= 1
    while right < len(s) and _char_kind(s[right]) < 2:
        right += 1
    return _lexicon_word(_fold_word(s[left:right])) is not None


def _fold_word(text: str) -> str:
    """The word characters of `text`, folded and lower-cased (symbols and invisible ones dropped)."""
    return "".join(c if c.isascii() else _fold_char(c) for c in text if _char_kind(c) == 0).lower()


def _is_flag(s: str, i: int) -> bool:
    """Whether the regional indicator at s[i] is one of a lone pair (a flag, `🇬🇧`): a space,
    not two letters. Longer runs and runs touching a letter are spelled words (`🇷🇦🇹🇸`)."""
    a = i
    while a > 0 and "\U0001f1e6" <= s[a - 1] <= "\U0001f1ff":
        a -= 1
    b = i + 1
    while b < len(s) and "\U0001f1e6" <= s[b] <= "\U0001f1ff":
        b += 1
    return b - a == 2 and not (a > 0 and _is_letter(s[a - 1])) and not (b < len(s) and _is_letter(s[b]))


def _fold_match(m: re.Match) -> str:
    """One non-ASCII character, folded (`_fold_char`); an emoji or other symbol inside a word is
    deleted (`_symbol_joins`), a flag is a space. Both paths fold with this, on the same text."""
    ch = m.group(0)
    out = _fold_char(ch)
    if out == " ":
        if _char_kind(ch) == 1 and _symbol_joins(m.string, m.start()):
            return ""
    elif "\U0001f1e6" <= ch <= "\U0001f1ff" and _is_flag(m.string, m.start()):
        return " "
    return out


#: A right-to-left override (U+202E) and the run it governs: up to a pop (U+202C), the end of
#: an isolate (U+2069), a left-to-right override (U+202D) or the end of the line. Latin letters in
#: it are shown right to left, so `\u202enimrev\u202c` reads "vermin" on a page that honours the
#: override, while a page (or a CMS) that drops it shows the stored "nimrev"; and `\u202e idiot`
#: is stored "idiot" but shown "toidi". The run is read both ways, as shown and then as stored
#: (`\u202e` + shown + space + stored): what either reader sees is scored.
#: (A left-to-right override shows Latin text in its stored order: nothing to undo.)
_RLO_RUN = re.compile("\u202e([^\u202c\u2069\u202d\n\r\x1e]*)")


def _unreverse(text: str) -> str:
    """`text` with every right-to-left override run read as it is shown, then as it is stored."""
    if "\u202e" not in text:
        return text
    return _RLO_RUN.sub(lambda m: "\u202e" + m.group(1)[::-1] + " " + m.group(1), text)


def _unreverse_order(text: str) -> list[int] | None:
    """The original index of each character of `_unreverse(text)`, or None when nothing moves.

    The space between a run's two readings maps to the override character itself.
    """
    if "\u202e" not in text:
        return None
    order: list[int] = []
    pos = 0
    for m in _RLO_RUN.finditer(text):
        a, b = m.span(1)
        order += range(pos, a)
        order += range(b - 1, a - 1, -1)
        order.append(a - 1)
        order += range(a, b)
        pos = b
    order += range(pos, len(text))
    return order


def _fold_non_ascii(text: str) -> str:
    if text.isascii():
        return text
    return _NON_ASCII.sub(_fold_match, _unreverse(text))


def normalize(text: str) -> str:
    """The normalised form of one comment (what the features see)."""
    text = _fold_non_ascii(text.replace(SEP, " ")).lower()
    for step in STEPS:
        text = step.sub(text)
    return text


def normalize_batch(texts: Sequence[str]) -> list[str]:
    """`normalize` for many comments at once: each step runs once over the joined batch."""
    return normalize_batch_changed(texts)[0]


def _spaced_docs(joined: str, ends: list[int]) -> tuple[list[int], list[int]]:
    """The texts to try for the two spaced-letter steps: (single separators, any separators).

    Every character of a spaced run is a single one (a letter, digit or `@$!` with none of
    those on either side), and neighbours in the run are 2 apart (one separator) or 2-4
    apart (1-3 separator characters). So: the batch translated to its shape (one byte per
    character), the single characters found in it (two regular-expression searches for a
    small batch, array operations for a large one), and the texts holding three in a
    row at those distances. A text with a "*" (a character in the first step, a separator
    in the second) is tried by both. One pass for both steps."""
    raw = (SEP + joined + SEP).encode("latin-1", "replace").translate(_SPACED_SHAPE)
    if len(raw) <= _SPACED_SMALL:  # one comment (the hook): two searches cost less than the numpy set-up
        oned = sorted({bisect_right(ends, m.start() - 1) for m in _SPACED_ONE.finditer(raw)})
        anyd = sorted({bisect_right(ends, m.start() - 1) for m in _SPACED_ANY.finditer(raw)})
    else:
        oned, anyd = _spaced_docs_numpy(raw, ends)
    if "*" in joined:
        star = _literal_docs(("*",), joined, ends)
        anyd, oned = sorted(set(anyd).union(star)), sorted(set(oned).union(star))
    return oned, anyd


#: `_spaced_docs` on a small batch: where three single characters in a row start (one separator
#: between them; 1-3), as zero-width matches so that runs next to each other are all found.
_SPACED_SMALL = 8192
_SPACED_ONE = re.compile(rb"(?<!a)(?=a a a(?!a))")
_SPACED_ANY = re.compile(rb"(?<!a)(?=a {1,3}a {1,3}a(?!a))")


def _spaced_docs_numpy(raw: bytes, ends: list[int]) -> tuple[list[int], list[int]]:
    """`_spaced_docs`'s texts for a large batch, from its shape `raw`, with array operations."""
    shape = np.frombuffer(raw, np.uint8)
    item = shape == 97
    pos = np.flatnonzero(item[1:-1] & ~item[:-2] & ~item[2:])  # positions in `joined` of single characters
    gap = np.diff(pos)
    near, two = gap <= 4, gap == 2
    ends_a = np.asarray(ends)
    anyd = np.unique(np.searchsorted(ends_a, pos[:-2][near[:-1] & near[1:]], side="right")).tolist()
    oned = np.unique(np.searchsorted(ends_a, pos[:-2][two[:-1] & two[1:]], side="right")).tolist()
    return oned, anyd


def _literal_docs(literals: Sequence[str], joined: str, ends: list[int]) -> list[int]:
    """Indices of the texts that contain one of `literals` (in order, each once)."""
    found: set[int] = set()
    find = joined.find
    for lit in literals:
        pos = find(lit)
        while pos >= 0:
            d = bisect_right(ends, pos)
            found.add(d)
            pos = find(lit, ends[d]) if d < len(ends) else -1
    return sorted(found)


def _leet_batch(joined: str, ends: list[int], changed: set[int]) -> str:
    """The leetspeak step over the joined batch, from its seed hits (see `_LEET_STEP`)."""
    out: list[str] = []
    last = 0  # joined[:last] is in `out`
    done = 0  # runs ending before this are handled
    run_end = _LEET_RUN.match
    leet = _LEET_SET
    repl = _word_repl
    for m in _LEET_STEP.seed.finditer(joined):
        h = m.start()
        if h < done:  # in a run already handled
            continue
        a = h
        while a > 0 and joined[a - 1] in leet:
            a -= 1
        b = done = run_end(joined, h).end()
        if b - a < 3:
            continue
        word = joined[a:b]
        rep = repl(word)
        if rep != word:
            out.append(joined[last:a])
            out.append(rep)
            last = b
            changed.add(bisect_right(ends, a))
    if not out:
        return joined
    out.append(joined[last:])
    return "".join(out)


def normalize_batch_changed(texts: Sequence[str]) -> tuple[list[str], set[int]]:
    """`normalize_batch`, plus the indices of the texts whose normalisation may have moved
    characters (folded non-ASCII, replaced URLs, mentions, spaced or leetspeak words). In
    every other text, normalised character k comes from original character k (lower-cased,
    or a record separator made a space), so their evidence needs no offset map."""
    if not texts:
        return [], set()
    parts = [t.replace(SEP, " ") if SEP in t else t for t in texts]
    changed: set[int] = set()
    for i, p in enumerate(parts):
        if not p.isascii():
            parts[i] = _fold_non_ascii(p)
            changed.add(i)
    joined = SEP.join(parts).lower()
    parts = joined.split(SEP)
    if len(parts) != len(texts):  # pragma: no cover - folding produced a separator
        return [normalize(t) for t in texts], set(range(len(texts)))
    ends: list[int] | None = None
    spaced_any: list[int] = []
    for step in STEPS:
        if ends is None:  # ends[d]: where text d + 1 starts in `joined`
            ends = (np.cumsum(np.fromiter(map(len, parts), np.int64, len(parts)) + 1)).tolist()
        if step is _LEET_STEP:
            joined = _leet_batch(joined, ends, changed)
            parts = joined.split(SEP)
            if len(parts) != len(texts):  # pragma: no cover - a step matched a separator
                return [normalize(t) for t in texts], set(range(len(texts)))
            ends = None
            continue
        if step is _SPACED_STEP:
            hits, spaced_any = _spaced_docs(joined, ends)
        elif step is _SPACED_ANY_STEP:
            hits = spaced_any  # found with the step before (which changes no other text)
        elif step.literals:
            hits = _literal_docs(step.literals, joined, ends)
        else:  # no pre-filter: every text
            hits = range(len(parts))
        edited = False
        for d in hits:
            new = step.sub(parts[d])
            if new != parts[d]:
                if SEP in new:  # pragma: no cover - no step writes a separator
                    return [normalize(t) for t in texts], set(range(len(texts)))
                parts[d] = new
                changed.add(d)
                edited = True
        if edited:
            joined = SEP.join(parts)
            ends = None
    return parts, changed


@dataclass
class NormalizedText:
    """A normalised text and, per normalised character, its original [start, end) range."""

    text: str
    starts: list[int] | None  # None: the identity map (nothing changed length)
    ends: list[int] | None
    #: Some characters were moved (a right-to-left override run, read reversed): a range's
    #: original span is the smallest one holding all of its characters.
    reordered: bool = False

    def __post_init__(self) -> None:
        if self.starts is None:
            self.starts = range(len(self.text))  # type: ignore[assignment]
            self.ends = range(1, len(self.text) + 1)  # type: ignore[assignment]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original character range that normalised range [start, end) came from."""
        if not self.text or end <= start:
            return (0, 0)
        start = min(max(start, 0), len(self.text) - 1)
        end = min(max(end, start + 1), len(self.text))
        if self.reordered:
            return min(self.starts[start:end]), max(self.ends[start:end])
        return self.starts[start], max(self.ends[end - 1], self.starts[start])


def _tracked_sub(pattern: re.Pattern, repl, text: str, starts, ends):
    """`pattern.sub(repl, text)` that also maps each output character to its original range.

    `starts`/`ends` may be `range` objects (the identity map); they stay so
    when nothing matches, which is the common case and costs one scan.
    """
    first = pattern.search(text)
    if first is None:
        return text, starts, ends
    starts, ends = list(starts), list(ends)
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    pos = 0
    for m in pattern.finditer(text, first.start()):
        a, b = m.span()
        out.append(text[pos:a])
        new_starts.extend(starts[pos:a])
        new_ends.extend(ends[pos:a])
        rep = repl(m) if callable(repl) else m.expand(repl)
        out.append(rep)
        if len(rep) == b - a:
            new_starts.extend(starts[a:b])
            new_ends.extend(ends[a:b])
        elif b > a:
            new_starts.extend([starts[a]] * len(rep))
            new_ends.extend([ends[b - 1]] * len(rep))
        else:  # zero-width match
            anchor = starts[a] if a < len(starts) else (ends[-1] if ends else 0)
            new_starts.extend([anchor] * len(rep))
            new_ends.extend([anchor] * len(rep))
        pos = b
    out.append(text[pos:])
    new_starts.extend(starts[pos:])
    new_ends.extend(ends[pos:])
    return "".join(out), new_starts, new_ends


def normalize_with_offsets(text: str) -> NormalizedText:
    """`normalize`, keeping for each output character the original range it came from."""
    text = text.replace(SEP, " ")
    starts: list[int] | range = range(len(text))
    ends: list[int] | range = range(1, len(text) + 1)
    order = _unreverse_order(text)
    if order is not None:
        text = _unreverse(text)
        starts, ends = order, [i + 1 for i in order]
    text, starts, ends = _tracked_sub(_NON_ASCII, _fold_match, text, starts, ends)
    text = text.lower()
    for step in STEPS:
        text, starts, ends = _tracked_sub(step.pattern, step.repl, text, starts, ends)
    return NormalizedText(text, starts, ends, reordered=order is not None)


def iter_normalized(texts: Iterable[str]) -> Iterable[str]:
    """Normalise a stream lazily, in batches."""
    batch: list[str] = []
    for t in texts:
        batch.append(t)
        if len(batch) >= 2048:
            yield from normalize_batch(batch)
            batch = []
    yield from normalize_batch(batch)

"""The segmenter's speed devices must never change a line's role: the
first-character guards on the combined regexes, and the per-page line cache."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from moderation.segmenter import patterns as P
from moderation.segmenter.features import line_features
from moderation.segmenter.lines import split_lines

REPO = Path(__file__).resolve().parent.parent
PAGES = sorted((REPO / "examples").glob("*.txt")) + sorted((REPO / "tests" / "fixtures" / "pages").rglob("*.txt"))


def _lines() -> list[str]:
    out = {line.text for path in PAGES for line in split_lines(path.read_text(encoding="utf-8")) if line.text}
    # Lines that start with each printable ASCII character and a few odd ones.
    out |= {c + rest for c in [chr(i) for i in range(33, 127)] + ["ſ", "K", "İ", "•", "—", "“"]
            for rest in ("", " says:", "2 May 2023 at 9:14", ". Reply", "eply | Share")}
    return sorted(out)


@pytest.mark.parametrize(("pattern", "first"), [
    (r"^(?:ab|c)?\d", "[ac\\d]"),
    (r"^x*y", "[xy]"),
    (r"^(?:a|)b", "[ab]"),
    (r"^[^a]b", None),  # a negated class: any character
    (r"^a?", None),  # can match nothing
    (r"^.b", None),
])
def test_first_chars(pattern, first):
    assert P._first_chars(pattern) == first


def test_guarded_patterns_match_what_the_plain_ones_match():
    lines = _lines()
    for p in P.PATTERNS:
        first = P._first_chars(p.regex.pattern)
        if first is None:
            continue
        guarded = re.compile(f"(?={first})(?:{p.regex.pattern})", re.I)
        for text in lines:
            assert bool(guarded.match(text)) == bool(p.regex.match(text)), (p.name, text)


def test_match_line_is_the_first_matching_pattern():
    for text in _lines():
        m = P.match_line(text)
        want = next((p for p in P.PATTERNS if len(text) <= p.max_len and (not (p.keywords or p.starts) or p.gate(text, text.lower()))
                     and p.regex.match(text)), None)
        assert (m.pattern if m else None) == want, text

"""Terminal column widths for the table: wrapping and shortening by what a line occupies on screen.

`textwrap` counts code points, but a CJK character or an emoji takes two
terminal columns (and a joiner or a combining accent none), so lines of
Chinese comments ran almost twice past the width. `wcwidth` (the library
terminals' own width tables follow) gives each character's columns.
"""

from __future__ import annotations

import re

from wcwidth import wcswidth, wcwidth

#: Characters that are not shown as themselves but stand for one column (the table's evidence markers).
ONE_COLUMN = "\x01\x02"


def display_width(text: str) -> int:
    """The columns `text` occupies on a terminal (a marker in `ONE_COLUMN` counts one)."""
    for marker in ONE_COLUMN:
        text = text.replace(marker, "[")
    width = wcswidth(text)
    return width if width >= 0 else sum(max(0, wcwidth(c)) for c in text)


def _split_word(word: str, room: int) -> tuple[str, str]:
    """The longest head of `word` fitting `room` columns (at least one character), and the rest."""
    used = 0
    for i, char in enumerate(word):
        w = 1 if char in ONE_COLUMN else max(0, wcwidth(char))
        if used + w > room and i > 0:
            return word[:i], word[i:]
        used += w
    return word, ""


def wrap(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """`text` in lines of at most `width` columns, broken at spaces (a run of them is kept inside
    a line, dropped at a break: header lines use two spaces between fields).

    Words longer than a line are broken; nothing else is dropped.
    """
    lines: list[str] = []
    line, used, empty = initial_indent, display_width(initial_indent), True
    for gap, word in re.findall(r"( *)([^ ]+)", text.strip(" ")):
        w = display_width(word)
        if not empty and used + len(gap) + w > width:
            lines.append(line)
            line, used, empty = subsequent_indent, display_width(subsequent_indent), True
        if not empty:
            line, used = line + gap, used + len(gap)
        while used + w > width and w > 0:
            head, word = _split_word(word, max(1, width - used))
            if not word:
                break
            lines.append(line + head)
            line, used = subsequent_indent, display_width(subsequent_indent)
            w = display_width(word)
        line, used, empty = line + word, used + w, False
    if not empty or not lines:
        lines.append(line)
    return lines


def fit(text: str, width: int, placeholder: str = " …") -> str:
    """`text` on one line of at most `width` columns: cut at a word boundary with `placeholder` if longer."""
    text = " ".join(text.split())
    if display_width(text) <= width:
        return text
    room = max(1, width - display_width(placeholder))
    head, _ = _split_word(text, room)
    cut = head.rfind(" ")
    return (head[:cut] if cut > 0 else head).rstrip() + placeholder

"""Reading a saved page into lines the segmenter can reason about.

Pages arrive in every encoding accident a CMS or a browser's "save as text"
can produce: CRLF, tabs, non-breaking spaces, zero-width characters, a BOM.
The segmenter decides on a *cleaned* view of each line but keeps the original
text, so what lands in the article, the boilerplate or a comment is what the
reader wrote, minus only invisible characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Pages larger than this are refused: a saved article with its thread is a
#: few hundred KB at most; anything bigger is a dump or a mistake.
MAX_PAGE_CHARS = 20_000_000

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000]")


class SegmenterError(ValueError):
    """A page the segmenter cannot read (empty, binary, too large).

    The message names the page; `reason` is the message without the name
    (what `scan` reports, beside the name it shows anyway)."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


#: Why a page is refused as binary: the same words from `segment` and from `scan`.
BINARY = "binary file: not a saved page or a comment dump"


def _refuse(where: str, reason: str) -> SegmenterError:
    return SegmenterError(f"{where}: {reason}", reason)


@dataclass(slots=True)
class Line:
    """One input line: its 1-based number, original text and cleaned view."""

    number: int
    raw: str  #: original text without the line ending and invisible characters
    text: str  #: cleaned: NBSP and odd spaces -> space, tabs expanded, stripped
    indent: int  #: leading columns after tab expansion

    @property
    def blank(self) -> bool:
        return not self.text


def decode_page(data: bytes | str, source: str | None = None, encoding: str | None = None) -> str:
    """Bytes -> str exactly as `scan` reads a page: binary content is refused by
    the readers' rule (`is_binary`: more than a few stray NULs, or many control
    characters), then the readers' detection decodes it (a BOM, UTF-16 with or
    without one, UTF-8, else a legacy code page; `encoding=` forces one)."""
    if isinstance(data, str):
        return data
    from moderation.readers.decoding import decode_bytes
    from moderation.readers.sniff import is_binary

    if encoding is None and is_binary(data[:65536]):
        raise _refuse(source or "page", BINARY)
    return decode_bytes(data, encoding)


def split_lines(text: str, source: str | None = None) -> list[Line]:
    """Split a page into `Line`s, checking it is a page at all."""
    where = source or "page"
    if len(text) > MAX_PAGE_CHARS:
        raise _refuse(where, f"{len(text):,} characters is larger than any saved page "
                             f"(limit {MAX_PAGE_CHARS:,}); is it a dump?")
    from moderation.readers.sniff import is_binary_text

    if is_binary_text(text):
        raise _refuse(where, BINARY)
    if "\x00" in text:  # a few stray NULs in a text page (a corrupt save): nothing, as a browser shows them
        text = text.replace("\x00", "")
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", text)
    clean_text = _SPACES.sub(" ", text)  # one-for-one, so lines stay aligned
    lines = []
    for number, (raw, clean) in enumerate(zip(text.split("\n"), clean_text.split("\n")), start=1):
        stripped = clean.strip()
        if not stripped:  # a blank line (half of a page's lines): no indent to measure
            lines.append(Line(number, raw.rstrip(), "", 0))
            continue
        if "\t" in clean:
            clean = clean.expandtabs(4)
            stripped = clean.strip()
        lines.append(Line(number, raw.rstrip(), stripped, len(clean) - len(clean.lstrip())))
    if all(not line.text for line in lines):
        raise _refuse(where, "the page is empty (no text)")
    return lines

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
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class SegmenterError(ValueError):
    """A page the segmenter cannot read (empty, binary, too large)."""


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


def decode_page(data: bytes | str, source: str | None = None) -> str:
    """Bytes -> str, refusing binary input with a message that names the file."""
    if isinstance(data, str):
        text = data
    else:
        if b"\x00" in data[:4096]:
            raise SegmenterError(f"{source or 'page'}: looks like a binary file (NUL bytes), not a saved page")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                from charset_normalizer import from_bytes

                best = from_bytes(data).best()
            except ImportError:  # optional: dumps extra
                best = None
            text = str(best) if best is not None else data.decode("cp1252", errors="replace")
    return text


def split_lines(text: str, source: str | None = None) -> list[Line]:
    """Split a page into `Line`s, checking it is a page at all."""
    where = source or "page"
    if len(text) > MAX_PAGE_CHARS:
        raise SegmenterError(f"{where}: {len(text):,} characters is larger than any saved page "
                             f"(limit {MAX_PAGE_CHARS:,}); is it a dump?")
    sample = text[:4096]
    if "\x00" in sample or (sample and len(_CONTROL.findall(sample)) > 0.05 * len(sample)):
        raise SegmenterError(f"{where}: looks like a binary file (control characters), not a saved page")
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
        raise SegmenterError(f"{where}: the page is empty (no text)")
    return lines

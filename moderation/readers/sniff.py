"""Which format a file is in: from its name, confirmed or decided by its first bytes.

The extension is a hint (`.csv.gz` counts as `.csv`); the content decides
when the name says nothing (`export.dat`, stdin) and catches the common lies
(an `.xml` that is a WordPress export rather than Disqus, a `.json` that is
really JSON Lines). Binary content that is not Parquet or gzip is refused.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

#: Dump formats read by read_dump.
DUMP_FORMATS = ("csv", "tsv", "jsonl", "json", "parquet", "disqus", "wxr")
#: Page formats read through the segmenter by iter_inputs.
PAGE_FORMATS = ("text", "html")
FORMATS = DUMP_FORMATS + PAGE_FORMATS

ALIASES = {
    "ndjson": "jsonl", "json-lines": "jsonl", "jsonlines": "jsonl", "tab": "tsv", "txt": "text",
    "page": "text", "htm": "html", "wordpress": "wxr", "disqus-xml": "disqus", "pq": "parquet",
}

EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".parquet": "parquet", ".pq": "parquet", ".wxr": "wxr", ".xml": "xml",
    ".txt": "text", ".text": "text", ".html": "html", ".htm": "html",
}

_WXR = re.compile(rb"wordpress\.org/export|<wp:comment|<wp:wxr_version", re.I)
_DISQUS = re.compile(rb"<disqus[\s>]|disqus\.com/disqus-internals", re.I)
_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)


def canonical_format(name: str) -> str:
    """Validate a user-given format name (raises ValueError listing the choices)."""
    key = name.strip().lower().lstrip(".")
    key = ALIASES.get(key, key)
    if key not in FORMATS:
        raise ValueError(f"unknown format {name!r}; choose from {', '.join(FORMATS)}")
    return key


def extension_format(path: str | Path | None) -> str | None:
    """The format a file name suggests ('xml' means Disqus or WXR, to be sniffed)."""
    if path is None:
        return None
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in (".gz", ".gzip"):
        suffixes = suffixes[:-1]
    return EXTENSIONS.get(suffixes[-1]) if suffixes else None


def _as_text(head: bytes) -> str:
    """Enough of a decoding of the head to look at its shape (ASCII structure survives)."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom):].decode(encoding, "replace")
    from moderation.readers.decoding import _utf16_without_bom

    utf16 = _utf16_without_bom(head[:4096])
    if utf16:
        return head.decode(utf16, "replace")
    return head.decode("utf-8", "replace")


def is_binary(head: bytes) -> bool:
    """Whether the first bytes are not text: many control characters or NUL bytes.

    A few stray NULs in a text dump (a corrupt record) do not make it binary:
    the reader reports the record holding them. Binary formats are full of
    them (in images, archives and executables well over 1% of the bytes).
    """
    return is_binary_text(_as_text(head[:8192]))


def is_binary_text(text: str) -> bool:
    """`is_binary` on already decoded text (its first 8,192 characters are enough):
    more NULs than a few stray ones (over 4 and over 0.5%), or over 5% control characters."""
    text = text[:8192]
    if not text:
        return False
    controls = len(_CONTROLS.findall(text))  # a regex: this runs on every saved page the segmenter reads
    if not controls:
        return False
    nuls = text.count("\x00")
    return nuls > max(4, len(text) // 200) or controls / len(text) > 0.05


#: Control characters text does not hold: below a space, except tab, LF, VT, FF, CR and ESC; and DEL.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


def sniff_content(head: bytes) -> str | None:
    """The format the first bytes show, or None when they show none we read."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if not head.strip():
        return None
    if is_binary(head):
        return None
    text = _as_text(head).lstrip()
    if text.startswith("<"):
        # Searched in the decoded text, so a UTF-16 export is recognised too.
        raw = _as_text(head[:HEAD_XML]).encode("utf-8", "replace")
        if _DISQUS.search(raw):
            return "disqus"
        if _WXR.search(raw):
            return "wxr"
        if _HTML.search(raw):
            return "html"
        return None
    if text.startswith("["):
        return "json"
    if text.startswith("{"):
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1 and lines[0].rstrip().endswith("}") and lines[1].lstrip().startswith("{"):
            return "jsonl"
        import json

        try:
            json.loads(lines[0])
        except ValueError:
            return "json"  # an object spread over lines: a wrapper object
        return "jsonl"
    first = text.split("\n", 1)[0]
    from moderation.readers.columns import CANDIDATES, _norm

    if any(d in first for d in ",\t;|"):
        from moderation.readers.delimited import choose_delimiter

        delimiter = choose_delimiter(first)
        names = {_norm(cell.strip().strip('"')) for cell in first.split(delimiter)}
        if names & {_norm(c) for c in CANDIDATES["text"]} or len(names) >= 2 and names & {_norm(c) for c in CANDIDATES["id"]}:
            return "tsv" if delimiter == "\t" else "csv"
    return "text"


HEAD_XML = 16 * 1024


def detect_format(path: str | Path | None = None, head: bytes | None = None) -> str | None:
    """The format of a dump or page, from its name and/or first bytes; None if unknown.

    With a path and no head, the first bytes are read from the file (gzip undone).
    """
    if head is None and path is not None:
        from moderation.readers.sources import open_source

        with open_source(path) as source:
            head = source.head
    by_name = extension_format(path)
    by_content = sniff_content(head) if head is not None else None
    if by_name == "xml":
        return by_content if by_content in ("disqus", "wxr") else None
    if by_name == "json" and by_content == "jsonl":
        return "jsonl"  # many exporters write JSON Lines under a .json name
    if by_name in ("text", "html"):
        return by_name
    if by_name is not None:
        return by_name
    return by_content

"""Evidence spans → highlighted, shortened excerpts, shared by the human-readable formats.

Spans come from the model as character offsets into the original comment
text (and, for word-list holds, from the policy's reasons: `highlights`);
labels may mark overlapping words, so spans are merged first. Long comments
are cut to a window around the first marked span, at word boundaries.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable, Mapping

Segment = tuple[str, bool]  # (text, is evidence)


def merged_spans(evidence: Iterable[Mapping[str, Any]], length: int) -> list[tuple[int, int]]:
    spans = sorted((max(0, int(e["start"])), min(length, int(e["end"]))) for e in evidence)
    merged: list[list[int]] = []
    for start, end in spans:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


#: Reasons that name a word of a word list with its span in the text (moderation/policy.py).
WORD_REASONS = ("banned_word", "suspect_word")


def word_reasons(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The record's word-list reasons whose span lies inside its text.

    A comment held for a suspect word (or rejected for a banned one) with no
    label over its threshold has no evidence: the word is only in its
    reasons. The reports highlight it (and cut long text around it) as they
    do evidence, else the word the comment was held for was never shown.
    """
    n = len(record["text"])
    return [r for r in record["reasons"] if r.get("kind") in WORD_REASONS
            and isinstance(r.get("start"), int) and isinstance(r.get("end"), int) and 0 <= r["start"] < r["end"] <= n]


def highlights(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The spans a report marks in a record's text: its evidence, then its word-list matches."""
    return [*record["evidence"], *word_reasons(record)]


def word_reason_text(reason: Mapping[str, Any]) -> str:
    """One word-list reason as the reports say it: `suspect word “vermin” → hold`."""
    kind = str(reason.get("kind", "")).replace("_", " ")
    return f"{kind} “{reason.get('word') or reason.get('text')}” → {reason.get('action')}"


def segments(text: str, evidence: Iterable[Mapping[str, Any]], limit: int | None = None) -> tuple[list[Segment], bool, bool]:
    """Split `text` into plain and evidence segments, shortened to about `limit` chars.

    Returns (segments, cut at start, cut at end).
    """
    spans = merged_spans(evidence, len(text))
    start, end = 0, len(text)
    if limit is not None and len(text) > limit:
        anchor = spans[0][0] if spans else 0
        start = max(0, anchor - limit // 3)
        end = min(len(text), start + limit)
        start = max(0, end - limit)
        if start > 0:  # do not start mid-word
            m = re.search(r"\s", text[start:min(anchor, start + 30)])
            if m:
                start += m.end()
        for s, e in spans:  # never cut through an evidence span
            if s < end < e:
                end = e
        if end < len(text):
            last = max((e for s, e in spans if e <= end), default=start)
            cut = text.rfind(" ", max(start, last, end - 40), end)
            if cut > start:
                end = cut
    out: list[Segment] = []
    pos = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > pos:
            out.append((text[pos:s], False))
        out.append((text[s:e], True))
        pos = e
    if pos < end:
        out.append((text[pos:end], False))
    return out, start > 0, end < len(text)


def _unsafe_chars() -> dict[int, str]:
    """Control, bidi and invisible format characters a hostile comment could use to spoof a terminal.

    C0/C1 controls become U+FFFD (newline and tab are the callers' business);
    the bidi controls (LRM, RLM, ALM, embeddings, overrides, isolates) and the
    invisible format characters of U+2000-206F (zero-width space, word joiner...)
    and U+FEFF are removed. ZWNJ and ZWJ are not in this table: see `_JOINER`.
    """
    table = {}
    for cp in list(range(0x00, 0x20)) + list(range(0x7F, 0xA0)):
        if chr(cp) not in "\n\t":
            table[cp] = "\ufffd"
    for cp in range(0x2000, 0x2070):
        if unicodedata.category(chr(cp)) == "Cf" and cp not in (0x200C, 0x200D):
            table[cp] = ""
    table[0x061C] = ""
    table[0xFEFF] = ""
    return table


_UNSAFE = _unsafe_chars()

#: ZWNJ/ZWJ next to a Latin-range character (or at an end): there they only hide inside a word
#: ("ver\u200dmin"). Between other characters they are kept: emoji sequences (family, flags
#: with skin tones) and Persian and Indic spelling need them, and they cannot reorder text.
_JOINER = re.compile("(?<![^\x00-\u036f])[\u200c\u200d]|[\u200c\u200d](?![^\x00-\u036f])")


def terminal_safe(text: Any) -> str:
    """Text that cannot move the cursor, change colours or reorder what a moderator sees."""
    if text is None:
        return ""
    text = str(text).translate(_UNSAFE)
    return _JOINER.sub("", text) if "\u200c" in text or "\u200d" in text else text


#: Line breaks and tabs, which `line_safe` makes spaces before `terminal_safe` runs.
_LINE_BREAKS = {cp: " " for cp in (0x09, 0x0A, 0x0D, 0x2028, 0x2029)}


def line_safe(text: Any) -> str:
    """`terminal_safe` for a field printed on one line (author, id, time, thread title, source,
    a read error): its line breaks and tabs become spaces too. `terminal_safe` keeps newline
    and tab for the comment text, which is re-wrapped; a header field is not, so a newline in
    an author or a dump's key name printed as it was and forged a report line of its own."""
    return "" if text is None else terminal_safe(str(text).translate(_LINE_BREAKS))


def document_safe(text: Any) -> str:
    """`terminal_safe` for comment text a report lays out (HTML, Markdown, the table's wrapped
    text): a CRLF line end (the CSV and JSON readers keep them) and a bare CR (which the readers
    also take for a line end) stay line breaks instead of showing U+FFFD."""
    return "" if text is None else terminal_safe(str(text).replace("\r\n", "\n").replace("\r", "\n"))

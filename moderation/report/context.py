"""Reply context: what a flagged reply was answering.

A moderator judging "they should all be slaughtered" needs the comment it
replies to. Parents usually come shortly before their replies, so a bounded
first-in-first-out memory of recent comments (trimmed text only) finds almost
all of them while keeping memory flat on huge dumps.

Comments are remembered by (source, thread, comment id), the key reply depth
is resolved by (docs/dumps.md): dumps that number comments per article reuse
ids across threads, and keyed by source alone a reply was shown under another
article's comment that happened to have the same id. A parent that is not
found in the reply's own thread (deleted, never exported, or more than
`max_comments` comments back) gives no context; the reports then say the
comment replied to is not in the scan.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Mapping

Key = tuple[Any, Any, Any]

#: What the reports say of a reply whose parent is not found in its thread.
MISSING_PARENT = "not in this scan: deleted or missing"


def thread_key(record: Mapping[str, Any]) -> tuple[str, str]:
    """A thread as the summary counts it and keys its title (`ScanSummary.thread_titles`)."""
    return (record["source"] or "-", record["thread"] or "")


def note_title(titles: dict[tuple[str, str], str], record: Mapping[str, Any]) -> None:
    """Keep `record`'s thread title in `titles` unless its thread has one already (the summary's rule:
    a thread's title is the first one any of its comments carries)."""
    title = record["thread_title"]
    if title:
        titles.setdefault(thread_key(record), title)


def comment_key(record: Mapping[str, Any], comment_id: Any = None) -> Key:
    """Where a comment lives: its source, its thread and its id (or `comment_id` in that thread)."""
    return (record["source"], record["thread"], record["comment_id"] if comment_id is None else comment_id)


class ThreadSections:
    """Which thread's section a streamed report (table, Markdown) has open, and a new section's heading.

    A thread's comments are listed under one heading while they come one
    after another; a section that opens again (a dump that interleaves
    threads, a reply released at the end of its input) is marked as
    continued, since a stream cannot go back to the first. `titles` is the
    report's `titles` option (see `Report`). One entry per thread headed.
    """

    def __init__(self, titles: Mapping[tuple[str, str], str] | None = None):
        self.titles = {} if titles is None else titles
        self._open: tuple[Any, Any] | None = None
        self._headed: set[tuple[Any, Any]] = set()

    def opens(self, record: Mapping[str, Any]) -> tuple[str | None, bool] | None:
        """None when `record` belongs to the open section; else (its thread's title, whether the
        thread had a section before), the title being the best known (`titles`), the record's own,
        or the thread id."""
        key = (record["source"], record["thread"])
        if key == self._open:
            return None
        self._open = key
        continued = key in self._headed
        self._headed.add(key)
        return self.titles.get(thread_key(record)) or record["thread_title"] or record["thread"], continued


class ReplyContext:
    def __init__(self, max_comments: int = 50_000, max_chars: int = 500):
        self.max_comments = max_comments
        self.max_chars = max_chars
        self._seen: OrderedDict[Key, dict[str, Any]] = OrderedDict()

    def remember(self, record: Mapping[str, Any]) -> None:
        text = record["text"]
        if len(text) > self.max_chars:
            text = text[: self.max_chars - 1].rstrip() + "…"
        self._seen[comment_key(record)] = {
            "comment_id": record["comment_id"],
            "author": record["author"],
            "text": text,
            "decision": record["decision"],
            "labels": list(record["labels"]),
        }
        if len(self._seen) > self.max_comments:
            self._seen.popitem(last=False)

    def parent_of(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        """The remembered comment `record` replies to in its own thread, or None."""
        parent_id = record["parent_id"]
        if parent_id is None:
            return None
        return self._seen.get(comment_key(record, parent_id))

"""Reply context: what a flagged reply was answering.

A moderator judging "they should all be slaughtered" needs the comment it
replies to. Parents usually come shortly before their replies, so a bounded
first-in-first-out memory of recent comments (trimmed text only) finds almost
all of them while keeping memory flat on huge dumps.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Mapping


class ReplyContext:
    def __init__(self, max_comments: int = 50_000, max_chars: int = 500):
        self.max_comments = max_comments
        self.max_chars = max_chars
        self._seen: OrderedDict[tuple[Any, Any], dict[str, Any]] = OrderedDict()

    def remember(self, record: Mapping[str, Any]) -> None:
        text = record["text"]
        if len(text) > self.max_chars:
            text = text[: self.max_chars - 1].rstrip() + "…"
        self._seen[(record["source"], record["comment_id"])] = {
            "comment_id": record["comment_id"],
            "author": record["author"],
            "text": text,
            "decision": record["decision"],
            "labels": list(record["labels"]),
        }
        if len(self._seen) > self.max_comments:
            self._seen.popitem(last=False)

    def parent_of(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        parent_id = record["parent_id"]
        if parent_id is None:
            return None
        return self._seen.get((record["source"], parent_id))

"""Turning one JSON object (a JSON Lines line, a JSON array element) into a Comment.

Records in one dump usually share their keys, so the column resolution is
cached per key set (a small, bounded cache: a dump whose every record has
different keys still reads, just slower).
"""

from __future__ import annotations

from typing import Any

from moderation.readers.base import blank_to_none
from moderation.readers.columns import ColumnError, ColumnMap, resolve_columns
from moderation.records import Comment
from moderation.surrogates import SURROGATE

_CACHE_SIZE = 64

#: A UTF-16 surrogate left alone in a decoded string: JSON's `"\\ud800"` escape (half of an
#: emoji pair cut by a JavaScript-side truncation) decodes to one. No output can encode it
#: as UTF-8, so it becomes U+FFFD, as an undecodable byte does in the other readers (and
#: as in `moderation check` and the service, moderation/surrogates.py).
_SURROGATE = SURROGATE
_NAME_KEYS = ("name", "display_name", "username", "screen_name", "login")


def _lookup(record: dict, path: str) -> Any:
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _as_name(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in _NAME_KEYS:
            if value.get(key):
                return blank_to_none(value[key])
        return None
    return blank_to_none(value)


class RecordMapper:
    def __init__(self, columns: ColumnMap | None, source: str):
        self.columns = columns
        self.source = source
        self._cache: dict[tuple, dict[str, str]] = {}

    def resolve(self, record: dict) -> dict[str, str]:
        """Which key of records shaped like `record` holds each field (`text`, `id`, ...).

        Cached per key tuple: a dump's records nearly all share one shape.
        Raises ColumnError when no key can be the comment text.
        """
        keys = tuple(record)
        chosen = self._cache.get(keys)
        if chosen is None:
            # Only the text key is required: an optional key (a top-level comment's
            # parent) is simply absent from some records.
            given = self.columns.given() if self.columns else {}
            chosen = resolve_columns([str(k) for k in keys], ColumnMap(text=given.get("text")), what="key")
            for name, key in given.items():
                chosen[name] = key
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[keys] = chosen
        return chosen

    def to_comment(self, record: Any, line: int) -> Comment | str:
        """A Comment, or the message of the ReadError this record should become."""
        if not isinstance(record, dict):
            return f"expected a JSON object per comment, found {type(record).__name__}"
        try:
            chosen = self.resolve(record)
        except ColumnError as exc:
            return str(exc)
        text_key = chosen["text"]
        text = _value(record, text_key)
        if text is None:
            text = ""
        elif type(text) is not str:
            if isinstance(text, (int, float)) and not isinstance(text, bool):
                text = str(text)
            else:
                return f"the text field {text_key!r} holds a {type(text).__name__}, not a string"
        get = chosen.get
        author = _value(record, get("author"))
        comment = Comment(
            id=_scalar(_value(record, get("id"))) or str(line),
            text=text,
            parent_id=_scalar(_value(record, get("parent"))),
            author=_as_name(author) if isinstance(author, dict) else _scalar(author),
            timestamp=_scalar(_value(record, get("timestamp"))),
            thread=_scalar(_value(record, get("thread"))),
            thread_title=_scalar(_value(record, get("title"))),
            source=self.source,
            line=line,
        )
        if _SURROGATE.search(text) or any(
            value is not None and _SURROGATE.search(value)
            for value in (comment.id, comment.parent_id, comment.author, comment.timestamp, comment.thread,
                          comment.thread_title)):
            _replace_surrogates(comment)
        return comment


def _replace_surrogates(comment: Comment) -> None:
    """Each lone surrogate in the comment's text and fields becomes U+FFFD."""
    for name in ("text", "id", "parent_id", "author", "timestamp", "thread", "thread_title"):
        value = getattr(comment, name)
        if value is not None:
            setattr(comment, name, _SURROGATE.sub("\ufffd", value))


_MISSING = object()


def _value(record: dict, key: str | None) -> Any:
    if key is None:
        return None
    value = record.get(key, _MISSING)
    return _lookup(record, key) if value is _MISSING else value


def _scalar(value: Any) -> str | None:
    """A field value as a string; objects and lists are not ids or names."""
    if isinstance(value, (dict, list)):
        return None
    return blank_to_none(value)

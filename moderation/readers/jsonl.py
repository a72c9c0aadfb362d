"""JSON Lines dumps: one JSON object per line.

Each line stands alone, so a bad line (not JSON, not an object, bytes that do
not decode, cut off at the end of a truncated file) is reported with its line
number and the next line reads normally. Blank lines are not records.

A million-comment dump spends most of its reading time here, so UTF-8 (and
so far pure-ASCII) dumps take a fast path when orjson is installed: orjson
parses the line's bytes directly (no decoded copy, no per-line record
object), and a record whose fields are plain strings or nulls becomes a
`Comment` inline. Anything else (the first line, a line orjson rejects,
bytes that are not UTF-8, a legacy encoding, dotted keys, values that are
numbers or objects) goes through the general path below, so the records and
the error messages are the same either way; the tests compare both paths.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import Any

from moderation.readers.base import NULL_VALUES, ReaderContext, Record
from moderation.readers.columns import ColumnError, ColumnMap
from moderation.readers.decoding import (
    DecodedLine, EncodingGuess, LineDecoder, is_ascii_compatible, iter_decoded_lines, physical_lines,
)
from moderation.readers.mapping import RecordMapper
from moderation.readers.sources import Source
from moderation.records import Comment

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is in the `report` extra
    orjson = None

#: Field values that mean "no value" (as `blank_to_none` treats them).
_FIELDS = ("id", "parent", "author", "timestamp", "thread", "title")
_PLAN_CACHE_SIZE = 64


def read_jsonl(source: Source, guess: EncodingGuess, context: ReaderContext, columns: ColumnMap | None = None,
               *, fast: bool = True) -> Iterator[Record]:
    """Records of one JSON Lines dump. `fast=False` forces the general path (the tests compare the two)."""
    mapper = RecordMapper(columns, context.source)
    if fast and orjson is not None and is_ascii_compatible(guess.encoding):
        yield from _read_fast(source, guess, context, mapper)
        return
    for line in iter_decoded_lines(source.stream, guess):
        record = _read_line(line, context, mapper)
        if record is not None:
            yield record


def _read_line(line: DecodedLine, context: ReaderContext, mapper: RecordMapper) -> Record | None:
    """The general path for one line: a Comment, a ReadError, or None for a blank line."""
    number = line.number
    context.line = number
    text = line.text
    if line.bad:
        return context.error(number, f"undecodable bytes: {line.bad}")
    if not text.strip():
        return None
    if number == 1:
        text = text.lstrip("\ufeff")
    try:
        record = json.loads(text)
    except ValueError as exc:
        if not line.terminated:
            return context.error(number, f"truncated last line (no newline at the end of the file): {_short(exc)}")
        return context.error(number, f"not valid JSON: {_short(exc)}")
    result = mapper.to_comment(record, number)
    if isinstance(result, str):
        return context.error(number, result)
    return result


def _read_fast(source: Source, guess: EncodingGuess, context: ReaderContext, mapper: RecordMapper) -> Iterator[Record]:
    loads, JSONDecodeError = orjson.loads, orjson.JSONDecodeError
    decoder = LineDecoder(guess)
    plans: dict[tuple, tuple | None] = {}
    name = context.source
    nulls = NULL_VALUES
    encoding, utf8 = None, False
    number = 0
    for raw in physical_lines(source.stream):  # LF, CRLF and a bare CR each end a line
        number += 1
        record: Any = None
        if decoder.encoding is not encoding:  # settled lazily, or given as an alias ("utf8")
            encoding = decoder.encoding
            utf8 = codecs.lookup(encoding).name == "utf-8"
        # orjson reads UTF-8 bytes; that is what the line decoder would do only
        # once the dump is known to be UTF-8, or while the line is pure ASCII.
        if number > 1 and utf8 and (decoder.settled or raw.isascii()):
            try:
                record = loads(raw)
            except JSONDecodeError:
                record = None
        if record.__class__ is dict:
            keys = tuple(record)
            plan = plans.get(keys, False)
            if plan is False:
                plan = _plan(mapper, record)
                if len(plans) >= _PLAN_CACHE_SIZE:
                    plans.clear()
                plans[keys] = plan
            if plan is not None:
                get = record.get
                text_key, id_key, parent_key, author_key, timestamp_key, thread_key, title_key = plan
                text = get(text_key)
                if text.__class__ is str or text is None:
                    # Each field as blank_to_none gives it: stripped, null-like values None.
                    values = []
                    for key in (id_key, parent_key, author_key, timestamp_key, thread_key, title_key):
                        value = get(key) if key is not None else None
                        if value.__class__ is str:
                            value = value.strip()
                            if value in nulls:
                                value = None
                        elif value is not None:
                            break  # a number, an object: the general mapper decides
                        values.append(value)
                    else:
                        context.line = number
                        cid, parent, author, timestamp, thread, title = values
                        # Positional (faster): id, text, parent_id, depth, author, timestamp, quote,
                        # thread, thread_title, source, line.
                        yield Comment(cid or str(number), "" if text is None else text, parent, 0, author,
                                      timestamp, None, thread, title, name, number)
                        continue
        # The general path: exactly what the line-by-line reader does.
        text, bad = decoder.decode(raw)
        result = _read_line(DecodedLine(number, text, bad, raw.endswith((b"\n", b"\r"))), context, mapper)
        if result is not None:
            yield result


def _plan(mapper: RecordMapper, record: dict) -> tuple | None:
    """The keys of (text, id, parent, author, timestamp, thread, title) for records with these keys.

    None when the fast path cannot be sure to match the mapper (a column the
    mapper cannot resolve, a dotted key it would look up as a path).
    """
    try:
        chosen = mapper.resolve(record)
    except ColumnError:
        return None
    keys = (chosen["text"], *(chosen.get(field) for field in _FIELDS))
    if any(key is not None and "." in key and key not in record for key in keys):
        return None
    return keys


def _short(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return str(exc)

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
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from moderation.jsonerrors import TOO_DEEP, json_error
from moderation.readers.base import NULL_VALUES, ReaderContext, Record, ReadStats
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
        yield from _read_fast(source.stream, LineDecoder(guess), context, mapper)
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
        if not line.terminated:  # a damaged stream may cut a character in two
            return context.cut_off(number, f"undecodable bytes: {line.bad}")
        return context.error(number, f"undecodable bytes: {line.bad}")
    if not text.strip():
        if not line.terminated:
            context.end_line = number  # a damaged stream's cut is on this line
        return None
    if number == 1:
        text = text.lstrip("\ufeff")
    try:
        record = json.loads(text)
    except RecursionError:
        return context.error(number, TOO_DEEP)
    except ValueError as exc:
        if not line.terminated:
            return context.cut_off(number, f"truncated last line (no newline at the end of the file): {_short(exc)}")
        return context.error(number, f"not valid JSON: {_short(exc)}")
    result = mapper.to_comment(record, number)
    if isinstance(result, str):
        if not line.terminated and not isinstance(record, dict) and context.damage is not None:
            # A number is valid JSON cut anywhere ("12" of "123"): no proof of a whole line.
            return context.cut_off(number, result)
        return context.error(number, result)
    return result


def _read_fast(stream: Any, decoder: LineDecoder, context: ReaderContext, mapper: RecordMapper,
               number: int = 0) -> Iterator[Record]:
    """The lines of `stream` (the first one is line `number + 1`), decoded as `decoder` would."""
    loads, JSONDecodeError = orjson.loads, orjson.JSONDecodeError
    plans: dict[tuple, tuple | None] = {}
    name = context.source
    nulls = NULL_VALUES
    encoding, utf8 = None, False
    for raw in physical_lines(stream):  # LF, CRLF and a bare CR each end a line
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


#: Where the first byte outside ASCII is (the line that settles an undecided encoding).
_NON_ASCII = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True)
class LineRange:
    """Whole lines of a JSON Lines file, for a worker to read on its own (`read_jsonl_range`).

    `first_line` is the number of its first line in the file, and `encoding`
    and `settled` the state the line decoder of a reader going through the
    whole file would be in there, so the worker's records and error messages
    are those of that reader, line numbers included.
    """

    path: str
    name: str
    start: int
    end: int
    first_line: int
    encoding: str
    settled: bool


def split_lines(path: str, name: str, guess: EncodingGuess, size: int) -> Iterator[LineRange]:
    """Cut a JSON Lines file into ranges of whole lines of about `size` bytes, in order.

    This is all the reading process does for such a file when workers parse
    it: one read of the bytes and a few `bytes.count` per range (lines end at
    LF, CRLF or a bare CR, as in `physical_lines`: a range always ends after
    an LF, so a CRLF is never cut). An undecided encoding (ASCII so far) is
    settled by the first line with a byte outside ASCII, decoded here exactly
    as the whole-file reader would, and handed on to the ranges after it.
    """
    encoding, settled = guess.encoding, guess.settled
    start, line = 0, 1
    with open(path, "rb") as f:
        while True:
            data = f.read(size)
            if not data:
                return
            if not data.endswith(b"\n"):
                data += f.readline()
            end = start + len(data)
            yield LineRange(path, name, start, end, line, encoding, settled)
            if b"\r" in data:
                line += data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
            else:
                line += data.count(b"\n")
            if encoding == "utf-8-sig":  # what LineDecoder makes of it after line 1
                encoding = "utf-8"
            if not settled and not data.isascii():
                decoder = LineDecoder(EncodingGuess(encoding, False, "ASCII so far"))
                decoder.decode(_line_at(data, _NON_ASCII.search(data).start()))
                encoding, settled = decoder.encoding, True
            start = end


def _line_at(data: bytes, position: int) -> bytes:
    """The physical line (ending kept) of `data` that holds byte `position`."""
    begin = max(data.rfind(b"\n", 0, position), data.rfind(b"\r", 0, position)) + 1
    ends = [i for i in (data.find(b"\n", position), data.find(b"\r", position)) if i >= 0]
    if not ends:
        return data[begin:]
    stop = min(ends)
    if data[stop:stop + 2] == b"\r\n":
        stop += 1
    return data[begin:stop + 1]


def read_jsonl_range(part: LineRange, columns: ColumnMap | None = None) -> list[Record]:
    """The records of one `LineRange`: what `read_jsonl` yields for those lines, read errors included.

    Reply depth is not resolved here (every comment has depth 0): the caller
    knows whether the dump has replies, and what to do then.
    """
    with open(part.path, "rb") as f:
        f.seek(part.start)
        data = f.read(part.end - part.start)
    decoder = LineDecoder(EncodingGuess(part.encoding, part.settled, "range"), first_line=part.first_line == 1)
    context = ReaderContext(part.name, ReadStats())
    mapper = RecordMapper(columns, part.name)
    return list(_read_fast(io.BytesIO(data), decoder, context, mapper, part.first_line - 1))


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
        return json_error(exc, f"at column {exc.colno}")
    return str(exc)

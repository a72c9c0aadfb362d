"""JSON array dumps (`[{...}, {...}]`), streamed element by element.

`json.load` would hold the whole file (and several times its size in
objects). Instead a small scanner finds where each top-level element ends,
tracking bracket depth and skipping strings with a regular expression, and
only that element's text is parsed. Memory holds one chunk plus one element.

Because elements are delimited structurally before they are parsed, a
malformed element (a bad value, a stray character) is reported with its line
and the next element reads normally. A file cut off mid-element reports the
truncation. Brackets that never close stop the file after `MAX_RECORD`
characters with an error rather than reading it all into memory.

A top-level object that wraps the array (`{"comments": [...]}`) is accepted
when the file is small enough to load whole (`MAX_WRAPPED`); the first
array of objects found is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from moderation.jsonerrors import TOO_DEEP, json_error
from moderation.readers.base import ReaderContext, Record
from moderation.readers.columns import ColumnMap
from moderation.readers.decoding import MARK, EncodingGuess, chunk_decoder
from moderation.readers.mapping import RecordMapper
from moderation.readers.sources import DEFAULT_CHUNK_SIZE, Source

MAX_RECORD = 64 * 1024 * 1024
MAX_WRAPPED = 64 * 1024 * 1024
_WRAPPER_KEYS = ("comments", "data", "items", "posts", "results", "records", "rows", "response")

_STRUCT = re.compile(r'[\[\]{}"]')
_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_SCALAR_END = re.compile(r"[\s,\]]")
_SPACE = re.compile(r"\s*")


class _NeedMore(Exception):
    pass


_UNSET = object()
raw_decode = json.JSONDecoder().raw_decode


class _Buffer:
    """Decoded text with a read position, refilled from the stream on demand."""

    def __init__(self, source: Source, guess: EncodingGuess, chunk_size: int):
        self.stream = source.stream
        self.decoder = chunk_decoder(guess)
        self.chunk_size = chunk_size
        self.text = ""
        self.pos = 0
        self.line = 1  # line number at self.pos
        self.eof = False

    def fill(self) -> bool:
        """Append a chunk, dropping what has been consumed. False at end of file."""
        if self.eof:
            return False
        data = self.stream.read(self.chunk_size)
        if data:
            more = self.decoder.decode(data)
        else:
            more = self.decoder.decode(b"", final=True)
            self.eof = True
        self.text = self.text[self.pos :] + more
        self.pos = 0
        return bool(more) or not self.eof

    def advance(self, to: int) -> None:
        self.line += self.text.count("\n", self.pos, to)
        self.pos = to

    def skip_space(self) -> str | None:
        """The next non-space character (not consumed), or None at end of file."""
        while True:
            end = _SPACE.match(self.text, self.pos).end()
            self.advance(end)
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return None


def _value_end(text: str, start: int) -> int:
    """Index just past the JSON value starting at `start`; _NeedMore if it runs past the buffer."""
    first = text[start]
    if first == '"':
        m = _STRING_REST.match(text, start + 1)
        if m is None:
            raise _NeedMore
        return m.end()
    if first not in "[{":
        m = _SCALAR_END.search(text, start)
        if m is None:
            raise _NeedMore
        return m.start()
    depth = 0
    pos = start
    search = _STRUCT.search
    match_string = _STRING_REST.match
    while True:
        m = search(text, pos)
        if m is None:
            raise _NeedMore
        ch = m.group()
        pos = m.end()
        if ch == '"':
            s = match_string(text, pos)
            if s is None:
                raise _NeedMore
            pos = s.end()
        elif ch in "[{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return pos


def read_json_array(
    source: Source,
    guess: EncodingGuess,
    context: ReaderContext,
    columns: ColumnMap | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[Record]:
    mapper = RecordMapper(columns, context.source)
    buf = _Buffer(source, guess, chunk_size)
    first = buf.skip_space()
    if first == "\ufeff":
        buf.advance(buf.pos + 1)
        first = buf.skip_space()
    if first is None:
        yield context.error(None, "empty file: no JSON array")
        return
    if first == "{":
        yield from _read_wrapped(buf, context, mapper)
        return
    if first != "[":
        yield context.error(buf.line, f"not a JSON array: starts with {first!r}")
        return
    buf.advance(buf.pos + 1)
    expect_value = True
    index = 0  # elements seen, for messages: a minified array is all on line 1
    while True:
        ch = buf.skip_space()
        if ch is None:
            yield context.cut_off(buf.line, "the JSON array is not closed: the file is truncated")
            return
        if ch == "]":
            buf.advance(buf.pos + 1)
            break
        if ch == ",":
            if expect_value:
                yield context.error(buf.line, "an empty element (two commas in a row, or a leading comma)")
            buf.advance(buf.pos + 1)
            expect_value = True
            continue
        if not expect_value:
            yield context.error(buf.line, "a comma is missing between two elements")
        start_line = buf.line
        context.line = start_line
        index += 1
        record = _UNSET
        while True:
            text, pos = buf.text, buf.pos
            # Fast path: the C decoder parses the element and says where it ends.
            try:
                value, end = raw_decode(text, pos)
            except (ValueError, RecursionError):  # (too deep: the slow path finds its end, and reports it)
                pass
            else:
                if end < len(text) or buf.eof:
                    record = value
                    break
            # Slow path (a malformed element, or one running past the buffer):
            # find its end structurally, reading more if needed.
            try:
                end = _value_end(text, pos)
                break
            except _NeedMore:
                if len(text) - pos > MAX_RECORD:
                    yield context.error(
                        start_line,
                        f"the element starting here is over {MAX_RECORD // (1024 * 1024)} MiB or its brackets never close; stopped reading",
                    )
                    return
                if not buf.fill():
                    yield context.cut_off(start_line, f"element {index}: truncated: the file ends inside this element")
                    return
        bad_bytes = buf.text.find(MARK, buf.pos, end) >= 0
        element = buf.text[buf.pos : end] if record is _UNSET and not bad_bytes else None
        buf.advance(end)
        expect_value = False
        if bad_bytes:
            yield context.error(start_line, f"element {index}: undecodable bytes; try --encoding")
            continue
        if record is _UNSET:
            try:
                record = json.loads(element)
            except RecursionError:
                yield context.error(start_line, f"element {index}: {TOO_DEEP}")
                continue
            except ValueError as exc:
                detail = json_error(exc, f"at line {start_line + exc.lineno - 1}") if isinstance(exc, json.JSONDecodeError) else str(exc)
                yield context.error(start_line, f"element {index}: not valid JSON: {detail}")
                continue
        result = mapper.to_comment(record, start_line)
        yield context.error(start_line, f"element {index}: {result}") if isinstance(result, str) else result
    trailing = buf.skip_space()
    if trailing is not None:
        yield context.error(buf.line, "unexpected data after the end of the JSON array (ignored)")
    context.end_line = buf.line


def _read_wrapped(buf: _Buffer, context: ReaderContext, mapper: RecordMapper) -> Iterator[Record]:
    while buf.fill():
        if len(buf.text) > MAX_WRAPPED:
            yield context.error(
                1, f"a JSON object over {MAX_WRAPPED // (1024 * 1024)} MiB: write the comments as a top-level array or JSON Lines to stream them"
            )
            return
    text = buf.text[buf.pos :]
    first_line = buf.line
    context.end_line = first_line + text.count("\n")
    if MARK in text:
        if context.damage is not None:  # the cut may split a character: the damage is what to report
            yield context.cut_off(context.end_line, "")
        else:
            yield context.error(None, "undecodable bytes in the file; try --encoding")
        return
    try:
        document = json.loads(text)
    except RecursionError:
        yield context.error(first_line, TOO_DEEP)
        return
    except json.JSONDecodeError as exc:
        # The object is parsed whole, so a damaged stream loses all of it (see docs/dumps.md).
        line = first_line + exc.lineno - 1
        yield context.cut_off(line, f"not valid JSON: {json_error(exc, f'at column {exc.colno}')}")
        return
    items = None
    for key in (*_WRAPPER_KEYS, *document):
        value = document.get(key)
        if isinstance(value, list) and (not value or isinstance(value[0], dict)):
            items = value
            break
    if items is None:
        if any(isinstance(document.get(k), str) for k in ("text", "body", "comment", "message", "content")):
            items = [document]  # a single comment object
        else:
            yield context.error(None, "a JSON object with no array of comments in it")
            return
    for number, record in enumerate(items, start=1):
        context.line = number
        result = mapper.to_comment(record, number)
        yield context.error(number, f"element {number}: {result}") if isinstance(result, str) else result

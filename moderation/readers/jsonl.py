"""JSON Lines dumps: one JSON object per line.

Each line stands alone, so a bad line (not JSON, not an object, bytes that do
not decode, cut off at the end of a truncated file) is reported with its line
number and the next line reads normally. Blank lines are not records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from moderation.readers.base import ReaderContext, Record
from moderation.readers.columns import ColumnMap
from moderation.readers.decoding import EncodingGuess, iter_decoded_lines
from moderation.readers.mapping import RecordMapper
from moderation.readers.sources import Source


def read_jsonl(source: Source, guess: EncodingGuess, context: ReaderContext, columns: ColumnMap | None = None) -> Iterator[Record]:
    mapper = RecordMapper(columns, context.source)
    loads = json.loads
    for line in iter_decoded_lines(source.stream, guess):
        number = line.number
        context.line = number
        text = line.text
        if line.bad:
            yield context.error(number, f"undecodable bytes: {line.bad}")
            continue
        if not text.strip():
            continue
        if number == 1:
            text = text.lstrip("\ufeff")
        try:
            record = loads(text)
        except ValueError as exc:
            if not line.terminated:
                yield context.error(number, f"truncated last line (no newline at the end of the file): {_short(exc)}")
            else:
                yield context.error(number, f"not valid JSON: {_short(exc)}")
            continue
        result = mapper.to_comment(record, number)
        if isinstance(result, str):
            yield context.error(number, result)
        else:
            yield result


def _short(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return str(exc)

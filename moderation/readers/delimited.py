"""CSV and TSV dumps (database exports, spreadsheet saves).

Read with the standard library's C `csv` parser in strict mode, fed one
decoded line at a time, so quoted fields may span lines and memory holds one
record. The first row is the header. A row with a different number of fields
than the header, bad quoting, an unterminated quote at the end of the file,
or bytes that will not decode, become a ReadError naming the row's first line;
reading goes on with the next row.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator

from moderation.readers.base import ReaderContext, Record, blank_to_none
from moderation.readers.columns import ColumnError, ColumnMap, resolve_columns
from moderation.readers.decoding import EncodingGuess, iter_decoded_lines
from moderation.readers.sources import Source
from moderation.records import Comment

#: The largest field accepted (characters). Comments are kept whole however
#: long they are; this only stops an unclosed quote from swallowing a whole
#: multi-gigabyte file into memory.
MAX_FIELD = 16 * 1024 * 1024

#: A quoted field may span this many lines; a row still open after them is taken for a
#: stray quote: its first line is reported and reading starts again at the next line.
MAX_ROW_LINES = 10_000

DELIMITERS = (",", "\t", ";", "|")


def _raise_field_limit() -> None:
    # The csv module's limit is process-wide; only ever raise it, never lower it.
    if csv.field_size_limit() < MAX_FIELD:
        csv.field_size_limit(MAX_FIELD)


def choose_delimiter(header_line: str, default: str = ",") -> str:
    """The delimiter is the candidate that occurs most often in the header line."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else default


class _RunawayRow(Exception):
    """A row still open after `MAX_ROW_LINES` lines: an unbalanced quote, not a comment."""


def read_delimited(
    source: Source,
    guess: EncodingGuess,
    context: ReaderContext,
    columns: ColumnMap | None = None,
    delimiter: str | None = None,
) -> Iterator[Record]:
    _raise_field_limit()
    lines = iter_decoded_lines(source.stream, guess)
    bad: dict[int, str] = {}
    # The lines of the row being parsed (for reading them again after a stray quote),
    # the number of the last line handed to the parser, and whether it ended in a newline.
    pending: list[str] = []
    replay: deque[str] = deque()
    fed = 0
    terminated = True

    def texts() -> Iterator[str]:
        nonlocal fed, terminated
        while replay:  # the lines after a damaged row's first, read again
            text = replay.popleft()
            fed += 1
            pending.append(text)
            if len(pending) > MAX_ROW_LINES:
                raise _RunawayRow
            yield text
        for line in lines:
            if not line.terminated and context.damage is not None:
                # The last line of a damaged stream is cut, and a cut row can still
                # parse (a field cut short): it is not given to the parser. The
                # damage is reported at its line (read_dump), or at the row it cuts.
                context.end_line = line.number
                return
            if line.bad:
                bad[line.number] = f"undecodable bytes: {line.bad}"
            elif "\x00" in line.text:
                bad[line.number] = f"a NUL byte at character {line.text.index(chr(0))} of the line (a corrupt record)"
            terminated = line.terminated
            fed = line.number
            text = line.text
            pending.append(text)
            if len(pending) > MAX_ROW_LINES:
                raise _RunawayRow
            yield text

    feed = texts()
    # The header: the first non-empty line decides the delimiter.
    header_text = ""
    for header_text in feed:
        if header_text.strip():
            break
    else:
        if context.end_line is None:  # (otherwise the damage cut the header, and is reported)
            yield context.error(None, "empty file: no header row")
        return
    header_line_no = fed
    if header_line_no in bad:
        yield context.error(header_line_no, f"the header row is unreadable ({bad[header_line_no]}); try --encoding")
        return
    if delimiter is None:
        delimiter = choose_delimiter(header_text)
    pending.clear()

    def rest() -> Iterator[str]:
        yield header_text
        yield from feed

    reader = csv.reader(rest(), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except (csv.Error, _RunawayRow) as exc:
        yield context.error(header_line_no, f"the header row is not valid CSV: {_quoted(str(exc))}")
        return
    try:
        chosen = resolve_columns(header, columns)
    except ColumnError as exc:
        yield context.error(header_line_no, str(exc))
        return
    pending.clear()
    index = {field: header.index(name) for field, name in chosen.items()}
    i_text = index["text"]
    i_id = index.get("id")
    i_parent = index.get("parent")
    i_thread = index.get("thread")
    i_author = index.get("author")
    i_time = index.get("timestamp")
    i_title = index.get("title")
    width = len(header)
    name = context.source
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except (csv.Error, _RunawayRow) as exc:
            count = len(pending)
            start = fed - count + 1
            end = fed
            context.line = start
            at_end = "unexpected end of data" in str(exc)
            if at_end and (not terminated or context.damage is not None):
                # The last row is cut off mid-quote: the file is truncated there.
                span = f" (lines {start}-{end})" if end > start else ""
                yield context.cut_off(start, f"malformed CSV row{span}: unterminated quoted field at the end "
                                             "of the file (truncated?)")
                _clear(bad, end)
                pending.clear()
                continue
            if at_end:
                why = "unterminated quoted field: the quote opened on this line is never closed (a stray quote?)"
            elif isinstance(exc, _RunawayRow):
                why = (f"unterminated quoted field: the quote opened on this line is still open "
                       f"{MAX_ROW_LINES:,} lines later (a stray quote?)")
            elif count > 1:
                why = f"{_quoted(str(exc))} (at line {end}, in a quoted field opened on this line: a stray quote?)"
            else:
                why = _quoted(str(exc))
            if count <= 1:  # the row is its own line: the next line starts the next row
                yield context.error(start, f"malformed CSV row: {why}")
                _clear(bad, end)
                pending.clear()
                continue
            # A quote opened on the row's first line and never closed properly (a stray
            # quote) swallowed the lines after it: only the first line is lost, and the
            # parser starts again at the next one, which most likely starts a row.
            yield context.error(start, f"malformed CSV row: {why}; reading resumes at line {start + 1}")
            _clear(bad, start)
            replay.extend(pending[1:])
            fed = start
            pending.clear()
            feed = texts()
            reader = csv.reader(feed, delimiter=delimiter, strict=True)
            continue
        end = fed
        start = end - len(pending) + 1
        pending.clear()
        context.line = start
        if not row:
            continue  # a blank line is not a record
        problem = _bad_in(bad, start, end)
        if problem:
            yield context.error(problem[0], problem[1])
            _clear(bad, end)
            continue
        if len(row) != width:
            truncated = not terminated and len(row) < width and not replay
            what = "truncated last row" if truncated else "wrong number of fields"
            yield context.error(start, f"{what}: expected {width} fields as in the header, found {len(row)}")
            continue
        yield Comment(
            id=(blank_to_none(row[i_id]) if i_id is not None else None) or str(start),
            text=row[i_text],
            parent_id=blank_to_none(row[i_parent]) if i_parent is not None else None,
            author=blank_to_none(row[i_author]) if i_author is not None else None,
            timestamp=blank_to_none(row[i_time]) if i_time is not None else None,
            thread=blank_to_none(row[i_thread]) if i_thread is not None else None,
            thread_title=blank_to_none(row[i_title]) if i_title is not None else None,
            source=name,
            line=start,
        )
    if context.end_line is None:
        context.end_line = fed + 1


def _quoted(message: str) -> str:
    """The csv module's message, at most ~200 characters."""
    return message if len(message) <= 200 else message[:200] + "..."


def _bad_in(bad: dict[int, str], start: int, end: int) -> tuple[int, str] | None:
    """The first unreadable physical line of a record spanning lines start..end, with its message."""
    if not bad:
        return None
    for number in range(start, end + 1):
        if number in bad:
            return number, bad[number]
    return None


def _clear(bad: dict[int, str], end: int) -> None:
    for number in [n for n in bad if n <= end]:
        del bad[number]


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
    last = {"terminated": True, "number": 0}

    def texts() -> Iterator[str]:
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
            last["terminated"] = line.terminated
            last["number"] = line.number
            yield line.text

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
    header_line_no = last["number"]
    if header_line_no in bad:
        yield context.error(header_line_no, f"the header row is unreadable ({bad[header_line_no]}); try --encoding")
        return
    if delimiter is None:
        delimiter = choose_delimiter(header_text)

    def rest() -> Iterator[str]:
        yield header_text
        yield from feed

    reader = csv.reader(rest(), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except csv.Error as exc:
        yield context.error(header_line_no, f"the header row is not valid CSV: {exc}")
        return
    try:
        chosen = resolve_columns(header, columns)
    except ColumnError as exc:
        yield context.error(header_line_no, str(exc))
        return
    index = {field: header.index(name) for field, name in chosen.items()}
    i_text = index["text"]
    i_id = index.get("id")
    i_parent = index.get("parent")
    i_thread = index.get("thread")
    i_author = index.get("author")
    i_time = index.get("timestamp")
    i_title = index.get("title")
    width = len(header)
    # csv's line_num counts lines it pulled, starting after the skipped blank lines.
    offset = header_line_no - 1
    previous_end = reader.line_num + offset
    name = context.source
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            start = previous_end + 1
            end = reader.line_num + offset
            previous_end = end
            context.line = start
            message = str(exc)
            span = f" (lines {start}-{end})" if end > start else ""
            if "unexpected end of data" in message:
                message = "unterminated quoted field at the end of the file (truncated?)"
                yield context.cut_off(start, f"malformed CSV row{span}: {message}")
            else:
                yield context.error(start, f"malformed CSV row{span}: {message}")
            _clear(bad, end)
            continue
        start = previous_end + 1
        end = reader.line_num + offset
        previous_end = end
        context.line = start
        if not row:
            continue  # a blank line is not a record
        problem = _bad_in(bad, start, end)
        if problem:
            yield context.error(problem[0], problem[1])
            _clear(bad, end)
            continue
        if len(row) != width:
            truncated = end == last["number"] and not last["terminated"] and len(row) < width
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
        context.end_line = last["number"] + 1


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


"""`read_dump`: one entry point for every dump format."""

from __future__ import annotations

from collections.abc import Iterator

from moderation.readers.base import DumpReader, ReaderContext, Record, ReadStats, stopped
from moderation.readers.columns import ColumnMap
from moderation.readers.decoding import EncodingGuess, guess_encoding, normalise_encoding
from moderation.readers.sniff import DUMP_FORMATS, canonical_format, detect_format, is_binary, sniff_content
from moderation.readers.sources import DEFAULT_CHUNK_SIZE, PathOrFile, Source, open_source, source_name
from moderation.readers.threads import DEFAULT_WINDOW, DepthResolver
from moderation.records import ReadError


def read_dump(
    path: PathOrFile | Source,
    format: str | None = None,
    encoding: str | None = None,
    columns: ColumnMap | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    name: str | None = None,
    include_deleted: bool = False,
    depth_window: int = DEFAULT_WINDOW,
) -> DumpReader:
    """Stream the comments of a dump, with a ReadError for each record that cannot be read.

    `path` is a file path, a binary file object (stdin), or a `Source` already
    opened (`open_source`); `name` labels it in records and errors. The
    format comes from the extension and the first bytes (`format=` forces
    one: csv, tsv, jsonl, json, parquet, disqus, wxr); gzip compression is
    undone whatever the name. `encoding=` forces the text
    encoding (otherwise detected, see moderation.readers.decoding). `columns`
    names the columns of tabular dumps (detected otherwise). `chunk_size` is
    the number of bytes read at a time. Deleted and spam posts of Disqus and
    WordPress exports are counted in `stats.skipped`, not yielded, unless
    `include_deleted`. `depth_window` bounds how many comment ids are
    remembered for computing reply depth (see moderation.readers.threads).

    Nothing raises for bad input: a file that cannot be read at all yields a
    single ReadError naming it. A truncated or corrupt gzip stream gives every
    complete record that can be recovered before the damage, then one
    ReadError for the damage, at the line after the last complete record. The
    returned iterator's `stats` (comments, errors, skipped, orphans) is
    complete once it is exhausted.
    """
    label = source_name(path, name)
    stats = ReadStats()
    context = ReaderContext(label, stats)
    records = _records(path, label, format, encoding, columns, chunk_size, context, include_deleted)
    return DumpReader(label, records, context=context, resolver=DepthResolver(window=depth_window))


def _records(
    path: PathOrFile | Source,
    label: str,
    format: str | None,
    encoding: str | None,
    columns: ColumnMap | None,
    chunk_size: int,
    context: ReaderContext,
    include_deleted: bool,
) -> Iterator[Record]:
    try:
        forced = canonical_format(format) if format else None
        forced_encoding = normalise_encoding(encoding) if encoding else None
    except (ValueError, LookupError) as exc:
        yield ReadError(label, None, str(exc))
        return
    if isinstance(path, Source):
        yield from _with_damage(path, context, _dispatch(path, path, forced, forced_encoding, columns, chunk_size,
                                                         context, include_deleted))
        return
    try:
        source = open_source(path, name=label, chunk_size=chunk_size)
    except IsADirectoryError:
        yield ReadError(label, None, "is a directory, not a dump (iter_inputs reads directories)")
        return
    except FileNotFoundError:
        yield ReadError(label, None, "no such file")
        return
    except OSError as exc:
        yield ReadError(label, None, f"cannot open: {exc.strerror or exc}")
        return
    with source:
        yield from _with_damage(source, context, _dispatch(source, path, forced, forced_encoding, columns, chunk_size,
                                                           context, include_deleted))


def _with_damage(source: Source, context: ReaderContext, records: Iterator[Record]) -> Iterator[Record]:
    """An opened input's records (`_dispatch`), then its damage if it has some and no reader reported it."""
    context.input = source
    yield from records
    damage = source.damage
    if damage is not None and not context.damage_reported and not source.error:
        # The input ended at a record boundary (no record was cut): the damage
        # is at the line after the last one read.
        line = context.end_line or (context.line + 1 if context.line else 1)
        context.damage_reported = True
        yield stopped(context.source, line, damage)


def _dispatch(
    source: Source,
    path: PathOrFile,
    forced: str | None,
    encoding: str | None,
    columns: ColumnMap | None,
    chunk_size: int,
    context: ReaderContext,
    include_deleted: bool,
) -> Iterator[Record]:
    label = source.name
    if source.error:
        yield ReadError(label, None, source.error)
        return
    head = source.head
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        if source.damage is not None:
            return  # nothing could be recovered: the damage is the one error (_with_damage)
        yield ReadError(label, None, "empty file" + (" (after gzip decompression)" if source.compressed else ""))
        return
    name_hint = path if not hasattr(path, "read") and not isinstance(path, Source) else None
    fmt = forced or detect_format(name_hint, head)
    if fmt == "parquet" or (fmt is None and head.startswith(b"PAR1")):
        from moderation.readers.parquet import read_parquet

        yield from read_parquet(source, context, columns, chunk_size)
        return
    if is_binary(head):  # even with a forced format: binary is not a text dump
        yield ReadError(label, None, "binary file: not a comment dump this tool reads")
        return
    if fmt is None:
        if source.damage is not None:
            return  # too little was recovered to tell the format: the damage is the one error (_with_damage)
        looks = sniff_content(head)
        hint = f" (it looks like {looks})" if looks else ""
        yield ReadError(label, None, f"unknown format{hint}: expected one of {', '.join(DUMP_FORMATS)}; name the format explicitly")
        return
    if fmt not in DUMP_FORMATS:
        yield ReadError(label, None, f"a saved {fmt} page, not a dump: read it with iter_inputs (moderation scan) or the segmenter")
        return
    if fmt in ("disqus", "wxr"):  # the XML reader guesses the encoding itself, from the same head
        from moderation.readers.xmldumps import read_xml

        yield from read_xml(fmt, source, context, encoding=encoding, include_deleted=include_deleted, chunk_size=chunk_size)
        return
    guess = EncodingGuess(encoding, True, "given") if encoding else guess_encoding(head)
    if fmt in ("csv", "tsv"):
        from moderation.readers.delimited import read_delimited

        yield from read_delimited(source, guess, context, columns, delimiter="\t" if fmt == "tsv" else None)
    elif fmt == "jsonl":
        from moderation.readers.jsonl import read_jsonl

        yield from read_jsonl(source, guess, context, columns)
    elif fmt == "json":
        from moderation.readers.jsonarray import read_json_array

        yield from read_json_array(source, guess, context, columns, chunk_size)


def read_dump_stats(path: PathOrFile, **kwargs) -> ReadStats:
    """Read a dump to the end and return only its accounting (for tests and tools)."""
    reader = read_dump(path, **kwargs)
    for _ in reader:
        pass
    return reader.stats


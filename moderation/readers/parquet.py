"""Parquet dumps (data-warehouse exports), read in record batches with pyarrow.

Only the mapped columns are read, one batch at a time, so memory holds one
batch whatever the file size (a Parquet row group is decoded column by
column, but `iter_batches` slices it). Parquet needs random access, so it is
read from a file path; from standard input or a gzip stream it is first
spooled to a temporary file. Rows are numbered from 1 (`line`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator

from moderation.readers.base import ReaderContext, Record, blank_to_none
from moderation.readers.columns import ColumnError, ColumnMap, resolve_columns
from moderation.readers.sources import DEFAULT_CHUNK_SIZE, Source
from moderation.records import Comment


def read_parquet(source: Source, context: ReaderContext, columns: ColumnMap | None = None,
                 chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[Record]:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is in the `dumps` extra
        yield context.error(None, "reading Parquet needs pyarrow: pip install 'moderation[dumps]'")
        return
    spool = None
    if source.path is not None and not source.compressed:
        target = source.path
    else:
        spool = tempfile.TemporaryFile()
        shutil.copyfileobj(source.stream, spool, 1024 * 1024)
        spool.seek(0)
        target = spool
        if source.damage is not None:  # Parquet's index (footer) is at the end: a cut file has no readable row
            spool.close()
            yield context.cut_off(None, "")
            return
    try:
        try:
            file = pq.ParquetFile(target, buffer_size=max(chunk_size, 64 * 1024), pre_buffer=False)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for corrupt files
            yield context.error(None, f"not a readable Parquet file: {exc}")
            return
        names = file.schema_arrow.names
        try:
            chosen = resolve_columns(names, columns)
        except ColumnError as exc:
            yield context.error(None, str(exc))
            return
        wanted = sorted(set(chosen.values()), key=names.index)
        # Rows per batch: about chunk_size bytes of comment text at ~512 bytes a row.
        batch_rows = max(256, chunk_size // 512)
        row = 0
        text_col = chosen["text"]
        for batch in file.iter_batches(batch_size=batch_rows, columns=wanted):
            data = {name: batch.column(name).to_pylist() for name in wanted}
            texts = data[text_col]
            get = {field: data[name] for field, name in chosen.items() if field != "text"}
            for i in range(batch.num_rows):
                row += 1
                context.line = row
                text = texts[i]
                if text is not None and not isinstance(text, str):
                    if isinstance(text, bytes):
                        try:
                            text = text.decode("utf-8")
                        except UnicodeDecodeError:
                            yield context.error(row, f"the {text_col!r} value is bytes that do not decode as UTF-8")
                            continue
                    elif isinstance(text, (dict, list, tuple)):  # a struct, list or map column
                        kind = "a struct (object)" if isinstance(text, dict) else "a list"
                        yield context.error(row, f"the text column {text_col!r} holds {kind}, not a string")
                        continue
                    else:
                        text = str(text)

                def field(name: str) -> str | None:
                    column = get.get(name)
                    return blank_to_none(column[i]) if column is not None else None

                yield Comment(
                    id=field("id") or str(row),
                    text=text or "",
                    parent_id=field("parent"),
                    author=field("author"),
                    timestamp=field("timestamp"),
                    thread=field("thread"),
                    thread_title=field("title"),
                    source=context.source,
                    line=row,
                )
    finally:
        if spool is not None:
            spool.close()

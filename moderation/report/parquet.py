"""`--format parquet`: typed columns for pandas, DuckDB and Spark; written in row groups as it streams.

Scores are a map<label, double>, labels a list, evidence a list of structs;
reasons vary by kind, so they are kept as a JSON string.
"""

from __future__ import annotations

import json
from typing import IO, Any, Mapping

from moderation.report.base import Report
from moderation.report.summary import ScanSummary

ROW_GROUP = 50_000


def schema():
    import pyarrow as pa

    return pa.schema([
        ("source", pa.string()), ("thread", pa.string()), ("thread_title", pa.string()),
        ("comment_id", pa.string()), ("parent_id", pa.string()), ("depth", pa.int32()),
        ("author", pa.string()), ("timestamp", pa.string()), ("quote", pa.string()), ("text", pa.string()),
        ("scores", pa.map_(pa.string(), pa.float64())), ("labels", pa.list_(pa.string())),
        ("decision", pa.string()),
        ("evidence", pa.list_(pa.struct([("label", pa.string()), ("start", pa.int32()), ("end", pa.int32()),
                                         ("text", pa.string()), ("weight", pa.float64())]))),
        ("reasons", pa.string()), ("model_version", pa.string()), ("line", pa.int64()),
    ])


class ParquetReport(Report):
    binary = True

    def __init__(self, out: IO[bytes], **options: Any):
        super().__init__(out, **options)
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("Parquet output needs pyarrow: pip install 'moderation[dumps]'") from exc
        self._schema = schema()
        self._writer = pq.ParquetWriter(out, self._schema, compression="zstd")
        self._rows: list[dict[str, Any]] = []

    def add(self, record: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> None:
        row = dict(record)
        row["scores"] = list(record["scores"].items())
        row["reasons"] = json.dumps(record["reasons"], ensure_ascii=False)
        self._rows.append(row)
        if len(self._rows) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=self._schema))
            self._rows = []

    def finish(self, summary: ScanSummary) -> None:
        self._flush()
        self._writer.close()

"""Report formats for scan records: one module per format, one class per module.

Every format is a `Report` (see `moderation.report.base`): it is given every
record the scan wants reported with `add`, then the summary with `finish`.
Formats that are documents for people (table, Markdown, HTML) end with the
summary; the data formats (JSON, JSONL, CSV, Parquet) hold records only and
the command prints the summary on stderr.
"""

from __future__ import annotations

from importlib import import_module
from typing import IO, Any

from moderation.report.base import Report
from moderation.report.context import ReplyContext
from moderation.report.summary import ScanSummary, format_summary, is_flagged, summary_lines

#: format name -> (module, class)
FORMATS: dict[str, tuple[str, str]] = {
    "table": ("moderation.report.table", "TableReport"),
    "json": ("moderation.report.json", "JSONReport"),
    "jsonl": ("moderation.report.jsonl", "JSONLinesReport"),
    "csv": ("moderation.report.csv", "CSVReport"),
    "parquet": ("moderation.report.parquet", "ParquetReport"),
    "md": ("moderation.report.markdown", "MarkdownReport"),
    "html": ("moderation.report.html", "HTMLReport"),
}

#: file suffix -> format, so `-o report.html` needs no `--format`.
SUFFIXES = {
    ".txt": "table", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv",
    ".parquet": "parquet", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
}


def report_class(format: str) -> type[Report]:
    try:
        module, name = FORMATS[format]
    except KeyError:
        raise ValueError(f"unknown report format {format!r}; choose one of {', '.join(FORMATS)}") from None
    return getattr(import_module(module), name)


def open_report(format: str, out: IO[Any], **options: Any) -> Report:
    """A report of `format` writing to `out` (a binary stream for Parquet, text otherwise)."""
    return report_class(format)(out, **options)


__all__ = ["FORMATS", "SUFFIXES", "Report", "ReplyContext", "ScanSummary", "format_summary", "is_flagged",
           "open_report", "report_class", "summary_lines"]

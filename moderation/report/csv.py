"""`--format csv`: one row per comment, for spreadsheets.

Scores become one `score_<label>` column per label, flagged labels are joined
with `;`, evidence and reasons are JSON. Every cell that comes from the input
(the comment's words, and its source, thread, ids, author and time, which a
dump or a file name sets just as freely) is hostile: one that starts like a
spreadsheet formula (`= + - @`, tab, CR) is prefixed with `'` so opening the
file in Excel or LibreOffice never runs it. So that the prefix can be undone
exactly, a cell that already starts with `'` is prefixed too (OWASP's advice):
a program reading the CSV drops the first character of every such cell that
starts with `'`, and gets the value as read.
"""

from __future__ import annotations

import csv
import json
from typing import IO, Any, Mapping

from moderation.report.base import Report
from moderation.report.summary import ScanSummary

#: The cells whose value comes from the input (defused); the others are ours (numbers, labels, JSON).
FROM_INPUT = ("source", "thread", "thread_title", "comment_id", "parent_id", "author", "timestamp", "quote", "text")
_PREFIXED = ("=", "+", "-", "@", "\t", "\r", "'")


def defuse(value: str | None) -> str | None:
    """`value` with a `'` in front when a spreadsheet would read it as a formula, or it starts with `'`."""
    if value and value.startswith(_PREFIXED):
        return "'" + value
    return value


def undefuse(value: str) -> str:
    """The value `defuse` was given (for a cell of `FROM_INPUT` as read back from the CSV)."""
    return value[1:] if value.startswith("'") else value


class CSVReport(Report):
    def __init__(self, out: IO[str], **options: Any):
        super().__init__(out, **options)
        self._writer = csv.writer(out, lineterminator="\n")
        self._labels: list[str] | None = None
        self._dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def _header(self, labels: list[str]) -> None:
        self._labels = labels
        self._writer.writerow(
            ["source", "thread", "thread_title", "comment_id", "parent_id", "depth", "author", "timestamp",
             "quote", "text", *(f"score_{label}" for label in self._labels), "labels", "decision", "evidence",
             "reasons", "model_version", "line"])

    def add(self, record: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> None:
        if self._labels is None:
            self._header(list(record["scores"]))
        scores = record["scores"]
        self._writer.writerow([
            defuse(record["source"]), defuse(record["thread"]), defuse(record["thread_title"]),
            defuse(record["comment_id"]), defuse(record["parent_id"]), record["depth"], defuse(record["author"]),
            defuse(record["timestamp"]), defuse(record["quote"]), defuse(record["text"]),
            *(scores.get(label) for label in self._labels),
            ";".join(record["labels"]), record["decision"], self._dumps(record["evidence"]),
            self._dumps(record["reasons"]), record["model_version"], record["line"],
        ])

    def finish(self, summary: ScanSummary) -> None:
        """The header even with no rows: an empty file is no CSV to pandas or a spreadsheet."""
        if self._labels is None:
            self._header(summary.label_names)

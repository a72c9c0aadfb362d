"""`--format csv`: one row per comment, for spreadsheets.

Scores become one `score_<label>` column per label, flagged labels are joined
with `;`, evidence and reasons are JSON. Comments are hostile input: a free-text
cell that starts like a spreadsheet formula (`= + - @`, tab, CR) is prefixed
with `'` so opening the file in Excel or LibreOffice never runs it.
"""

from __future__ import annotations

import csv
import json
from typing import IO, Any, Mapping

from moderation.report.base import Report

FREE_TEXT = ("thread_title", "author", "quote", "text")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: str | None) -> str | None:
    if value and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class CSVReport(Report):
    def __init__(self, out: IO[str], **options: Any):
        super().__init__(out, **options)
        self._writer = csv.writer(out, lineterminator="\n")
        self._labels: list[str] | None = None
        self._dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def _header(self, record: Mapping[str, Any]) -> None:
        self._labels = list(record["scores"])
        self._writer.writerow(
            ["source", "thread", "thread_title", "comment_id", "parent_id", "depth", "author", "timestamp",
             "quote", "text", *(f"score_{label}" for label in self._labels), "labels", "decision", "evidence",
             "reasons", "model_version", "line"])

    def add(self, record: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> None:
        if self._labels is None:
            self._header(record)
        scores = record["scores"]
        self._writer.writerow([
            record["source"], record["thread"], defuse(record["thread_title"]), record["comment_id"],
            record["parent_id"], record["depth"], defuse(record["author"]), record["timestamp"],
            defuse(record["quote"]), defuse(record["text"]),
            *(scores.get(label) for label in self._labels),
            ";".join(record["labels"]), record["decision"], self._dumps(record["evidence"]),
            self._dumps(record["reasons"]), record["model_version"], record["line"],
        ])

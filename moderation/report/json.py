"""`--format json`: one JSON array of records, written as it streams."""

from __future__ import annotations

import json
from typing import IO, Any, Mapping

from moderation.report.base import Report
from moderation.report.summary import ScanSummary


class JSONReport(Report):
    def __init__(self, out: IO[str], **options: Any):
        super().__init__(out, **options)
        self._encode = json.JSONEncoder(ensure_ascii=False, indent=None).encode
        self._count = 0

    def add(self, record: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> None:
        self.out.write(("[\n" if self._count == 0 else ",\n") + self._encode(record))
        self._count += 1

    def finish(self, summary: ScanSummary) -> None:
        self.out.write("[]\n" if self._count == 0 else "\n]\n")

"""`--format jsonl`: one JSON record per line, the format for pipelines and huge runs."""

from __future__ import annotations

import json
from typing import IO, Any, Mapping

from moderation.report.base import Report


class JSONLinesReport(Report):
    def __init__(self, out: IO[str], **options: Any):
        super().__init__(out, **options)
        self._encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def add(self, record: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> None:
        self.out.write(self._encode(record) + "\n")

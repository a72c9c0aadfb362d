"""`--format jsonl`: one JSON record per line, the format for pipelines and huge runs.

Encoding is on the hot path of a million-comment run, so orjson (several
times faster than the standard library) is used when installed; the output
is the same compact UTF-8 JSON either way.
"""

from __future__ import annotations

import json
from typing import IO, Any, Callable, Mapping

from moderation.report.base import Report


def json_line_encoder() -> Callable[[Any], bytes]:
    """A function turning one record into one line of UTF-8 JSON (with the newline)."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - depends on the install
        encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        return lambda obj: (encode(obj) + "\n").encode("utf-8")
    dumps, option = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    return lambda obj: dumps(obj, option=option)


class JSONLinesReport(Report):
    binary = True

    def __init__(self, out: IO[bytes], **options: Any):
        super().__init__(out, **options)
        self._encode = json_line_encoder()

    def add(self, record: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> None:
        self.out.write(self._encode(record))

    def add_all(self, records: list[Mapping[str, Any]]) -> None:
        self.out.write(b"".join(map(self._encode, records)))

    def add_lines(self, data: bytes) -> None:
        """Records already encoded by `json_line_encoder` (a scan's workers encode them where they score)."""
        self.out.write(data)

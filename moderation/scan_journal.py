"""The journal of a scan run with `--output`: what lets `--resume` skip the inputs already finished."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

from moderation.records import ReadError
from moderation.report.summary import ScanSummary

def input_signature(source: str) -> dict[str, Any] | None:
    """Size and mtime of an input file, so a resumed run notices a changed input."""
    try:
        st = Path(source).stat()
    except OSError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


class JournalError(RuntimeError):
    """A resume journal that does not belong to this run (other options, changed inputs)."""


class ScanJournal:
    """What makes `--output FILE --resume` work: a record of finished inputs.

    Beside FILE it keeps `FILE.scan-partial.jsonl` (the reported records so
    far, one JSON line each) and `FILE.scan-done.jsonl` (a header with the
    run's options, then one line per finished input: its name, size and mtime,
    the byte offset of the partial file after its last record, its summary and
    its read errors). A finished input is only written once its records are
    flushed, so after a crash the partial file is cut back to the last finished
    input and the rerun skips exactly the inputs that were finished.
    """

    def __init__(self, output: str | os.PathLike, options: dict[str, Any]):
        self.output = Path(output)
        self.records_path = self.output.with_name(self.output.name + ".scan-partial.jsonl")
        self.done_path = self.output.with_name(self.output.name + ".scan-done.jsonl")
        self.options = options
        self.finished: dict[str, dict[str, Any]] = {}
        self._records = None
        self._done = None
        from moderation.report.jsonl import json_line_encoder

        self._encode = json_line_encoder()

    def exists(self) -> bool:
        return self.done_path.exists()

    def load(self) -> tuple[ScanSummary, list[ReadError]]:
        """Read the finished inputs of an interrupted run; returns their summary and errors."""
        import json

        summary, errors = ScanSummary(), []
        with open(self.done_path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        try:
            header = json.loads(lines[0])
        except (ValueError, IndexError):
            raise JournalError(f"{self.done_path}: not a scan journal; remove it to start afresh") from None
        if header.get("options") != self.options:
            raise JournalError(
                f"{self.done_path}: the interrupted run used other options ({header.get('options')}); "
                "rerun with the same options, or without --resume to start afresh")
        offset = 0
        for line in lines[1:]:
            try:
                entry = json.loads(line)
            except ValueError:
                break  # a line cut short by the interruption: that input was not finished
            if entry["signature"] is not None and input_signature(entry["source"]) != entry["signature"]:
                raise JournalError(f"{entry['source']} changed since the interrupted run; "
                                   "rerun without --resume to start afresh")
            self.finished[entry["source"]] = entry
            offset = entry["offset"]
            summary.merge(ScanSummary.from_dict(entry["summary"]))
            errors.extend(ReadError(**e) for e in entry["errors"])
        with open(self.records_path, "r+b") as f:
            f.truncate(offset)
        return summary, errors

    def start(self, resume: bool) -> None:
        import json

        if resume:
            self._records = open(self.records_path, "ab")
            self._done = open(self.done_path, "a", encoding="utf-8")
        else:
            self._records = open(self.records_path, "wb")
            self._done = open(self.done_path, "w", encoding="utf-8")
            self._done.write(json.dumps({"journal": 1, "options": self.options}) + "\n")
            self._done.flush()

    def write_all(self, records: list[dict[str, Any]]) -> None:
        """Many records in one write (a chunk's worth)."""
        if records:
            self._records.write(b"".join(map(self._encode, records)))

    def write_lines(self, data: bytes) -> None:
        """Records already encoded as JSON Lines (`ScanResult.json_lines`)."""
        self._records.write(data)

    def finish_input(self, source: str, summary: ScanSummary, errors: list[ReadError]) -> None:
        self._records.flush()
        entry = {"source": source, "signature": input_signature(source), "offset": self._records.tell(),
                 "summary": summary.to_dict(), "errors": [e.to_dict() for e in errors]}
        self._done.write(self._encode(entry).decode("utf-8"))
        self._done.flush()

    def close(self) -> None:
        for f in (self._records, self._done):
            if f is not None:
                f.close()

    def records(self) -> Iterator[dict[str, Any]]:
        import json

        with open(self.records_path, "rb") as f:
            for line in f:
                yield json.loads(line)

    def remove(self) -> None:
        for path in (self.records_path, self.done_path):
            path.unlink(missing_ok=True)

"""The contract every report format keeps."""

from __future__ import annotations

from typing import IO, Any, Mapping

from moderation.records import ReadError
from moderation.report.summary import ScanSummary


class Report:
    """Receives the reported records and the read errors, each in input order, then the summary.

    `add(record, parent)` gets `parent` (the record this comment replies to,
    as kept by `ReplyContext`) only when the class sets `needs_context`.

    The formats that head each thread's section as they stream (table,
    Markdown) take the option `titles`: a mapping (source or "-", thread or
    "") -> title, the summary's key (`context.thread_key`), that holds, when
    a record is added, the first title any comment of its thread read so far
    carries, reported or not. The caller fills it as it reads
    (`context.note_title`, for every record before it is added), or passes a
    finished run's `summary.thread_titles`. Without it a heading is the
    reported comment's own title.
    """

    #: Whether the summary is part of this format's output (else it goes to stderr).
    summary_in_output = False
    #: Whether `add` wants the parent comment of replies (costs a little memory).
    needs_context = False
    #: Whether `out` must be a binary stream.
    binary = False

    def __init__(self, out: IO[Any], **options: Any):
        self.out = out
        self.options = options

    def add(self, record: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> None:
        raise NotImplementedError

    def add_all(self, records: list[Mapping[str, Any]]) -> None:
        """Many records with no reply context, in order (formats without `needs_context`).

        The same output as `add` for each; formats on the hot path of huge runs
        (JSON Lines) override it to write a chunk at once.
        """
        for record in records:
            self.add(record)

    def add_error(self, error: ReadError) -> None:
        """A record that could not be read, in input order, before `finish`.

        Ignored by default: the data formats hold records only (their schema
        has no place for errors; the command prints them on stderr). The
        documents for people (HTML, Markdown) list them, since they are read
        where that stderr is not.
        """

    def finish(self, summary: ScanSummary) -> None:
        """Write what ends the document (and the summary when `summary_in_output`)."""

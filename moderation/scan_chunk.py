"""One chunk of a scan, wherever it runs: comments in, scan records, summary part and JSON lines out.

The same `scan_chunk` runs in this process, in joblib workers and on Dask
workers, so every engine gives the same records; the records' fields are
fixed here (`RECORD_FIELDS`, docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Sequence

from moderation.model import gc_paused
from moderation.records import Comment, ReadError
from moderation.report.summary import ScanSummary

#: The fields of one scan record, in output order (docs/architecture.md).
RECORD_FIELDS = (
    "source", "thread", "thread_title", "comment_id", "parent_id", "depth", "author",
    "timestamp", "quote", "text", "scores", "labels", "decision", "evidence", "reasons",
    "model_version", "line",
)

Item = Comment | ReadError
Chunk = list  # list[Item]
#: One source's run of a chunk, as `scan_chunk` returns it:
#: (source, its ScanSummary part, body, number of read errors). The body is
#: the records in order (None where a read error stood) or, with
#: `ChunkJob.lines`, the reported records' JSON Lines as bytes.
Segment = tuple


def _evidence_dict(e: Any) -> dict[str, Any]:
    if isinstance(e, dict):
        return e
    return {"label": e.label, "start": e.start, "end": e.end, "text": e.text, "weight": e.weight}


def verdict_tuple(v: Any) -> tuple:
    """A `Verdict` as plain data: cheap to pickle between processes, no dataclass machinery."""
    return (v.scores, v.labels, v.decision, [_evidence_dict(e) for e in v.evidence] if v.evidence else [],
            v.reasons, v.model_version)


def _plain_verdicts(moderator: Any, texts: Sequence[str]) -> list[tuple]:
    """The chunk's verdicts as `verdict_tuple`s; the model's own `score_plain` when it has one."""
    plain = getattr(moderator, "score_plain", None)
    verdicts = plain(texts) if plain is not None else [verdict_tuple(v) for v in moderator.score(texts)]
    if len(verdicts) != len(texts):
        raise RuntimeError(f"the model returned {len(verdicts)} verdicts for {len(texts)} comments")
    return verdicts


@dataclass(frozen=True)
class ChunkJob:
    """What `scan_chunk` makes of a scored chunk; set by how the `ScanResult` is consumed."""

    #: Encode the reported records as JSON Lines (the bytes a JSONL report or
    #: the resume journal writes) instead of returning the record dicts.
    lines: bool = False
    #: With `lines`: every comment, or only the flagged ones (the summary always counts every comment).
    all_comments: bool = True


#: The `Comment` fields a scan record is built from, in the order of `_compact`'s columns.
_FIELDS = ("source", "thread", "thread_title", "id", "parent_id", "depth", "author", "timestamp", "quote",
           "text", "line")
_GETTERS = tuple(attrgetter(name) for name in _FIELDS)


def _compact(chunk: Chunk) -> tuple[list[list], list[tuple]]:
    """The chunk as plain data, cheap to build, pickle and unpickle: (columns, read errors).

    One list per field in `_FIELDS`, over the chunk's comments, and each read
    error as (position in the chunk, source, line, message). Columns of
    strings pickle and unpickle in about half the time of one dict per
    comment (and reading a fresh `Comment`'s attribute dict costs ~0.9 µs,
    as Python builds it on first use).
    """
    if ReadError not in set(map(type, chunk)):
        comments, errors = chunk, []
    else:
        comments = [item for item in chunk if type(item) is not ReadError]
        errors = [(i, item.source, item.line, item.message) for i, item in enumerate(chunk) if type(item) is ReadError]
    return [list(map(get, comments)) for get in _GETTERS], errors


def scan_chunk(moderator: Any, compact: tuple[list[list], list[tuple]], job: ChunkJob = ChunkJob(),
               continued: tuple[Any, ScanSummary] | None = None) -> list[Segment]:
    """Score one chunk and do everything else that is per comment: records, summary, JSON lines.

    Every engine runs this on every chunk (the local engine in this process,
    the others in their workers), so they give the same output. `compact` is
    the chunk as `_compact` makes it. The result is one `Segment` per run of
    the same source, so that the caller can close an input's summary where
    the input ends. `continued` is (source, summary part) of the previous
    chunk's last segment in this process: a first segment of the same source
    counts into that part instead of a new one, which spares the caller a
    merge per chunk.
    """
    with gc_paused():  # its records are tens of thousands of small acyclic objects
        return _scan_chunk(moderator, compact, job, continued)


def _scan_chunk(moderator: Any, compact: tuple[list[list], list[tuple]], job: ChunkJob,
                continued: tuple[Any, ScanSummary] | None) -> list[Segment]:
    columns, errors = compact
    texts = columns[9]
    verdicts = _plain_verdicts(moderator, texts) if texts else []
    records: list = [
        {"source": source, "thread": thread, "thread_title": title, "comment_id": id_, "parent_id": parent,
         "depth": depth, "author": author, "timestamp": timestamp, "quote": quote, "text": text,
         "scores": scores, "labels": labels, "decision": decision, "evidence": evidence, "reasons": reasons,
         "model_version": model_version, "line": line}
        for source, thread, title, id_, parent, depth, author, timestamp, quote, text, line,
        (scores, labels, decision, evidence, reasons, model_version) in zip(*columns, verdicts)
    ]
    sources = columns[0]
    if errors:
        sources = list(sources)
        for position, source, _, _ in errors:  # in chunk order: each lands where it stood
            records.insert(position, None)  # the caller puts its own `ReadError` here
            sources.insert(position, source)
    first = sources[0]
    cuts = []  # where the source changes
    if sources.count(first) != len(sources):
        current = first
        for i, source in enumerate(sources):
            if source != current:
                cuts.append(i)
                current = source
    encode = None
    if job.lines:
        from moderation.report.jsonl import json_line_encoder

        encode = json_line_encoder()
    errors_at = {position: (source, line, message) for position, source, line, message in errors}
    segments = []
    starts = [0, *cuts]
    for start, end in zip(starts, [*cuts, len(records)]):
        body = records[start:end] if cuts else records
        source = sources[start]
        if continued is not None and not segments and continued[0] == source:
            part = continued[1]
        else:
            part = ScanSummary()
        scored = [x for x in body if x is not None] if errors else body
        n_errors = len(body) - len(scored)
        part.add_all(scored)
        if n_errors:
            for position in range(start, end):
                if position in errors_at:
                    part.add_error(ReadError(*errors_at[position]))
        if encode is not None:
            if not job.all_comments:
                scored = [x for x in scored if x["decision"] != "allow"]
            body = b"".join(map(encode, scored))
        segments.append((source, part, body, n_errors))
    return segments

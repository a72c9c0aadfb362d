"""The batch job: every comment in many pages and dumps, scored, nothing lost.

`scan()` streams: inputs are read lazily (`iter_inputs`), grouped into chunks
of `chunk_size` comments, each chunk scored with one vectorised
`moderator.score(texts)` call, and the records come back in document order.
Memory stays flat however large the run, except for what the caller keeps.

Three engines run the same chunks and give the same records, record for record:

* ``local`` with ``n_jobs=1``: in this process.
* ``local`` with ``n_jobs=N``: joblib (loky) worker processes. The moderator
  is pickled once to a temporary file and each worker loads it once and keeps
  it (instead of shipping the model with every chunk).
* ``dask``: a dask.distributed cluster. The moderator is scattered to every
  worker once; at most a few chunks per worker are in flight, so a slow
  cluster never makes the reader run ahead and fill memory.

Reading, record building and the summary stay in the calling process; only
the scoring moves. Unreadable records (`ReadError`) are kept in stream order,
counted in the summary and handed to `on_error`, never dropped.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Sequence

from moderation.records import Comment, ReadError
from moderation.report.summary import ScanSummary

#: The fields of one scan record, in output order (docs/architecture.md).
RECORD_FIELDS = (
    "source", "thread", "thread_title", "comment_id", "parent_id", "depth", "author",
    "timestamp", "quote", "text", "scores", "labels", "decision", "evidence", "reasons",
    "model_version", "line",
)

ENGINES = ("local", "dask")
DEFAULT_CHUNK_SIZE = 2000

Item = Comment | ReadError
Chunk = list  # list[Item]


def _evidence_dict(e: Any) -> dict[str, Any]:
    if isinstance(e, dict):
        return e
    return {"label": e.label, "start": e.start, "end": e.end, "text": e.text, "weight": e.weight}


def verdict_tuple(v: Any) -> tuple:
    """A `Verdict` as plain data: cheap to pickle between processes, no dataclass machinery."""
    return (v.scores, v.labels, v.decision, [_evidence_dict(e) for e in v.evidence] if v.evidence else [],
            v.reasons, v.model_version)


def _score(moderator: Any, texts: Sequence[str]) -> list:
    verdicts = moderator.score(texts)
    if len(verdicts) != len(texts):
        raise RuntimeError(f"the model returned {len(verdicts)} verdicts for {len(texts)} comments")
    return verdicts


def score_texts(moderator: Any, texts: Sequence[str]) -> list[tuple]:
    """Score one chunk with one vectorised call; verdicts as `verdict_tuple`s (what workers send back)."""
    if not texts:
        return []
    return [verdict_tuple(v) for v in _score(moderator, texts)]


#: `_records` found read errors or more than one source in a chunk.
_MIXED = object()


def _records(chunk: Chunk, verdicts: list) -> tuple[list, Any]:
    """The chunk's items with each comment turned into its scan record (read errors stay as they are).

    The hot loop of a scan: one dict per comment, built in one step from the
    comment and its verdict (a `Verdict` from the local engine, a
    `verdict_tuple` from workers). Also returns the chunk's one source, or `_MIXED` when it
    holds read errors or several sources (the caller then goes record by record).
    """
    out = []
    append = out.append
    it = iter(verdicts)
    tuples = bool(verdicts) and type(verdicts[0]) is tuple
    first = chunk[0].source
    mixed = False
    for c in chunk:
        if type(c) is ReadError:
            mixed = True
            append(c)
            continue
        source = c.source
        if source != first:
            mixed = True
        v = next(it)
        if tuples:
            scores, labels, decision, evidence, reasons, model_version = v
        else:
            scores, labels, decision, reasons, model_version = v.scores, v.labels, v.decision, v.reasons, v.model_version
            evidence = [_evidence_dict(e) for e in v.evidence] if v.evidence else []
        append({
            "source": source, "thread": c.thread, "thread_title": c.thread_title, "comment_id": c.id,
            "parent_id": c.parent_id, "depth": c.depth, "author": c.author, "timestamp": c.timestamp,
            "quote": c.quote, "text": c.text, "scores": scores, "labels": labels, "decision": decision,
            "evidence": evidence, "reasons": reasons, "model_version": model_version, "line": c.line,
        })
    return out, _MIXED if mixed else first


# One moderator per worker process, loaded on the worker's first chunk. This is
# the only process-level state in the package, and it lives only in workers.
_WORKER_MODEL: dict[str, Any] = {}


def _score_in_worker(model_file: str, texts: Sequence[str]) -> list[tuple]:
    moderator = _WORKER_MODEL.get(model_file)
    if moderator is None:
        with open(model_file, "rb") as f:
            moderator = pickle.load(f)
        _WORKER_MODEL.clear()
        _WORKER_MODEL[model_file] = moderator
    return score_texts(moderator, texts)


def _score_pickled(moderator: Any, payload: bytes) -> bytes:
    """`score_texts` for a Dask worker, with the texts and the verdicts as one pickle each.

    Dask serialises plain lists, tuples and dicts element by element (msgpack
    first) and walks task arguments looking for futures; for 2,000 texts and
    2,000 verdicts that cost the client ~18 µs a comment, more than reading
    the dump (measured: client CPU 4.0 s vs 2.1 s for 100k comments). One
    opaque bytes object each way is copied, not walked.
    """
    return pickle.dumps(score_texts(moderator, pickle.loads(payload)), protocol=pickle.HIGHEST_PROTOCOL)


def _texts(chunk: Chunk) -> list[str]:
    return [item.text for item in chunk if type(item) is not ReadError]


def _chunks(items: Iterable[Item], size: int) -> Iterator[Chunk]:
    chunk: Chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _engine_local(moderator: Any, chunks: Iterable[Chunk]) -> Iterator[tuple[Chunk, list]]:
    # Verdicts stay objects here (nothing to pickle); `_records` reads them directly.
    for chunk in chunks:
        texts = _texts(chunk)
        yield chunk, _score(moderator, texts) if texts else []


def _engine_joblib(moderator: Any, chunks: Iterable[Chunk], n_jobs: int) -> Iterator[tuple[Chunk, list]]:
    from joblib import Parallel, delayed

    with tempfile.TemporaryDirectory(prefix="moderation-scan-") as tmp:
        model_file = os.path.join(tmp, "moderator.pickle")
        with open(model_file, "wb") as f:
            pickle.dump(moderator, f, protocol=pickle.HIGHEST_PROTOCOL)
        pending: deque[Chunk] = deque()

        def tasks():
            for chunk in chunks:
                pending.append(chunk)
                yield delayed(_score_in_worker)(model_file, _texts(chunk))

        # return_as="generator" keeps the input order and dispatches lazily
        # (pre_dispatch), so the reader never runs far ahead of the workers.
        parallel = Parallel(n_jobs=n_jobs, return_as="generator", pre_dispatch="2*n_jobs", batch_size=1)
        for verdicts in parallel(tasks()):
            yield pending.popleft(), verdicts


def _engine_dask(moderator: Any, chunks: Iterable[Chunk], scheduler: Any) -> Iterator[tuple[Chunk, list]]:
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("the dask engine needs the 'dask' extra: pip install 'moderation[dask]'") from exc

    own_client = not isinstance(scheduler, Client)
    if scheduler is None:
        raise ValueError("the dask engine needs a scheduler address (--scheduler tcp://HOST:8786) or a Client")
    client = Client(scheduler) if own_client else scheduler
    try:
        threads = sum(client.nthreads().values()) or 1
        window = 2 * threads + 1
        [model] = client.scatter([moderator], broadcast=True)
        pending: deque = deque()
        dumps, loads, protocol = pickle.dumps, pickle.loads, pickle.HIGHEST_PROTOCOL
        for chunk in chunks:
            payload = dumps(_texts(chunk), protocol=protocol)
            pending.append((chunk, client.submit(_score_pickled, model, payload, pure=False)))
            if len(pending) >= window:
                done, future = pending.popleft()
                yield done, loads(future.result())
        while pending:
            done, future = pending.popleft()
            yield done, loads(future.result())
    finally:
        if own_client:
            client.close()


def _items(inputs: Any, *, format: str | None, encoding: str | None, columns: Any, stdin: Any,
           skip: frozenset[str]) -> Iterator[Item]:
    """Paths go through the readers; comments (and read errors) pass straight through.

    Inputs named in `skip` (finished by an interrupted run) are not even opened.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    it = iter(inputs)
    first = next(it, None)
    if first is None:
        return iter(())
    if isinstance(first, (Comment, ReadError)):
        items = chain([first], it)
        return (item for item in items if item.source not in skip) if skip else items
    from moderation.readers import expand_paths, iter_inputs

    paths = [os.fspath(first), *(os.fspath(p) for p in it)]
    if skip:
        paths = [p for p in expand_paths(paths) if p not in skip]
    return iter_inputs(paths, format=format, encoding=encoding, columns=columns, stdin=stdin)


class ScanResult:
    """The records of a scan, produced lazily as you iterate.

    `summary` and `errors` fill in as the iteration goes and are complete when
    it ends. Iterate once: the inputs are streamed, not kept.
    """

    def __init__(self, items: Iterator[tuple[Chunk, list]], progress: Any, on_error: Callable[[ReadError], None] | None,
                 reader_stats: Any = None):
        self._scored = items
        self._progress = progress
        self._on_error = on_error
        #: The readers' own counts (`ReadStats`), including posts skipped as not comments.
        self.reader_stats = reader_stats
        self._started = False
        self.summary = ScanSummary()
        self.errors: list[ReadError] = []

    def batches(self, input_ends: bool = False) -> Iterator[list]:
        """`items()` one chunk at a time: lists of records and read errors (and `InputDone`s with `input_ends`).

        The cheap way to consume a large scan (what the CLI does): one
        generator step per chunk instead of one per record.
        """
        if self._started:
            raise RuntimeError("a ScanResult can be iterated only once")
        self._started = True
        summary, errors, on_error, bar = self.summary, self.errors, self._on_error, self._progress
        current: Any = _NO_INPUT
        part, part_errors = ScanSummary(), []
        try:
            for chunk, verdicts in self._scored:
                records, source = _records(chunk, verdicts)
                if source is not _MIXED and source == current:
                    # The usual chunk: every record from the input being read, no read errors.
                    part.add_all(records)
                else:
                    out = []
                    for item in records:
                        source = item["source"] if type(item) is dict else item.source
                        if source != current:
                            if current is not _NO_INPUT:
                                summary.merge(part)
                                if input_ends:
                                    out.append(InputDone(current, part, part_errors))
                            current, part, part_errors = source, ScanSummary(), []
                        if type(item) is ReadError:
                            part.add_error(item)
                            part_errors.append(item)
                            errors.append(item)
                            if on_error is not None:
                                on_error(item)
                        else:
                            part.add(item)
                        out.append(item)
                    records = out
                if bar is not None:
                    bar.update(chunk)
                yield records
            if current is not _NO_INPUT:
                summary.merge(part)
                if input_ends:
                    yield [InputDone(current, part, part_errors)]
            if self.reader_stats is not None:
                summary.skipped.update(self.reader_stats.skipped)
        finally:
            if bar is not None:
                bar.close()

    def items(self, input_ends: bool = False) -> Iterator[dict[str, Any] | ReadError | InputDone]:
        """Records and read errors in input order; with `input_ends`, an `InputDone` after each input.

        The summary is kept per input and merged into `summary` when the input
        ends, so each record is counted once however the results are used.
        """
        for batch in self.batches(input_ends):
            yield from batch

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for batch in self.batches():
            for item in batch:
                if type(item) is dict:
                    yield item


_NO_INPUT = object()


@dataclass
class InputDone:
    """Marks the end of one input in `ScanResult.items(input_ends=True)`: its summary and read errors."""

    source: str
    summary: ScanSummary
    errors: list[ReadError]


def scan(
    inputs: Iterable[str | os.PathLike | Comment | ReadError] | str | os.PathLike,
    moderator: Any,
    *,
    format: str | None = None,
    encoding: str | None = None,
    columns: Any = None,
    stdin: Any = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    n_jobs: int = 1,
    engine: str = "local",
    scheduler: Any = None,
    skip_sources: Collection[str] = (),
    progress: bool = False,
    on_error: Callable[[ReadError], None] | None = None,
) -> ScanResult:
    """Score every comment of `inputs` (paths, or `Comment`s) with `moderator`.

    Returns a `ScanResult`: iterate it for one plain record per comment (see
    `RECORD_FIELDS`), in input order, whatever the engine. `skip_sources`
    names inputs already finished by an earlier run (resume); their comments
    are neither scored nor counted. `progress` shows a tqdm bar on stderr.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if n_jobs == 0 or n_jobs < -1:
        raise ValueError("n_jobs must be a positive number of processes, or -1 for one per core")
    items = _items(inputs, format=format, encoding=encoding, columns=columns, stdin=stdin,
                   skip=frozenset(skip_sources))
    chunks = _chunks(items, chunk_size)
    if engine == "dask":
        scored = _engine_dask(moderator, chunks, scheduler)
    elif n_jobs == 1:
        scored = _engine_local(moderator, chunks)
    else:
        scored = _engine_joblib(moderator, chunks, n_jobs)
    bar = ScanProgress(inputs if _are_paths(inputs) else None, skip_sources) if progress else None
    return ScanResult(scored, bar, on_error, getattr(items, "stats", None))


def input_signature(source: str) -> dict[str, Any] | None:
    """Size and mtime of an input file, so a resumed run notices a changed input."""
    try:
        st = Path(source).stat()
    except OSError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _are_paths(inputs: Any) -> bool:
    if isinstance(inputs, (str, os.PathLike)):
        return True
    return isinstance(inputs, (list, tuple)) and all(isinstance(p, (str, os.PathLike)) for p in inputs)


def _count_lines(path: str) -> int | None:
    if path.endswith(".gz"):
        return None
    try:
        with open(path, "rb") as f:
            return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b"")) or 1
    except OSError:
        return None


class ScanProgress:
    """A tqdm bar on stderr: records so far and their rate, with an ETA over the input bytes.

    Readers do not report byte positions, so the position inside the current
    file is estimated from the line number of its latest record over the
    file's line count (counted once, when the file is reached; the cost is a
    fast newline count, paid only when the bar is shown).
    """

    def __init__(self, inputs: Any, skip: Collection[str] = ()):
        from tqdm.auto import tqdm

        self.sizes: dict[str, int] = {}
        if inputs is not None:
            from moderation.readers import expand_paths

            paths = [inputs] if isinstance(inputs, (str, os.PathLike)) else inputs
            for path in expand_paths([os.fspath(p) for p in paths]):
                if path != "-" and path not in skip:
                    try:
                        self.sizes[path] = os.path.getsize(path)
                    except OSError:
                        pass
        total = sum(self.sizes.values()) if self.sizes and "-" not in (inputs or ()) else None
        self.bar = tqdm(total=total, file=sys.stderr, unit="B", unit_scale=True, unit_divisor=1024,
                        mininterval=0.5, desc="scanning", dynamic_ncols=True, leave=False)
        self.records = 0
        self.done_bytes = 0
        self.current: str | None = None
        self.current_lines: int | None = None
        self.started = time.monotonic()

    def update(self, chunk: Chunk) -> None:
        self.records += len(chunk)
        last = chunk[-1]
        if last.source != self.current:
            if self.current is not None:
                self.done_bytes += self.sizes.get(self.current, 0)
            self.current = last.source
            self.current_lines = _count_lines(last.source) if last.source in self.sizes else None
        position = self.done_bytes
        size = self.sizes.get(self.current or "", 0)
        if self.current_lines and last.line:
            position += int(size * min(1.0, last.line / self.current_lines))
        if self.bar.total is not None:
            self.bar.update(max(0, min(position, self.bar.total) - self.bar.n))
        rate = self.records / max(1e-9, time.monotonic() - self.started)
        self.bar.set_postfix_str(f"{self.records:,} records, {rate:,.0f}/s", refresh=False)
        if self.bar.total is None:
            self.bar.update(0)

    def close(self) -> None:
        self.bar.close()


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

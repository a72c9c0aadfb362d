"""The batch job: every comment in many pages and dumps, scored, nothing lost.

`scan()` streams: inputs are read lazily (`iter_inputs`), grouped into chunks
of `chunk_size` comments, and each chunk goes through `scan_chunk`: one
vectorised `moderator.score` call, then everything else that is per comment
(the scan records, the chunk's share of the summary and, for JSON Lines
output, the encoded lines). Records come back in document order. Memory
stays flat however large the run, except for what the caller keeps.

Three engines run the same `scan_chunk` and give the same records, record for record:

* ``local`` with ``n_jobs=1``: in this process.
* ``local`` with ``n_jobs=N``: joblib (loky) worker processes. The moderator
  is pickled once to a temporary file and each worker loads it once and keeps
  it (instead of shipping the model with every chunk).
* ``dask``: a dask.distributed cluster. The moderator is scattered to every
  worker once; at most a few chunks per worker are in flight, so a slow
  cluster never makes the reader run ahead and fill memory.

With workers, the reading process is the ceiling, so whatever is per comment
runs where the scoring runs, and plain JSON Lines files the workers can read
(all of them for -j N; for Dask, those every worker sees as this process
does, `dask_read`) are read by the workers too, in ranges of lines: this
process only cuts them, merges the chunks' summary parts and writes. Unreadable records
(`ReadError`) are kept in stream order, counted in the summary and handed to
`on_error`, never dropped.
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
from operator import attrgetter
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Sequence

from moderation.model import gc_paused
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


# One moderator per worker process, loaded on the worker's first chunk. This is
# the only process-level state in the package, and it lives only in workers.
_WORKER_MODEL: dict[str, Any] = {}


def _keep_freed_memory() -> None:
    """Let glibc keep the memory a worker frees between chunks instead of returning it to the system.

    Each chunk allocates and frees some megabytes of record dicts and
    pickle buffers; with glibc's default thresholds they went back to the
    system after every chunk and were faulted in again for the next one
    (200k comments at -j 2: 326k page faults and 0.9 s of system time in the
    workers; 47k and 0.2 s with these settings). A worker's heap stays at its
    largest chunk's size. joblib's workers are tuned on their first chunk,
    Dask's when a scan starts (`_tune_dask_workers`); elsewhere (no glibc)
    nothing happens.
    """
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    mallopt(m_mmap_threshold, 32 << 20)  # glibc's largest allowed value on 64-bit
    mallopt(m_trim_threshold, 256 << 20)
    mallopt(m_top_pad, 16 << 20)


def _tune_dask_workers(client: Any) -> None:
    """`_keep_freed_memory` in every worker of a Dask cluster, once per scan (it is idempotent).

    Dask's nanny starts its workers with MALLOC_TRIM_THRESHOLD_=65536, so
    that they hand freed memory back at once: for this work that doubled a
    worker's CPU time per range (measured in a LocalCluster worker: 20 ranges
    of 2,000 comments, 2.0-2.5 s of the task thread's CPU; 1.2-1.6 s with
    these settings, about what a plain process takes on this host, 1.0-1.5 s).
    The workers keep their largest range's heap instead.
    """
    try:
        client.run(_keep_freed_memory)
    except Exception:  # noqa: BLE001 - a cluster that will not run it still scores, only slower
        pass


def _worker_model(model_file: str) -> Any:
    """This worker's moderator, loaded from `model_file` on its first chunk and kept."""
    moderator = _WORKER_MODEL.get(model_file)
    if moderator is None:
        if not _WORKER_MODEL:
            _keep_freed_memory()
        with open(model_file, "rb") as f:
            moderator = pickle.load(f)
        _WORKER_MODEL.clear()
        _WORKER_MODEL[model_file] = moderator
    return moderator


def _scan_in_worker(model_file: str, payload: bytes, job: ChunkJob) -> bytes:
    """`scan_chunk` in a joblib worker: the chunk in and the segments out as one pickle each."""
    return _scan_pickled(_worker_model(model_file), payload, job)


def _scan_range_in_worker(model_file: str, part: Any, columns: Any, job: ChunkJob) -> tuple[bytes, list | None]:
    """`_scan_range` in a joblib worker, with the moderator it loaded once."""
    return _scan_range(_worker_model(model_file), part, columns, job)


def _scan_range(moderator: Any, part: Any, columns: Any, job: ChunkJob) -> tuple[bytes, list | None]:
    """Read a `LineRange` of a JSON Lines dump and `scan_chunk` it, in a worker (joblib's, Dask's): the reading moves there too.

    Returns (one pickle, the segments' JSON lines with `job.lines`). The
    pickle is of (segments, comments read, read errors as (line,
    message), line of the last record); of None when the range holds a
    comment with a parent (its reply depth needs the comments before it,
    which other workers read: the caller resolves depth for that input);
    of "failed" when reading failed (the caller reads that input itself and
    reports the failure as the whole-file reader does).
    """
    from moderation.readers.jsonl import read_jsonl_range

    with gc_paused():  # parsed records, comments and scan records: many small acyclic objects
        try:
            items = read_jsonl_range(part, columns)
        except Exception:  # noqa: BLE001 - the reading process reads the input itself and reports it
            return pickle.dumps("failed"), None
        if not items:
            return pickle.dumps(([], 0, [], None)), None
        compact = _compact(items)
        parents = compact[0][4]
        if parents.count(None) != len(parents):
            return pickle.dumps(None), None
        segments = _scan_chunk(moderator, compact, job, None)
        errors = [(line, message) for _, _, line, message in compact[1]]
        bodies = None
        if job.lines:  # the JSON lines travel as they are, not copied once more into the pickle
            bodies = [body for _, _, body, _ in segments]
            segments = [(source, part, None, n_errors) for source, part, _, n_errors in segments]
        result = (segments, len(parents), errors, items[-1].line)
        return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL), bodies


def _scan_pickled(moderator: Any, payload: bytes, job: ChunkJob) -> bytes:
    """`scan_chunk` for a worker (Dask's, joblib's), with the chunk and the segments as one pickle each.

    Dask serialises plain lists, tuples and dicts element by element (msgpack
    first) and walks task arguments looking for futures; for 2,000 texts and
    2,000 verdicts that cost the client ~18 µs a comment, more than reading
    the dump (measured: client CPU 4.0 s vs 2.1 s for 100k comments). One
    opaque bytes object each way is copied, not walked.
    """
    with gc_paused():  # its records are tens of thousands of small acyclic objects
        return pickle.dumps(_scan_chunk(moderator, pickle.loads(payload), job, None), protocol=pickle.HIGHEST_PROTOCOL)


def _chunks(items: Iterable[Item], size: int) -> Iterator[Chunk]:
    chunk: Chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _engine_local(moderator: Any, chunks: Iterable[Chunk], job: ChunkJob) -> Iterator[tuple[Chunk, list]]:
    # The segments stay objects here (nothing to pickle), and an input's
    # summary part carries over from chunk to chunk (no merge per chunk).
    last = None
    for chunk in chunks:
        segments = scan_chunk(moderator, _compact(chunk), job, last)
        last = segments[-1][:2]
        yield chunk, segments


def _engine_joblib(moderator: Any, chunks: Iterable[Chunk], n_jobs: int, job: ChunkJob) -> Iterator[tuple[Chunk, list]]:
    from joblib import Parallel, delayed

    with tempfile.TemporaryDirectory(prefix="moderation-scan-") as tmp:
        model_file = os.path.join(tmp, "moderator.pickle")
        with open(model_file, "wb") as f:
            pickle.dump(moderator, f, protocol=pickle.HIGHEST_PROTOCOL)
        pending: deque[Chunk] = deque()
        dumps, loads, protocol = pickle.dumps, pickle.loads, pickle.HIGHEST_PROTOCOL

        def tasks():
            for chunk in chunks:
                pending.append(chunk)
                yield delayed(_scan_in_worker)(model_file, dumps(_compact(chunk), protocol=protocol), job)

        # return_as="generator" keeps the input order and dispatches lazily
        # (pre_dispatch), so the reader never runs far ahead of the workers.
        parallel = Parallel(n_jobs=n_jobs, return_as="generator", pre_dispatch="2*n_jobs", batch_size=1)
        for result in parallel(tasks()):
            yield pending.popleft(), loads(result)


def _parse_range_in_worker(part: Any, columns: Any) -> bytes:
    """Only read a `LineRange`, in a worker: its records as `_compact` columns, for the reading process to resolve reply depth."""
    from moderation.readers.jsonl import read_jsonl_range

    with gc_paused():
        return pickle.dumps(_compact(read_jsonl_range(part, columns)), protocol=pickle.HIGHEST_PROTOCOL)


def _records_from_workers(pool: Any, name: str, guess: Any, size: int, columns: Any, context: Any,
                          ahead: int) -> Iterator[Item]:
    """The records of a JSON Lines file as its reader yields them (reply depth not yet resolved), parsed by workers.

    For a dump with replies: reply depth needs every comment before, in
    order, so it is resolved here (by the `DumpReader` this feeds), but the
    parsing (~8 µs a comment) is still the workers'; this process rebuilds
    the `Comment`s from columns (~1 µs).
    """
    from moderation.readers.jsonl import split_lines

    loads = pickle.loads
    pending: deque = deque()

    def unpack(future: Any) -> list:
        (sources, threads, titles, ids, parents, depths, authors, timestamps, quotes, texts, lines), errors = \
            loads(future.result())
        items: list = [Comment(id_, text, parent, depth, author, timestamp, quote, thread, title, source, line)
                       for source, thread, title, id_, parent, depth, author, timestamp, quote, text, line
                       in zip(sources, threads, titles, ids, parents, depths, authors, timestamps, quotes, texts, lines)]
        for position, source, line, message in errors:  # in order: each lands where it stood
            items.insert(position, ReadError(source, line, message))
        if items:
            context.line = items[-1].line
        return items

    try:
        for part in split_lines(os.path.abspath(name), name, guess, size):
            pending.append(pool.parse(part, columns))
            if len(pending) > ahead:
                yield from unpack(pending.popleft())
        while pending:
            yield from unpack(pending.popleft())
    finally:
        for future in pending:
            future.cancel()


class _ModelFile:
    """The moderator pickled once to a temporary file, which each worker loads once (not once per chunk)."""

    def __init__(self, moderator: Any):
        self._dir = tempfile.TemporaryDirectory(prefix="moderation-scan-")
        self.path = os.path.join(self._dir.name, "moderator.pickle")
        with open(self.path, "wb") as f:
            pickle.dump(moderator, f, protocol=pickle.HIGHEST_PROTOCOL)

    def __enter__(self) -> str:
        return self.path

    def __exit__(self, *exc: Any) -> None:
        self._dir.cleanup()


def _split_guess(name: str, format: str | None, encoding: str | None) -> tuple[Any, int] | None:
    """(encoding guess, average line length) when `name` is a JSON Lines file workers can read in ranges.

    The same decisions `iter_inputs` and `read_dump` make (format from the
    name, then the first bytes; the encoding guess from the first bytes),
    restricted to plain files: a gzipped dump or stdin cannot be cut into
    ranges without reading it all, and is read in this process instead.
    """
    import stat

    from moderation.readers.decoding import EncodingGuess, guess_encoding, is_ascii_compatible, normalise_encoding
    from moderation.readers.jsonl import orjson
    from moderation.readers.sniff import PAGE_FORMATS, canonical_format, detect_format, extension_format, is_binary
    from moderation.readers.sources import GZIP_MAGIC, HEAD_SIZE

    if name == "-" or orjson is None:
        return None
    try:
        if not stat.S_ISREG(os.stat(name).st_mode):
            return None
        forced = canonical_format(format) if format else None
        fmt = forced or extension_format(name)
        if fmt is None:
            fmt = detect_format(name)
        if fmt in PAGE_FORMATS or fmt is None:
            return None
        given = normalise_encoding(encoding) if encoding else None
        with open(name, "rb") as f:
            head = f.read(HEAD_SIZE)
    except (OSError, ValueError, LookupError):
        return None
    if head.startswith(GZIP_MAGIC) or not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe") or is_binary(head):
        return None
    try:
        if (canonical_format(fmt) if fmt != "xml" else detect_format(name, head)) != "jsonl":
            return None
    except ValueError:
        return None
    guess = EncodingGuess(given, True, "given") if given else guess_encoding(head)
    if not is_ascii_compatible(guess.encoding):
        return None
    return guess, max(1, len(head) // max(1, head.count(b"\n")))


def _split_pieces(names: list[str], start: int, skip_records: int | None, options: dict[str, Any], chunk_size: int,
                  stats: dict[int, Any], pool: Any, read_here: bool = False) -> Iterator[Any]:
    """What the workers get, in input order: `LineRange`s of JSON Lines files, chunks of records of the rest.

    Only files the workers can read (`pool.reads`) are cut into ranges.

    Inputs from `start` on; with `skip_records`, input `start` has replies:
    its records come to this process (parsed by the workers, or read here
    with `read_here`), which resolves reply depth, and the first
    `skip_records` are dropped: they were scanned from ranges before the
    first reply. Chunks of records span inputs read here, as with -j 1.
    """
    from itertools import islice

    from moderation.readers import iter_inputs
    from moderation.readers.base import DumpReader, ReaderContext, ReadStats
    from moderation.readers.jsonl import split_lines
    from moderation.readers.threads import DepthResolver

    buffer: list = []
    for index in range(start, len(names)):
        name = names[index]
        whole = index == start and skip_records is not None
        if (whole and read_here) or not pool.reads(name):
            plan = None
        else:
            plan = _split_guess(name, options["format"], options["encoding"])
        if plan is None or whole:
            if plan is None:
                reader = iter_inputs([name], **options)
                stats[index] = reader.stats
                records = iter(reader)
            else:  # what read_dump does, but the lines parsed by the workers
                context = ReaderContext(name, ReadStats())
                guess, line_bytes = plan
                parsed = _records_from_workers(pool, name, guess, chunk_size * line_bytes, options["columns"],
                                               context, pool.count)
                dump = DumpReader(name, parsed, context=context, resolver=DepthResolver())
                stats[index] = dump.stats
                records = dump.records()
            for item in islice(records, skip_records, None) if whole else records:
                buffer.append(item)
                if len(buffer) >= chunk_size:
                    yield buffer
                    buffer = []
            continue
        if buffer:
            yield buffer
            buffer = []
        stats[index] = ReadStats()
        guess, line_bytes = plan
        for part in split_lines(os.path.abspath(name), name, guess, chunk_size * line_bytes):
            yield index, part
    if buffer:
        yield buffer


def _executor(n_jobs: int) -> tuple[Any, int]:
    """The worker processes of -j N (joblib's reusable loky pool), and how many there are.

    Reused from one scan to the next, and started early by `start_workers`;
    each worker's BLAS threads are limited to its share of the cores.
    """
    from joblib import cpu_count
    from joblib.executor import get_memmapping_executor

    workers = cpu_count() if n_jobs == -1 else n_jobs
    threads = str(max(1, cpu_count() // workers))
    env = {var: os.environ.get(var, threads) for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    return get_memmapping_executor(workers, timeout=300, env=env), workers


def _warm_up() -> None:
    """Nothing: running it makes a fresh worker import this module (the package and the model code)."""


def start_workers(n_jobs: int) -> None:
    """Start the processes of a local `-j N` scan now, so that they import the package while the caller loads the model.

    A worker takes ~0.7 s to start and import what scoring needs (idle
    machine); the `scan` command calls this before loading the model (~0.5 s),
    so that on a one-minute run the workers lose less of it.
    """
    if n_jobs != 1:
        executor, workers = _executor(n_jobs)
        for _ in range(workers):
            executor.submit(_warm_up)


class _LocalPool:
    """-j N's workers (joblib's reusable loky pool), as `_engine_split` uses them: each call returns a future.

    The moderator is pickled once to a temporary file and each worker loads
    it once. They share this machine's files, so they read every input.
    """

    def __init__(self, moderator: Any, n_jobs: int):
        self.executor, self.count = _executor(n_jobs)
        self.window = 2 * self.count
        self._model = _ModelFile(moderator)
        self._path = self._model.path

    def reads(self, name: str) -> bool:
        return True

    def chunk(self, payload: bytes, job: ChunkJob) -> Any:
        return self.executor.submit(_scan_in_worker, self._path, payload, job)

    def range(self, part: Any, columns: Any, job: ChunkJob) -> Any:
        return self.executor.submit(_scan_range_in_worker, self._path, part, columns, job)

    def parse(self, part: Any, columns: Any) -> Any:
        return self.executor.submit(_parse_range_in_worker, part, columns)

    def close(self) -> None:
        self._model.__exit__()


#: How the Dask engine's workers get plain JSON Lines dumps: `auto` (they
#: read ranges of the files every worker sees as this process does, and get
#: chunks of the others), `workers` (ranges of every such file, without
#: asking), `client` (chunks read here, for every input).
DASK_READS = ("auto", "workers", "client")


def _dask_client(scheduler: Any) -> tuple[Any, bool]:
    """(a dask.distributed Client for `scheduler`, whether it is ours to close)."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("the dask engine needs the 'dask' extra: pip install 'moderation[dask]'") from exc
    if scheduler is None:
        raise ValueError("the dask engine needs a scheduler address (--scheduler tcp://HOST:8786) or a Client")
    if isinstance(scheduler, Client):
        return scheduler, False
    return Client(scheduler), True


def _file_views(paths: list[str]) -> list[tuple[int, int] | None]:
    """(size, mtime in ns) of each path as this machine sees it, None where it cannot; run on each Dask worker."""
    views: list[tuple[int, int] | None] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            views.append(None)
        else:
            views.append((st.st_size, st.st_mtime_ns))
    return views


def shared_files(client: Any, names: Sequence[str]) -> set[str]:
    """The `names` that every worker of `client` sees as this process does: same size and mtime, by the same absolute path.

    One round trip to the workers for all the names. A worker that cannot
    stat a file, or sees another size or mtime (no shared filesystem, or
    another copy), keeps that file off the fast path: it is read here and
    sent as chunks, which any cluster can score.
    """
    mine: dict[str, tuple[str, tuple[int, int]]] = {}
    for name in names:
        if name == "-":
            continue
        try:
            st = os.stat(name)
        except OSError:
            continue
        mine[name] = (os.path.abspath(name), (st.st_size, st.st_mtime_ns))
    if not mine:
        return set()
    try:
        views = client.run(_file_views, [path for path, _ in mine.values()])
    except Exception:  # noqa: BLE001 - a worker that cannot answer cannot be trusted with the files
        return set()
    if not views:
        return set()
    shared = set()
    for i, (name, (_, view)) in enumerate(mine.items()):
        if all(seen[i] is not None and tuple(seen[i]) == view for seen in views.values()):
            shared.add(name)
    return shared


class _DaskPool:
    """A dask.distributed cluster's workers, as `_engine_split` uses them: each call returns a future.

    The moderator is scattered to every worker once. Only inputs in
    `self.shared` (per `read`, see `DASK_READS`) are cut into ranges for the
    workers to read; the rest are read here and sent as chunks.
    """

    def __init__(self, moderator: Any, scheduler: Any, names: Sequence[str], read: str):
        self.client, self._own = _dask_client(scheduler)
        try:
            threads = sum(self.client.nthreads().values()) or 1
            self.count = threads
            self.window = 2 * threads + 1
            # Its own key (not the object's hash): the same moderator scattered by the scan before
            # could be being released under that key just now, which loses it ("lost dependencies").
            [self._model] = self.client.scatter([moderator], broadcast=True, hash=False)
            _tune_dask_workers(self.client)
            if read == "workers":
                self.shared = set(names)
            elif read == "auto":
                self.shared = shared_files(self.client, names)
            else:
                self.shared = set()
        except BaseException:
            self.close()
            raise

    def reads(self, name: str) -> bool:
        return name in self.shared

    def chunk(self, payload: bytes, job: ChunkJob) -> Any:
        return self.client.submit(_scan_pickled, self._model, payload, job, pure=False)

    def range(self, part: Any, columns: Any, job: ChunkJob) -> Any:
        return self.client.submit(_scan_range, self._model, part, columns, job, pure=False)

    def parse(self, part: Any, columns: Any) -> Any:
        return self.client.submit(_parse_range_in_worker, part, columns, pure=False)

    def close(self) -> None:
        if self._own:
            self.client.close()


def _engine_split(make_pool: Callable[[], Any], names: list[str], options: dict[str, Any], chunk_size: int,
                  job: ChunkJob, reader_stats: Any) -> Iterator[tuple[list, list, Any]]:
    """-j N or Dask over paths: workers read JSON Lines dumps themselves, in ranges of whole lines.

    With chunks of parsed comments, this process read and parsed the whole
    dump (about 8 µs a comment) and pickled it out again, a serial share that
    kept two workers from being busy. Now it only cuts each plain JSON Lines
    file into ranges (a read and a newline count), and a worker parses,
    scores and encodes its range; the results come back in input order.
    Other inputs (pages, other formats, gzip, stdin) are read here and sent
    as chunks, as before. A dump with replies needs reply depth across
    ranges, which no worker has: at the first range holding a reply, the
    ranges after it are dropped, and that input's records come to this
    process, still parsed by the workers, range by range from its start, to
    go through the same `DumpReader` depth resolution as with -j 1 (its first
    records, already scanned, are skipped); they go out again as chunks to
    be scored. So the output is -j 1's. `make_pool` gives the workers
    (`_LocalPool`, `_DaskPool`); it is called when the iteration starts.
    """
    columns = options["columns"]
    stats: dict[int, Any] = {}
    emitted: dict[int, int] = {}  # records scanned from each input's ranges so far
    dumps, loads, protocol = pickle.dumps, pickle.loads, pickle.HIGHEST_PROTOCOL
    pool = make_pool()
    window = pool.window
    try:
        pieces = _split_pieces(names, 0, None, options, chunk_size, stats, pool)
        pending: deque = deque()
        try:
            while True:
                while len(pending) < window:
                    piece = next(pieces, None)
                    if piece is None:
                        break
                    if type(piece) is list:
                        future = pool.chunk(dumps(_compact(piece), protocol=protocol), job)
                    else:
                        future = pool.range(piece[1], columns, job)
                    pending.append((piece, future))
                if not pending:
                    break
                piece, future = pending.popleft()
                if type(piece) is list:
                    yield piece, loads(future.result()), None
                    continue
                result, bodies = future.result()
                result = loads(result)
                index, part = piece
                if result is None or result == "failed":  # this input's records come here from now on
                    for _, later in pending:
                        later.cancel()
                    pending.clear()
                    pieces.close()
                    for stale in [i for i in stats if i >= index]:
                        del stats[stale]
                    pieces = _split_pieces(names, index, emitted.get(index, 0), options, chunk_size, stats, pool,
                                           read_here=result == "failed")
                    continue
                segments, comments, errors, last_line = result
                if bodies is not None:
                    segments = [(source, seg_part, body, n_errors)
                                for (source, seg_part, _, n_errors), body in zip(segments, bodies)]
                errors = [ReadError(part.name, line, message) for line, message in errors]
                counts = stats[index]
                counts.comments += comments
                counts.errors += len(errors)
                emitted[index] = emitted.get(index, 0) + comments + len(errors)
                yield errors, segments, (comments + len(errors), part.name, last_line)
        finally:
            for _, later in pending:
                later.cancel()
            pieces.close()
    finally:
        pool.close()
    for index in sorted(stats):
        reader_stats.add(stats[index])


def _engine_dask(moderator: Any, chunks: Iterable[Chunk], scheduler: Any, job: ChunkJob) -> Iterator[tuple[Chunk, list]]:
    client, own_client = _dask_client(scheduler)
    try:
        threads = sum(client.nthreads().values()) or 1
        window = 2 * threads + 1
        [model] = client.scatter([moderator], broadcast=True, hash=False)
        _tune_dask_workers(client)
        pending: deque = deque()
        dumps, loads, protocol = pickle.dumps, pickle.loads, pickle.HIGHEST_PROTOCOL
        for chunk in chunks:
            payload = dumps(_compact(chunk), protocol=protocol)
            pending.append((chunk, client.submit(_scan_pickled, model, payload, job, pure=False)))
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
    it ends. Iterate once: the inputs are streamed, not kept. How you iterate
    decides what the chunks' workers hand back: records (`__iter__`,
    `items`, `batches`) or ready-encoded JSON Lines (`json_lines`).
    """

    def __init__(self, start: Callable[[ChunkJob], Iterator[tuple[list, list, Any]]], progress: Any,
                 on_error: Callable[[ReadError], None] | None, reader_stats: Any = None):
        self._start = start
        self._progress = progress
        self._on_error = on_error
        #: The readers' own counts (`ReadStats`), including posts skipped as not comments.
        self.reader_stats = reader_stats
        self._started = False
        self.summary = ScanSummary()
        self.errors: list[ReadError] = []

    def _run(self, job: ChunkJob, input_ends: bool) -> Iterator[list]:
        """Per chunk, its output in order: records and read errors, or JSON Lines bytes; `InputDone`s between.

        An input's summary part is merged into `summary` when the input ends,
        so each record is counted once however the results are used.
        """
        if self._started:
            raise RuntimeError("a ScanResult can be iterated only once")
        self._started = True
        summary, errors, on_error, bar = self.summary, self.errors, self._on_error, self._progress
        lines = job.lines
        current: Any = _NO_INPUT
        part, part_errors = ScanSummary(), []
        try:
            for chunk, segments, position in self._start(job):
                out: list = []
                chunk_errors = None
                for source, seg_part, body, n_errors in segments:
                    if source != current:
                        if current is not _NO_INPUT:
                            summary.merge(part)
                            if input_ends:
                                out.append(InputDone(current, part, part_errors))
                        current, part, part_errors = source, seg_part, []
                    elif seg_part is not part:
                        part.merge(seg_part)
                    if n_errors:
                        # The workers counted them; the caller gets this process's own objects, in order.
                        if chunk_errors is None:
                            chunk_errors = iter([item for item in chunk if type(item) is ReadError])
                        new = [next(chunk_errors) for _ in range(n_errors)]
                        part_errors.extend(new)
                        errors.extend(new)
                        if on_error is not None:
                            for error in new:
                                on_error(error)
                        if not lines:
                            fill = iter(new)
                            body = [next(fill) if record is None else record for record in body]
                    if lines:
                        if body:
                            out.append(body)
                    elif out:
                        out.extend(body)
                    else:
                        out = body
                if bar is not None:
                    if position is None:
                        bar.update(chunk)
                    else:
                        bar.advance(*position)
                if out:
                    yield out
            if current is not _NO_INPUT:
                summary.merge(part)
                if input_ends:
                    yield [InputDone(current, part, part_errors)]
            if self.reader_stats is not None:
                summary.skipped.update(self.reader_stats.skipped)
        finally:
            if bar is not None:
                bar.close()

    def batches(self, input_ends: bool = False) -> Iterator[list]:
        """`items()` one chunk at a time: lists of records and read errors (and `InputDone`s with `input_ends`).

        The cheap way to consume a large scan: one generator step per chunk
        instead of one per record.
        """
        return self._run(ChunkJob(), input_ends)

    def json_lines(self, all_comments: bool = True, input_ends: bool = False) -> Iterator[bytes | InputDone]:
        """The reported records as JSON Lines (UTF-8 bytes, many lines at a time), in input order.

        The fast way to write JSON Lines (what the CLI's JSONL output and
        resume journal use): the lines are encoded where the chunks are
        scored, so with workers the reading process only writes bytes.
        `all_comments=False` keeps the flagged ones only; the summary counts
        every comment either way. Read errors go to `errors` and `on_error`
        (they have no line); with `input_ends`, an `InputDone` follows each input.
        """
        for batch in self._run(ChunkJob(lines=True, all_comments=all_comments), input_ends):
            yield from batch

    def items(self, input_ends: bool = False) -> Iterator[dict[str, Any] | ReadError | InputDone]:
        """Records and read errors in input order; with `input_ends`, an `InputDone` after each input."""
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
    dask_read: str = "auto",
    skip_sources: Collection[str] = (),
    progress: bool = False,
    on_error: Callable[[ReadError], None] | None = None,
) -> ScanResult:
    """Score every comment of `inputs` (paths, or `Comment`s) with `moderator`.

    Returns a `ScanResult`: iterate it for one plain record per comment (see
    `RECORD_FIELDS`), in input order, whatever the engine. `skip_sources`
    names inputs already finished by an earlier run (resume); their comments
    are neither scored nor counted. `progress` shows a tqdm bar on stderr.
    `dask_read` says which plain JSON Lines files the Dask engine's workers
    read themselves (see `DASK_READS`; the output is the same either way).
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if n_jobs == 0 or n_jobs < -1:
        raise ValueError("n_jobs must be a positive number of processes, or -1 for one per core")
    if dask_read not in DASK_READS:
        raise ValueError(f"unknown dask_read {dask_read!r}; choose one of {', '.join(DASK_READS)}")
    bar = ScanProgress(inputs if _are_paths(inputs) else None, skip_sources) if progress else None
    split = (engine == "local" and n_jobs != 1) or (engine == "dask" and dask_read != "client")
    if split and _are_paths(inputs) and _valid_format(format):
        # Workers read the JSON Lines dumps themselves (see _engine_split).
        from moderation.readers import expand_paths
        from moderation.readers.base import ReadStats

        stats = ReadStats()
        paths = [inputs] if isinstance(inputs, (str, os.PathLike)) else inputs
        names = [name for name in expand_paths([os.fspath(p) for p in paths], stats) if name not in skip_sources]
        options = {"format": format, "encoding": encoding, "columns": columns, "stdin": stdin}

        def make_pool() -> Any:
            if engine == "dask":
                return _DaskPool(moderator, scheduler, names, dask_read)
            return _LocalPool(moderator, n_jobs)

        def start_split(job: ChunkJob) -> Iterator[tuple[list, list, Any]]:
            return _engine_split(make_pool, names, options, chunk_size, job, stats)

        return ScanResult(start_split, bar, on_error, stats)

    items = _items(inputs, format=format, encoding=encoding, columns=columns, stdin=stdin,
                   skip=frozenset(skip_sources))
    chunks = _chunks(items, chunk_size)

    def start(job: ChunkJob) -> Iterator[tuple[Chunk, list, Any]]:
        if engine == "dask":
            results = _engine_dask(moderator, chunks, scheduler, job)
        elif n_jobs == 1:
            results = _engine_local(moderator, chunks, job)
        else:
            results = _engine_joblib(moderator, chunks, n_jobs, job)
        return ((chunk, segments, None) for chunk, segments in results)

    return ScanResult(start, bar, on_error, getattr(items, "stats", None))


def _valid_format(format: str | None) -> bool:
    """A forced format that is not one: `iter_inputs` reports it once, as the whole run's error."""
    from moderation.readers.sniff import canonical_format

    try:
        return format is None or bool(canonical_format(format))
    except ValueError:
        return False


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
        last = chunk[-1]
        self.advance(len(chunk), last.source, last.line)

    def advance(self, records: int, source: str | None, line: int | None) -> None:
        """`records` more done, the last of them from `source` at `line`."""
        self.records += records
        if source != self.current:
            if self.current is not None:
                self.done_bytes += self.sizes.get(self.current, 0)
            self.current = source
            self.current_lines = _count_lines(source) if source in self.sizes else None
        position = self.done_bytes
        size = self.sizes.get(self.current or "", 0)
        if self.current_lines and line:
            position += int(size * min(1.0, line / self.current_lines))
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

"""Where a scan's chunks run: this process, joblib (loky) workers, or a Dask cluster.

With workers the reading process is the ceiling, so plain JSON Lines files
the workers can read are read by them too, in ranges of whole lines
(`_engine_split`); this process only cuts them, merges the summary parts and
writes. Everything else is read here and sent out in chunks. See
docs/batch.md ("Engines").
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections import deque
from typing import Any, Callable, Iterable, Iterator, Sequence

from moderation.model import gc_paused
from moderation.readers.sources import display_name
from moderation.records import Comment, ReadError
from moderation.scan_chunk import Chunk, ChunkJob, Item, _compact, _scan_chunk, scan_chunk

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


def _engine_pool(make_pool: Callable[[], Any], chunks: Iterable[Chunk], job: ChunkJob) -> Iterator[tuple[Chunk, list]]:
    """Chunks read here, scored by a pool's workers (`_LocalPool`, `_DaskPool`), in input order.

    At most `pool.window` chunks are out at once, so the reader never runs far
    ahead of the workers and memory stays flat. `make_pool` is called when the
    iteration starts (as in `_engine_split`), and the pool is closed at its end.
    """
    pending: deque = deque()
    dumps, loads, protocol = pickle.dumps, pickle.loads, pickle.HIGHEST_PROTOCOL
    pool = make_pool()
    try:
        for chunk in chunks:
            pending.append((chunk, pool.chunk(dumps(_compact(chunk), protocol=protocol), job)))
            if len(pending) >= pool.window:
                done, future = pending.popleft()
                yield done, loads(future.result())
        while pending:
            done, future = pending.popleft()
            yield done, loads(future.result())
    finally:
        for _, future in pending:
            future.cancel()
        pool.close()


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
        for part in split_lines(os.path.abspath(name), display_name(name), guess, size):
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
                context = ReaderContext(display_name(name), ReadStats())
                guess, line_bytes = plan
                parsed = _records_from_workers(pool, name, guess, chunk_size * line_bytes, options["columns"],
                                               context, pool.count)
                dump = DumpReader(display_name(name), parsed, context=context, resolver=DepthResolver())
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
        for part in split_lines(os.path.abspath(name), display_name(name), guess, chunk_size * line_bytes):
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


class SchedulerUnreachable(OSError):
    """The Dask scheduler could not be reached (refused, timed out, unknown host): its address and why."""


def connect_dask(scheduler: str) -> Any:
    """A dask.distributed Client connected to the scheduler at address `scheduler`.

    distributed retries until its connect timeout (the dask config
    `distributed.comm.timeouts.connect`, 30 s by default) and then raises a
    bare OSError from deep in its event loop; this names the address, so a
    caller can say in one line what failed. A malformed address is dask's
    ValueError, raised at once.
    """
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("the dask engine needs the 'dask' extra: pip install 'moderation[dask]'") from exc
    try:
        return Client(scheduler)
    except OSError as exc:
        raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc


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
    return connect_dask(scheduler), True


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
                  job: ChunkJob, reader_stats: Any, input_stats: dict[int, Any] | None = None
                  ) -> Iterator[tuple[list, list, Any]]:
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
    `input_stats`, when given, is filled with each input's `ReadStats` by its
    index in `names` as it is read (a resumed scan journals each finished
    input's skipped posts from it); `reader_stats` gets their sum at the end.
    """
    columns = options["columns"]
    stats: dict[int, Any] = input_stats if input_stats is not None else {}
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

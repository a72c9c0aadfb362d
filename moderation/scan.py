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

This module holds the API (`scan`, `ScanResult`); one chunk's work is in
`scan_chunk`, the engines and workers in `scan_engines`, the resume journal
in `scan_journal` and the progress bar in `scan_progress`.
"""

from __future__ import annotations

import os
import sys
import types
from collections import Counter
from dataclasses import dataclass
from itertools import chain
from typing import Any, Callable, Collection, Iterable, Iterator, Mapping

from moderation.records import Comment, ReadError
from moderation.report.summary import ScanSummary
from moderation.scan_chunk import RECORD_FIELDS, Chunk, ChunkJob, Item, scan_chunk, verdict_tuple
from moderation.scan_engines import (DASK_READS, SchedulerUnreachable, _chunks, _DaskPool, _engine_local, _engine_pool,
                                     _engine_split, _LocalPool, connect_dask, shared_files, start_workers)
from moderation.scan_journal import JournalError, ScanJournal, input_signature
from moderation.scan_progress import ScanProgress, _are_paths

#: What `from moderation.scan import ...` offers: the scan API and the pieces its modules hold.
__all__ = ["DASK_READS", "DEFAULT_CHUNK_SIZE", "ENGINES", "RECORD_FIELDS", "ChunkJob", "InputDone", "JournalError",
           "SchedulerUnreachable", "ScanJournal", "ScanProgress", "ScanResult", "connect_dask", "input_signature",
           "scan", "scan_chunk", "shared_files", "start_workers", "verdict_tuple"]

ENGINES = ("local", "dask")
DEFAULT_CHUNK_SIZE = 2000


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
    from moderation.readers.sources import display_name

    paths = [os.fspath(first), *(os.fspath(p) for p in it)]
    if not skip:
        return iter_inputs(paths, format=format, encoding=encoding, columns=columns, stdin=stdin)
    from moderation.readers.base import ReadStats

    walked = ReadStats()  # the files the walk skips ("unrecognised file"), counted as iter_inputs counts them
    reader = iter_inputs([p for p in expand_paths(paths, walked) if display_name(p) not in skip], format=format,
                         encoding=encoding, columns=columns, stdin=stdin)
    reader.stats.skipped.update(walked.skipped)
    return reader


class ScanResult:
    """The records of a scan, produced lazily as you iterate.

    `summary` and `errors` fill in as the iteration goes and are complete when
    it ends. Iterate once: the inputs are streamed, not kept. How you iterate
    decides what the chunks' workers hand back: records (`__iter__`,
    `items`, `batches`) or ready-encoded JSON Lines (`json_lines`).
    """

    def __init__(self, start: Callable[[ChunkJob], Iterator[tuple[list, list, Any]]], progress: Any,
                 on_error: Callable[[ReadError], None] | None, reader_stats: Any = None,
                 skipped_of: Callable[[str], Mapping[str, int] | None] | None = None):
        self._start = start
        self._progress = progress
        self._on_error = on_error
        #: The readers' own counts (`ReadStats`), including posts skipped as not comments.
        self.reader_stats = reader_stats
        #: An input's own skipped posts once it has been read (see `_skip_counts`).
        self._skipped_of = skipped_of
        self._skipped_given: Counter = Counter()
        self._skipped_sources: set[str] = set()
        self._started = False
        self.summary = ScanSummary()
        self.errors: list[ReadError] = []

    def _skip_counts(self, source: str, part: ScanSummary) -> None:
        """Put the posts `source` skipped as not comments (deleted, spam...) in its summary part.

        They were added to the whole summary only when the scan ended, so the
        part an `InputDone` carries (what the resume journal keeps of a
        finished input) had none, and a resumed run's summary lost the
        skipped posts of the inputs finished before the interruption. When an
        input's end shows here, its reader has gone past it, so its counts are
        complete. What belongs to no input with records (a page with no
        reader comments, files a directory walk skips) is added at the end.
        """
        if self._skipped_of is None or source in self._skipped_sources:
            return
        self._skipped_sources.add(source)
        skipped = self._skipped_of(source)
        if skipped:
            part.skipped.update(skipped)
            self._skipped_given.update(skipped)

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
                            self._skip_counts(current, part)
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
                self._skip_counts(current, part)
                summary.merge(part)
                if input_ends:
                    yield [InputDone(current, part, part_errors)]
            if self.reader_stats is not None:
                summary.skipped.update(self.reader_stats.skipped - self._skipped_given)
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
    """Marks the end of one input in `ScanResult.items(input_ends=True)`: its summary and read errors.

    The summary includes the posts the input skipped as not comments (`skipped`).
    """

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
        from moderation.readers.sources import display_name

        stats = ReadStats()
        paths = [inputs] if isinstance(inputs, (str, os.PathLike)) else inputs
        names = [name for name in expand_paths([os.fspath(p) for p in paths], stats)
                 if display_name(name) not in skip_sources]
        options = {"format": format, "encoding": encoding, "columns": columns, "stdin": stdin}
        input_stats: dict[int, ReadStats] = {}  # by index in `names`, filled as the inputs are read
        indices: dict[str, list[int]] = {}
        for index, name in enumerate(names):
            indices.setdefault(display_name(name), []).append(index)

        def skipped_of(source: str) -> Counter:
            found: Counter = Counter()
            for index in indices.get(source, ()):
                if index in input_stats:
                    found.update(input_stats[index].skipped)
            return found

        def make_pool() -> Any:
            if engine == "dask":
                return _DaskPool(moderator, scheduler, names, dask_read)
            return _LocalPool(moderator, n_jobs)

        def start_split(job: ChunkJob) -> Iterator[tuple[list, list, Any]]:
            return _engine_split(make_pool, names, options, chunk_size, job, stats, input_stats)

        return ScanResult(start_split, bar, on_error, stats, skipped_of)

    items = _items(inputs, format=format, encoding=encoding, columns=columns, stdin=stdin,
                   skip=frozenset(skip_sources))
    chunks = _chunks(items, chunk_size)

    def start(job: ChunkJob) -> Iterator[tuple[Chunk, list, Any]]:
        if engine == "dask":
            results = _engine_pool(lambda: _DaskPool(moderator, scheduler, (), "client"), chunks, job)
        elif n_jobs == 1:
            results = _engine_local(moderator, chunks, job)
        else:
            results = _engine_pool(lambda: _LocalPool(moderator, n_jobs), chunks, job)
        return ((chunk, segments, None) for chunk, segments in results)

    by_source = getattr(items, "skipped_by_source", None)  # None for Comment objects
    return ScanResult(start, bar, on_error, getattr(items, "stats", None),
                      by_source.get if by_source is not None else None)


def _valid_format(format: str | None) -> bool:
    """A forced format that is not one: `iter_inputs` reports it once, as the whole run's error."""
    from moderation.readers.sniff import canonical_format

    try:
        return format is None or bool(canonical_format(format))
    except ValueError:
        return False


class _CallableModule(types.ModuleType):
    """This module, callable as its `scan` function.

    `moderation.scan` names both the module and the function the package
    exports; once the module is imported (`from moderation.scan import ...`),
    the import system binds the module to the package's `scan`, and
    `from moderation import scan` would give a module that cannot be called.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> "ScanResult":
        return scan(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

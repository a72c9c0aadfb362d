"""`iter_inputs`: what `moderation scan INPUT...` reads, as one stream of records.

Inputs are files, directories (walked recursively in sorted order, hidden
files and directories skipped, symlinked directories followed, each directory
entered once) and `-` for standard input. Saved pages
(.txt, .html, .htm) go through the segmenter and yield the thread's comments;
dumps go through `read_dump`. In a directory, files whose name matches no
known format are skipped and counted (`stats.skipped["unrecognised file"]`):
a README beside the dumps is not an error. Named on the command line, the
same file is read (by sniffing its content) or reported.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from moderation.readers.base import ReadStats, Record, stopped
from moderation.readers.columns import ColumnMap
from moderation.readers.dump import read_dump
from moderation.readers.sniff import (DUMP_FORMATS, EXTENSIONS, PAGE_FORMATS, canonical_format, detect_format,
                                      extension_format)
from moderation.readers.sources import DEFAULT_CHUNK_SIZE, display_name, open_source
from moderation.records import ReadError

log = logging.getLogger("moderation.readers")

STDIN_NAME = "<stdin>"


def expand_paths(paths: Iterable[str | Path], stats: ReadStats | None = None, *,
                 seen: dict | None = None, warn: bool = True) -> Iterator[str]:
    """Input names in reading order: files as given, directories walked (sorted, no hidden entries).

    Only regular files are taken from a directory: a FIFO, socket or device
    found by the walk is skipped with a warning (opening a FIFO would wait for
    a writer forever) and counted in `stats.skipped`; named on the command line
    it is read as a stream. A directory the walk cannot list is yielded as its
    own name, for `InputReader` to report ("Permission denied"). A file named
    twice (or reached by two paths, or through a symlink) is yielded once, with
    a warning: `seen` (file identity to name) carries that across calls.

    A symlink to a directory is followed, as `find -L` and `grep -R` do. A
    directory the walk has already entered (a link back to one of its parents,
    a loop; or a second link to the same directory) is not entered again, with
    a warning naming where it was walked: `seen` holds directories too.
    """
    if seen is None:
        seen = {}
    for path in paths:
        text = os.fspath(path)
        if text == "-":
            yield text
            continue
        if os.path.isdir(text):
            if not _first_dir(text, seen, warn, named=True):  # named twice, or inside a directory named before
                continue
            unlistable: list[str] = []
            for root, dirs, files in os.walk(text, onerror=lambda exc: unlistable.append(exc.filename),
                                             followlinks=True):
                if unlistable:  # a directory that could not be listed: reported in walking order
                    yield from unlistable
                    unlistable.clear()
                dirs[:] = [d for d in sorted(dirs) if not d.startswith(".")
                           and _first_dir(os.path.join(root, d), seen, warn)]
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    full = os.path.join(root, name)
                    if extension_format(full) is None:
                        if stats is not None:
                            stats.skipped["unrecognised file"] += 1
                        log.info("%s: skipped (not a page or dump by its name)", display_name(full))
                        continue
                    try:
                        st = os.stat(full)
                    except OSError:
                        yield full  # (a broken symlink: reading it reports why)
                        continue
                    if not stat.S_ISREG(st.st_mode):
                        if stats is not None:
                            stats.skipped["not a regular file"] += 1
                        if warn:
                            log.warning("%s: skipped: not a regular file (a FIFO, socket or device); "
                                        "name it on the command line to read it as a stream", display_name(full))
                        continue
                    if not _first_time(full, st, seen, warn):
                        continue
                    yield full
            yield from unlistable
        else:
            try:
                st = os.stat(text)
            except OSError:
                yield text
                continue
            if not stat.S_ISREG(st.st_mode) or _first_time(text, st, seen, warn):
                yield text


def _dir_key(name: str) -> tuple | None:
    """Directory `name`'s identity in `seen`, or None when it has none (cannot stat, no inode numbers)."""
    try:
        st = os.stat(name)
    except OSError:
        return None  # os.walk reports a directory it cannot list
    return ("dir", st.st_dev, st.st_ino) if st.st_ino else None


def _first_dir(name: str, seen: dict, warn: bool, named: bool = False) -> bool:
    """Whether the walk should enter directory `name`: not when it has entered it before, under any name.

    Every directory entered is recorded, the ones named on the command line
    too, so that a symlink back to one is seen as the loop it is and a
    directory named twice, or inside one named before, is walked once.
    `named`: `name` was given as an input (so it is no link inside a walk).
    """
    key = _dir_key(name)
    if key is None:
        return True
    first = seen.get(key)
    if first is None:
        seen[key] = name
        if named:
            seen[("named", *key)] = True
        return True
    if warn:
        if not named and name.startswith(first.rstrip(os.sep) + os.sep):  # the walk came back into it
            what = f"links back to {display_name(first)}, which holds it (a symlink loop)"
        elif named and seen.get(("named", *key)):
            what = "given again" if first.rstrip(os.sep) == name.rstrip(os.sep) else f"the same as {display_name(first)}"
        elif first.rstrip(os.sep) == name.rstrip(os.sep):
            what = "already walked"
        else:
            what = f"the same directory as {display_name(first)}, already walked"
        log.warning("%s: %s: not walked again", display_name(name), what)
    return False


def _first_time(name: str, st: os.stat_result, seen: dict, warn: bool) -> bool:
    """Whether the regular file `name` (stat `st`) has not been yielded before, under any name."""
    key = (st.st_dev, st.st_ino)
    first = seen.get(key)
    if first is None:
        seen[key] = name
        return True
    if warn:
        what = "given again" if first == name else f"the same file as {display_name(first)}"
        log.warning("%s: %s: read once", display_name(name), what)
    return False


def _unlistable(path: str) -> ReadError:
    """The error for a directory that cannot be listed (Permission denied, ...)."""
    try:
        os.listdir(path)
    except OSError as exc:
        why = exc.strerror or str(exc)
    else:  # (listable now: it changed during the run)
        why = "could not be listed"
    return ReadError(display_name(path), None, f"cannot read this directory: {why}")


class InputReader(Iterator[Record]):
    """Records of many inputs in order; `stats` sums them (complete once exhausted).

    `skipped_by_source` holds the same skipped posts by input (a dump's once it
    has been read to its end, a page with no reader comments): a resumed scan
    journals each finished input's own skipped counts, which the sum cannot
    tell apart once the reader has gone on to the next input. Files a
    directory walk skips belong to no input and are only in `stats`.
    """

    def __init__(self, paths, format, encoding, columns, stdin, chunk_size, include_deleted):
        self.stats = ReadStats()
        self.skipped_by_source: dict[str, Counter] = {}
        self._it = self._run(paths, format, encoding, columns, stdin, chunk_size, include_deleted)

    def __next__(self) -> Record:
        return next(self._it)

    def _tally(self, records: Iterable[Record]) -> Iterator[Record]:
        """Pages and errors, counted one by one (a dump's records are counted by its reader)."""
        stats = self.stats
        for record in records:
            if isinstance(record, ReadError):
                stats.errors += 1
            else:
                stats.comments += 1
            yield record

    def _run(self, paths, format, encoding, columns, stdin, chunk_size, include_deleted) -> Iterator[Record]:
        try:
            forced = canonical_format(format) if format else None
        except ValueError as exc:
            yield from self._tally([ReadError("<options>", None, str(exc))])
            return
        for name in self._names(paths):
            if isinstance(name, ReadError):
                yield from self._tally([name])
                continue
            if name == "-":
                yield from self._stdin(stdin, forced, encoding, columns, chunk_size, include_deleted)
                continue
            fmt = forced or extension_format(name)
            if fmt in PAGE_FORMATS:
                yield from self._tally(self._page_comments(read_page(name, fmt, encoding), display_name(name)))
                continue
            if fmt is None and os.path.isfile(name):
                try:
                    fmt = detect_format(name)
                except OSError:
                    fmt = None
                if fmt in PAGE_FORMATS:
                    yield from self._tally(_sniffed_page(read_page(name, fmt, encoding), display_name(name)))
                    continue
            reader = read_dump(name, format=fmt if fmt != "xml" else None, encoding=encoding, columns=columns,
                               chunk_size=chunk_size, include_deleted=include_deleted)
            yield from self._counted(reader)

    def _names(self, paths) -> Iterator[str | ReadError]:
        """`expand_paths`, and an error for a directory that holds nothing to read: a mistyped or
        empty dump directory would otherwise scan nothing and exit 0."""
        seen: dict = {}
        for path in paths:
            found = False
            walked = os.path.isdir(path) and _dir_key(path) in seen  # walked once already: a warning, no error
            for name in expand_paths([path], self.stats, seen=seen):
                found = True
                yield _unlistable(name) if name != "-" and os.path.isdir(name) else name
            if not found and not walked and os.path.isdir(path):
                yield ReadError(display_name(path), None, "no comment dumps or saved pages in this directory "
                                f"(none of its files ends in {', '.join(sorted(EXTENSIONS))}, optionally .gz)")

    def _page_comments(self, records: Iterable[Record], name: str) -> Iterator[Record]:
        """A named page's comments; a page with none (an article nobody has commented on yet) is
        no error, but it is counted and named, so the summary accounts for every input."""
        found = False
        for record in records:
            found = True
            yield record
        if not found:
            self.stats.skipped["page with no reader comments"] += 1
            self.skipped_by_source.setdefault(name, Counter())["page with no reader comments"] += 1
            log.warning("%s: no reader comments found in this page (its article is never scored; to score "
                        "the file's text as one comment: moderation check - < FILE)", name)

    def _counted(self, reader) -> Iterator[Record]:
        """A dump's records; its reader's counts are added when it ends (or is abandoned)."""
        try:
            yield from reader.records()
        finally:
            self.stats.comments += reader.stats.comments
            self.stats.errors += reader.stats.errors
        self.stats.skipped.update(reader.stats.skipped)
        if reader.stats.skipped:
            self.skipped_by_source.setdefault(reader.source, Counter()).update(reader.stats.skipped)
        self.stats.orphans += reader.stats.orphans

    def _stdin(self, stdin, forced, encoding, columns, chunk_size, include_deleted) -> Iterator[Record]:
        stream = _binary(stdin if stdin is not None else sys.stdin)
        try:
            source = open_source(stream, name=STDIN_NAME, chunk_size=chunk_size)
        except OSError as exc:
            yield from self._tally([ReadError(STDIN_NAME, None, f"cannot read standard input: {exc}")])
            return
        if source.error:
            yield from self._tally([ReadError(STDIN_NAME, None, source.error)])
            return
        fmt = forced or detect_format(None, source.head)
        if fmt in PAGE_FORMATS:
            data = source.stream.read()
            records = _page_from_bytes(data, STDIN_NAME, fmt, encoding, source.damage)
            yield from self._tally(records if forced else _sniffed_page(records, STDIN_NAME))
            return
        # The opened source itself, not its stream: a gzip stream's damage is on the source.
        reader = read_dump(source, format=fmt, encoding=encoding, columns=columns, chunk_size=chunk_size,
                           name=STDIN_NAME, include_deleted=include_deleted)
        yield from self._counted(reader)


def _sniffed_page(records: Iterable[Record], label: str) -> Iterator[Record]:
    """A file whose name says nothing, read as a saved page because its content is text.

    If the segmenter finds no reader comment in it either, the file was most
    likely not meant as a page: it is an unknown format, and saying so (one
    error naming it) beats scoring nothing and exiting 0.
    """
    found = False
    for record in records:
        found = True
        yield record
    if not found:
        yield ReadError(label, None, "unknown format: neither its name nor its content is a dump this tool reads "
                        f"({', '.join(DUMP_FORMATS)}), and read as a saved page it has no reader comments; "
                        "name the format with --format-in")


def _binary(stream) -> BinaryIO:
    """Standard input as bytes, whether given as sys.stdin, a binary file, bytes or a text stream."""
    import io

    if hasattr(stream, "buffer"):
        return stream.buffer
    if isinstance(stream, (bytes, bytearray)):
        return io.BytesIO(stream)
    if isinstance(stream, io.TextIOBase):
        return io.BytesIO(stream.read().encode("utf-8"))
    return stream


def read_page(path: str | Path, fmt: str | None = None, encoding: str | None = None) -> Iterator[Record]:
    """The comments of one saved page (via the segmenter), or a ReadError naming it."""
    label = display_name(path)
    try:
        with open_source(path, name=label) as source:
            if source.error:
                yield ReadError(label, None, source.error)
                return
            data = source.stream.read()
            damage = source.damage
    except FileNotFoundError:
        yield ReadError(label, None, "no such file")
        return
    except OSError as exc:
        yield ReadError(label, None, f"cannot read: {exc.strerror or exc}")
        return
    yield from _page_from_bytes(data, label, fmt or extension_format(label) or "text", encoding, damage)


def _page_from_bytes(data: bytes, label: str, fmt: str, encoding: str | None,
                     damage: str | None = None) -> Iterator[Record]:
    """The comments of a saved page's bytes, or a ReadError.

    With `damage` (a gzip stream that ended early), `data` is what could be
    recovered: the page is read up to its last complete line (an HTML page,
    which may be a single line, up to its last complete tag), since a line
    cut part-way would read as a whole, shorter comment; the damage is then
    reported once, at the line of the cut.
    """
    if damage is None:
        yield from _page_comments(data, label, fmt, encoding)
        return
    text = _page_text(data, label, encoding)
    if isinstance(text, ReadError):
        yield text
        return
    keep = text.rfind(">") + 1 if fmt == "html" else max(text.rfind("\n"), text.rfind("\r")) + 1
    if text[:keep].strip():
        yield from _page_comments(text[:keep], label, fmt, encoding, damaged=True)
    yield stopped(label, text.count("\n", 0, keep) + 1, damage)


def _page_text(data: bytes, label: str, encoding: str | None) -> str | ReadError:
    """A page's bytes decoded, or the error that says why they cannot be (binary, bad encoding).
    The segmenter's own `decode_page` (one rule and one message for `scan` and `segment`)."""
    from moderation.segmenter.lines import SegmenterError, decode_page

    try:
        return decode_page(data, label, encoding)
    except SegmenterError as exc:
        return ReadError(label, None, exc.reason)
    except LookupError as exc:
        return ReadError(label, None, str(exc))


def _page_comments(data: bytes | str, label: str, fmt: str, encoding: str | None,
                   damaged: bool = False) -> Iterator[Record]:
    if isinstance(data, str):  # already decoded
        text = data
    else:
        if not data.strip():
            yield ReadError(label, None, "empty file")
            return
        text = _page_text(data, label, encoding)
        if isinstance(text, ReadError):
            yield text
            return
    try:
        from moderation.segmenter import segment_html, segment_page
    except ImportError as exc:
        yield ReadError(label, None, f"cannot read pages: the segmenter is not available ({exc})")
        return
    from moderation.segmenter.lines import SegmenterError

    try:
        page = segment_html(text, source=label) if fmt == "html" else segment_page(text, source=label)
    except SegmenterError as exc:  # not a page (binary, too large...): the reason, the label is shown anyway
        if not damaged:
            yield ReadError(label, None, exc.reason)
        return
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop the run
        if not damaged:  # (a page cut short by damage: the damage is the error to report)
            yield ReadError(label, None, f"could not split the page into article and comments: {_page_failure(exc, label)}")
        return
    for comment in page.comments:
        comment.source = label
        if comment.thread is None:
            comment.thread = page.title or label
        if comment.thread_title is None:
            comment.thread_title = page.title or None
        yield comment


def _page_failure(exc: Exception, label: str) -> str:
    """Why the segmenter failed on a page, in plain words (no class names, the file named once)."""
    if isinstance(exc, RecursionError):
        return "its HTML is nested too deeply"
    text = str(exc)
    if exc.__class__.__name__ == "SegmenterError":
        return text[len(label) + 2:] if text.startswith(f"{label}: ") else text
    return f"{exc.__class__.__name__}: {text}"  # (an unforeseen failure: its type helps a bug report)


def iter_inputs(
    paths: Iterable[str | Path],
    format: str | None = None,
    encoding: str | None = None,
    columns: ColumnMap | None = None,
    stdin: BinaryIO | None = None,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    include_deleted: bool = False,
) -> InputReader:
    """Every comment of every input, in order, with a ReadError for whatever cannot be read.

    `paths`: files, directories, `-` (standard input, or `stdin` when given;
    its format is sniffed). `format` forces the format of every input (a dump
    format, or `text`/`html` for pages). The returned iterator's `stats` sums
    comments, errors and skipped entries over all inputs.
    """
    return InputReader(paths, format, encoding, columns, stdin, chunk_size, include_deleted)


__all__ = ["iter_inputs", "expand_paths", "read_page", "InputReader", "STDIN_NAME"]

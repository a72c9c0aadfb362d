"""What every reader shares: the stream of records with its accounting.

A reader is a generator of `Comment` (depth not yet set) and `ReadError`.
`DumpReader` wraps it: it computes depths (`DepthResolver`), counts what went
by, and turns any failure that escapes the reader (a disk error) into one
last ReadError naming the file and line, so a bad input never stops a batch
run. (A damaged gzip stream raises nothing: it ends, after every byte that
could be recovered, and the reader reports it, see `ReaderContext.cut_off`.)
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Union

from moderation.readers.threads import DepthResolver
from moderation.records import Comment, ReadError

log = logging.getLogger("moderation.readers")

Record = Union[Comment, ReadError]


@dataclass
class ReadStats:
    """What a reader saw. `records == comments + errors` always.

    `skipped` counts posts that are in the dump but are not reader comments to
    score (deleted, spam, pingbacks: see docs/dumps.md), by reason; they are
    not records. `orphans` counts comments whose parent never appeared (depth 0).
    """

    comments: int = 0
    errors: int = 0
    skipped: Counter = field(default_factory=Counter)
    orphans: int = 0

    @property
    def records(self) -> int:
        return self.comments + self.errors

    def add(self, other: "ReadStats") -> None:
        self.comments += other.comments
        self.errors += other.errors
        self.skipped.update(other.skipped)
        self.orphans += other.orphans

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "comments": self.comments,
            "errors": self.errors,
            "skipped": dict(self.skipped),
            "orphans": self.orphans,
        }


class ReaderContext:
    """Handed to a format reader: where it is, where to count skipped posts, and why its input ended.

    `line` is the line of the record read last. A reader may set `end_line`
    when its input ends: the line after the last one it read whole (where a
    damaged stream's error goes when no record was cut, see `read_dump`).
    """

    def __init__(self, source: str, stats: ReadStats):
        self.source = source
        self.stats = stats
        self.line: int | None = None
        self.end_line: int | None = None
        #: The opened input (a `Source`, set by read_dump), whose `damage` says whether its end is the file's.
        self.input: Any = None
        #: Whether the input's damage has been reported (by `cut_off`).
        self.damage_reported = False

    def skip(self, reason: str) -> None:
        self.stats.skipped[reason] += 1

    def error(self, line: int | None, message: str) -> ReadError:
        return ReadError(self.source, line, message)

    @property
    def damage(self) -> str | None:
        """Why the input ended before the file did (a truncated or corrupt gzip stream); None when it did not."""
        return self.input.damage if self.input is not None else None

    def cut_off(self, line: int | None, message: str) -> ReadError:
        """The error for a record that the end of the input cuts off, starting at `line`.

        `message` says so for a file that ends there. When the input ended
        early because its gzip stream is damaged, the damage is what stopped
        the reading: it is reported instead, once, here.
        """
        damage = self.damage
        if damage is None:
            return ReadError(self.source, line, message)
        self.damage_reported = True
        return stopped(self.source, line, damage)


def stopped(source: str, line: int | None, why: str) -> ReadError:
    """`FILE:LINE: stopped reading after line LINE-1: why`: what ends the reading of an input early."""
    where = f" after line {line - 1}" if line is not None and line > 1 else ""
    return ReadError(source, line, f"stopped reading{where}: {why}")


class DumpReader(Iterator[Record]):
    """An iterator over one dump's records, with `stats` filled in as it goes."""

    def __init__(self, source: str, records: Iterable[Record] | None = None, *, context: ReaderContext | None = None,
                 resolver: DepthResolver | None = None, cleanup=None):
        self.source = source
        self.stats = context.stats if context else ReadStats()
        self._context = context or ReaderContext(source, self.stats)
        self._resolver = resolver or DepthResolver()
        self._cleanup = cleanup
        self._it = self._run(records if records is not None else ())

    def _run(self, records: Iterable[Record]) -> Iterator[Record]:
        resolver = self._resolver
        context = self._context
        # Posts the reader skipped (deleted, spam) go through the resolver so
        # their replies get the right depth, but are not handed on.
        hidden: set[int] = set()

        def shown(released: Iterable[Comment]) -> Iterator[Comment]:
            for comment in released:
                if hidden and id(comment) in hidden:
                    hidden.discard(id(comment))
                else:
                    yield comment

        stats = self.stats
        feed = resolver.feed
        try:
            for record in records:
                # Counted here, as they are handed on, rather than in `__next__`: a
                # million-comment dump then costs no Python call per record on top of
                # this generator's own step (`InputReader` iterates `records()`).
                if isinstance(record, Comment):
                    released = feed(record)
                    if hidden:
                        released = list(shown(released))
                    stats.comments += len(released)
                    yield from released
                elif isinstance(record, ReadError):
                    stats.errors += 1
                    yield record
                else:  # a Skipped post
                    hidden.add(id(record.comment))
                    released = list(shown(feed(record.comment)))
                    stats.comments += len(released)
                    yield from released
        except GeneratorExit:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure becomes a reported error, the batch goes on
            for comment in shown(resolver.flush()):
                stats.comments += 1
                yield comment
            log.debug("reader failure in %s", self.source, exc_info=True)
            stats.errors += 1
            yield stopped(self.source, context.line + 1 if context.line else None, _describe(exc))
        else:
            for comment in shown(resolver.flush()):
                stats.comments += 1
                yield comment
        finally:
            self.stats.orphans = resolver.orphans
            if self._cleanup is not None:
                self._cleanup()
                self._cleanup = None
        if resolver.orphans:
            log.info("%s: %d comments reply to a parent that is not in the dump (given depth 0)", self.source, resolver.orphans)
        if self.stats.skipped:
            log.info("%s: not scored: %s", self.source, ", ".join(f"{n} {k}" for k, n in sorted(self.stats.skipped.items())))

    def __next__(self) -> Record:
        return next(self._it)

    def records(self) -> Iterator[Record]:
        """The records as a plain generator (counted in `stats` all the same): iterating it
        costs no method call per record, which a large dump notices."""
        return self._it

    def close(self) -> None:
        self._it.close()  # type: ignore[attr-defined]


def _describe(exc: BaseException) -> str:
    import gzip
    import zlib

    if isinstance(exc, (EOFError, gzip.BadGzipFile, zlib.error)):
        return f"gzip data is corrupt or truncated ({exc})"
    text = str(exc) or exc.__class__.__name__
    if isinstance(exc, OSError):
        return f"I/O error: {text}"
    if isinstance(exc, RecursionError):
        return "the data is nested too deeply"
    if isinstance(exc, UnicodeError):
        return f"the text cannot be decoded ({text}); check --encoding"
    if isinstance(exc, (ValueError, TypeError)):
        return text if len(text) <= 200 else text[:200] + "..."
    return f"{exc.__class__.__name__}: {text}"  # (an unforeseen failure: its type helps a bug report)


#: Field values that mean "no value" in a dump (`blank_to_none`, and the JSON Lines fast path).
NULL_VALUES = frozenset({"", "NULL", "null", "None", "\\N", "NaN", "nan"})


def blank_to_none(value: Any) -> str | None:
    """Ids and names as strings; empty, null-ish and NaN values become None."""
    if value is None:
        return None
    if type(value) is str:  # the common case, kept cheap
        if value in NULL_VALUES:
            return None
        if value[0].isspace() or value[-1].isspace():
            value = value.strip()
            return None if value in NULL_VALUES else value
        return value
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value.is_integer():
            value = int(value)
    if isinstance(value, bool):
        return str(value).lower()
    if hasattr(value, "isoformat"):  # datetime values from Parquet
        return value.isoformat()
    text = str(value).strip()
    return None if text in NULL_VALUES else text

"""Opening a dump: files, stdin, gzip, and a peek at the first bytes.

Every reader receives a `Source`: a buffered binary stream that starts at the
first byte of the (decompressed) content, plus a copy of its first bytes, so
that format sniffing and encoding detection never need to seek. Seeking is
what makes gzip and stdin awkward; avoiding it keeps every input streamable.
"""

from __future__ import annotations

import io
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

#: How many bytes are peeked for sniffing and encoding detection.
HEAD_SIZE = 64 * 1024

#: The default size of a read from a dump (bytes).
DEFAULT_CHUNK_SIZE = 1024 * 1024

GZIP_MAGIC = b"\x1f\x8b"
_PIECE = 64 * 1024

PathOrFile = Union[str, "os.PathLike[str]", BinaryIO]


class _Prefixed(io.RawIOBase):
    """A raw stream that replays bytes already read before reading on."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        # At most 64 KiB per read (what the readers and the gzip stream are tuned for).
        data = self._rest.read(min(len(buffer), _PIECE))
        n = len(data)
        buffer[:n] = data
        return n


class _Raising(io.RawIOBase):
    """Stands in for a stream that already failed (an I/O error): re-raises its error when read."""

    def __init__(self, error: BaseException):
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        raise self._error


#: What a gzip stream that stops inside a member says (gzip.GzipFile's words).
_CUT = "Compressed file ended before the end-of-stream marker was reached"


class _Gunzip(io.RawIOBase):
    """gzip decompression (zlib, wbits=31) that gives out every byte it can recover before damage.

    `gzip.GzipFile` raises as soon as its input turns out truncated or
    corrupt, and the bytes a buffered read above it had gathered in that call
    go with the exception (a cut file lost up to 64 KiB of records before the
    cut, all of them when the file was smaller). Here damage ends the stream
    like an end of file, after every byte the decompressor can recover before
    it, and is kept in `damage`: each reader treats that end as it treats a
    plain file that ends there, and the damage is reported as the reason
    (`Source.damage`, `ReaderContext.cut_off`).

    A truncated stream simply runs out of input. A corrupt one makes zlib
    raise, and the failing call gives nothing out: its input is then fed
    again a byte at a time, from a copy of the state before the call (taken
    each call; a few microseconds per 64 KiB), so only the bytes of the bad
    byte's own symbols are lost. Members follow one another, with zero
    padding between them skipped, as gzip.GzipFile does.
    """

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._d = zlib.decompressobj(31)
        self._pending = b""  # compressed bytes read but not yet given to the decompressor
        self._tail = b""  # input the decompressor left over (its output was limited to the size asked)
        self._input_done = False
        self._replay = b""  # the input of a call that failed, fed again one byte at a time
        self._replay_at = 0
        self._ended = False
        #: Why the stream ended before its end (None for an intact stream, or until then).
        self.damage: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def _input(self) -> bytes:
        if self._replay_at < len(self._replay):
            self._replay_at += 1
            return self._replay[self._replay_at - 1 : self._replay_at]
        data, self._pending = self._pending, b""
        if data or self._input_done:
            return data
        data = self._raw.read(_PIECE)
        if not data:
            self._input_done = True
        return data

    def _read(self, size: int) -> bytes:
        while size and not self._ended:
            d = self._d
            if d.eof:  # a member ended: another may follow, after zero padding
                rest = d.unused_data.lstrip(b"\x00")
                while not rest and not self._input_done:
                    rest = self._input().lstrip(b"\x00")
                if not rest:
                    self._ended = True
                    break
                self._d = zlib.decompressobj(31)
                self._pending = rest
                continue
            data = self._tail or self._input()
            out = self._inflate(data, size)
            if out:
                return out
            if not data and self._input_done:  # no input left, and the member never ended
                self._fail(_CUT)
        return b""

    def _inflate(self, data: bytes, size: int) -> bytes:
        replaying = self._replay_at < len(self._replay) or len(data) <= 1
        before = None if replaying else self._d.copy()
        try:
            out = self._d.decompress(data, size)
        except zlib.error as exc:
            if before is None:  # one byte at a time already: the damage is here
                self._fail(str(exc))
            else:  # (the copy's own unconsumed_tail is stale: self._tail is what counts)
                self._d, self._tail, self._replay, self._replay_at = before, b"", data, 0
            return b""
        self._tail = self._d.unconsumed_tail
        return out

    def _fail(self, why: str) -> None:
        self._ended = True
        self.damage = f"gzip data is corrupt or truncated ({why})"


def _read_head(stream: BinaryIO, size: int) -> tuple[bytes, BaseException | None]:
    """Read up to `size` bytes, looping because pipes return short reads.

    A read error (an I/O error) is returned with what was read before it, so
    those records are still read. (A damaged gzip stream does not raise: it
    ends, see _Gunzip.)
    """
    parts = []
    remaining = size
    while remaining > 0:
        try:
            data = stream.read(min(remaining, 8192))
        except (OSError, EOFError, zlib.error) as exc:
            return b"".join(parts), exc
        if not data:
            break
        parts.append(data)
        remaining -= len(data)
    return b"".join(parts), None


@dataclass
class Source:
    """An opened dump, decompressed, with its first bytes kept for sniffing."""

    name: str
    stream: io.BufferedReader
    head: bytes
    compressed: bool
    path: Path | None
    #: Set when the content could not even be peeked at (an I/O error).
    error: str | None = None
    _owned: BinaryIO | None = None
    _gunzip: "_Gunzip | None" = None

    @property
    def damage(self) -> str | None:
        """Why the content ended before the file did (a truncated or corrupt gzip stream), once it has.

        The stream then simply ends, after every byte that could be recovered;
        None for an intact input, and until the damage is reached.
        """
        return self._gunzip.damage if self._gunzip is not None else None

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


#: Control characters (C0, DEL, C1) as `display_name` writes them.
_CONTROL_NAMES = {cp: ascii(chr(cp))[1:-1] for cp in (*range(0x20), *range(0x7F, 0xA0))}


def display_name(path: str | os.PathLike | bytes) -> str:
    """A file name as records, messages and reports show it: always valid UTF-8, on one line.

    A name's bytes that are not UTF-8 (which Python keeps as lone surrogates,
    "surrogateescape") are written as backslash escapes (`name_\\xff.csv`), and
    control characters (a newline, a tab, an escape) as `\\n`, `\\t`, `\\x1b`, so
    no output format fails to encode a name and a name cannot break a report's lines.
    The usual name is returned as it is.
    """
    text = os.fsdecode(path)
    if text.isprintable():
        return text
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no byte decoded to
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.translate(_CONTROL_NAMES)


def source_name(path: PathOrFile, name: str | None = None) -> str:
    if name is not None:
        return display_name(name)
    if isinstance(path, (str, os.PathLike)):
        return display_name(path)
    return getattr(path, "name", None) if isinstance(getattr(path, "name", None), str) else "<stream>"


def open_source(path: PathOrFile, name: str | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Source:
    """Open a path or binary file object; undo gzip compression (by magic bytes, not name).

    Raises OSError when the file cannot be opened; callers turn that into a ReadError.
    """
    owned: BinaryIO | None = None
    file_path: Path | None = None
    if isinstance(path, (str, os.PathLike)):
        file_path = Path(path)
        owned = raw = open(file_path, "rb")  # noqa: SIM115 - closed by Source.close
    else:
        raw = path
    label = source_name(path, name)
    first, failure = _read_head(raw, HEAD_SIZE)
    if failure is not None and not first:
        raise failure
    compressed = first.startswith(GZIP_MAGIC)
    error: str | None = None
    gunzip: _Gunzip | None = None
    if compressed:
        gunzip = _Gunzip(_Prefixed(first, raw))
        inner: BinaryIO = gunzip  # type: ignore[assignment]
        head, failure = _read_head(gunzip, HEAD_SIZE)
        if failure is not None:  # an I/O error, not damage
            if not head:
                error = f"cannot read: {failure}"
            inner = _Raising(failure)  # type: ignore[assignment]
        stream = io.BufferedReader(_Prefixed(head, inner), buffer_size=max(chunk_size, 8192))
    else:
        head = first
        stream = io.BufferedReader(_Prefixed(first, raw), buffer_size=max(chunk_size, 8192))
    return Source(name=label, stream=stream, head=head, compressed=compressed, path=file_path, error=error, _owned=owned,
                  _gunzip=gunzip)

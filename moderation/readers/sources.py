"""Opening a dump: files, stdin, gzip, and a peek at the first bytes.

Every reader receives a `Source`: a buffered binary stream that starts at the
first byte of the (decompressed) content, plus a copy of its first bytes, so
that format sniffing and encoding detection never need to seek. Seeking is
what makes gzip and stdin awkward; avoiding it keeps every input streamable.
"""

from __future__ import annotations

import gzip
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
        # At most 64 KiB per read: a gzip stream that turns out truncated
        # loses what its failing read had decompressed, so keep that small.
        data = self._rest.read(min(len(buffer), _PIECE))
        n = len(data)
        buffer[:n] = data
        return n


class _Raising(io.RawIOBase):
    """Stands in for a stream that already failed: re-raises its error when read."""

    def __init__(self, error: BaseException):
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        raise self._error


def _read_head(stream: BinaryIO, size: int) -> tuple[bytes, BaseException | None]:
    """Read up to `size` bytes, looping because pipes return short reads.

    A read error (a gzip stream truncated within its first bytes) is returned
    with what was read before it, so those records are still read.
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
    #: Set when the content could not even be peeked at (a corrupt gzip header).
    error: str | None = None
    _owned: BinaryIO | None = None

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def source_name(path: PathOrFile, name: str | None = None) -> str:
    if name is not None:
        return name
    if isinstance(path, (str, os.PathLike)):
        return os.fspath(path)
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
    if compressed:
        inner: BinaryIO = gzip.GzipFile(fileobj=io.BufferedReader(_Prefixed(first, raw)), mode="rb")  # type: ignore[arg-type]
        head, failure = _read_head(inner, HEAD_SIZE)
        if failure is not None:
            if not head:
                error = f"gzip data is corrupt or truncated ({failure})"
            inner = _Raising(failure)  # type: ignore[assignment]
        stream = io.BufferedReader(_Prefixed(head, inner), buffer_size=max(chunk_size, 8192))
    else:
        head = first
        stream = io.BufferedReader(_Prefixed(first, raw), buffer_size=max(chunk_size, 8192))
    return Source(name=label, stream=stream, head=head, compressed=compressed, path=file_path, error=error, _owned=owned)

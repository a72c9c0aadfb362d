"""The progress bar of a long scan (records, rate and an ETA over the input bytes), on stderr.

While the bar is live, everything else that reaches the terminal (the report
when stdout is the terminal too, read errors, the readers' warnings) goes
through tqdm's external write mode: the bar is cleared, the lines written,
then the bar redrawn under them. Written beside it, a report line or an
error was glued to the end of the bar, and the bar's next carriage-return
redraw overwrote the start of it.
"""

from __future__ import annotations

import io
import os
import sys
import time
from contextlib import contextmanager
from typing import IO, Any, Collection, Iterator

from moderation.scan_chunk import Chunk


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
            from moderation.readers.sources import display_name

            paths = [inputs] if isinstance(inputs, (str, os.PathLike)) else inputs
            for path in expand_paths([os.fspath(p) for p in paths], warn=False):
                if path != "-" and display_name(path) not in skip:
                    try:
                        self.sizes[display_name(path)] = os.path.getsize(path)  # (by the name records carry)
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


def write_line(message: str, file: IO[str] | None = None) -> None:
    """`message` on a line of its own on `file` (stderr by default), clearing and redrawing a live bar."""
    from tqdm.auto import tqdm

    tqdm.write(message, file=file if file is not None else sys.stderr)


class LinesAroundBar(io.TextIOBase):
    """A text stream writing whole lines to `out` with any live bar cleared, then redrawn.

    Only complete lines are written (the rest waits for its newline or `flush`),
    so the bar is never drawn after half a report line.
    """

    def __init__(self, out: IO[str]):
        super().__init__()
        self._out = out
        self._pending: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        end = text.rfind("\n")
        if end < 0:
            self._pending.append(text)
        else:
            self._pending.append(text[: end + 1])
            self._emit()
            if end + 1 < len(text):
                self._pending.append(text[end + 1:])
        return len(text)

    def _emit(self) -> None:
        from tqdm.auto import tqdm

        text = "".join(self._pending)
        self._pending.clear()
        if text:
            with tqdm.external_write_mode(file=self._out):
                self._out.write(text)
                self._out.flush()

    def flush(self) -> None:
        self._emit()
        self._out.flush()


@contextmanager
def logging_around_bar() -> Iterator[None]:
    """The readers' warnings (logging) printed through the bar while it is live, as `write_line` does."""
    from tqdm.auto import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm(tqdm_class=tqdm):
        yield

"""The progress bar of a long scan (records, rate and an ETA over the input bytes), on stderr."""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Collection

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

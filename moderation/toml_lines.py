"""The line on which each key of a TOML document is defined.

`tomllib` gives the values but no positions, and a policy error should name
the file *and line* of the key it is about (docs/policy.md), so a site's editor
goes straight to it. This is a small scanner for documents `tomllib` has
already accepted: it walks the source once, following table headers
(``[a.b]``, ``[[a]]``), dotted keys (``a.b = 1``), quoted keys (``"a b" = 1``,
``'a'``) and inline tables (``a = {b = 1}``), and skips every value (strings,
multi-line strings and arrays, whose contents may look like keys) without
reading it. It never raises: a document it cannot follow gives what it found
so far, and a caller falls back to naming the file alone.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Callable

#: A bare key (TOML 1.0): ASCII letters, digits, `_` and `-`.
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "e": "\x1b", '"': '"', "\\": "\\"}
_SCALAR = re.compile(r"[^,\]}#\r\n]*")  # a number, boolean or date, up to what ends it
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|x([0-9A-Fa-f]{2})|(.))", re.DOTALL)


class _Stop(Exception):
    """The scanner met something it does not follow; what it found so far stands."""


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """{key path: 1-based line} for every table and key `text` defines.

    ``[thresholds.abusive]`` gives ``("thresholds", "abusive")`` its header's
    line and ``hold = 0.5`` under it ``("thresholds", "abusive", "hold")`` its
    own. A table defined only implicitly (``thresholds`` by
    ``[thresholds.abusive]``, or ``a`` by ``a.b = 1``) gets the line of its
    first mention, unless the document also defines it explicitly.
    """
    scanner = _Scanner(text)
    try:
        scanner.document()
    except (_Stop, IndexError):
        pass
    return {**scanner.implicit, **scanner.explicit}


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        self.explicit: dict[tuple[str, ...], int] = {}
        self.implicit: dict[tuple[str, ...], int] = {}

    # --- positions and records ---------------------------------------------

    def line(self, pos: int) -> int:
        return bisect_right(self.newlines, pos - 1) + 1

    def define(self, path: tuple[str, ...], line: int) -> None:
        """`path` is defined on `line`; its parent tables are mentioned there."""
        self.explicit.setdefault(path, line)
        for end in range(1, len(path)):
            self.implicit.setdefault(path[:end], line)

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos:self.pos + n]

    def skip_blank(self, newlines: bool) -> None:
        """Skip spaces and tabs (and, if `newlines`, line ends and comments)."""
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t":
                self.pos += 1
            elif newlines and ch in "\r\n":
                self.pos += 1
            elif newlines and ch == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def skip_line(self) -> None:
        """Skip the rest of the line (the blank and comment after a value or header)."""
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end + 1

    # --- structure -----------------------------------------------------------

    def document(self) -> None:
        table: tuple[str, ...] = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return
            start = self.pos
            if self.peek() == "[":
                double = self.peek(2) == "[["
                self.pos += 2 if double else 1
                self.skip_blank(newlines=False)
                table = self.key()
                self.skip_blank(newlines=False)
                if self.peek(2 if double else 1) != ("]]" if double else "]"):
                    raise _Stop
                self.define(table, self.line(start))
                self.skip_line()
            else:
                self.keyval(table)
                self.skip_line()

    def keyval(self, table: tuple[str, ...]) -> None:
        """``key = value``, recording the key (under `table`) on the line it starts."""
        line = self.line(self.pos)
        path = table + self.key()
        self.skip_blank(newlines=False)
        if self.peek() != "=":
            raise _Stop
        self.pos += 1
        self.skip_blank(newlines=False)
        self.define(path, line)
        self.value(path)

    def key(self) -> tuple[str, ...]:
        """A simple or dotted key, each part bare or quoted, as its parts' values."""
        parts = [self.simple_key()]
        while True:
            save = self.pos
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                self.pos = save
                return tuple(parts)
            self.pos += 1
            self.skip_blank(newlines=False)
            parts.append(self.simple_key())

    def simple_key(self) -> str:
        ch = self.peek()
        if ch == '"':
            return self.basic_string()
        if ch == "'":
            return self.literal_string()
        match = _BARE.match(self.text, self.pos)
        if match is None:
            raise _Stop
        self.pos = match.end()
        return match.group()

    # --- values (skipped, except inline tables' keys) ---------------------------

    def value(self, path: tuple[str, ...] | None) -> None:
        """Skip one value; an inline table's keys are recorded under `path` (None: not recorded)."""
        ch = self.peek()
        if self.peek(3) in ('"""', "'''"):
            self.multiline_string(self.peek(3))
        elif ch == '"':
            self.basic_string()
        elif ch == "'":
            self.literal_string()
        elif ch == "[":
            self.array()
        elif ch == "{":
            self.inline_table(path)
        else:  # a number, boolean or date: up to a separator, a comment or the line end
            end = _SCALAR.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if end == self.pos:  # nothing a value can start with: not TOML this scanner follows
                raise _Stop
            self.pos = end

    def _sequence(self, close: str, item: Callable[[], None]) -> None:
        """An array or inline table from its opening bracket: `item()` for each element up to `close`."""
        self.pos += 1
        while True:
            self.skip_blank(newlines=True)  # TOML 1.1 lets an inline table span lines too
            ch = self.peek()
            if ch == close:
                self.pos += 1
                return
            if ch == ",":
                self.pos += 1
            elif not ch:
                raise _Stop
            else:
                item()

    def array(self) -> None:
        self._sequence("]", lambda: self.value(None))  # keys inside an array's tables have no one path

    def inline_table(self, path: tuple[str, ...] | None) -> None:
        self._sequence("}", lambda: self._inline_item(path))

    def _inline_item(self, path: tuple[str, ...] | None) -> None:
        if path is not None:
            self.keyval(path)
            return
        self.key()
        self.skip_blank(newlines=False)
        if self.peek() != "=":
            raise _Stop
        self.pos += 1
        self.skip_blank(newlines=False)
        self.value(None)

    def basic_string(self) -> str:
        text, start = self.text, self.pos + 1
        i = start
        while True:
            ch = text[i]  # IndexError at the end: stops the scan
            if ch == "\\":
                i += 2
            elif ch == '"':
                self.pos = i + 1
                return _unescape(text[start:i])
            elif ch == "\n":
                raise _Stop
            else:
                i += 1

    def literal_string(self) -> str:
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            raise _Stop
        value = self.text[self.pos + 1:end]
        self.pos = end + 1
        return value

    def multiline_string(self, quotes: str) -> None:
        text, i = self.text, self.pos + 3
        while True:
            if i >= len(text):
                raise _Stop
            if quotes == '"""' and text[i] == "\\":
                i += 2
            elif text.startswith(quotes, i):
                i += 3
                for _ in range(2):  # up to two quotes just before the closing three belong to the string
                    if text[i:i + 1] == quotes[0]:
                        i += 1
                self.pos = i
                return
            else:
                i += 1


def _unescape(raw: str) -> str:
    """A basic string's escapes resolved, so ``"ab\\u0063"`` is the key ``abc`` as `tomllib` reads it."""
    def one(m: re.Match[str]) -> str:
        code = m.group(1) or m.group(2) or m.group(3)
        if code:
            return chr(int(code, 16))
        return _ESCAPES.get(m.group(4), m.group(0))
    return _ESCAPE.sub(one, raw)

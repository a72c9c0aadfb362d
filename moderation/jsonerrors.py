"""How a JSON syntax error is worded in our messages.

`json.JSONDecodeError.msg` ends in "at" for some errors ("Unterminated
string starting at", "Invalid control character at") because the standard
library goes on with ": line 1 column 18 (char 17)". Our messages give the
place their own way, so that trailing "at" is dropped first: "Unterminated
string starting at column 18", never "starting at at column 18".
"""

from __future__ import annotations

import json
import sys

#: The message for a JSON value nested deeper than the parser's recursion limit (~1,000 levels).
TOO_DEEP = "nested too deeply (over about 1,000 levels of brackets): not read"


class NumberTooLong(ValueError):
    """A JSON integer with more digits than Python converts (`sys.get_int_max_str_digits`, 4300 by default)."""


def read_int(literal: str) -> int:
    """`json.loads`'s `parse_int`: a JSON integer, or `NumberTooLong` naming it when it is too long to convert.

    Python (3.11+, and security releases of 3.10) refuses to convert more than
    4300 digits to an int, to bound the quadratic cost; `json.loads` then
    raises a bare `ValueError` that no syntax-error handler catches. Raising
    our own subclass lets callers answer "input error", not crash.
    """
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    digits = len(literal) - literal.startswith("-")
    if limit and digits > limit:
        raise NumberTooLong(f"the number {literal[:12]}... is too long ({digits} digits; "
                            f"integers of up to {limit} digits are read): send it as a string")
    return int(literal)


def json_error(exc: json.JSONDecodeError, where: str) -> str:
    """`exc`'s message followed by `where` (which starts with "at": "at column 18", "at line 3 column 2")."""
    message = exc.msg
    if message.endswith(" at"):
        message = message[:-3]
    return f"{message} {where}"

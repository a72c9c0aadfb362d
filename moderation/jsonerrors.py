"""How a JSON syntax error is worded in our messages.

`json.JSONDecodeError.msg` ends in "at" for some errors ("Unterminated
string starting at", "Invalid control character at") because the standard
library goes on with ": line 1 column 18 (char 17)". Our messages give the
place their own way, so that trailing "at" is dropped first: "Unterminated
string starting at column 18", never "starting at at column 18".
"""

from __future__ import annotations

import json

#: The message for a JSON value nested deeper than the parser's recursion limit (~1,000 levels).
TOO_DEEP = "nested too deeply (over about 1,000 levels of brackets): not read"


def json_error(exc: json.JSONDecodeError, where: str) -> str:
    """`exc`'s message followed by `where` (which starts with "at": "at column 18", "at line 3 column 2")."""
    message = exc.msg
    if message.endswith(" at"):
        message = message[:-3]
    return f"{message} {where}"

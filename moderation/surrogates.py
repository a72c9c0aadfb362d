"""Lone UTF-16 surrogates in strings we were given become U+FFFD.

JSON's ``"\\ud800"`` escape (half of an emoji pair cut by a JavaScript-side
truncation) decodes to a lone surrogate, and so does a command-line argument's
undecodable byte (Python's "surrogateescape"). No output can encode one as
UTF-8, so echoing it back (an `id`, an `author`, a Perspective `clientToken`)
fails at the last moment. The dump readers replace each with U+FFFD
(docs/dumps.md); `moderation check` and the service do the same here, one
character for one, so evidence offsets into the text are unchanged.
"""

from __future__ import annotations

import re
from typing import Any

#: One lone surrogate. Python decodes a JSON surrogate *pair* to one character, so any left is lone.
SURROGATE = re.compile("[\ud800-\udfff]")

#: A JSON ``\\u`` escape of a surrogate: strict UTF-8 decoding never yields one, so without this
#: in the raw body no string of the parsed value holds a surrogate.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def fix_text(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD."""
    return SURROGATE.sub("\ufffd", text) if SURROGATE.search(text) else text


def may_hold_surrogates(raw: bytes) -> bool:
    """False when a JSON document in strict UTF-8 cannot decode to a string with a surrogate."""
    return _SURROGATE_ESCAPE.search(raw) is not None


def fix_json(value: Any) -> Any:
    """A parsed JSON value with every string in it, keys too, fixed (in place; the value is returned).

    Iterative, so a value nested as deeply as the parser allows does not hit the recursion limit.
    """
    if isinstance(value, str):
        return fix_text(value)
    stack = [value] if isinstance(value, (dict, list)) else []
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, str):
                    node[i] = fix_text(item)
                elif isinstance(item, (dict, list)):
                    stack.append(item)
            continue
        items = list(node.items())
        if any(SURROGATE.search(key) for key, _ in items):
            node.clear()  # keys that become equal: the last wins, as for duplicate keys in JSON
            node.update((fix_text(key), item) for key, item in items)
        for key, item in node.items():
            if isinstance(item, str):
                node[key] = fix_text(item)
            elif isinstance(item, (dict, list)):
                stack.append(item)
    return value

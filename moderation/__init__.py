"""moderation: find dehumanising and abusive reader comments, locally, and say why.

The public API is imported lazily so that the pre-publish hook
(`load_model` + `Moderator.check`) never pays for pandas or plotting imports.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Comment": "moderation.records",
    "Page": "moderation.records",
    "BoilerplateLine": "moderation.records",
    "Evidence": "moderation.records",
    "Verdict": "moderation.records",
    "Moderator": "moderation.model",
    "load_model": "moderation.model",
    "segment_page": "moderation.segmenter",
    "Policy": "moderation.policy",
    "load_policy": "moderation.policy",
    "read_dump": "moderation.readers",
    "iter_inputs": "moderation.readers",
    "scan": "moderation.scan",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'moderation' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    # Importing `moderation.scan` binds the *module* to this package's `scan`; keep the function
    # there instead, so `moderation.scan(...)` works on the second call too (the module is
    # callable as well: moderation/scan.py, for code that imported the module first).
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

"""Where the public labelled data sets are found.

One answer for every entry point (`moderation train`, `moderation evaluate`,
`make figures`, the notebooks, the benchmarks), so that setting
`$MODERATION_DATA` once moves them all to the same copy of the data.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository checkout this package lives in (the data sit beside it).
REPO = Path(__file__).resolve().parent.parent.parent

ENV_VAR = "MODERATION_DATA"


def default_data_dir() -> Path:
    """`$MODERATION_DATA` when set, else `shared/data` beside the repository checkout."""
    return Path(os.environ.get(ENV_VAR) or REPO.parent / "shared" / "data")

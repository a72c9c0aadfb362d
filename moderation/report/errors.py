"""Read errors in the reports people read: which records failed, and where.

The HTML and Markdown reports travel (an e-mail attachment, a ticket) away
from the terminal whose standard error got the `FILE:LINE: message` lines,
so an error count alone leaves their reader unable to see what went wrong:
they list the errors themselves. One broken dump can fail on every line, so
a report keeps only the first `limit` errors (in input order) and says how
many it left out and where the full list is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from moderation.records import ReadError

#: Read errors a report lists before it only counts the rest.
ERROR_LIMIT = 200

#: Where every read error is, for those a report leaves out (plain text; each format escapes it).
FULL_LIST = "moderation scan prints every read error on standard error, one FILE:LINE: message a line"


@dataclass
class ErrorSample:
    """The first `limit` read errors a report was given, in the order given."""

    limit: int = ERROR_LIMIT
    shown: list[ReadError] = field(default_factory=list)

    def add(self, error: ReadError) -> None:
        if len(self.shown) < self.limit:
            self.shown.append(error)

    def not_shown(self, total: int) -> int:
        """How many of the run's `total` read errors (the summary's count) are not in `shown`.

        The summary's count, not the errors given, is the total: it is what
        the report's cards and tables say, and it also covers errors a caller
        of the Python API counted but did not pass on.
        """
        return max(0, total - len(self.shown))

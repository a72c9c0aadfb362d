"""`--format table`: the report a moderator reads in the terminal (the default).

Flagged comments in document order, grouped under their thread (a section
that opens again, as for a reply whose parent never came, released at the end
of its input, is headed "(continued)"; docs/report.md, "Thread headings"), replies
indented by depth, each with its decision, labels and scores and the text
with the evidence words highlighted (bold red on a terminal, [brackets]
otherwise). Long comments are cut around the evidence. Comment text is hostile:
control characters are neutralised so a comment cannot drive the terminal.
The read errors (`FILE:LINE: message`) end the report, after the summary:
on a terminal they scrolled past among the progress lines on stderr, and a
report saved with `-o` would otherwise hold only their count. A terminal
report lists the first `TABLE_ERROR_LIMIT` of them.
"""

from __future__ import annotations

import shutil
from typing import IO, Any, Mapping

from moderation.records import ReadError
from moderation.report.base import Report
from moderation.report.context import MISSING_PARENT, ThreadSections, comment_key
from moderation.report.errors import FULL_LIST, ErrorSample
from moderation.report.highlight import document_safe, highlights, line_safe, segments, word_reason_text, word_reasons
from moderation.report.summary import ScanSummary, summary_lines
from moderation.report.width import display_width, fit, wrap

_ON, _OFF = "\x01", "\x02"  # evidence markers while wrapping (one column each, like brackets)
_STYLE = {"reject": "\x1b[1;31m", "hold": "\x1b[1;33m", "allow": "\x1b[32m"}
_BOLD_RED, _DIM, _BOLD, _RESET = "\x1b[1;31m", "\x1b[2m", "\x1b[1m", "\x1b[0m"

#: Read errors the table lists before it only counts the rest (a screenful, not the documents' 200).
TABLE_ERROR_LIMIT = 20


class TableReport(Report):
    summary_in_output = True
    needs_context = True

    def __init__(self, out: IO[str], *, color: bool = False, width: int | None = None,
                 max_chars: int = 360, max_errors: int = TABLE_ERROR_LIMIT,
                 titles: Mapping[tuple[str, str], str] | None = None, **options: Any):
        super().__init__(out, **options)
        self.color = color
        self._sections = ThreadSections(titles)  # see `Report`: the best title known when a heading is printed
        if width is None:
            # The terminal's width (or $COLUMNS) whether or not colour is on: NO_COLOR and a pipe
            # to `less` are read on a terminal too. 100 when neither says; never wider than 120.
            width = shutil.get_terminal_size((100, 24)).columns
        self.width = max(20, min(width, 120))
        self.max_chars = max_chars
        self._shown: set[tuple[Any, Any]] = set()
        self._count = 0
        self._errors = ErrorSample(max_errors)

    def _style(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text

    def _lines(self, text: str, style: str, indent: str, later_indent: str | None = None) -> None:
        """`text` wrapped at the width (`indent` on the first line, `later_indent`, else the same,
        on the others), each line in `style`."""
        for piece in wrap(text, self.width, indent, indent if later_indent is None else later_indent):
            self.out.write(self._style(piece, style) + "\n")

    def add(self, record: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> None:
        w = self.out.write
        section = self._sections.opens(record)
        if section is not None:
            self._shown.clear()
            title, reopened = section
            title = line_safe(title or "")
            where = line_safe(record["source"] or "-")
            # A thread's section that opens again (a reply whose parent never came, released at the end
            # of its input; a dump that interleaves threads) says so: it is not a new thread.
            continued = " (continued)" if reopened else ""
            head = f"== {title}{continued}  ({where})" if title else f"== {where}{continued}"
            w("\n" if self._count else "")
            self._lines(head, _BOLD, "", "   ")
        self._count += 1
        depth = int(record["depth"] or 0)
        indent = "    " * min(depth, 6)
        body_indent = indent + "    "
        decision = record["decision"]
        scores = record["scores"]
        label_text = "  ".join(
            f"{line_safe(label)} {scores.get(label, 0):.2f}" for label in record["labels"]
        ) or "  ".join(f"{line_safe(label)} {score:.2f}" for label, score in scores.items())
        ident = f"#{line_safe(record['comment_id'])}"
        meta = [m for m in (line_safe(record["author"]), line_safe(record["timestamp"])) if m]
        lead = f"{indent}{'↳ ' if depth else ''}"
        head = f"{decision.upper()}  {ident}  depth {depth}  {label_text}"
        tail = "  — " + ", ".join(meta) if meta else ""
        styled_decision = self._style(decision.upper(), _STYLE.get(decision, ""))
        if display_width(lead + head + tail) <= self.width:
            w(lead + styled_decision + head[len(decision):] + self._style(tail, _DIM) * bool(tail) + "\n")
        else:  # wrapped under its own indent; the decision keeps its colour
            pieces = wrap(head + tail, self.width, lead, body_indent)
            pieces[0] = lead + styled_decision + pieces[0][len(lead) + len(decision):]
            w("\n".join(pieces) + "\n")
        room = self.width - display_width(body_indent)
        parent_id = record["parent_id"]
        if parent is not None and comment_key(record, parent_id) not in self._shown:
            who = f" ({line_safe(parent['author'])})" if parent.get("author") else ""
            reply = fit(f"in reply to #{line_safe(parent['comment_id'])}{who}:", room)
            snippet = fit(document_safe(parent["text"]), max(10, room - display_width(reply) - 3))
            w(body_indent + self._style(fit(f"{reply} “{snippet}”", room), _DIM) + "\n")
        elif parent is None and parent_id:
            # Without this line the indent alone made it read as a reply to the comment above.
            self._lines(f"in reply to #{line_safe(parent_id)} ({MISSING_PARENT})", _DIM, body_indent)
        if record["quote"]:
            w(body_indent + self._style("> " + fit(document_safe(record["quote"]), room - 2), _DIM) + "\n")
        for reason in word_reasons(record):  # why a comment with no label over its threshold is held
            self._lines("word list: " + line_safe(word_reason_text(reason)), _DIM, body_indent)
        parts, cut_start, cut_end = segments(record["text"], highlights(record), self.max_chars)
        marked = "".join(f"{_ON}{document_safe(t)}{_OFF}" if hit else document_safe(t) for t, hit in parts)
        marked = ("… " if cut_start else "") + " ".join(marked.split()) + (" …" if cut_end else "")
        body = "\n".join(wrap(marked, self.width, body_indent, body_indent))
        on, off = (_BOLD_RED, _RESET) if self.color else ("[", "]")
        w(body.replace(_ON, on).replace(_OFF, off) + "\n")
        self._shown.add(comment_key(record))

    def add_error(self, error: ReadError) -> None:
        self._errors.add(error)

    def finish(self, summary: ScanSummary) -> None:
        w = self.out.write
        if self._count == 0:
            w("No flagged comments.\n" if summary.comments else "No comments found.\n")
        w("\n" + self._style("Summary", _BOLD) + "\n")
        for line in summary_lines(summary):
            lead = line[: len(line) - len(line.lstrip(" "))]
            w("\n".join(wrap(line, self.width, lead, lead + "    ")) + "\n")
        if summary.errors:
            w("\n" + self._style(f"Read errors ({summary.errors:,})", _BOLD) + "\n")
            for error in self._errors.shown:
                w("\n".join(wrap(line_safe(str(error)), self.width, "", "    ")) + "\n")
        not_shown = self._errors.not_shown(summary.errors)
        if not_shown:
            w(f"{not_shown:,} more not shown here: {FULL_LIST}\n")

"""`--format md`: the report as Markdown, for tickets, wikis and e-mail.

Comment text is hostile: HTML in it would render in most Markdown viewers, so
`& < >` become entities and every Markdown punctuation character is
backslash-escaped; evidence words are then set in bold. Control characters
and bidi overrides are neutralised as in the table (`terminal_safe`): the
Markdown is often read raw, in a terminal or an editor, where an ESC could
drive the screen and a right-to-left override could reorder what is read.
The summary counts the posts the readers skipped as not comments (deleted,
spam, pages with no reader comments), as the table does. The read errors
(file, line, message) end the report, the first `ERROR_LIMIT` of them, so
the reader of a ticket sees what could not be read.
"""

from __future__ import annotations

import re
from typing import IO, Any, Mapping

from moderation.records import DECISIONS, ReadError
from moderation.report.base import Report
from moderation.report.context import MISSING_PARENT, ThreadSections
from moderation.report.errors import ERROR_LIMIT, FULL_LIST, ErrorSample
from moderation.report.highlight import document_safe, highlights, line_safe, segments, word_reason_text, word_reasons
from moderation.report.summary import ScanSummary, skipped_text

_PUNCT = re.compile(r"([\\`*_\[\]#|~])")
_LINE_START = re.compile(r"^(\s*)(\d+)?([-+=>.)])", re.MULTILINE)
#: What GitHub/GitLab-flavoured Markdown turns into a link with no link syntax (extended autolinks):
#: a scheme's `:`, the `.` after `www`, an `@`. Backslash-escaped, they render as themselves, unlinked.
_AUTOLINK = re.compile(r"(?i)(?<=\bhttp)(:)(?=//)|(?<=\bhttps)(:)(?=//)|(?<=\bftp)(:)(?=//)|(?<=\bwww)(\.)|(@)")


def md_escape(text: Any) -> str:
    """`text` that renders as itself: no HTML, no Markdown syntax, no control characters.

    CRLF line ends (which the CSV and JSON readers keep) stay line breaks;
    every other control character goes the table's way (`terminal_safe`).
    """
    if text is None:
        return ""
    text = document_safe(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _AUTOLINK.sub(lambda m: "\\" + m.group(0), _PUNCT.sub(r"\\\1", text))
    return _LINE_START.sub(lambda m: m.group(1) + (m.group(2) or "") + "\\" + m.group(3), text)


def md_line(text: Any) -> str:
    """`md_escape` for a field printed on one line (title, author, time, id): a newline in it
    would end the heading or the emphasis and start a line of the dump's choosing."""
    return md_escape(line_safe(text))


def md_cell(text: Any) -> str:
    """`md_escape` on one line: a line break inside a table cell would end the row."""
    return " ".join(md_escape(text).split())


def _inline(text: str) -> str:
    """One Markdown paragraph: line breaks kept as hard breaks inside the quote block."""
    return "  \n> ".join(line for line in text.splitlines() if line.strip()) or ""


class MarkdownReport(Report):
    summary_in_output = True
    needs_context = True

    def __init__(self, out: IO[str], *, all_comments: bool = False, max_errors: int = ERROR_LIMIT,
                 titles: Mapping[tuple[str, str], str] | None = None, **options: Any):
        super().__init__(out, **options)
        self.all_comments = all_comments
        self._sections = ThreadSections(titles)  # see `Report`: the best title known when a heading is printed
        self._count = 0
        self._errors = ErrorSample(max_errors)
        self.out.write("# Moderation report\n\n")

    def add(self, record: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> None:
        w = self.out.write
        section = self._sections.opens(record)
        if section is not None:
            title, reopened = section
            continued = " (continued)" if reopened else ""  # a section that opens again (see the table)
            where = line_safe(record["source"] or "-").replace("`", "")
            w(f"## {md_line(title or record['source'])}{continued}\n\n`{where}`\n\n")
        self._count += 1
        scores = ", ".join(f"{md_line(k)} {v:.2f}" for k, v in record["scores"].items())
        who = f" by {md_line(record['author'])}" if record["author"] else ""
        when = f", {md_line(record['timestamp'])}" if record["timestamp"] else ""
        reply = f", reply to \\#{md_line(record['parent_id'])}" if record["parent_id"] else ""
        words = "".join(f" · word list: {md_line(word_reason_text(r))}" for r in word_reasons(record))
        w(f"### {record['decision'].upper()} \\#{md_line(record['comment_id'])}\n\n")
        w(f"*depth {record['depth']}{reply}{who}{when}* · labels: "
          f"**{md_line(', '.join(record['labels'])) or 'none'}** · scores: {scores}{words}\n\n")
        if parent is not None:
            w(f"> *in reply to \\#{md_line(parent['comment_id'])}:* {_inline(md_escape(parent['text']))}\n\n")
        elif record["parent_id"]:
            w(f"> *in reply to \\#{md_line(record['parent_id'])} ({MISSING_PARENT})*\n\n")
        if record["quote"]:
            w(f"> *quoting:* {_inline(md_escape(record['quote']))}\n\n")
        parts, _, _ = segments(record["text"], highlights(record))
        body = "".join(f"**{md_escape(t)}**" if hit else md_escape(t) for t, hit in parts)
        w(f"> {_inline(body)}\n\n")

    def add_error(self, error: ReadError) -> None:
        self._errors.add(error)

    def finish(self, summary: ScanSummary) -> None:
        w = self.out.write
        if self._count == 0:
            w("*No flagged comments.*\n\n" if not self.all_comments else "*No comments.*\n\n")
        w("## Summary\n\n")
        w(f"- comments read: {summary.comments:,}\n- flagged: {summary.flagged:,}\n- errors: {summary.errors:,}\n"
          f"- records read: {summary.read:,} = {summary.comments:,} scored + {summary.errors:,} errors\n")
        w(skipped_line(summary) + "\n")
        w("| decision | comments |\n|---|---:|\n")
        for d in DECISIONS:
            w(f"| {d} | {summary.decisions.get(d, 0):,} |\n")
        w("\n| label | flagged |\n|---|---:|\n")
        for label in summary.label_names:
            w(f"| {md_cell(label)} | {summary.labels.get(label, 0):,} |\n")
        w("\n| source | comments | flagged | errors |\n|---|---:|---:|---:|\n")
        for source, (c, f, e) in sorted(summary.sources.items(), key=lambda kv: (-kv[1][1], kv[0])):
            w(f"| {md_cell(source)} | {c:,} | {f:,} | {e:,} |\n")
        w(error_section(self._errors.shown, self._errors.not_shown(summary.errors)))


def skipped_line(summary: ScanSummary) -> str:
    """The posts the readers skipped as not comments, by reason, as one list item ("" when none).

    The table and stderr summaries have this line; the Markdown report is read
    where stderr is not, so without it a page with no reader comments (or a
    dump's spam and deleted posts) would be in no part of the report. The
    summary keeps counts only, not the names of such pages (those are in the
    scan's warnings on stderr).
    """
    if not summary.skipped:
        return ""
    return f"- skipped, not comments: {skipped_text(summary, md_escape)}\n"


def error_section(shown: list[ReadError], not_shown: int) -> str:
    """The read errors as a Markdown section: a table of those shown, then how many are not and where they are."""
    if not shown and not not_shown:
        return ""
    total = len(shown) + not_shown
    lines = [f"\n## Read errors\n\n{total:,} record{'s' if total != 1 else ''} could not be read and "
             f"{'were' if total != 1 else 'was'} not scored.\n"]
    if shown:
        lines.append("\n| source | line | message |\n|---|---:|---|\n")
        lines.extend(f"| {md_cell(e.source)} | {'' if e.line is None else e.line} | {md_cell(e.message)} |\n"
                     for e in shown)
    if not_shown:
        lines.append(f"\n*{not_shown:,} more not shown here: {md_escape(FULL_LIST)}.*\n")
    return "".join(lines)

"""Report formats and the summary, from hand-written scan records (no model needed)."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest

from moderation.records import ReadError
from moderation.report import FORMATS, ReplyContext, ScanSummary, format_summary, open_report, report_class
from moderation.report.highlight import merged_spans, segments, terminal_safe
from moderation.report.markdown import md_escape

from report_records import HOSTILE, record, thread


def render(fmt: str, records=None, *, all_comments: bool = False, errors=(), **options) -> tuple[str | bytes, ScanSummary]:
    records = thread() if records is None else records
    out = io.BytesIO() if report_class(fmt).binary else io.StringIO()
    if fmt == "table":
        options.setdefault("width", 100)  # not the width of the terminal the tests run in
    report = open_report(fmt, out, all_comments=all_comments, **options)
    summary, context = ScanSummary(), ReplyContext()
    for r in records:
        summary.add(r)
        if all_comments or r["decision"] != "allow":
            report.add(r, context.parent_of(r) if report.needs_context else None)
        context.remember(r)
    for e in errors:
        summary.add_error(e)
        report.add_error(e)
    report.finish(summary)
    value = out.getvalue()
    return (value.decode("utf-8") if fmt == "jsonl" else value), summary


def test_summary_reconciles_and_counts_per_label_decision_source_thread_and_day():
    _, s = render("jsonl", errors=[ReadError("dumps/comments.jsonl", 7, "invalid JSON")])
    assert (s.read, s.comments, s.errors, s.flagged) == (6, 5, 1, 4)
    assert s.reconciles
    assert s.labels == {"dehumanising": 3, "abusive": 4}
    assert dict(s.decisions) == {"reject": 2, "hold": 2, "allow": 1}
    assert s.sources == {"examples/001.txt": [4, 3, 0], "dumps/comments.jsonl": [1, 1, 1]}
    assert s.threads[("examples/001.txt", "t1")] == [4, 3]
    assert s.thread_titles[("dumps/comments.jsonl", "t2")] == "Second <i>article</i>"
    assert s.days["2024-03-02"] == [2, 1]
    assert sum(s.histograms["abusive"]) == 5
    text = format_summary(s)
    assert "comments read: 5" in text and "errors: 1" in text
    assert "records read 6 = 5 scored + 1 errors" in text
    assert "abusive 4" in text and "reject 2" in text


def test_summary_round_trips_through_json_and_merges():
    _, s = render("jsonl")
    again = ScanSummary.from_dict(json.loads(json.dumps(s.to_dict())))
    assert again.to_dict() == s.to_dict()
    again.merge(s)
    assert again.comments == 2 * s.comments
    assert again.sources["examples/001.txt"] == [8, 6, 0]
    assert again.histograms["dehumanising"] == [2 * n for n in s.histograms["dehumanising"]]


def test_overlapping_evidence_spans_are_merged_and_long_text_is_cut_around_evidence():
    assert merged_spans([{"start": 4, "end": 8}, {"start": 6, "end": 12}, {"start": 20, "end": 22}], 30) == [
        (4, 12), (20, 22)]
    text = "word " * 100 + "vermin " + "tail " * 100
    parts, cut_start, cut_end = segments(text, [{"start": 500, "end": 506}], limit=120)
    joined = "".join(t for t, _ in parts)
    assert cut_start and cut_end and len(joined) <= 120
    assert ("vermin", True) in parts
    assert not joined.startswith("ord")  # cut at a word boundary


def test_table_lists_flagged_comments_by_thread_with_brackets_indent_and_summary():
    out, _ = render("table")
    assert "The house of cards" not in out.split("in reply to")[0]  # unflagged comments are not listed...
    assert "in reply to #1.1.1 (reader1.1.1): “The house of cards will fall”" in out  # ...but give context
    assert "The [orcs] failed to take Kyiv, the [scum]." in out
    assert "\n    ↳ HOLD  #1.1  depth 1" in out  # replies indented by depth
    assert "\n            ↳ HOLD  #1.2  depth 3" in out
    assert "== Russian ambassador hints at nuclear threat  (examples/001.txt)" in out
    assert "== Second <i>article</i>  (dumps/comments.jsonl)" in out
    assert "> We are firmly convinced" in out
    assert "\x1b" not in out  # no colour codes when not a terminal, and none smuggled in by a comment
    assert out.index("Summary") > out.index("cockroaches")
    assert "comments read: 5" in out


def test_table_colours_evidence_on_a_terminal():
    out, _ = render("table", color=True)
    assert "\x1b[1;31morcs\x1b[0m" in out
    assert "[orcs]" not in out
    assert "\x1b[2J" not in out  # the hostile comment's clear-screen code is neutralised
    assert terminal_safe("a\x1b[2Jb\u202eevil") == "a\ufffd[2Jbevil"


def test_table_all_lists_unflagged_comments_too():
    out, _ = render("table", all_comments=True)
    assert "ALLOW  #1.1.1" in out


def test_table_says_when_nothing_is_flagged():
    out, _ = render("table", [record("9", "Thanks for the reporting", labels=())])
    assert "No flagged comments." in out and "comments read: 1" in out


def test_json_is_one_array_of_records_and_empty_is_an_empty_array():
    out, _ = render("json")
    data = json.loads(out)
    assert [r["comment_id"] for r in data] == ["1", "1.1", "1.2", "2"]
    assert data[3]["text"] == HOSTILE
    assert json.loads(render("json", [])[0]) == []
    assert len(json.loads(render("json", all_comments=True)[0])) == 5


def test_jsonl_round_trips_every_field():
    out, _ = render("jsonl", all_comments=True)
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows == thread()


def test_csv_has_score_columns_and_defuses_formulas():
    out, _ = render("csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4
    assert rows[0]["score_dehumanising"] == "0.93" and rows[0]["labels"] == "dehumanising;abusive"
    assert json.loads(rows[0]["evidence"])[0]["text"] == "orcs"
    assert rows[1]["text"] == "Putin is an evil pig.\nUnfortunately the above is true."
    assert rows[3]["text"] == "'" + HOSTILE  # a formula is never live in a spreadsheet


def test_parquet_has_typed_columns():
    pq = pytest.importorskip("pyarrow.parquet")
    out, _ = render("parquet", all_comments=True)
    table = pq.read_table(io.BytesIO(out))
    assert table.num_rows == 5
    rows = table.to_pylist()
    assert rows[0]["labels"] == ["dehumanising", "abusive"]
    assert dict(rows[0]["scores"]) == {"dehumanising": 0.93, "abusive": 0.81}
    assert rows[0]["evidence"][0] == {"label": "dehumanising", "start": 4, "end": 8, "text": "orcs", "weight": 1.5}
    assert rows[2]["evidence"] == [] and rows[2]["decision"] == "allow"
    assert str(table.schema.field("depth").type) == "int32"


def test_markdown_escapes_hostile_text_and_bolds_evidence_then_summary():
    out, _ = render("md")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "**orcs**" in out and "**cockroaches**" in out
    assert "## Second &lt;i&gt;article&lt;/i&gt;" in out
    assert out.index("## Summary") > out.index("cockroaches")
    assert "| examples/001.txt | 4 | 3 | 0 |" in out
    assert md_escape("- [x](javascript:alert(1)) *b*") == "\\- \\[x\\](javascript:alert(1)) \\*b\\*"


def test_html_is_self_contained_escaped_and_filterable():
    out, _ = render("html", all_comments=False)
    assert out.startswith("<!DOCTYPE html>")
    assert "&lt;script&gt;window.__pwned" in out
    assert len(re.findall(r"<script", out)) == 1  # ours only
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", out)  # nothing loaded from elsewhere
    assert "Content-Security-Policy" in out and "script-src 'sha256-" in html.unescape(out)
    assert 'class="filter" data-kind="label" value="dehumanising"' in out
    assert 'data-kind="decision" value="hold"' in out and 'value="allow"' not in out
    assert '<mark class="ev">orcs</mark>' in out
    assert "in reply to #1.1.1" in out  # reply context for a reply to an unflagged comment
    assert 'id="chart-scores"' in out and 'id="chart-time"' in out
    assert out.index('id="summary"') < out.index('id="comments"')
    assert "Second &lt;i&gt;article&lt;/i&gt;" in out


def test_html_without_timestamps_has_no_timeline():
    records = [record("1", "orcs everywhere", ("orcs",)), record("2", "nice", labels=())]
    out, _ = render("html", records)
    assert 'id="chart-scores"' in out and 'id="chart-time"' not in out


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_handles_an_empty_scan(fmt):
    out, summary = render(fmt, [])
    assert summary.read == 0
    assert out is not None


def test_summary_add_all_counts_exactly_what_add_counts():
    import random

    from moderation.report.summary import ScanSummary

    rng = random.Random(3)
    stamps = [None, "", "2024-03-01T10:00:00Z", "2024-03-01", "2024-03-02 09:00", "2024-0x-01T00:00",
              "٢٠٢٤-03-01", "1710000000", "2024-03-011", "not a date at all"]
    records = []
    for i in range(3000):
        decision = rng.choice(["allow", "allow", "allow", "hold", "reject"])
        records.append({
            "source": rng.choice(["a.jsonl", "b.jsonl", None]), "thread": rng.choice(["t1", "t2", None, ""]),
            "thread_title": rng.choice([None, "", "Title one", "Title two"]),
            "timestamp": rng.choice(stamps), "decision": decision,
            "scores": {"abusive": rng.choice([0.0, 1.0, 0.5, rng.random()]), "dehumanising": rng.random()},
            "labels": [] if decision == "allow" else rng.sample(["abusive", "dehumanising"], rng.randint(1, 2)),
        })
    one = ScanSummary()
    for record in records:
        one.add(record)
    many = ScanSummary()
    i = 0
    while i < len(records):  # chunks of every size, as scans cut them
        n = rng.randint(0, 200)
        many.add_all(records[i:i + n])
        i += n
    assert many.to_dict() == one.to_dict()
    assert list(many.threads) == list(one.threads) and many.thread_titles == one.thread_titles
    assert many.days and many.flagged == one.flagged > 0


def test_summary_parts_merged_equal_one_pass_counts_titles_included():
    """-j N counts chunk parts and merges them; -j 1 counts in one pass: the summaries must agree."""
    import random

    from moderation.report.summary import ScanSummary

    rng = random.Random(11)
    records = []
    for i in range(4000):
        decision = rng.choice(["allow", "allow", "hold", "reject"])
        records.append({
            "source": rng.choice(["a.jsonl", "b.jsonl"]), "thread": rng.choice(["t1", "t2", "t3", None]),
            # Most comments carry no title: a thread's first title often comes on a later comment.
            "thread_title": rng.choice([None, None, None, None, "", f"Title {rng.randint(1, 3)}"]),
            "timestamp": rng.choice([None, "2024-03-01T10:00:00Z", f"2024-03-0{rng.randint(1, 9)}"]),
            "decision": decision, "scores": {"abusive": rng.random()},
            "labels": [] if decision == "allow" else ["abusive"],
        })
    one = ScanSummary()
    one.add_all(records)
    for trial in range(20):
        total = ScanSummary()
        i = 0
        while i < len(records):
            n = rng.randint(1, 300)
            part = ScanSummary()
            part.add_all(records[i:i + n])
            total.merge(part)
            i += n
        assert total.to_dict() == one.to_dict()
        assert list(total.threads) == list(one.threads) and list(total.days) == list(one.days)
    # The title rule itself: the first non-empty title any comment of the thread carries.
    first = {}
    for r in records:
        key = (r["source"], r["thread"] or "")
        if r["thread_title"] and key not in first:
            first[key] = r["thread_title"]
    assert one.thread_titles == first and len(first) >= 3


def _hostile(text: str = "\x1b[2J\u202eyou scum\x07") -> dict:
    """A comment, its source, title and author all carrying terminal escapes and a bidi override."""
    hostile = record("3", text, ("scum",), source="dumps/\x1b[31mred.csv", title="Title \u202egnp.exe", thread="t3")
    hostile["author"] = "\x1b]0;owned\x07reader"
    return hostile


def test_markdown_neutralises_control_characters_and_bidi_overrides_as_the_table_does():
    out, _ = render("md", [_hostile()])
    assert not [ch for ch in out if ch in "\x1b\x07\u202e"]
    assert "\ufffd\\[2Jyou **scum**\ufffd" in out  # the ESC shows as U+FFFD, the override is gone
    assert "## Title gnp.exe" in out and "`dumps/\ufffd[31mred.csv`" in out
    assert md_escape("a\x1b[2Jb\u202eevil") == "a\ufffd\\[2Jbevil"


def test_html_neutralises_control_characters_and_bidi_overrides_as_the_table_does():
    out, _ = render("html", [_hostile("\x1b[2J\u202eyou scum\x07\r\nnext line")])
    assert not [ch for ch in out if ch in "\x1b\x07\u202e\r"]
    assert "Title gnp.exe" in out and "\ufffd]0;owned\ufffdreader" in out
    assert "<mark" in out and "scum</mark>" in out and "next line" in out  # the evidence is still marked


def test_markdown_keeps_crlf_line_breaks_as_line_breaks():
    out, _ = render("md", [record("4", "you idiot\r\nsecond line, scum", ("scum",))])
    assert "> you idiot  \n> second line, **scum**" in out and "\ufffd" not in out


def test_table_keeps_crlf_as_a_space_in_its_wrapped_text_not_a_replacement_character():
    parent = record("5", "first line\r\nsecond", labels=())
    reply = record("6", "you idiot\r\nsecond line, scum", ("scum",), parent_id="5", depth=1,
                   quote="quoted\r\nline")
    out, _ = render("table", [parent, reply])
    assert "you idiot second line, [scum]" in out and "> quoted line" in out
    assert "“first line second”" in out and "\ufffd" not in out


def test_html_top_threads_name_the_source_of_each_thread():
    records = [record(str(i), "orcs everywhere", ("orcs",), source=f"dumps/{name}.jsonl", thread="t1", title=None)
               for i, name in enumerate(["a", "b", "c"])]
    out, _ = render("html", records)
    table = out[out.index('id="per-thread"'):]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    assert "<th>source</th>" in rows[0]
    assert [re.findall(r"<td[^>]*>(.*?)</td>", r)[:2] for r in rows[1:]] == [
        ["t1", "dumps/a.jsonl"], ["t1", "dumps/b.jsonl"], ["t1", "dumps/c.jsonl"]]


READ_ERRORS = [
    ReadError("dumps/comments.jsonl", 7, "not valid JSON: <script>alert(1)</script>"),
    ReadError("dumps/bad_\x1b[2J|name.csv", 12, "no comment text key found; the dump has: *id*, [x](javascript:y)\u202e"),
    ReadError("dumps/missing.xml", None, "cannot read: No such file or directory"),
]


def test_html_lists_every_read_error_with_file_line_and_message_escaped():
    out, _ = render("html", errors=READ_ERRORS)
    section = out[out.index('<section id="errors">'):]
    section = section[: section.index("</section>")]
    rows = re.findall(r"<tr><td>(.*?)</td><td class=\"n\">(.*?)</td><td>(.*?)</td></tr>", section)
    assert rows[0] == ("dumps/comments.jsonl", "7", "not valid JSON: &lt;script&gt;alert(1)&lt;/script&gt;")
    assert rows[1][0].startswith("dumps/bad_") and rows[1][1] == "12" and "*id*, [x](javascript:y)" in rows[1][2]
    assert rows[2] == ("dumps/missing.xml", "", "cannot read: No such file or directory")
    assert "Read errors (3)" in section and "more not shown" not in section
    assert out.index('id="summary"') < out.index('id="errors"') < out.index('id="comments"')
    assert '<a href="#errors">errors</a>' in out  # the errors card leads to the list
    assert len(re.findall(r"<script", out)) == 1


def test_markdown_lists_every_read_error_escaped_one_table_row_each():
    out, _ = render("md", errors=READ_ERRORS)
    section = out[out.index("## Read errors"):]
    assert out.index("## Summary") < out.index("## Read errors")
    assert "3 records could not be read" in section
    rows = [line for line in section.splitlines() if line.startswith("| dumps")]
    assert rows == [
        "| dumps/comments.jsonl | 7 | not valid JSON: &lt;script&gt;alert(1)&lt;/script&gt; |",
        "| dumps/bad\\_\ufffd\\[2J\\|name.csv | 12 | no comment text key found; the dump has: \\*id\\*, "
        "\\[x\\](javascript:y) |",
        "| dumps/missing.xml |  | cannot read: No such file or directory |",
    ]
    assert "<script" not in out and "\x1b" not in out and "\u202e" not in out


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_error_list_is_capped_with_the_count_left_out_and_where_the_full_list_is(fmt):
    errors = [ReadError("dumps/huge.jsonl", n, "not valid JSON") for n in range(1, 1001)]
    out, _ = render(fmt, errors=errors, max_errors=3)
    assert out.count("dumps/huge.jsonl") == 3 + 1  # three errors listed, plus the per-source row
    assert "997 more not shown here" in out and "standard error" in out
    assert ("Read errors (1,000)" if fmt == "html" else "1,000 records could not be read") in out


def test_an_error_count_without_the_errors_still_says_where_they_are():
    summary = ScanSummary()
    summary.add_error(READ_ERRORS[0])
    report = open_report("md", io.StringIO())
    report.finish(summary)
    assert "1 more not shown here" in report.out.getvalue()


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_no_error_section_without_errors(fmt):
    out, _ = render(fmt)
    assert "Read errors" not in out and 'href="#errors"' not in out


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_data_formats_are_unchanged_by_read_errors(fmt):
    assert render(fmt, errors=READ_ERRORS)[0] == render(fmt)[0]


def test_table_lists_read_errors_after_the_summary_neutralised():
    out, _ = render("table", errors=READ_ERRORS)
    assert out.index("Summary") < out.index("Read errors (3)")
    lines = out[out.index("Read errors (3)"):].splitlines()[1:]
    assert lines[0] == "dumps/comments.jsonl:7: not valid JSON: <script>alert(1)</script>"
    assert lines[1].startswith("dumps/bad_\ufffd[2J|name.csv:12: no comment text key found")
    assert lines[2] == "dumps/missing.xml: cannot read: No such file or directory"
    assert "\x1b" not in out and "\u202e" not in out and "more not shown" not in out


def test_table_error_list_is_a_screenful_and_says_where_the_rest_are():
    errors = [ReadError("dumps/huge.jsonl", n, "not valid JSON") for n in range(1, 1001)]
    out, _ = render("table", errors=errors)
    assert out.count("dumps/huge.jsonl:") == 20
    assert "Read errors (1,000)" in out and "980 more not shown here" in out and "standard error" in out
    assert "Read errors" not in render("table")[0]


def _skipped_summary() -> ScanSummary:
    """A summary with posts skipped as not comments, one reason carrying markup and a control character."""
    _, summary = render("jsonl")
    summary.skipped.update({"spam": 3, "deleted": 1, "page with no reader comments": 4, "<b>odd</b>|*\x1b[2J": 2})
    return summary


def test_markdown_summary_counts_the_posts_skipped_as_not_comments_escaped():
    report = open_report("md", io.StringIO())
    report.finish(_skipped_summary())
    out = report.out.getvalue()
    summary = out[out.index("## Summary"):]
    line = next(line for line in summary.splitlines() if line.startswith("- skipped"))
    assert line == ("- skipped, not comments: &lt;b&gt;odd&lt;/b&gt;\\|\\*\ufffd\\[2J 2, deleted 1, "
                    "page with no reader comments 4, spam 3")
    assert summary.index("- records read") < summary.index("- skipped") < summary.index("| decision |")
    assert "skipped" not in render("md")[0]  # nothing skipped: no line


def test_html_summary_counts_the_posts_skipped_as_not_comments_escaped():
    report = open_report("html", io.StringIO())
    report.finish(_skipped_summary())
    out = report.out.getvalue()
    section = out[out.index('<section id="summary">'):out.index('<section id="comments">')]
    skipped = re.search(r'<p class="meta" id="skipped">(.*?)</p>', section).group(1)
    assert skipped == ("Skipped, not comments: &lt;b&gt;odd&lt;/b&gt;|*\ufffd[2J 2, deleted 1, "
                       "page with no reader comments 4, spam 3.")
    assert "\x1b" not in out and len(re.findall(r"<script", out)) == 1
    assert 'id="skipped"' not in render("html")[0]


def _interleaved() -> list[dict]:
    """Two articles numbering their comments from 1, ordered by time (QA pass 9, finding 1)."""
    return [
        record("1", "The council should fund more bus routes.", labels=(), thread="A", title="Council budget"),
        record("1", "These migrants are vermin and should be sent back.", ("vermin",), thread="B", title="Asylum"),
        record("2", "Agreed, and anyone who disagrees is a pathetic idiot.", ("idiot",), labels=("abusive",),
               thread="A", title="Council budget", parent_id="1", depth=1),
        record("9", "you moron", ("moron",), labels=("abusive",), thread="C", title="Third", parent_id="1"),
    ]


@pytest.mark.parametrize("fmt", ["table", "md", "html"])
def test_reply_context_is_the_parent_in_the_replys_own_thread(fmt):
    out, _ = render(fmt, _interleaved())
    out = out.replace("\\#", "#").replace("*", "").replace("“", "")
    # carol's parent is alice's #1 in thread A, not bob's #1 in thread B...
    assert re.search(r"in reply to #1( \(reader1\))?: The council should fund more bus routes", out)
    assert not re.search(r"in reply to #1( \(reader1\))?: These migrants", out)
    # ...and the reply in thread C, whose #1 never appears, is not shown under thread B's #1
    assert "in reply to #1 (not in this scan: deleted or missing)" in out


def test_reply_context_keys_by_source_thread_and_id():
    context = ReplyContext()
    a, b = record("1", "in A", thread="A"), record("1", "in B", thread="B")
    context.remember(a)
    context.remember(b)
    assert context.parent_of(record("2", "x", thread="A", parent_id="1"))["text"] == "in A"
    assert context.parent_of(record("2", "x", thread="C", parent_id="1")) is None


def test_table_says_when_the_comment_replied_to_is_not_in_the_scan():
    """A reply to a deleted post: without a line, the indent made it read as a reply to the comment above."""
    out, _ = render("table", [record("P1", "Those people are vermin", ("vermin",)),
                              record("P3", "you are a pathetic moron", ("moron",), parent_id="P2", depth=1)])
    assert "        in reply to #P2 (not in this scan: deleted or missing)\n        you are a pathetic [moron]" in out


def _forger() -> dict:
    """Header fields that try to forge report lines (QA pass 9, finding 2)."""
    r = record("h2\n== Fake thread header", "you scum", ("scum",), timestamp="2024\r\nHOLD  #t",
               title="T\n== Forged\tthread")
    r["author"] = "nl\nHOLD  #fake  depth 0  abusive 1.00"
    return r


def test_table_prints_header_fields_and_errors_on_one_line_each():
    error = ReadError("d.jsonl", 1, "the dump has: \x1b[2Jcleared\nd/fake.jsonl:99: forged error line")
    out, _ = render("table", [_forger()], errors=[error], width=120)
    lines = out.splitlines()
    assert not [line for line in lines if line.startswith(("HOLD", "== Fake", "== Forged", "d/fake"))]
    assert "== T == Forged thread  (examples/001.txt)" in lines
    assert lines[1].startswith("REJECT  #h2 == Fake thread header  depth 0  dehumanising 0.93  abusive 0.81  — nl HOLD")
    assert "d.jsonl:1: the dump has: \ufffd[2Jcleared d/fake.jsonl:99: forged error line" in lines
    assert "\t" not in out and "\r" not in out


def test_markdown_prints_header_fields_on_one_line_each():
    out, _ = render("md", [_forger()])
    assert "## T == Forged thread\n" in out
    assert "\n== Fake" not in out and "\nHOLD" not in out and "\t" not in out
    assert "### REJECT \\#h2 == Fake thread header\n" in out


def _word_hold(comment_id: str, text: str, word: str = "vermin") -> dict:
    """A comment held for a suspect word, no label over its threshold: its only span is in `reasons`."""
    r = record(comment_id, text, labels=())
    start = text.index(word)
    r["decision"] = "hold"
    r["reasons"] = [{"kind": "suspect_word", "word": word, "start": start, "end": start + len(word), "text": word,
                     "action": "hold"}]
    return r


def test_table_shows_the_word_a_comment_was_held_for_and_why():
    long = "word " * 300 + "the vermin control van came " + "word " * 50
    out, _ = render("table", [_word_hold("L", long), _word_hold("S", "The vermin control service came today")])
    assert "the [vermin] control van" in out  # the window is cut around the held word, not the first 360 chars
    assert "The [vermin] control service came today" in out
    assert out.count("word list: suspect word “vermin” → hold") == 2


def test_markdown_and_html_mark_the_held_word():
    out, _ = render("md", [_word_hold("S", "The vermin control service came today")])
    assert "The **vermin** control" in out and "word list: suspect word “vermin” → hold" in out
    out, _ = render("html", [_word_hold("S", "The vermin control service came today")])
    assert '<mark class="ev">vermin</mark>' in out


def test_html_word_list_holds_have_their_own_filter_box():
    """With every box unchecked no comment may stay shown: a held comment with no label had no box."""
    out, _ = render("html", [_word_hold("S", "The vermin control service came today"), *thread()[:2]])
    assert 'data-labels="(word-list)" data-decision="hold"' in out
    assert 'value="(word-list)" checked> word list</label>' in out
    boxes = set(re.findall(r'data-kind="label" value="([^"]*)"', out))
    keys = {k for labels in re.findall(r'data-labels="([^"]*)"', out) for k in labels.split()}
    assert keys <= boxes and "" not in re.findall(r'data-labels="([^"]*)"', out)


def test_csv_defuses_every_cell_from_the_input_not_only_free_text():
    r = record("=id1", "you scum", ("scum",), parent_id="-2+3", timestamp="=cmd|' /C calc'!A0",
               source="=1+2.jsonl", thread='=HYPERLINK("http://evil")')
    out, _ = render("csv", [r])
    row = next(csv.DictReader(io.StringIO(out)))
    for column in ("source", "thread", "comment_id", "parent_id", "timestamp"):
        assert row[column].startswith("'"), column
    assert not [v for v in row.values() if v and v[0] in "=+-@\t\r"]


def test_csv_prefix_is_undone_exactly_by_the_documented_rule():
    """A text that really starts with ' is prefixed too, so dropping one leading ' always gives it back."""
    texts = ["'-you idiot' is what he said", "-you idiot", "'quoted' idiot", "plain idiot"]
    records = [record(str(i), text, ("idiot",)) for i, text in enumerate(texts)]
    out, _ = render("csv", records)
    for row, r in zip(csv.DictReader(io.StringIO(out)), records):
        text = row["text"][1:] if row["text"].startswith("'") else row["text"]
        assert text == r["text"]
        for ev in json.loads(row["evidence"]):
            assert text[ev["start"]:ev["end"]] == ev["text"]


def test_csv_with_no_rows_still_has_its_header():
    out, _ = render("csv", [record("9", "Thanks for the reporting", labels=())])
    assert out.startswith("source,thread,thread_title,comment_id,parent_id,depth,author,timestamp,quote,text,"
                          "score_abusive,score_dehumanising,labels,")
    assert list(csv.DictReader(io.StringIO(out))) == []


def test_table_width_is_the_terminals_whatever_the_colour(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = io.StringIO()
    assert open_report("table", out).width == 80  # not 100 just because colour is off (NO_COLOR, a pipe)


@pytest.mark.parametrize("width", [40, 80])
def test_table_lines_fit_the_width_in_columns_headers_and_wide_characters_included(width):
    from wcwidth import wcswidth

    wide = record("w1", "这些人都是害虫必须被消灭掉 " * 12 + " you are vermin 👨‍👩‍👧", ("vermin",),
                  title="A very long article title that goes on and on about the budget of the council " * 2,
                  parent_id="p", depth=1, quote="这些人都是害虫 " * 20)
    wide["author"] = "a reader with a very long display name"
    out, _ = render("table", [record("p", "害虫 " * 80, labels=()), wide],
                    errors=[ReadError("d/" + "x" * 90 + ".jsonl", 3, "not valid JSON " * 8)], width=width)
    for line in out.splitlines():
        assert wcswidth(line) <= width, line
    assert "== A very long article title" in out and "[vermin]" in out


def test_a_bare_cr_is_a_line_break_not_a_replacement_character():
    r = record("cr", "line two\rcarriage, you scum", ("scum",))
    table, _ = render("table", [r])
    assert "line two carriage, you [scum]" in table
    md, _ = render("md", [r])
    assert "line two  \n> carriage" in md and "\ufffd" not in md


@pytest.mark.parametrize("fmt", ["table", "md", "html"])
def test_joiners_in_emoji_and_scripts_are_kept_but_not_inside_latin_words(fmt):
    family, persian = "\U0001F468\u200d\U0001F469\u200d\U0001F467", "می\u200cخواهم"
    out, _ = render(fmt, [record("e1", f"family {family} {persian} of ver\u200dmin", ("min",))])
    assert family in out and persian in out
    assert "ver\u200d" not in out
    assert terminal_safe("a\u202eb\u061cc\u200bd\u2066e") == "abcde"  # bidi and zero-width space still go


def test_one_line_fields_lose_joiners_inside_latin_words_as_comment_text_does():
    # line_safe is terminal_safe plus line breaks: a ZWJ hidden in an author or a thread
    # title ("Ad\u200dmin") is dropped as it is in the comment text; emoji sequences stay.
    from moderation.report.highlight import line_safe

    family = "\U0001F468\u200d\U0001F469"
    assert line_safe("Ad\u200dmin\nforged") == "Admin forged"
    assert line_safe(f"fan {family}") == f"fan {family}"
    assert line_safe("a\u202eb\tc") == terminal_safe("a\u202eb c")


def test_html_comment_element_ids_are_unique_and_valid_and_the_hold_badge_has_aa_contrast():
    records = [record("1", "you scum", ("scum",), thread="A"), record("1", "you scum", ("scum",), thread="B"),
               record("id with spaces", "you scum", ("scum",), thread="B")]
    out, _ = render("html", records)
    ids = re.findall(r'<article [^>]*id="([^"]*)"', out)
    assert len(ids) == len(set(ids)) == 3 and not [i for i in ids if " " in i]

    def luminance(hex_colour: str) -> float:
        c = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return .2126 * c[0] + .7152 * c[1] + .0722 * c[2]

    for colour in re.findall(r"--(?:reject|hold|allow): #([0-9a-f]{6})", out):  # white badge text on each
        assert (1.05) / (luminance(colour) + .05) >= 4.5, colour


def test_markdown_escapes_what_gfm_would_autolink():
    out, _ = render("md", [record("u1", "idiot, see http://evil.example/x, www.evil.example, a@evil.example",
                                  ("idiot",))])
    assert "http\\://evil.example/x" in out and "www\\.evil.example" in out and "a\\@evil.example" in out
    assert "http://" not in out


def test_html_thread_heading_is_the_threads_title_even_when_the_reported_comment_lacks_it():
    untitled = record("9", "You utter pig", ("pig",), thread="B", title=None)
    titled = record("1", "Nice weather in Leeds today", labels=(), thread="B", title="Article B")
    out, _ = render("html", [untitled, titled])
    assert "<h3>Article B</h3>" in out


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_table_and_markdown_headings_take_the_threads_title_from_titles_and_mark_a_reopened_section(fmt):
    """The `titles=` option (the titles known so far, filled by the caller) heads a thread whose reported
    comment has no title; a section that opens again says "(continued)" (QA pass 9, finding 11)."""
    untitled = record("9", "You utter pig", ("pig",), thread="B", title=None)
    other = record("2", "the scum", ("scum",), thread="C", title="Article C")
    late = record("7", "you moron", ("moron",), labels=("abusive",), thread="B", title=None, parent_id="999")
    out, _ = render(fmt, [untitled, other, late], titles={("examples/001.txt", "B"): "Article B"})
    mark = "== " if fmt == "table" else "## "
    heads = [line[len(mark):].split("  (")[0] for line in out.splitlines() if line.startswith(mark)]
    assert heads[:3] == ["Article B", "Article C", "Article B (continued)"]

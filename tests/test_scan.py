"""The batch job: `scan()` (Python API) and `moderation scan` (CLI) with the shipped model."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import moderation.commands.scan as scan_cmd
from moderation.cli import main
from moderation.records import Comment, ReadError
from moderation.scan import RECORD_FIELDS, ScanJournal, scan

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED_001 = EXAMPLES / "001_f6e74c870da5195f.txt"

TEXTS = [
    "We will continue slaughtering the cockroaches until they go scurrying back.",
    "Thanks for the thorough reporting on the council budget.",
    "Get the fuck out of here, you bunch of arseholes.",
    "The orcs failed to take Kyiv, the scum.",
    "I disagree with the columnist about the bypass, but it was a fair piece.",
]


def write_dump(path: Path, n: int, start: int = 0, broken_line: int | None = None) -> Path:
    lines = []
    for i in range(start, start + n):
        lines.append(json.dumps({"id": f"c{i}", "thread_id": "article-1", "author": f"reader{i}",
                                 "created_at": f"2024-03-{1 + i % 28:02d}T10:00:00Z", "body": TEXTS[i % len(TEXTS)]}))
    if broken_line is not None:
        lines.insert(broken_line - 1, '{"id": "bad", "body": ')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, ["scan", *args], input=input, catch_exceptions=False)


def test_scan_api_scores_every_comment_in_order_and_reconciles(moderator):
    result = scan([SEED_001], moderator)
    records = list(result)
    assert len(records) == 9
    assert all(tuple(r) == RECORD_FIELDS for r in records)
    assert {r["source"] for r in records} == {str(SEED_001)}
    assert [r["depth"] for r in records] == [0, 1, 2, 1, 0, 0, 1, 0, 0]
    s = result.summary
    assert (s.read, s.comments, s.errors) == (9, 9, 0) and s.reconciles
    assert s.flagged == sum(r["decision"] != "allow" for r in records) >= 5
    for r in records:
        for span in r["evidence"]:
            assert r["text"][span["start"]:span["end"]] == span["text"]


def test_chunk_size_and_jobs_do_not_change_the_records(moderator, tmp_path):
    dump = write_dump(tmp_path / "dump.jsonl", 50, broken_line=20)
    reference = list(scan([dump, EXAMPLES], moderator).items())
    assert sum(type(item) is ReadError for item in reference) == 1
    assert list(scan([dump, EXAMPLES], moderator, chunk_size=7).items()) == reference
    parallel = scan([dump, EXAMPLES], moderator, chunk_size=7, n_jobs=2)
    assert list(parallel.items()) == reference
    assert parallel.summary.to_dict() == scan_summary(moderator, [dump, EXAMPLES])


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_json_lines_equal_the_encoded_records_and_keep_errors_and_input_ends(moderator, tmp_path, n_jobs):
    from moderation.report.jsonl import json_line_encoder
    from moderation.scan import InputDone

    encode = json_line_encoder()
    dump = write_dump(tmp_path / "dump.jsonl", 30, broken_line=12)
    inputs = [dump, SEED_001, tmp_path / "missing.jsonl"]
    reference = scan(inputs, moderator)
    items = list(reference.items(input_ends=True))
    for all_comments in (True, False):
        errors = []
        result = scan(inputs, moderator, chunk_size=7, n_jobs=n_jobs, on_error=errors.append)
        got = list(result.json_lines(all_comments, input_ends=True))
        expected = []  # per input: its lines, then its end
        for item in items:
            if type(item) is dict and (all_comments or item["decision"] != "allow"):
                expected.append(encode(item))
            elif type(item) is InputDone:
                expected.append((item.source, item.summary.to_dict(), item.errors))
        joined, lines = [], b""
        for item in got:
            if type(item) is bytes:
                assert item  # no empty writes
                lines += item
            else:
                joined.extend(line + b"\n" for line in lines.splitlines())
                joined.append((item.source, item.summary.to_dict(), item.errors))
                lines = b""
        assert not lines and joined == expected
        assert result.summary.to_dict() == reference.summary.to_dict()
        assert errors == result.errors == reference.errors and len(errors) == 2  # the broken line, the missing file
        assert result.summary.read == 30 + 1 + 9 + 1 and result.summary.reconciles


def test_scan_chunk_splits_sources_counts_errors_and_continues_a_part(moderator):
    from moderation.report.jsonl import json_line_encoder
    from moderation.scan_chunk import ChunkJob, _compact, scan_chunk

    chunk = [Comment(id="1", text=TEXTS[0], source="a", thread="t"), ReadError("a", 2, "no text"),
             Comment(id="3", text=TEXTS[1], source="b", thread="t"), Comment(id="4", text=TEXTS[2], source="b")]
    segments = scan_chunk(moderator, _compact(chunk))
    assert [(source, n_errors) for source, _, _, n_errors in segments] == [("a", 1), ("b", 0)]
    (_, a, a_records, _), (_, b, b_records, _) = segments
    assert a_records[1] is None and [r["comment_id"] for r in a_records[:1] + b_records] == ["1", "3", "4"]
    assert (a.comments, a.errors, b.comments, b.errors) == (1, 1, 2, 0)
    assert list(b.threads) == [("b", "t"), ("b", "")]
    flagged = scan_chunk(moderator, _compact(chunk), ChunkJob(lines=True, all_comments=False))
    encode = json_line_encoder()
    assert [body for _, _, body, _ in flagged] == [encode(a_records[0]), encode(b_records[1])]
    # the local engine carries an input's part over to its next chunk instead of merging
    again = scan_chunk(moderator, _compact(chunk[2:]), ChunkJob(), continued=("b", b))
    assert again[0][1] is b and b.comments == 4
    other = scan_chunk(moderator, _compact(chunk[2:]), ChunkJob(), continued=("a", a))
    assert other[0][1] is not a and a.comments == 1


def test_comments_without_an_attribute_dict_are_scanned_too(moderator):
    from dataclasses import dataclass

    @dataclass(slots=True)
    class SlottedComment(Comment):
        pass

    plain = [Comment(id=str(i), text=t, source="cms") for i, t in enumerate(TEXTS)]
    slotted = [SlottedComment(id=str(i), text=t, source="cms") for i, t in enumerate(TEXTS)]
    assert list(scan(slotted, moderator)) == list(scan(plain, moderator))


def scan_summary(moderator, inputs):
    result = scan(inputs, moderator)
    list(result)
    return result.summary.to_dict()


def test_scan_accepts_comments_and_passes_read_errors_through(moderator):
    errors = []
    items = [Comment(id="1", text=TEXTS[0], source="cms"), ReadError("cms", 2, "no text"),
             Comment(id="3", text=TEXTS[1], source="cms")]
    result = scan(items, moderator, on_error=errors.append)
    records = list(result)
    assert [r["comment_id"] for r in records] == ["1", "3"]
    assert records[0]["decision"] != "allow" and records[1]["decision"] == "allow"
    assert errors == [items[1]] == result.errors
    assert (result.summary.read, result.summary.comments, result.summary.errors) == (3, 2, 1)


def test_scan_rejects_bad_arguments(moderator):
    with pytest.raises(ValueError, match="chunk_size"):
        scan([EXAMPLES], moderator, chunk_size=0)
    with pytest.raises(ValueError, match="engine"):
        scan([EXAMPLES], moderator, engine="spark")


def test_cli_table_is_the_default_with_a_summary():
    result = run(str(EXAMPLES))
    assert result.exit_code == 0, result.output
    assert "[cockroaches]" in result.stdout  # evidence bracketed off a terminal
    assert "Crimean war" not in result.stdout
    assert re.search(r"comments read: \d+", result.stdout)
    assert result.stderr == ""  # no progress bar off a terminal; the table holds the summary


def test_cli_json_all_writes_records_to_stdout_and_summary_to_stderr():
    result = run(str(SEED_001), "--format", "json", "--all")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert len(records) == 9 and set(records[0]) == set(RECORD_FIELDS)
    assert "comments read: 9" in result.stderr
    quiet = run(str(SEED_001), "--format", "json", "--quiet")
    assert quiet.stderr == "" and len(json.loads(quiet.stdout)) == sum(r["decision"] != "allow" for r in records)


def test_cli_reports_unreadable_records_with_file_and_line_and_exits_1(tmp_path):
    dump = write_dump(tmp_path / "dump.jsonl", 4, broken_line=3)
    result = run(str(dump), "--format", "jsonl", "--all")
    assert result.exit_code == 1
    assert f"{dump}:3:" in result.stderr
    assert len(result.stdout.splitlines()) == 4  # everything else is still scored
    assert "errors: 1" in result.stderr and "records read 5 = 4 scored + 1 errors" in result.stderr


def test_cli_fail_on_sets_exit_codes(tmp_path):
    clean = tmp_path / "clean.jsonl"
    clean.write_text(json.dumps({"id": "1", "body": TEXTS[1]}) + "\n", encoding="utf-8")
    assert run(str(clean), "--fail-on", "hold", "-q").exit_code == 0
    records = json.loads(run(str(SEED_001), "--format", "json").stdout)
    decisions = {r["decision"] for r in records}
    hold = run(str(SEED_001), "--fail-on", "hold", "-q")
    reject = run(str(SEED_001), "--fail-on", "reject", "-q")
    assert hold.exit_code == (11 if "reject" in decisions else 10)
    assert reject.exit_code == (11 if "reject" in decisions else 0)


def test_cli_reads_stdin_and_infers_the_format_from_the_output_name(tmp_path):
    lines = "".join(json.dumps({"id": str(i), "body": t}) + "\n" for i, t in enumerate(TEXTS))
    out = tmp_path / "report.csv"
    result = run("-", "--format-in", "jsonl", "--all", "-o", str(out), input=lines)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("source,thread,") and text.count("\n") == len(TEXTS) + 1
    assert "comments read: 5" in result.stderr
    html = tmp_path / "report.html"
    assert run(str(SEED_001), "-o", str(html)).exit_code == 0
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not list(tmp_path.glob("*.scan-*"))  # the resume journal is gone after a finished run


def test_cli_usage_errors():
    assert run(str(EXAMPLES), "--resume").exit_code == 2
    assert run(str(EXAMPLES), "--engine", "dask").exit_code == 2
    assert run(str(EXAMPLES), "-j", "0").exit_code == 2


def _wrap_result(monkeypatch, wrap):
    """Make the scan command's `ScanResult` pass its output through `wrap(iterator, flat)`.

    The command consumes either `batches` (lists of items) or `json_lines` (one bytes or
    `InputDone` at a time: flat); both are wrapped.
    """
    real = scan_cmd.scan

    def wrapped(*args, **kwargs):
        result = real(*args, **kwargs)
        batches, json_lines = result.batches, result.json_lines
        result.batches = lambda *a, **k: wrap(batches(*a, **k), False)
        result.json_lines = lambda *a, **k: wrap(json_lines(*a, **k), True)
        return result

    monkeypatch.setattr(scan_cmd, "scan", wrapped)


def _interrupt_after(n: int, monkeypatch):
    def limited(output, flat):  # the first n items (records or JSON lines, errors, input ends), then Ctrl-C
        i = 0
        for batch in output:
            if flat:
                batch = [batch] if type(batch) is not bytes else [line + b"\n" for line in batch.splitlines()]
            if i + len(batch) > n:
                yield from batch[: n - i] if flat else [batch[: n - i]]
                raise KeyboardInterrupt
            i += len(batch)
            yield from batch if flat else [batch]

    _wrap_result(monkeypatch, limited)


def test_resume_skips_finished_inputs_and_gives_the_same_output(tmp_path, monkeypatch):
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    for i, name in enumerate("abc"):
        write_dump(dumps / f"{name}.jsonl", 4, start=4 * i)
    fresh = tmp_path / "fresh.jsonl"
    assert run(str(dumps), "--all", "-o", str(fresh)).exit_code == 0

    out = tmp_path / "out.jsonl"
    with monkeypatch.context() as m:
        _interrupt_after(7, m)  # a.jsonl done (4 records and its end), b.jsonl half done
        stopped = run(str(dumps), "--all", "-o", str(out))
    assert stopped.exit_code == 130 and "--resume" in stopped.stderr
    assert not out.exists()
    journal = ScanJournal(out, {})
    assert journal.done_path.exists() and journal.records_path.exists()

    seen = []

    def counted(output, flat):
        for batch in output:
            if type(batch) is bytes:
                seen.extend(json.loads(line)["source"] for line in batch.splitlines())
            elif not flat:
                seen.extend(item["source"] for item in batch if isinstance(item, dict))
            yield batch

    _wrap_result(monkeypatch, counted)
    resumed = run(str(dumps), "--all", "-o", str(out), "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "resuming: 1 finished input(s) skipped (4 comments)" in resumed.stderr
    assert sorted(set(seen)) == [str(dumps / "b.jsonl"), str(dumps / "c.jsonl")]  # a.jsonl not read again
    assert out.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8")
    assert "comments read: 12" in resumed.stderr
    assert not journal.done_path.exists() and not journal.records_path.exists()


def test_resume_refuses_a_journal_from_other_options(tmp_path, monkeypatch):
    dump = write_dump(tmp_path / "a.jsonl", 4)
    write_dump(tmp_path / "b.jsonl", 4, start=4)
    out = tmp_path / "out.html"
    with monkeypatch.context() as m:
        _interrupt_after(5, m)
        assert run(str(dump), str(tmp_path / "b.jsonl"), "-o", str(out)).exit_code == 130
    refused = run(str(dump), str(tmp_path / "b.jsonl"), "-o", str(out), "--all", "--resume")
    assert refused.exit_code == 1 and "other options" in refused.stderr
    resumed = run(str(dump), str(tmp_path / "b.jsonl"), "-o", str(out), "--resume")
    assert resumed.exit_code == 0
    assert "<!DOCTYPE html>" in out.read_text(encoding="utf-8")


def test_progress_estimates_position_from_lines_and_counts_records(tmp_path):
    from moderation.scan import ScanProgress

    dump = write_dump(tmp_path / "dump.jsonl", 10)
    other = write_dump(tmp_path / "other.jsonl", 10)
    progress = ScanProgress([dump, other])
    try:
        size = dump.stat().st_size
        assert progress.bar.total == size + other.stat().st_size
        progress.update([Comment(id="5", text="x", source=str(dump), line=5)])
        assert progress.bar.n == size // 2
        progress.update([Comment(id="1", text="x", source=str(other), line=1)])
        assert progress.bar.n == size + other.stat().st_size // 10
        assert progress.records == 2
    finally:
        progress.close()


def test_cli_parquet_to_a_redirected_stdout_and_markdown_to_a_file(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import io

    result = CliRunner().invoke(main, ["scan", str(SEED_001), "--format", "parquet", "--all"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(io.BytesIO(result.stdout_bytes))
    assert table.num_rows == 9 and "scores" in table.column_names
    md = tmp_path / "report.md"
    assert run(str(SEED_001), "-o", str(md)).exit_code == 0
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# Moderation report") and "## Summary" in text and "**cockroaches**" in text


def test_cli_policy_file_changes_the_decisions_and_a_bad_one_is_exit_1(tmp_path):
    lenient = tmp_path / "lenient.toml"
    lenient.write_text("version = 1\n[thresholds.dehumanising]\nhold = 0.9999\nreject = 0.99999\n"
                       "[thresholds.abusive]\nhold = 0.9999\nreject = 0.99999\n[words]\nbanned = []\nsuspect = []\n",
                       encoding="utf-8")
    strict_run = json.loads(run(str(SEED_001), "--format", "json", "-q").stdout)
    lenient_run = json.loads(run(str(SEED_001), "--format", "json", "-q", "--policy", str(lenient)).stdout)
    assert len(lenient_run) < len(strict_run)
    bad = tmp_path / "bad.toml"
    bad.write_text("x = [", encoding="utf-8")
    result = run(str(SEED_001), "--policy", str(bad))
    assert result.exit_code == 1 and "bad.toml" in result.stderr


# -j N reads plain JSON Lines dumps in ranges of lines, one per worker task
# (scan._engine_split); everything below must come out as -j 1 gives it.

def _compare_with_one_job(moderator, inputs, chunk_size=5, engine=None, **options):
    """The records, read errors, input ends, JSON lines, summary and reader counts of -j 2 (or of `engine`, a dict
    of scan options) equal -j 1's."""
    from moderation.report.jsonl import json_line_encoder

    engine = engine or {"n_jobs": 2}

    def run_items(how):
        errors = []
        result = scan(inputs, moderator, chunk_size=chunk_size, on_error=errors.append, **how, **options)
        items = [(i.source, i.summary.to_dict(), i.errors) if type(i).__name__ == "InputDone" else i
                 for i in result.items(input_ends=True)]
        return items, errors, result.summary.to_dict(), result.reader_stats.to_dict()

    def run_lines(how):
        result = scan(inputs, moderator, chunk_size=chunk_size, **how, **options)
        return b"".join(x for x in result.json_lines() if type(x) is bytes), result.summary.to_dict()

    one, two = run_items({}), run_items(engine)
    assert two == one
    assert run_lines(engine) == run_lines({})
    encode = json_line_encoder()
    assert run_lines({})[0] == b"".join(encode(i) for i in one[0] if type(i) is dict)
    return one


def _line(i, parent=None, body=None, thread="article-1", **extra):
    record = {"id": f"c{i}", "thread_id": thread, "parent_id": parent, "author": f"reader{i}",
              "created_at": f"2024-03-{1 + i % 28:02d}T10:00:00Z", "body": body or TEXTS[i % len(TEXTS)], **extra}
    return json.dumps(record)


def test_jobs_read_jsonl_ranges_with_errors_blank_lines_and_no_final_newline(moderator, tmp_path):
    lines = [_line(i) for i in range(60)]
    lines[33:33] = ['{"id": "bad", "body": ', "", "[1, 2]", '{"id": "x", "body": {"a": 1}}', "   "]
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(lines), encoding="utf-8")  # the last line has no newline
    items = _compare_with_one_job(moderator, [dump])[0]
    errors = [i for i in items if type(i) is ReadError]
    assert [e.line for e in errors] == [34, 36, 37] and all(e.source == str(dump) for e in errors)
    assert sum(type(i) is dict for i in items) == 60
    assert _compare_with_one_job(moderator, [dump], chunk_size=2000)  # one range


@pytest.mark.parametrize("where", ["first range", "later range"])
def test_jobs_give_the_reply_depths_of_one_job_when_a_parent_is_in_an_earlier_range(moderator, tmp_path, where):
    at = 2 if where == "first range" else 40
    lines = [_line(i) for i in range(60)]
    lines[at] = _line(at, parent="c0")
    lines[at + 1] = _line(at + 1, parent=f"c{at}")
    lines[at + 3] = _line(at + 3, parent="c999")  # parent later in the dump: held until it comes
    lines.insert(50, _line(999, parent=None))
    lines.insert(20, '{"broken": ')
    dump = tmp_path / "replies.jsonl"
    dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(_line(i) for i in range(100, 130)) + "\n", encoding="utf-8")
    items = _compare_with_one_job(moderator, [other, dump, other])[0]
    depth = {r["comment_id"]: r["depth"] for r in items if type(r) is dict and r["source"] == str(dump)}
    assert depth[f"c{at}"] == 1 and depth[f"c{at + 1}"] == 2 and depth[f"c{at + 3}"] == 1


def test_jobs_settle_the_encoding_where_one_job_does(moderator, tmp_path):
    # ASCII for the first 64 KiB (the encoding stays undecided), then UTF-8 and, in another
    # file, Latin-1 that the reader must guess; CR, CRLF and LF line ends; a byte-order mark.
    head = [_line(i) for i in range(400)]
    utf8 = tmp_path / "late-utf8.jsonl"
    utf8.write_bytes(("\n".join(head + [_line(400, body="Très bien écrit, merci 👍")] + [_line(i) for i in range(401, 480)])
                      + "\n").encode("utf-8") + _line(480).replace("reader480", "DvorXk").encode().replace(b"X", b"\xe1")
                     + b"\n")  # settled as UTF-8 by then
    latin = tmp_path / "late-latin1.jsonl"
    latin.write_bytes("\r\n".join(head).encode() + b"\r\n" + _line(400).replace("reader400", "DvorXk").encode()
                      .replace(b"X", b"\xe1") + b"\r" + "\n".join(_line(i) for i in range(401, 480)).encode() + b"\n"
                      + _line(480, body="Très").encode().replace(b"\\u00e8", "è".encode()) + b"\n")  # read as Latin-1 too
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + "\n".join(_line(i, body="Ça va ?") for i in range(30)).encode("utf-8") + b"\n")
    items = _compare_with_one_job(moderator, [utf8, latin, bom], chunk_size=40)[0]
    authors = {r["author"] for r in items if type(r) is dict}
    assert "Dvorák" in authors
    assert any(type(r) is dict and "écrit" in r["text"] for r in items)
    lines = {r["comment_id"]: r["line"] for r in items if type(r) is dict and r["source"] == str(latin)}
    assert lines["c401"] == 402 and lines["c479"] == 480
    assert any(type(r) is dict and r["text"] == "TrÃ¨s" for r in items)
    assert sum(type(r) is dict and r["author"] == "Dvorák" for r in items) == 2


def test_jobs_read_gzip_stdin_pages_and_other_formats_here_in_order(moderator, tmp_path):
    import gzip

    plain = write_dump(tmp_path / "a.jsonl", 23, broken_line=9)
    packed = tmp_path / "b.jsonl.gz"
    packed.write_bytes(gzip.compress(write_dump(tmp_path / "b-src.jsonl", 17).read_bytes()))
    table = tmp_path / "c.csv"
    table.write_text("id,body\n1,hello there\n2,Get the fuck out of here\n", encoding="utf-8")
    _compare_with_one_job(moderator, [table, plain, SEED_001, packed, table, plain])
    stdin = write_dump(tmp_path / "stdin.jsonl", 12).read_bytes()
    _compare_with_one_job(moderator, ["-", plain], stdin=stdin)


def test_jobs_skip_finished_inputs_and_the_forced_format(moderator, tmp_path):
    dump = write_dump(tmp_path / "dump.txt", 15)  # JSON Lines under a page's name, read as JSON Lines by force
    other = write_dump(tmp_path / "other.jsonl", 15)
    items = _compare_with_one_job(moderator, [dump, other], format="jsonl", skip_sources=[str(other)])[0]
    assert {i["source"] for i in items if type(i) is dict} == {str(dump)}
    assert _compare_with_one_job(moderator, [dump], format="no-such-format")[0][0].source == "<options>"


def test_cli_jobs_write_the_same_jsonl_errors_and_exit_status_as_one_job(tmp_path):
    dump = write_dump(tmp_path / "dump.jsonl", 40, broken_line=31)
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}.jsonl"
        result = run(str(dump), str(SEED_001), "--all", "--format", "jsonl", "-o", str(out), "--chunk-size", "6",
                     "-j", jobs)
        outputs.append((result.exit_code, result.stderr, out.read_bytes()))
    assert outputs[1] == outputs[0]
    assert outputs[0][0] == 1 and f"{dump}:31: " in outputs[0][1]
    assert outputs[0][2].count(b"\n") == 40 + 9


def test_progress_bar_counts_the_records_of_ranges(moderator, tmp_path):
    dump = write_dump(tmp_path / "dump.jsonl", 30, broken_line=10)
    result = scan([dump], moderator, chunk_size=4, n_jobs=2, progress=True)
    assert sum(1 for _ in result.items()) == 31
    assert result._progress.records == 31 and result._progress.current == str(dump)


def test_comments_given_as_objects_are_scored_by_the_workers_as_by_one_job(moderator, tmp_path):
    """Inputs that are not paths (comments and read errors) go to -j 2's workers in chunks read here."""
    from moderation.readers import iter_inputs

    items = list(iter_inputs([str(write_dump(tmp_path / "dump.jsonl", 23, broken_line=9))]))
    assert any(type(i).__name__ == "ReadError" for i in items)

    def records(**how):
        errors = []
        result = scan(items, moderator, chunk_size=5, on_error=errors.append, **how)
        return list(result.items(input_ends=True)), errors, result.summary.to_dict()

    assert records(n_jobs=2) == records()


@pytest.mark.parametrize("suffix", ["html", "md"])
def test_cli_html_and_markdown_reports_list_the_read_errors(tmp_path, suffix):
    dump = write_dump(tmp_path / "dump.jsonl", 4, broken_line=3)
    out = tmp_path / f"report.{suffix}"
    result = run(str(dump), "--all", "-o", str(out))
    assert result.exit_code == 1
    assert f"{dump}:3:" in result.stderr  # still on stderr...
    text = out.read_text(encoding="utf-8")
    row = f"<tr><td>{dump}</td><td class=\"n\">3</td><td>not valid JSON" if suffix == "html" else f" | 3 | not valid JSON"
    assert row in text  # ...and in the report, which is read where stderr is not
    streamed = run(str(dump), "--format", suffix)  # to stdout: no journal
    assert row in streamed.stdout


def test_cli_resumed_markdown_report_lists_the_errors_of_inputs_finished_before_the_interruption(tmp_path, monkeypatch):
    a = write_dump(tmp_path / "a.jsonl", 4, broken_line=2)
    b = write_dump(tmp_path / "b.jsonl", 4, start=4, broken_line=4)
    out = tmp_path / "out.md"
    with monkeypatch.context() as m:
        _interrupt_after(8, m)  # a.jsonl done (4 records, its error and its end), b.jsonl begun
        assert run(str(a), str(b), "--all", "-o", str(out)).exit_code == 130
    resumed = run(str(a), str(b), "--all", "-o", str(out), "--resume")
    assert resumed.exit_code == 1 and "resuming: 1 finished input(s) skipped" in resumed.stderr
    rows = [line for line in out.read_text(encoding="utf-8").splitlines() if " | not valid JSON" in line]
    assert [row.split(" | ")[1] for row in rows] == ["2", "4"]
    assert "a.jsonl" in rows[0] and "b.jsonl" in rows[1]


@pytest.mark.parametrize("suffix", ["html", "md"])
def test_cli_html_and_markdown_reports_count_what_was_skipped_as_not_comments(tmp_path, suffix):
    """Spam, deleted posts and pages with no reader comments are in the report, not only on stderr."""
    page = Path(__file__).resolve().parent / "fixtures" / "pages" / "article_only_interview.txt"
    disqus = Path(__file__).resolve().parent / "fixtures" / "dumps" / "disqus.xml"
    out = tmp_path / f"report.{suffix}"
    result = run(str(page), str(disqus), "-o", str(out))
    assert result.exit_code == 0, result.output
    expected = "deleted 1, page with no reader comments 1, spam 1"
    assert f"skipped, not comments: {expected}" in result.stderr
    prefix = "Skipped, not comments: " if suffix == "html" else "- skipped, not comments: "
    assert prefix + expected in out.read_text(encoding="utf-8")
    assert prefix + expected in run(str(page), str(disqus), "--format", suffix).stdout  # streamed: no journal


def _summaries(monkeypatch) -> list[dict]:
    """The summary of each CLI run from now on, as `ScanSummary.to_dict()` (what decides the exit status)."""
    seen, real = [], scan_cmd.exit_status

    def recorded(summary, fail_on):
        seen.append(summary.to_dict())
        return real(summary, fail_on)

    monkeypatch.setattr(scan_cmd, "exit_status", recorded)
    return seen


@pytest.mark.parametrize("suffix, jobs", [("html", "1"), ("jsonl", "1"), ("md", "2")])
def test_resumed_summary_counts_what_the_finished_inputs_skipped_as_not_comments(tmp_path, monkeypatch, suffix, jobs):
    """The journal kept each finished input's summary without its skipped posts (deleted, spam...), so a
    resumed run's summary left them out; files a directory walk skips went missing too."""
    fixtures = Path(__file__).resolve().parent / "fixtures"
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "a_disqus.xml").write_bytes((fixtures / "dumps" / "disqus.xml").read_bytes())  # deleted 1, spam 1
    (inputs / "b_page.txt").write_bytes((fixtures / "pages" / "article_only_interview.txt").read_bytes())
    write_dump(inputs / "c.jsonl", 4)
    (inputs / "notes.md").write_text("not an input\n", encoding="utf-8")
    args = [str(inputs), "--all", "-j", jobs]
    summaries = _summaries(monkeypatch)
    fresh = run(*args, "-o", str(tmp_path / f"fresh.{suffix}"))
    assert fresh.exit_code == 0, fresh.output

    out = tmp_path / f"out.{suffix}"
    with monkeypatch.context() as m:
        _interrupt_after(5, m)  # a_disqus.xml done (4 comments and its end), then Ctrl-C
        assert run(*args, "-o", str(out)).exit_code == 130
    resumed = run(*args, "-o", str(out), "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "resuming: 1 finished input(s) skipped (4 comments)" in resumed.stderr
    expected = "skipped, not comments: deleted 1, page with no reader comments 1, spam 1, unrecognised file 1"
    assert expected in fresh.stderr
    assert summaries[-1] == summaries[0]
    assert summaries[-1]["skipped"] == {"deleted": 1, "page with no reader comments": 1, "spam": 1,
                                        "unrecognised file": 1}
    assert resumed.stderr.split("\n", 1)[1] == fresh.stderr  # after the "resuming:" line
    if suffix != "jsonl":
        assert expected.capitalize() in out.read_text(encoding="utf-8").replace("- s", "S")


def test_resume_reads_a_journal_written_before_it_kept_skipped_counts(tmp_path, monkeypatch):
    """Entries without a summary's `skipped` (older journals) resume; only their skipped posts are not known."""
    disqus = Path(__file__).resolve().parent / "fixtures" / "dumps" / "disqus.xml"
    later = write_dump(tmp_path / "later.jsonl", 4)
    out = tmp_path / "out.html"
    with monkeypatch.context() as m:
        _interrupt_after(5, m)  # disqus.xml done, then Ctrl-C
        assert run(str(disqus), str(later), "-o", str(out)).exit_code == 130
    journal = ScanJournal(out, {})
    header, *entries = journal.done_path.read_text(encoding="utf-8").splitlines()
    assert json.loads(entries[0])["summary"]["skipped"] == {"deleted": 1, "spam": 1}
    old = [json.loads(entry) for entry in entries]
    for entry in old:
        del entry["summary"]["skipped"]
    journal.done_path.write_text("\n".join([header, *map(json.dumps, old)]) + "\n", encoding="utf-8")
    summaries = _summaries(monkeypatch)
    resumed = run(str(disqus), str(later), "-o", str(out), "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert summaries[0]["comments"] == 8 and summaries[0]["skipped"] == {}


@pytest.mark.parametrize("name, suffix", [("scores.jsonl.gz", ".gz"), ("scores.tsv", ".tsv"),
                                          ("scores.unknown", ".unknown"), ("REPORT.GZ", ".gz")])
def test_cli_refuses_an_output_suffix_no_report_format_knows(tmp_path, name, suffix):
    """`-o scores.jsonl.gz` used to write an uncompressed table under that name; now it is a usage error."""
    out = tmp_path / name
    result = run(str(SEED_001), "-q", "-o", str(out))
    assert result.exit_code == 2
    assert "Usage:" in result.stderr and f"unknown report suffix '{suffix}'" in result.stderr
    assert ".jsonl" in result.stderr and ".html" in result.stderr and "--format" in result.stderr
    assert not list(tmp_path.iterdir())  # no report, no journal
    forced = run(str(SEED_001), "-q", "-o", str(out), "--format", "csv")  # --format still wins over the name
    assert forced.exit_code == 0 and out.read_text(encoding="utf-8").startswith("source,thread,")


def _no_model_load(monkeypatch):
    def refuse(*args):
        raise AssertionError("the model was loaded before the --output check")

    monkeypatch.setattr(scan_cmd, "_load", refuse)


def test_cli_refuses_an_output_in_a_missing_directory_before_any_work(tmp_path, monkeypatch):
    """`-o missing/report.html` used to crash with a FileNotFoundError traceback when the journal was created."""
    monkeypatch.chdir(tmp_path)
    _no_model_load(monkeypatch)
    result = run(str(SEED_001), "-o", "nonexistent_dir/report.html")
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.stderr and "Traceback" not in result.output
    assert "--output nonexistent_dir/report.html: directory nonexistent_dir does not exist" in result.stderr
    (tmp_path / "a_file").write_text("", encoding="utf-8")
    under_a_file = run(str(SEED_001), "-o", "a_file/report.html")
    assert under_a_file.exit_code == 2 and "--output a_file/report.html: a_file is not a directory" in under_a_file.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]  # no report, no journal


def test_cli_refuses_an_output_in_a_directory_it_cannot_write(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if os.access(locked, os.W_OK):  # root: permission bits do not bind, so make the check see them
        real = os.access
        monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == locked else real(path, mode, **kw))
    _no_model_load(monkeypatch)
    try:
        result = run(str(SEED_001), "-o", str(locked / "report.html"))
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 2, result.output
    assert f"--output {locked / 'report.html'}: directory {locked} is not writable" in result.stderr
    assert not list(locked.iterdir())


def test_cli_journal_that_cannot_be_created_is_one_error_line(tmp_path, monkeypatch):
    """What the directory check cannot foresee (a read-only mount, a full disk) is exit 1 without a traceback."""
    def read_only(self, resume):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(ScanJournal, "start", read_only)
    out = tmp_path / "report.html"
    result = run(str(SEED_001), "-o", str(out))
    assert result.exit_code == 1
    assert f"Error: cannot create the resume journal beside {out}: [Errno 30] Read-only file system" in result.stderr
    assert "Traceback" not in result.output


def test_cli_txt_and_a_name_without_suffix_are_the_table(tmp_path):
    for name in ("report.txt", "report"):
        assert run(str(SEED_001), "-q", "-o", str(tmp_path / name)).exit_code == 0
        assert "comments read: 9" in (tmp_path / name).read_text(encoding="utf-8")


def test_cli_unknown_input_format_is_a_usage_error_and_aliases_still_work():
    """`--format-in bogus` used to come back as a read error of "<options>" with exit 1."""
    lines = "".join(json.dumps({"id": str(i), "body": t}) + "\n" for i, t in enumerate(TEXTS))
    bogus = run("-", "--format-in", "bogus", input=lines)
    assert bogus.exit_code == 2
    assert "Usage:" in bogus.stderr and "Invalid value for '--format-in'" in bogus.stderr
    assert "unknown format 'bogus'" in bogus.stderr and "jsonl" in bogus.stderr
    assert "<options>" not in bogus.output and bogus.stdout == ""
    for name in ("jsonl", "NDJSON", "json-lines"):  # the readers' names and aliases, any case
        result = run("-", "--format-in", name, "--all", "--format", "jsonl", "-q", input=lines)
        assert result.exit_code == 0 and len(result.stdout.splitlines()) == len(TEXTS)


def test_cli_help_lists_exit_status_2():
    assert re.search(r"^\s+2\s+usage error", run("--help").stdout, re.M)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cli_follows_a_symlinked_directory_and_walks_a_loop_once(tmp_path, jobs, caplog):
    """QA pass 7, finding 2: a symlinked directory inside a scanned one was skipped silently, exit 0."""
    top, outside = tmp_path / "top", tmp_path / "outside"
    (top / "real").mkdir(parents=True)
    outside.mkdir()
    write_dump(outside / "linked.jsonl", 3)
    write_dump(top / "real" / "own.jsonl", 2, start=3)
    (top / "linked").symlink_to(outside, target_is_directory=True)
    (top / "again").symlink_to(outside, target_is_directory=True)  # a second way to the same directory
    (top / "real" / "loop").symlink_to(top, target_is_directory=True)  # a loop back to the top
    with caplog.at_level("WARNING", logger="moderation.readers"):
        result = run(str(top), "--format", "jsonl", "--all", "-j", jobs)
    assert result.exit_code == 0, result.stderr
    sources = [json.loads(line)["source"] for line in result.stdout.splitlines()]
    assert sources == [str(top / "again" / "linked.jsonl")] * 3 + [str(top / "real" / "own.jsonl")] * 2
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [f"{top / 'linked'}: the same directory as {top / 'again'}, already walked: not walked again",
                        f"{top / 'real' / 'loop'}: links back to {top}, which holds it (a symlink loop): "
                        "not walked again"]
    assert "records read 5 = 5 scored + 0 errors" in result.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cli_a_directory_given_twice_or_inside_another_is_walked_once_not_an_error(tmp_path, jobs, caplog):
    """Found with QA pass 7's finding 2: `scan d d` read d once, then called the second d empty, exit 1."""
    top = tmp_path / "top"
    (top / "sub").mkdir(parents=True)
    write_dump(top / "a.jsonl", 2)
    write_dump(top / "sub" / "b.jsonl", 1, start=2)
    with caplog.at_level("WARNING", logger="moderation.readers"):
        result = run(str(top), str(top) + os.sep, str(top / "sub"), "--format", "jsonl", "--all", "-j", jobs)
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["comment_id"] for line in result.stdout.splitlines()] == ["c0", "c1", "c2"]
    assert [r.getMessage() for r in caplog.records] == [f"{top}{os.sep}: given again: not walked again",
                                                        f"{top / 'sub'}: already walked: not walked again"]
    assert "errors: 0" in result.stderr


def test_read_errors_on_stderr_are_neutralised_one_line_each(tmp_path):
    """A dump's key names are quoted in the error: an ESC or newline there must not reach stderr raw."""
    dump = tmp_path / "errkeys.jsonl"
    dump.write_text(json.dumps({"\x1b[2Jcleared\nd/fake.jsonl:99: forged error line": 1}) + "\n")
    result = CliRunner().invoke(main, ["scan", str(dump), "--format", "json", "-q"])
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line]
    assert len(errors) == 1 and "\ufffd[2Jcleared d/fake.jsonl:99: forged error line" in errors[0]


def _on_a_terminal(args: list[str]) -> str:
    """What `moderation scan ARGS` writes when stdout and stderr are one terminal (a pseudo-terminal)."""
    import pty
    import subprocess
    import sys

    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))  # 40 rows, 100 columns
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "COLUMNS": "100"}
    proc = subprocess.Popen([sys.executable, "-m", "moderation", "scan", *args], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_progress_bar_never_shares_a_line_with_the_report_warnings_or_errors(tmp_path):
    """QA pass 9, finding 4: report lines, warnings and read errors were glued after the bar."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "body": "you idiot"}\nnot json\n')
    out = _on_a_terminal([str(EXAMPLES), str(bad)])
    pieces = [p for p in re.split(r"[\r\n]", out) if p.strip()]
    bar = [p for p in pieces if "scanning:" in p]
    assert bar, "no progress bar drawn: the test saw no terminal"
    assert all(p.lstrip().startswith("scanning:") for p in bar), [p for p in bar if not p.startswith("scanning:")]
    assert not [p for p in bar if "==" in p or "no reader comments" in p or "not valid JSON" in p]
    assert any("not valid JSON" in p for p in pieces) and any(p.startswith(("==", "\x1b[1m==")) for p in pieces)


def _headings(text: str, fmt: str) -> list[str]:
    mark = "== " if fmt == "table" else "## "
    return [line[len(mark):].split("  (")[0] for line in text.splitlines()
            if line.startswith(mark) and line != "## Summary"]


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_cli_table_and_markdown_thread_heading_is_the_title_a_comment_read_before_carries(tmp_path, fmt):
    """QA pass 9, finding 11: the heading was the first *reported* comment's title (here none: `== B`).

    Streamed to stdout, a heading is printed from the first title any comment of the thread read so far
    carries (an allowed one included); one that comes only after the thread's first flagged comment cannot
    be: the heading then shows the thread id. Written to a file (-o), the report is written after the
    run, so every heading is the thread's title from the summary, as in HTML.
    """
    dump = tmp_path / "titles.jsonl"
    dump.write_text("\n".join(json.dumps(r) for r in [
        {"id": "1", "thread_id": "B", "title": "Article B", "body": "Nice weather in Leeds today"},
        {"id": "9", "thread_id": "B", "parent_id": "1", "body": "You utter pig, get lost"},
        {"id": "5", "thread_id": "C", "body": "Those people are vermin"},
        {"id": "6", "thread_id": "C", "title": "Article C", "body": "A civil comment"},
    ]) + "\n", encoding="utf-8")
    streamed = run(str(dump), "--format", fmt, "-q")
    assert _headings(streamed.stdout, fmt) == ["Article B", "C"]
    out = tmp_path / ("report.txt" if fmt == "table" else "report.md")
    assert run(str(dump), "-o", str(out), "-q").exit_code == 0
    assert _headings(out.read_text(encoding="utf-8"), fmt) == ["Article B", "Article C"]


@pytest.mark.parametrize("fmt", ["table", "md"])
@pytest.mark.parametrize("to_file", [False, True])
def test_cli_a_thread_whose_section_reopens_is_headed_continued(tmp_path, fmt, to_file):
    """QA pass 9, finding 11: a reply whose parent never appears comes out at the end of its input; after
    another thread's section it opened a second, untitled section of its thread that read as a new one
    (`== Article A`, `== B`, `== A`). A reply whose thread's section is still the open one stays in it."""
    dump = tmp_path / "mixed.jsonl"
    dump.write_text("\n".join(json.dumps(r) for r in [
        {"id": "1", "thread_id": "A", "title": "Article A", "body": "Those people are vermin", "author": "a"},
        {"id": "8", "thread_id": "A", "body": "A civil comment", "author": "c"},
        {"id": "1", "thread_id": "B", "title": "Article B", "body": "Nice weather in Leeds today"},
        {"id": "9", "thread_id": "B", "parent_id": "1", "body": "You utter pig, get lost"},
        {"id": "3", "thread_id": "C", "title": "Article C", "body": "Those people are vermin"},
        {"id": "4", "thread_id": "C", "parent_id": "998", "body": "another orphan, you moron"},
        {"id": "7", "thread_id": "A", "parent_id": "999", "body": "reply to a missing parent, you moron"},
    ]) + "\n", encoding="utf-8")
    if to_file:
        out = tmp_path / ("report.txt" if fmt == "table" else "report.md")
        assert run(str(dump), "-o", str(out), "-q").exit_code == 0
        text = out.read_text(encoding="utf-8")
    else:
        text = run(str(dump), "--format", fmt, "-q").stdout
    # The orphans come out at the end of the dump, oldest first: #4 while C's section is still the open
    # one (it stays there), then #7, after B's and C's sections.
    assert _headings(text, fmt) == ["Article A", "Article B", "Article C", "Article A (continued)"]
    assert text.index("#4") < text.index("Article A (continued)") < text.index("#7")

"""Hostile and malformed tabular/JSON input (QA pass 5): each bad record is one ReadError at its
line, every other record is read, and nothing in a record or a file name can crash an output."""

from __future__ import annotations

import json
import os
import stat
import threading

import pytest
from click.testing import CliRunner

from moderation.cli import main
from moderation.readers import iter_inputs, read_dump
from moderation.records import Comment, ReadError


def _read(path, **kwargs):
    reader = read_dump(path, **kwargs)
    records = list(reader)
    assert reader.stats.records == len(records) == reader.stats.comments + reader.stats.errors
    return ([r for r in records if isinstance(r, Comment)], [r for r in records if isinstance(r, ReadError)])


def _inputs(paths, **kwargs):
    reader = iter_inputs([os.fspath(p) for p in paths], **kwargs)
    records = list(reader)
    assert reader.stats.records == len(records)
    return ([r for r in records if isinstance(r, Comment)], [r for r in records if isinstance(r, ReadError)],
            reader.stats)


def _scan(*args):
    return CliRunner().invoke(main, ["scan", *map(os.fspath, args)], catch_exceptions=False)


DEEP = "[" * 1100 + "]" * 1100


# Finding 2: a JSON value nested deeper than the parser's recursion limit.
@pytest.mark.parametrize("fast", [True, False])
def test_a_too_deep_json_lines_record_is_one_error_at_its_line_and_the_rest_is_read(tmp_path, monkeypatch, fast):
    from moderation.readers import jsonl

    lines = [json.dumps({"id": i, "text": f"comment {i}"}) for i in range(1, 31)]
    lines[9] = '{"id": 10, "text": "x", "d": ' + DEEP + "}"
    path = tmp_path / "deep.jsonl"
    path.write_text("\n".join(lines) + "\n")
    if not fast:
        general = jsonl.read_jsonl
        monkeypatch.setattr(jsonl, "read_jsonl", lambda *a, **k: general(*a, **k, fast=False))
    comments, errors = _read(path)
    assert len(comments) == 29 and comments[-1].id == "30"
    (error,) = errors
    assert error.line == 10 and "nested too deeply" in error.message and "RecursionError" not in error.message


def test_a_too_deep_json_array_element_is_one_error_and_the_rest_is_read(tmp_path):
    elements = [json.dumps({"id": i, "text": f"comment {i}"}) for i in range(1, 31)]
    elements[9] = '{"id": 10, "text": "x", "d": ' + DEEP + "}"
    path = tmp_path / "deep.json"
    path.write_text("[\n" + ",\n".join(elements) + "\n]\n")
    comments, errors = _read(path)
    assert len(comments) == 29 and comments[-1].id == "30"
    (error,) = errors
    assert error.line == 11 and "element 10: nested too deeply" in error.message


# Finding 3: lone surrogates in JSON strings; non-UTF-8 bytes and control characters in file names.
def test_a_lone_surrogate_in_json_becomes_a_replacement_character(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"id":1,"text":"ok"}\n{"id":"\\ud83d","author":"\\udc80x","text":"bad \\ud800 vermin"}\n'
                    '{"id":3,"text":"pair \\ud83d\\ude00 kept"}\n')
    comments, errors = _read(path)
    assert errors == []
    assert comments[1].text == "bad \ufffd vermin" and comments[1].id == "\ufffd" and comments[1].author == "\ufffdx"
    assert comments[2].text == "pair \U0001F600 kept"


@pytest.mark.parametrize("out", ["x.jsonl", "x.json", "x.csv", "x.md", "x.html", "x.parquet", None])
def test_scan_writes_surrogates_and_undecodable_file_names_in_every_format(tmp_path, out):
    bad = tmp_path / "s.jsonl"
    bad.write_text('{"id":2,"text":"bad \\ud800 surrogate they are vermin"}\n')
    raw = os.fsencode(tmp_path) + b"/name_\xff\n.csv"
    with open(raw, "wb") as f:
        f.write(b"id,body\n1,They are vermin\n")
    after = tmp_path / "after.csv"
    after.write_text("id,body\n1,fine\n")
    args = [os.fsdecode(raw), bad, after, "--all"]
    result = _scan(*args, *(["-o", tmp_path / out] if out else []))
    assert result.exit_code in (0, 11), result.output
    assert "Traceback" not in result.output
    if out is None:
        assert "name_\\xff\\n.csv" in result.output and "after.csv" in result.output
    else:
        assert sorted(p.name for p in tmp_path.iterdir() if "scan-" in p.name) == []  # no journal left behind
    if out == "x.jsonl":
        records = [json.loads(line) for line in (tmp_path / out).read_text().splitlines()]
        assert [r["source"].rsplit("/", 1)[-1] for r in records] == ["name_\\xff\\n.csv", "s.jsonl", "after.csv"]
        assert records[1]["text"] == "bad \ufffd surrogate they are vermin"


# Finding 4: a stray quote in a CSV.
def test_a_stray_quote_in_a_csv_costs_only_its_row(tmp_path):
    rows = ["id,body"] + [f"{i},comment number {i} is fine" for i in range(1, 201)]
    rows[10] = '10,"He said ""hi there'
    path = tmp_path / "q.csv"
    path.write_text("\n".join(rows) + "\n")
    comments, errors = _read(path)
    assert len(comments) == 199 and comments[9].id == "11" and comments[9].line == 12
    (error,) = errors
    assert error.line == 11 and "never closed" in error.message and "resumes at line 12" in error.message


def test_a_stray_quote_closed_by_a_later_quote_costs_only_its_row(tmp_path):
    rows = ["id,body", "1,fine", '2,"a stray quote', "3,plain", '4,"quoted, with a comma"', "5,last"]
    path = tmp_path / "q.csv"
    path.write_text("\n".join(rows) + "\n")
    comments, errors = _read(path)
    assert [c.id for c in comments] == ["1", "3", "4", "5"] and comments[2].text == "quoted, with a comma"
    (error,) = errors
    assert error.line == 3 and "resumes at line 4" in error.message


def test_a_quoted_field_open_for_too_many_lines_is_a_stray_quote(tmp_path, monkeypatch):
    from moderation.readers import delimited

    monkeypatch.setattr(delimited, "MAX_ROW_LINES", 5)
    rows = ["id,body", '1,"multi\nline\ntext"', '2,"stray'] + [f"{i},row {i}" for i in range(3, 20)]
    path = tmp_path / "q.csv"
    path.write_text("\n".join(rows) + "\n")
    comments, errors = _read(path)
    assert comments[0].text == "multi\nline\ntext"
    assert [c.id for c in comments] == ["1", *map(str, range(3, 20))]
    (error,) = errors
    assert error.line == 5 and "still open 5 lines later" in error.message


def test_a_csv_cut_inside_a_quoted_field_is_still_a_truncation(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_text('id,body\n1,fine\n2,"cut\nhere')
    comments, errors = _read(path)
    assert [c.id for c in comments] == ["1"]
    (error,) = errors
    assert error.line == 3 and "truncated" in error.message


# Finding 6: an unreadable directory.
def _deny(monkeypatch, denied):
    real_scandir, real_listdir = os.scandir, os.listdir

    def check(path):
        if os.fspath(path) == os.fspath(denied):
            raise PermissionError(13, "Permission denied", os.fspath(path))

    monkeypatch.setattr(os, "scandir", lambda path=".": check(path) or real_scandir(path))
    monkeypatch.setattr(os, "listdir", lambda path=".": check(path) or real_listdir(path))


def test_an_unreadable_subdirectory_is_an_error_and_the_rest_is_read(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "x.csv").write_text("id,body\n1,fine\n")
    (tmp_path / "sub" / "y.csv").write_text("id,body\n1,fine\n")
    (tmp_path / "z.csv").write_text("id,body\n1,fine\n")
    _deny(monkeypatch, tmp_path / "sub")
    comments, errors, _ = _inputs([tmp_path])
    assert [c.source for c in comments] == [str(tmp_path / "x.csv"), str(tmp_path / "z.csv")]
    (error,) = errors
    assert error.source == str(tmp_path / "sub") and error.message == "cannot read this directory: Permission denied"
    comments, errors, _ = _inputs([tmp_path / "sub"])
    assert comments == [] and errors[0].message == "cannot read this directory: Permission denied"


# Finding 7: a FIFO found by a directory walk.
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_a_directory_is_skipped_with_a_warning(tmp_path, caplog):
    (tmp_path / "a.csv").write_text("id,body\n1,fine\n")
    os.mkfifo(tmp_path / "p.csv")
    # Were the FIFO opened, a writer that comes after 5 s unblocks it (the test then fails, not hangs).
    unblock = threading.Timer(5, lambda: open(tmp_path / "p.csv", "wb").close())
    unblock.daemon = True
    unblock.start()
    try:
        with caplog.at_level("WARNING", logger="moderation.readers"):
            comments, errors, stats = _inputs([tmp_path])
    finally:
        unblock.cancel()
    assert [c.id for c in comments] == ["1"] and errors == []
    assert stats.skipped["not a regular file"] == 1
    assert "p.csv: skipped: not a regular file" in caplog.text
    assert stat.S_ISFIFO(os.stat(tmp_path / "p.csv").st_mode)


# Finding 10: the same file named twice.
def test_the_same_file_named_twice_or_through_a_symlink_is_read_once(tmp_path, caplog):
    (tmp_path / "d").mkdir()
    dump = tmp_path / "d" / "ok.csv"
    dump.write_text("id,body\n1,fine\n2,also fine\n")
    (tmp_path / "link.csv").symlink_to(dump)
    with caplog.at_level("WARNING", logger="moderation.readers"):
        comments, errors, _ = _inputs([tmp_path / "d", dump, tmp_path / "link.csv", dump])
    assert [c.id for c in comments] == ["1", "2"] and errors == []
    assert "given again: read once" in caplog.text
    assert f"the same file as {dump}" in caplog.text


# Finding 15: Parquet struct and list text columns.
def test_parquet_struct_or_list_text_is_an_error_naming_the_column(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    for name, values, kind in [("s", [{"a": "they are vermin"}, {"a": "x"}], "a struct"),
                               ("l", [["they are vermin"], ["x"]], "a list")]:
        path = tmp_path / f"{name}.parquet"
        pq.write_table(pa.table({"id": [1, 2], "body": values}), path)
        comments, errors = _read(path)
        assert comments == [] and len(errors) == 2
        assert errors[0].line == 1 and errors[0].message.startswith(f"the text column 'body' holds {kind}")


# Finding 16: messages are capped and plain.
def test_a_long_header_is_not_echoed_whole(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes("ô".encode() * 20000 + b"\n")
    comments, errors = _read(path)
    (error,) = errors
    assert len(error.message) < 500 and "20,000 characters in all" in error.message


def test_a_failure_escaping_a_reader_is_worded_plainly():
    from moderation.readers.base import _describe

    assert _describe(RecursionError("maximum recursion depth exceeded")) == "the data is nested too deeply"
    assert "UnicodeError" not in _describe(UnicodeError("UTF-16 stream does not start with BOM"))

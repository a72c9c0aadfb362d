"""Line endings and stray bytes in line-based dumps (CSV, TSV, JSON Lines).

Old Mac exports end lines with a bare CR; files edited on several systems mix
CR, LF and CRLF; a dump can end mid-line or hold a NUL byte. None of these may
lose a record silently or turn the whole file into one error.
"""

from __future__ import annotations

import io

import pytest

import moderation.readers.jsonl as jsonl_module
from moderation.readers import read_dump
from moderation.readers.decoding import physical_lines
from moderation.records import Comment, ReadError


def _read(path, **kwargs):
    reader = read_dump(path, **kwargs)
    records = list(reader)
    assert reader.stats.records == len(records) == reader.stats.comments + reader.stats.errors
    return [r for r in records if isinstance(r, Comment)], [r for r in records if isinstance(r, ReadError)]


@pytest.fixture(params=["fast", "general"])
def jsonl_path(request, monkeypatch):
    """Both JSON Lines paths: orjson's fast one (when installed) and the line-decoder one."""
    if request.param == "general":
        monkeypatch.setattr(jsonl_module, "orjson", None)
    elif jsonl_module.orjson is None:
        pytest.skip("orjson is not installed: there is no fast path")
    return request.param


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"a\nb\r\nc\rd", [b"a\n", b"b\r\n", b"c\r", b"d"]),
        (b"a\rb\rc\r", [b"a\r", b"b\r", b"c\r"]),
        (b"x\r\r\ny\n", [b"x\r", b"\r\n", b"y\n"]),
        (b"", []),
    ],
)
def test_physical_lines_end_at_lf_crlf_and_bare_cr(data, expected):
    assert list(physical_lines(io.BufferedReader(io.BytesIO(data)))) == expected


def test_old_mac_file_is_read_in_pieces_not_as_one_line():
    # 300,000 CR-ended lines: never one 2 MB "line", and a CRLF cut between two pieces stays whole.
    lines = [b"line %d\r" % i for i in range(300_000)]
    lines[7_000] = b"crlf\r\n"
    got = list(physical_lines(io.BufferedReader(io.BytesIO(b"".join(lines)), buffer_size=8192)))
    assert got == lines
    # Where the 64 KiB pieces cut a CRLF in two, it is still one ending.
    data = b"x" * (64 * 1024 - 1) + b"\r\n" + b"y\r"
    got = list(physical_lines(io.BufferedReader(io.BytesIO(b"a\r" + data))))
    assert got == [b"a\r", b"x" * (64 * 1024 - 1) + b"\r\n", b"y\r"]


def test_csv_with_old_mac_line_endings(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b'id,author,text\r1,Ann,hello there\r2,Bob,"two\rlines"\r3,Cy,last one\r')
    comments, errors = _read(path)
    assert not errors
    assert [(c.id, c.author, c.text, c.line) for c in comments] == [
        ("1", "Ann", "hello there", 2), ("2", "Bob", "two\rlines", 3), ("3", "Cy", "last one", 5)]


def test_csv_with_mixed_line_endings_and_a_truncated_last_line(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b'id,text,author\r\n1,one,A\n2,two,B\r3,three,C\r\n4,fo')
    comments, errors = _read(path)
    assert [(c.id, c.text, c.line) for c in comments] == [("1", "one", 2), ("2", "two", 3), ("3", "three", 4)]
    (err,) = errors
    assert err.line == 5 and "truncated last row" in err.message


def test_tsv_with_old_mac_line_endings(tmp_path):
    path = tmp_path / "mac.tsv"
    path.write_bytes(b"id\ttext\r1\tone\r2\ttwo")
    comments, errors = _read(path)
    assert not errors and [c.text for c in comments] == ["one", "two"]


def test_nul_byte_in_the_middle_of_a_csv_is_that_row_only(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"id,text\n1,one\n2,tw\x00o\n3,three\n")
    comments, errors = _read(path)
    assert [c.id for c in comments] == ["1", "3"]
    (err,) = errors
    assert err.source == str(path) and err.line == 3 and "NUL byte" in err.message


def test_an_unreadable_header_row_is_one_error_naming_why(tmp_path):
    undecodable = tmp_path / "bad_header.csv"
    undecodable.write_bytes(b"id,t\xffext\n1,one\n")
    (err,) = list(read_dump(undecodable, encoding="ascii"))
    assert err.line == 1 and err.message.startswith("the header row is unreadable (undecodable bytes: ")
    assert err.message.endswith("try --encoding")


def test_a_file_full_of_nul_bytes_is_still_binary(tmp_path):
    path = tmp_path / "zeros.csv"
    path.write_bytes(b"id,text\n" + b"\x00" * 5000)
    (err,) = list(read_dump(path))
    assert "binary file" in err.message


def test_jsonl_with_old_mac_line_endings(tmp_path, jsonl_path):
    path = tmp_path / "mac.jsonl"
    path.write_bytes(b'{"id":1,"text":"a"}\r{"id":2,"text":"b"}\r{"id":3,"text":"c"}\r')
    comments, errors = _read(path)
    assert not errors and [(c.id, c.line) for c in comments] == [("1", 1), ("2", 2), ("3", 3)]


def test_jsonl_with_mixed_endings_and_a_truncated_last_line(tmp_path, jsonl_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"id":1,"text":"a"}\r\n{"id":2,"text":"b"}\n{"id":3,"text":"c"}\r{"id":4,"text":"d"}\n{"id":5,"te')
    comments, errors = _read(path)
    assert [(c.id, c.line) for c in comments] == [("1", 1), ("2", 2), ("3", 3), ("4", 4)]
    (err,) = errors
    assert err.line == 5 and "truncated last line" in err.message


def test_jsonl_nul_byte_is_that_line_only(tmp_path, jsonl_path):
    path = tmp_path / "nul.jsonl"
    path.write_bytes(b'{"id":1,"text":"a"}\n{"id":2,"text":"b\x00c"}\n{"id":3,"text":"c"}\n')
    comments, errors = _read(path)
    assert [c.id for c in comments] == ["1", "3"]
    (err,) = errors
    assert err.line == 2 and "not valid JSON" in err.message

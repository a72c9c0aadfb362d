"""The JSON Lines fast path (orjson on raw bytes, inline Comment) gives exactly what the general path gives."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import moderation.readers.jsonl as jsonl
from moderation.readers import ColumnMap, read_dump

DUMPS = Path(__file__).resolve().parent / "fixtures" / "dumps"

pytest.importorskip("orjson", reason="the fast path needs orjson (the `report` extra)")

TRICKY = [
    '\ufeff{"id": "b1", "body": "after a byte-order mark", "thread_id": "t"}',
    "",
    "   ",
    '{"id": "c1", "body": "plain", "thread_id": "t", "parent_id": null, "author": "  Ann  ", "created_at": "2024-01-02"}',
    '{"id": "c2", "body": "reply", "thread_id": "t", "parent_id": "c1", "author": "NULL", "created_at": ""}',
    '{"id": 3, "body": "numeric id", "thread_id": "t", "parent_id": "c1"}',
    '{"id": "c4", "body": 42, "thread_id": "t"}',
    '{"id": "c5", "body": {"x": 1}, "thread_id": "t"}',
    '{"id": "c6", "body": null, "thread_id": "t"}',
    '{"id": "c7", "body": "nested author", "thread_id": "t", "author": {"name": "Bob"}}',
    '{"id": "c8", "body": "a NaN", "thread_id": NaN}',
    '{"id": 123456789012345678901234567890, "body": "a huge id"}',
    '{"id": "c10", "body": "lone \\ud800 surrogate"}',
    '{"id": "c11", "body": "dup", "body": "duplicate key, last wins"}',
    '{"id": "  ", "body": "blank id falls back to the line"}',
    '["not", "an", "object"]',
    '"a string"',
    '{"id": "c12", "body": "not json"',
    '{"body": "different keys, no id"}',
    '{"ident": "c13", "text": "other key names", "reply_to": "c1"}',
    '{"id": "c14", "thread_id": "t", "created_at": "2024-01-02"}',
    '{"id": "c15", "body": "tab\\there, emoji \U0001F44D, accents caf\u00e9", "thread_id": " t "}',
    '{"id": "c16", "body": "trailing spaces after the object"}    ',
    '{"id": "c17", "body": "last line, cut short"',
]


def records(path, **kwargs):
    return [r.to_dict() | {"kind": type(r).__name__} for r in read_dump(path, **kwargs)]


def both(path, monkeypatch, **kwargs):
    fast = records(path, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(jsonl, "orjson", None)
        slow = records(path, **kwargs)
    return fast, slow


def test_the_fast_path_is_taken(monkeypatch, tmp_path):
    path = tmp_path / "plain.jsonl"
    path.write_text('{"id": "a", "body": "x"}\n{"id": "b", "body": "y"}\n', encoding="utf-8")
    calls = []
    with monkeypatch.context() as m:
        m.setattr(jsonl.json, "loads", lambda *a, **k: calls.append(a) or {"id": "a", "body": "x"})
        list(read_dump(path))
    assert len(calls) == 1  # only the first line takes the general path


@pytest.mark.parametrize("name", sorted(p.name for p in DUMPS.iterdir() if ".jsonl" in p.name))
def test_every_jsonl_fixture_reads_the_same_on_both_paths(name, monkeypatch):
    fast, slow = both(DUMPS / name, monkeypatch)
    assert fast == slow and fast


@pytest.mark.parametrize("encoding", [None, "utf8", "cp1252"])
def test_tricky_lines_read_the_same_on_both_paths(tmp_path, monkeypatch, encoding):
    path = tmp_path / "tricky.jsonl"
    path.write_text("\n".join(TRICKY), encoding="utf-8")  # no newline at the end: a truncated last line
    fast, slow = both(path, monkeypatch, encoding=encoding)
    assert fast == slow
    kinds = [r["kind"] for r in fast]
    assert kinds.count("ReadError") >= 5 and kinds.count("Comment") >= 14


def test_bad_bytes_and_legacy_encodings_read_the_same_on_both_paths(tmp_path, monkeypatch):
    ascii_lines = [f'{{"id": "a{i}", "body": "plain ascii {i}"}}'.encode() for i in range(5)]
    cases = {
        # ASCII first, then a cp1252 line: the decoder settles on a legacy encoding, later UTF-8 lines too.
        "legacy.jsonl": [*ascii_lines, '{"id": "l", "body": "caf\u00e9"}'.encode("cp1252"),
                         '{"id": "u", "body": "caf\u00e9"}'.encode("utf-8")],
        # UTF-8 with one corrupt line: that line is an error, the rest read.
        "corrupt.jsonl": [*ascii_lines, '{"id": "u", "body": "caf\u00e9 \u00e9t\u00e9"}'.encode("utf-8"),
                          b'{"id": "bad", "body": "caf\xe9"}', *ascii_lines],
    }
    for name, lines in cases.items():
        path = tmp_path / name
        path.write_bytes(b"\n".join(lines) + b"\n")
        fast, slow = both(path, monkeypatch)
        assert fast == slow, name
    gz = tmp_path / "tricky.jsonl.gz"
    gz.write_bytes(gzip.compress("\n".join(TRICKY).encode("utf-8")))
    fast, slow = both(gz, monkeypatch)
    assert fast == slow


def test_given_columns_and_dotted_keys_read_the_same_on_both_paths(tmp_path, monkeypatch):
    path = tmp_path / "columns.jsonl"
    path.write_text('{"msg": "a1", "story": "s1", "who": {"name": "Ann"}, "words": "top"}\n'
                    '{"msg": "a2", "reply_to": "a1", "story": "s1", "who": {"name": "Bob"}, "words": "reply"}\n'
                    '{"msg": "a3", "reply_to": "a1", "story": "s1", "who.name": "Cy", "words": "dotted key"}\n',
                    encoding="utf-8")
    columns = ColumnMap(text="words", id="msg", parent="reply_to", thread="story", author="who.name")
    fast, slow = both(path, monkeypatch, columns=columns)
    assert fast == slow
    assert [r["author"] for r in fast] == ["Ann", "Bob", "Cy"]
    assert [r["depth"] for r in fast] == [0, 1, 1]

"""JSON syntax errors read naturally in every message that reports one (never "starting at at column 18")."""

from __future__ import annotations

import json

import pytest

from moderation.commands.check import InputError, parse_input
from moderation.jsonerrors import json_error
from moderation.readers import read_dump
from moderation.records import ReadError
from moderation.service import ApiError, parse_json

# Bad JSON of every kind the decoder reports, with its message as ours should read.
BAD = [
    ('{"id":"2","text":"unterminated', "Unterminated string starting at column 18"),
    ('{"id":"2","text":"a\tb"}', "Invalid control character at column 20"),
    ('{"id":"2","text":"\\q"}', "Invalid \\escape at column 19"),
    ('{"id":"2","text":"\\u12"}', "Invalid \\uXXXX escape at column 20"),
    ('{"id":"2","text": broken}', "Expecting value at column 19"),
    ('{"id" "2"}', "Expecting ':' delimiter at column 7"),
    ('{id:"2"}', "Expecting property name enclosed in double quotes at column 2"),
    ('{"id":"2" "text":"x"}', "Expecting ',' delimiter at column 11"),
    ('{"id":"2"} extra', "Extra data at column 12"),
]


@pytest.mark.parametrize("text, expected", BAD)
def test_json_error_drops_the_trailing_at_of_the_standard_message(text, expected):
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(text)
    assert json_error(caught.value, f"at column {caught.value.colno}") == expected


@pytest.mark.parametrize("fast", [True, False], ids=["orjson-path", "general-path"])
def test_jsonl_messages_read_naturally(tmp_path, fast):
    from moderation.readers.base import ReaderContext, ReadStats
    from moderation.readers.decoding import guess_encoding
    from moderation.readers.jsonl import read_jsonl
    from moderation.readers.sources import open_source

    # Inside the file an unterminated string runs into the newline (an invalid control
    # character); it is unterminated only on a last line with no newline after it.
    middle = BAD[1:]
    lines = ['{"id":"1","text":"fine"}', *(text for text, _ in middle), '{"id":"9","text":"cut at the end']
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")  # no newline at the end: a truncated last line
    with open_source(path) as source:
        context = ReaderContext(str(path), ReadStats())
        records = list(read_jsonl(source, guess_encoding(source.head), context, fast=fast))
    errors = [r for r in records if isinstance(r, ReadError)]
    assert [e.message for e in errors] == [f"not valid JSON: {expected}" for _, expected in middle] + [
        "truncated last line (no newline at the end of the file): Unterminated string starting at column 18"]
    assert not any(" at at " in e.message for e in errors)


def test_json_array_and_wrapped_object_messages_read_naturally(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[\n{"id":"1","text":"fine"},\n{"id":"2","text":"a\tb"},\n{"id":"3","text":"ok"}\n]\n',
                    encoding="utf-8")
    (error,) = [r for r in read_dump(path) if isinstance(r, ReadError)]
    assert error.line == 3 and error.message == "element 2: not valid JSON: Invalid control character at line 3"
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text('{"comments": [{"id": "1", "text": "unterminated}]}', encoding="utf-8")
    (error,) = list(read_dump(wrapped))
    assert error.message == "not valid JSON: Unterminated string starting at column 35"


def test_check_and_service_messages_read_naturally():
    with pytest.raises(InputError) as caught:
        parse_input('{"text": "unterminated}', mode="json")
    assert caught.value.message == "input is not a JSON object: Unterminated string starting at line 1 column 10"
    with pytest.raises(ApiError) as caught:
        parse_json(b'{"text": "a\tb"}')
    assert caught.value.message == "malformed JSON: Invalid control character at line 1 column 12"


def test_parse_json_replaces_lone_surrogates_everywhere_even_deep_down():
    """QA pass 7: the service's parsed body holds no lone surrogate, in keys or values, at any depth."""
    deep = "[" * 900 + '{"k\\udfff": "v\\ud800"}' + "]" * 900
    value = parse_json(deep.encode())
    for _ in range(900):
        value = value[0]
    assert value == {"k\ufffd": "v\ufffd"}
    # a surrogate *pair* is one character, kept; an escaped backslash before "ud800" is no escape
    assert parse_json(b'["\\ud83d\\ude00", "\\\\ud800"]') == ["\U0001f600", "\\ud800"]

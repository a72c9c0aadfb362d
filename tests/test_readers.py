"""Readers for tabular and JSON dumps: formats, gzip, encodings, column mapping, bad records, inputs."""

from __future__ import annotations

import gzip
import io
import shutil
from pathlib import Path

import pytest

from moderation.readers import ColumnMap, detect_format, iter_inputs, read_dump, read_text_file
from moderation.records import Comment, ReadError

DUMPS = Path(__file__).resolve().parent / "fixtures" / "dumps"

EXPECTED = [
    # id, parent, depth, author, thread, title
    ("c1", None, 0, "Ann", "t1", "Frontline report"),
    ("c2", "c1", 1, "Bob", "t1", "Frontline report"),
    ("c3", "c2", 2, "Zoë", "t1", "Frontline report"),
    ("c4", "c1", 1, "Dee", "t1", "Frontline report"),
    ("c5", None, 0, "Eve", "t2", "Budget day"),
    ("c6", "c5", 1, None, "t2", "Budget day"),
]


def read(name: str, **kwargs):
    reader = read_dump(DUMPS / name, **kwargs)
    records = list(reader)
    assert reader.stats.records == len(records) == reader.stats.comments + reader.stats.errors
    return records, reader.stats


def comments(records):
    return [r for r in records if isinstance(r, Comment)]


def errors(records):
    return [r for r in records if isinstance(r, ReadError)]


@pytest.mark.parametrize(
    "name",
    [
        "comments.csv", "comments.tsv", "comments_semicolon.csv", "comments.jsonl", "comments.json",
        "comments_minified.json", "wrapped.json", "comments_jsonl_named.json", "comments.csv.gz",
        "comments.jsonl.gz", "comments.json.gz", "export.dat", "export_csv.dat", "utf8_bom.csv",
        "utf16.csv", "utf16be.jsonl",
    ],
)
def test_every_tabular_and_json_format_yields_the_same_comments(name):
    records, stats = read(name)
    assert errors(records) == []
    got = [(c.id, c.parent_id, c.depth, c.author, c.thread, c.thread_title) for c in records]
    assert got == EXPECTED
    assert records[2].text == "Café talk — naïve, but fair. 👍"
    assert records[1].text == 'Steady on, that is a whole nation.\nSecond line, with "quotes", commas.'
    assert records[0].timestamp == "2024-03-01T10:05:00Z"
    assert all(c.source == str(DUMPS / name) for c in records)
    assert stats.comments == 6 and stats.errors == 0


def test_line_numbers_point_at_the_record():
    csv_records, _ = read("comments.csv")
    # Header is line 1; comment c2 spans lines 3-4 so c3 starts on line 5.
    assert [c.line for c in csv_records] == [2, 3, 5, 6, 7, 8]
    jsonl_records, _ = read("comments.jsonl")
    assert [c.line for c in jsonl_records] == [1, 2, 3, 4, 5, 6]
    json_records, _ = read("comments.json")
    lines = (DUMPS / "comments.json").read_text(encoding="utf-8").splitlines()
    for c in json_records:
        assert lines[c.line - 1].strip() == "{", c.line
        assert f'"id": "{c.id}"' in lines[c.line]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("comments.csv", "csv"), ("comments.tsv", "tsv"), ("comments.jsonl", "jsonl"), ("comments.json", "json"),
        ("comments.csv.gz", "csv"), ("export.dat", "jsonl"), ("export_csv.dat", "csv"),
        ("comments_jsonl_named.json", "jsonl"), ("disqus.xml", "disqus"), ("wordpress.xml", "wxr"),
        ("wordpress.wxr.gz", "wxr"), ("unknown.xml", None), ("image.dat", None),
    ],
)
def test_detect_format_by_name_and_content(name, expected):
    assert detect_format(DUMPS / name) == expected


def test_detect_format_from_head_bytes_alone():
    assert detect_format(head=b'{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\n') == "jsonl"
    assert detect_format(head=b'[{"id": 1}]') == "json"
    assert detect_format(head=b"id\tbody\n1\thello\n") == "tsv"
    assert detect_format(head=b"PAR1\x00\x00") == "parquet"
    assert detect_format(head=b"Just an article.\n\nComments\n1. hello\n") == "text"


def test_forced_format_overrides_the_name(tmp_path):
    path = tmp_path / "comments.txt"
    shutil.copy(DUMPS / "comments.csv", path)
    records, stats = read_forced(path, "csv")
    assert stats.comments == 6


def read_forced(path, fmt):
    reader = read_dump(path, format=fmt)
    return list(reader), reader.stats


# --- bad records: reported with the line, reading goes on -------------------------------


def test_malformed_csv_rows_are_reported_and_reading_goes_on():
    records, stats = read("malformed.csv")
    assert [c.id for c in comments(records)] == ["1", "4", "6"]
    assert comments(records)[1].text == 'quoted "properly"'
    errs = errors(records)
    assert [(e.line, e.message.split(":")[0]) for e in errs] == [
        (3, "wrong number of fields"),
        (4, "wrong number of fields"),
        (6, "malformed CSV row"),
        (8, "malformed CSV row"),
    ]
    assert "expected 3 fields as in the header, found 5" in errs[0].message
    assert "unterminated quoted field" in errs[3].message
    assert all(e.source == str(DUMPS / "malformed.csv") for e in errs)
    assert stats.records == 7


def test_malformed_jsonl_lines_are_reported_and_reading_goes_on():
    records, stats = read("malformed.jsonl")
    assert [c.id for c in comments(records)] == ["1", "5"]
    assert comments(records)[1].depth == 1  # its parent, line 1, was read
    errs = errors(records)
    assert [e.line for e in errs] == [2, 4, 5, 7]
    assert errs[0].message.startswith("not valid JSON")
    assert "found list" in errs[1].message
    assert "no comment text key" in errs[2].message and "--text-column" in errs[2].message
    assert errs[3].message.startswith("truncated last line")
    assert stats.records == 6  # the blank line is not a record


def test_malformed_json_array_elements_are_reported_and_reading_goes_on():
    records, stats = read("malformed.json")
    assert [c.id for c in comments(records)] == ["1", "3", "5", "6"]
    errs = errors(records)
    assert [e.line for e in errs] == [3, 5, 7, 8]
    assert errs[0].message.startswith("element 2: not valid JSON")
    assert "element 4: expected a JSON object per comment, found str" in errs[1].message
    assert "comma is missing" in errs[2].message
    assert "truncated" in errs[3].message


def test_truncated_json_array_keeps_the_complete_elements():
    records, _ = read("truncated.json")
    assert [c.id for c in comments(records)] == ["1", "2"]
    assert "not closed" in errors(records)[0].message


def test_truncated_gzip_keeps_what_was_read_and_reports_the_rest():
    records, stats = read("truncated.jsonl.gz")
    good = comments(records)
    assert len(good) > 100
    assert [c.id for c in good] == [f"g{i}" for i in range(len(good))]
    (err,) = errors(records)
    assert "gzip data is corrupt or truncated" in err.message
    assert err.line == good[-1].line + 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "empty file"),
        ("blank.jsonl", "empty file"),
        ("binary.csv", "binary file"),
        ("image.dat", "binary file"),
        ("unknown.xml", "unknown format"),
        ("no_text_column.csv", "no comment text column found"),
        ("does_not_exist.csv", "no such file"),
    ],
)
def test_whole_file_failures_are_one_error_naming_the_file(name, message):
    records, stats = read(name)
    (err,) = records
    assert isinstance(err, ReadError)
    assert err.source == str(DUMPS / name)
    assert message in err.message
    assert stats.errors == 1 and stats.comments == 0


def test_a_binary_file_forced_as_csv_is_still_one_error():
    (err,) = list(read_dump(DUMPS / "binary.csv", format="csv"))
    assert "binary file" in err.message


def test_a_directory_given_to_read_dump_is_an_error_not_an_exception():
    (err,) = list(read_dump(DUMPS))
    assert "directory" in err.message


def test_bad_options_are_errors_not_exceptions():
    (err,) = list(read_dump(DUMPS / "comments.csv", format="docx"))
    assert "unknown format 'docx'" in err.message
    (err,) = list(read_dump(DUMPS / "comments.csv", encoding="klingon-8"))
    assert "unknown encoding" in err.message


# --- encodings ---------------------------------------------------------------------------


def test_cp1252_dump_decodes_without_mojibake():
    records, _ = read("cp1252.csv")
    assert [(c.author, c.text) for c in records] == [
        ("José", "Café au lait — “naïve” opinion, 5€"),
        ("Zoë", "Ça va? Très bien."),
    ]


def test_latin1_dump_decodes_without_mojibake():
    (c,), _ = read("latin1.csv")
    assert (c.author, c.text) == ("Müller", "Grüße aus Köln, très cher")


def test_forced_encoding_wins(tmp_path):
    path = tmp_path / "koi8.csv"
    path.write_bytes("id,body\n1,Привет мир\n".encode("koi8_r"))
    (c,) = list(read_dump(path, encoding="koi8_r"))
    assert c.text == "Привет мир"


def test_cyrillic_legacy_encoding_is_detected(tmp_path):
    path = tmp_path / "cp1251.csv"
    path.write_bytes("id,body\n1,Привет, как дела? Это комментарий читателя.\n".replace(", как", " как").encode("cp1251"))
    (c,) = list(read_dump(path))
    assert c.text.startswith("Привет как дела")


def test_undecodable_bytes_in_utf8_are_an_error_for_that_record_only():
    records, _ = read("bad_bytes.csv")
    assert [c.id for c in comments(records)] == ["1", "2", "4"]
    assert comments(records)[0].text == "Café one" and comments(records)[0].author == "Zoë"
    (err,) = errors(records)
    assert err.line == 4 and "do not decode as utf-8" in err.message
    records, _ = read("bad_bytes.jsonl")
    assert [c.id for c in comments(records)] == ["1", "3"]
    assert errors(records)[0].line == 2


def test_legacy_bytes_after_a_long_ascii_start_are_decoded_not_rejected(tmp_path):
    # The first 64 KiB are ASCII; the decision waits for the first non-ASCII line.
    body = "".join(f"{i},plain ascii comment number {i}\n" for i in range(3000))
    path = tmp_path / "late.csv"
    path.write_bytes(("id,body\n" + body + "9999,Déjà vu — à bientôt\n").encode("cp1252"))
    records = list(read_dump(path))
    assert len(records) == 3001 and all(isinstance(r, Comment) for r in records)
    assert records[-1].text == "Déjà vu — à bientôt"


def test_read_text_file_detects_encodings(tmp_path):
    text = "Headline — “quoted” café\nBody.\n"
    for name, data in {
        "utf8.txt": text.encode("utf-8"),
        "bom.txt": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "utf16.txt": text.encode("utf-16"),
        "cp1252.txt": text.encode("cp1252"),
        "page.txt.gz": gzip.compress(text.encode("utf-8")),
    }.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert read_text_file(path) == text, name
    assert read_text_file(tmp_path / "cp1252.txt", encoding="latin-1") != text  # forced, and honoured


# --- column mapping ----------------------------------------------------------------------


def test_column_map_names_columns_detection_would_miss():
    columns = ColumnMap(text="words", id="msg", parent="reply_to", thread="story", author="who", timestamp="when")
    for name in ("custom_columns.csv", "custom_columns.jsonl"):
        records, _ = read(name, columns=columns)
        assert [(c.id, c.parent_id, c.depth, c.thread, c.author, c.text) for c in records] == [
            ("a1", None, 0, "s1", "Ann", "top level words"),
            ("a2", "a1", 1, "s1", "Bob", "a reply"),
        ], name


def test_column_map_with_a_missing_column_names_what_the_dump_has():
    (err,) = list(read_dump(DUMPS / "comments.csv", columns=ColumnMap(text="comment_body")))
    assert "no column named 'comment_body'" in err.message
    assert "body" in err.message and "thread_title" in err.message


def test_column_names_match_case_and_separators(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Comment ID,Parent-ID,Comment Text,Created At\n1,,hello,2024\n2,1,reply,2025\n", encoding="utf-8")
    records = list(read_dump(path))
    assert [(c.id, c.parent_id, c.depth, c.text, c.timestamp) for c in records] == [
        ("1", None, 0, "hello", "2024"),
        ("2", "1", 1, "reply", "2025"),
    ]
    records = list(read_dump(path, columns=ColumnMap(text="comment text")))
    assert records[0].text == "hello"


def test_records_without_an_id_get_their_line_number(tmp_path):
    path = tmp_path / "noid.jsonl"
    path.write_text('{"message": "one"}\n{"message": "two", "author": {"name": "Ann"}}\n', encoding="utf-8")
    records = list(read_dump(path))
    assert [(c.id, c.text, c.author) for c in records] == [("1", "one", None), ("2", "two", "Ann")]


def test_a_very_long_comment_is_kept_whole():
    (c,), _ = read("long_comment.jsonl")
    assert len(c.text) > 6000 and c.text.endswith("They are vermin.")


def test_a_long_csv_field_beyond_the_stdlib_default_limit(tmp_path):
    text = "word " * 60_000  # 300k characters: over csv's default 128 KiB field limit
    path = tmp_path / "long.csv"
    path.write_text(f'id,body\n1,"{text}"\n2,short\n', encoding="utf-8")
    records = list(read_dump(path))
    assert [len(c.text) for c in records] == [len(text), 5]


# --- iter_inputs ---------------------------------------------------------------------------


def test_iter_inputs_walks_directories_sorted_skipping_hidden_and_unknown(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    shutil.copy(DUMPS / "comments.csv", tmp_path / "b" / "z.csv")
    shutil.copy(DUMPS / "comments.jsonl", tmp_path / "a.jsonl")
    shutil.copy(DUMPS / "comments.csv", tmp_path / ".hidden" / "x.csv")
    shutil.copy(DUMPS / "comments.csv", tmp_path / ".dotfile.csv")
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    reader = iter_inputs([tmp_path])
    records = list(reader)
    assert [r.source for r in records] == [str(tmp_path / "a.jsonl")] * 6 + [str(tmp_path / "b" / "z.csv")] * 6
    assert reader.stats.comments == 12 and reader.stats.skipped["unrecognised file"] == 1


def test_a_directory_with_nothing_to_read_is_an_error_naming_it(tmp_path):
    """A mistyped or empty dump directory must not scan nothing and exit 0."""
    empty = tmp_path / "empty"
    empty.mkdir()
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "README.md").write_text("notes", encoding="utf-8")
    reader = iter_inputs([empty, notes, DUMPS / "comments.jsonl"])
    records = list(reader)
    errs = errors(records)
    assert [e.source for e in errs] == [str(empty), str(notes)]
    assert all("no comment dumps or saved pages in this directory" in e.message for e in errs)
    assert len(comments(records)) == 6
    assert reader.stats.records == 8 and reader.stats.skipped["unrecognised file"] == 1


def test_a_page_with_no_reader_comments_is_counted_and_named(tmp_path, monkeypatch, caplog):
    """An article nobody has commented on is no error, but the summary accounts for it and the log names it."""
    import sys
    import types

    from moderation.records import Page

    fake = types.ModuleType("moderation.segmenter")
    fake.segment_page = fake.segment_html = lambda text, source=None: Page(title="T", article=text, comments=[])
    monkeypatch.setitem(sys.modules, "moderation.segmenter", fake)
    page = tmp_path / "article.txt"
    page.write_text("Headline\n\nThe article, no comments yet.\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="moderation.readers"):
        reader = iter_inputs([page])
        assert list(reader) == []
    assert reader.stats.skipped["page with no reader comments"] == 1 and reader.stats.errors == 0
    assert str(page) in caplog.text and "no reader comments" in caplog.text


def test_iter_inputs_reports_bad_inputs_and_goes_on():
    reader = iter_inputs([DUMPS / "empty.csv", DUMPS / "missing.jsonl", DUMPS / "comments.jsonl"])
    records = list(reader)
    assert [type(r).__name__ for r in records[:2]] == ["ReadError", "ReadError"]
    assert "empty file" in records[0].message and "no such file" in records[1].message
    assert len(comments(records)) == 6
    assert reader.stats.records == 8


def test_iter_inputs_reads_stdin_by_sniffing():
    data = (DUMPS / "comments.jsonl").read_bytes()
    records = list(iter_inputs(["-"], stdin=io.BytesIO(data)))
    assert [c.id for c in records] == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert records[0].source == "<stdin>"
    gz = gzip.compress((DUMPS / "comments.csv").read_bytes())
    records = list(iter_inputs(["-"], stdin=io.BytesIO(gz)))
    assert [c.depth for c in records] == [0, 1, 2, 1, 0, 1]
    (err,) = list(iter_inputs(["-"], stdin=io.BytesIO(b"")))
    assert err.source == "<stdin>" and "empty" in err.message


def test_iter_inputs_sends_pages_through_the_segmenter(tmp_path, monkeypatch):
    import sys
    import types

    from moderation.records import Page

    calls = []

    def segment_page(text, source=None):
        calls.append(("text", text, source))
        return Page(title="A headline", article="Body", comments=[Comment(id="c1", text="first"), Comment(id="c2", text="reply", parent_id="c1", depth=1)])

    def segment_html(html, source=None):
        calls.append(("html", html, source))
        return Page(title="Html page", article="Body", comments=[Comment(id="h1", text="hi")])

    fake = types.ModuleType("moderation.segmenter")
    fake.segment_page = segment_page
    fake.segment_html = segment_html
    monkeypatch.setitem(sys.modules, "moderation.segmenter", fake)
    page = tmp_path / "page.txt"
    page.write_bytes("Headline — café\n\nComments\n".encode("cp1252"))
    html = tmp_path / "page.html"
    html.write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    records = list(iter_inputs([tmp_path]))
    assert [(c.id, c.depth, c.thread, c.thread_title, c.source) for c in records] == [
        ("h1", 0, "Html page", "Html page", str(html)),
        ("c1", 0, "A headline", "A headline", str(page)),
        ("c2", 1, "A headline", "A headline", str(page)),
    ]
    assert calls[1] == ("text", "Headline — café\n\nComments\n", str(page))  # decoded from cp1252


def test_iter_inputs_reads_a_page_from_stdin(monkeypatch):
    import sys
    import types

    from moderation.records import Page

    seen = []

    def segment_page(text, source=None):
        seen.append((text, source))
        return Page(title="Piped", article="Body", comments=[Comment(id="c1", text="hello")])

    fake = types.ModuleType("moderation.segmenter")
    fake.segment_page = segment_page
    fake.segment_html = segment_page
    monkeypatch.setitem(sys.modules, "moderation.segmenter", fake)
    text = "Headline\n\nThe article body.\n\nComments\n1. hello\n"
    (c,) = list(iter_inputs(["-"], stdin=io.BytesIO(text.encode("utf-16"))))
    assert seen == [(text, "<stdin>")]
    assert (c.source, c.thread, c.thread_title) == ("<stdin>", "Piped", "Piped")


def test_iter_inputs_reports_a_page_the_segmenter_cannot_handle(tmp_path, monkeypatch):
    import sys
    import types

    def boom(text, source=None):
        raise ValueError("no thread marker")

    fake = types.ModuleType("moderation.segmenter")
    fake.segment_page = boom
    fake.segment_html = boom
    monkeypatch.setitem(sys.modules, "moderation.segmenter", fake)
    page = tmp_path / "page.txt"
    page.write_text("text", encoding="utf-8")
    (err,) = list(iter_inputs([page, tmp_path / "empty.txt"]))[:1]
    assert err.source == str(page) and "no thread marker" in err.message


def test_iter_inputs_on_the_example_pages(shared_segmenter_available=None):
    examples = Path(__file__).resolve().parent.parent / "examples"
    if not examples.is_dir():
        pytest.skip("examples/ not present")
    pytest.importorskip("moderation.segmenter")
    reader = iter_inputs([examples])
    records = list(reader)
    assert errors(records) == []
    assert reader.stats.comments == len(records) > 0
    assert all(c.source.startswith(str(examples)) and c.thread for c in records)


def test_coral_talks_own_comment_export_is_read_with_its_times(tmp_path):
    """Coral's download writes `Comment ID, Published Timestamp, Article URL, Comment URL, Comment Text` (QA pass 4)."""
    path = tmp_path / "my_comments.csv"
    path.write_text("Comment ID,Published Timestamp,Article URL,Comment URL,Comment Text\n"
                    "c1,2024-03-01T10:00:00.000Z,https://example.com/a,https://example.com/a?commentID=c1,First\n",
                    encoding="utf-8")
    (comment,) = list(read_dump(path))
    assert (comment.id, comment.timestamp, comment.thread, comment.text) == (
        "c1", "2024-03-01T10:00:00.000Z", "https://example.com/a", "First")

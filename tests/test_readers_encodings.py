"""Legacy encodings beyond cp1252: Central European names must never come out as mojibake.

Each dump is written in a legacy code page with real names ("Łukasz Żółć",
"Dvořák", "François", "Müller") and read back with detection, and with
`encoding=` given; the names and texts must be exactly what was written.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from moderation.readers import iter_inputs, read_dump
from moderation.readers.decoding import latin_guess
from moderation.records import Comment, ReadError

PEOPLE = [
    ("1", "Łukasz Żółć", "Zażółć gęślą jaźń, świetny artykuł."),
    ("2", "Antonín Dvořák", "Příliš žluťoučký kůň úpěl ďábelské ódy."),
    ("3", "Erdős Pál", "Árvíztűrő tükörfúrógép, köszönöm."),
    ("4", "Jürgen Müller", "Die Straße ist für Fußgänger gesperrt."),
]
WESTERN = [
    ("1", "François Lefèvre", "Très bien, c'était à peu près ça. Où est la gare?"),
    ("2", "Jürgen Müller", "Schöne Grüße aus München."),
    ("3", "José Núñez", "¿Qué tal? España, año, niño."),
    ("4", "Søren Århus", "Hilsen fra København på søndag."),
]


def _read(path, **kwargs):
    reader = read_dump(path, **kwargs)
    records = list(reader)
    assert reader.stats.records == len(records) == reader.stats.comments + reader.stats.errors
    assert not [r for r in records if isinstance(r, ReadError)], records
    return [(c.id, c.author, c.text) for c in records if isinstance(c, Comment)]


def _csv(rows, encoding, path):
    text = "id,author,text\n" + "".join(f'{i},{a},"{t}"\n' for i, a, t in rows)
    path.write_bytes(text.encode(encoding))
    return path


def _jsonl(rows, encoding, path):
    # ensure_ascii=False: the legacy bytes are in the file, as old exporters wrote them.
    text = "".join(json.dumps({"id": i, "author": a, "text": t}, ensure_ascii=False) + "\n" for i, a, t in rows)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["cp1250", "iso8859-2"])
@pytest.mark.parametrize("writer", [_csv, _jsonl])
def test_central_european_dump_is_detected(tmp_path, encoding, writer):
    path = writer(PEOPLE, encoding, tmp_path / f"dump.{'csv' if writer is _csv else 'jsonl'}")
    assert _read(path) == PEOPLE


@pytest.mark.parametrize("writer", [_csv, _jsonl])
def test_western_dump_stays_cp1252(tmp_path, writer):
    # In cp1250, è reads as č and à as ŕ: real letters, so only the word check keeps French French.
    path = writer(WESTERN, "cp1252", tmp_path / f"dump.{'csv' if writer is _csv else 'jsonl'}")
    assert _read(path) == WESTERN


@pytest.mark.parametrize("name, text, encoding", [
    ("pl", "1,Łukasz Żółć,hello\n", "cp1250"),  # one short line: charset-normalizer alone says Big5
    ("cz", "1,Dvořák,hello\n", "cp1250"),
    ("cz-iso", "1,Jiří Dvořák,děkuji\n", "iso8859-2"),
    ("fr", "1,François,très\n", "cp1252"),
    ("de", "1,Müller,Grüße\n", "cp1252"),
])
def test_latin_guess_on_single_lines(name, text, encoding):
    guessed, score = latin_guess(text.encode(encoding))
    assert text.encode(encoding).decode(guessed) == text and score > 0


def test_first_accent_far_down_a_cp1250_file(tmp_path):
    # Pure ASCII for the first 64 KiB: the decision waits for the first line that is not.
    rows = [(str(i), "ascii", "plain text " * 5) for i in range(2_000)] + [("9999", "Łukasz Żółć", "Dvořák")]
    path = _csv(rows, "cp1250", tmp_path / "late.csv")
    got = _read(path)
    assert got[-1] == ("9999", "Łukasz Żółć", "Dvořák")


@pytest.mark.parametrize("encoding", ["cp1250", "iso8859-2", "cp1252", "latin-1", "mac-roman", "cp850"])
def test_encoding_given_wins(tmp_path, encoding):
    rows = PEOPLE if encoding in ("cp1250", "iso8859-2") else [r for r in WESTERN if r[0] in ("1", "2")]
    path = _csv(rows, encoding, tmp_path / "given.csv")
    assert _read(path, encoding=encoding) == rows


def test_a_wrong_encoding_given_is_honoured_not_second_guessed(tmp_path):
    # The user's word is final: cp1250 bytes read as cp1252 come out as cp1252 says.
    path = _csv(PEOPLE[:1], "cp1250", tmp_path / "wrong.csv")
    assert _read(path, encoding="cp1252")[0][1] == "Łukasz Żółć".encode("cp1250").decode("cp1252")


def _disqus(author, message, declared="utf-8"):
    return f"""<?xml version="1.0" encoding="{declared}"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <thread dsq:id="t1"><title>Zprávy</title></thread>
  <post dsq:id="p1">
    <message><![CDATA[<p>{message}</p>]]></message>
    <author><name>{author}</name></author>
    <thread dsq:id="t1"/>
  </post>
</disqus>
"""


@pytest.mark.parametrize("declared, encoding", [
    ("windows-1250", "cp1250"),   # declared honestly: libxml2 decodes it
    ("ISO-8859-2", "iso8859-2"),
    ("utf-8", "cp1250"),          # declared UTF-8 but written in cp1250: detected and transcoded
])
def test_disqus_export_in_central_european_encodings(tmp_path, declared, encoding):
    path = tmp_path / "export.xml"
    path.write_bytes(_disqus("Łukasz Żółć", "Příliš žluťoučký kůň, Dvořák.", declared).encode(encoding))
    records = list(read_dump(path))
    (c,) = records
    assert (c.author, c.text, c.thread_title) == ("Łukasz Żółć", "Příliš žluťoučký kůň, Dvořák.", "Zprávy")


def test_wxr_declared_utf8_written_in_cp1250(tmp_path):
    wxr = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>
<title>Zprávy</title><wp:post_id>7</wp:post_id>
<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_author>Antonín Dvořák</wp:comment_author>
<wp:comment_content>Děkuji, Łukasz.</wp:comment_content><wp:comment_approved>1</wp:comment_approved></wp:comment>
</item></channel></rss>
"""
    path = tmp_path / "wp.xml"
    path.write_bytes(wxr.encode("cp1250"))
    (c,) = list(read_dump(path))
    assert (c.author, c.text, c.thread_title) == ("Antonín Dvořák", "Děkuji, Łukasz.", "Zprávy")


def test_cli_encoding_option(tmp_path):
    from moderation.cli import main

    path = _csv(PEOPLE, "cp1250", tmp_path / "people.csv")
    for extra in ([], ["--encoding", "cp1250"]):
        result = CliRunner().invoke(main, ["scan", str(path), "--format", "jsonl", "--all", "--quiet", *extra])
        assert result.exit_code == 0, result.output
        authors = [json.loads(line)["author"] for line in result.stdout.splitlines() if line.startswith("{")]
        assert authors == [a for _, a, _ in PEOPLE]


def test_iter_inputs_passes_the_encoding_on(tmp_path):
    path = _jsonl(PEOPLE, "iso8859-2", tmp_path / "people.jsonl")
    got = [(c.id, c.author, c.text) for c in iter_inputs([path], encoding="iso8859-2")]
    assert got == PEOPLE


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le-bom", "utf-8-sig"])
def test_disqus_export_in_utf16_and_with_a_bom(tmp_path, encoding):
    xml = _disqus("Łukasz Żółć", "Příliš žluťoučký kůň, Dvořák.", "UTF-16" if "16" in encoding else "utf-8")
    data = ("\ufeff" + xml).encode("utf-16-le") if encoding == "utf-16-le-bom" else xml.encode(encoding)
    path = tmp_path / "export.xml"
    path.write_bytes(data)
    (c,) = list(read_dump(path))  # the format is sniffed from the decoded text, whatever the encoding
    assert (c.author, c.text) == ("Łukasz Żółć", "Příliš žluťoučký kůň, Dvořák.")

"""XML attacks against the lxml settings the readers use, with and without the DOCTYPE refusal.

The readers refuse any document carrying a DTD before parsing it (see
xmldumps._elements). These tests also check that the parser settings alone
(`SAFE_PARSER_OPTIONS`: what defusedxml and the lxml FAQ advise) stop each
attack, so the protection does not hang on one check; that is why the
project needs no defusedxml. How fast a bomb is refused is measured by
`benchmarks/bench_readers.py --attacks`, not asserted here.
"""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
from lxml import etree

from moderation.readers import read_dump
from moderation.readers.xmldumps import SAFE_PARSER_OPTIONS
from moderation.records import Comment, ReadError

DUMPS = Path(__file__).resolve().parent / "fixtures" / "dumps"


@pytest.fixture
def server():
    """A local HTTP server that records every request (an external DTD or entity must never be fetched)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY ext "FETCHED-OVER-HTTP">')

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


def _parse_alone(doc: bytes, tag: str):
    """Parse with the readers' settings only (no DOCTYPE refusal): (texts of `tag` elements, error or None)."""
    parser = etree.XMLPullParser(events=("end",), tag=(tag,), **SAFE_PARSER_OPTIONS)
    error = None
    try:
        parser.feed(doc)
        parser.close()
    except etree.XMLSyntaxError as exc:
        error = str(exc)
    return ["".join(element.itertext()) for _, element in parser.read_events()], error


def test_the_settings_are_the_safe_ones():
    assert SAFE_PARSER_OPTIONS["resolve_entities"] is False
    assert SAFE_PARSER_OPTIONS["load_dtd"] is False
    assert SAFE_PARSER_OPTIONS["no_network"] is True
    assert SAFE_PARSER_OPTIONS["huge_tree"] is False
    assert SAFE_PARSER_OPTIONS["dtd_validation"] is False


def test_billion_laughs_is_not_expanded_by_the_settings_alone():
    texts, error = _parse_alone((DUMPS / "disqus_bomb.xml").read_bytes(), "{*}message")
    assert error and "amplification" in error
    assert all(len(t) < 100 for t in texts)


def test_quadratic_blowup_is_not_expanded_by_the_settings_alone():
    doc = (b'<?xml version="1.0"?><!DOCTYPE disqus [<!ENTITY a "' + b"x" * 50_000 + b'">]>'
           b"<disqus><post><message>" + b"&a;" * 50_000 + b"</message></post></disqus>")
    texts, error = _parse_alone(doc, "{*}message")
    assert error or all(len(t) < 1_000_000 for t in texts)


def test_external_entity_file_is_not_read_by_the_settings_alone():
    texts, _ = _parse_alone((DUMPS / "wxr_xxe.xml").read_bytes(), "{*}comment_content")
    passwd = Path("/etc/passwd")
    assert texts == ["&xxe;"]  # left as an unresolved reference, never substituted
    if passwd.exists():
        first = passwd.read_text(errors="replace").split(":", 1)[0]
        assert all(first not in t for t in texts)


@pytest.mark.parametrize("kind", ["external DTD", "external parameter entity"])
def test_nothing_is_fetched_over_the_network_by_the_settings_alone(server, kind):
    base, hits = server
    if kind == "external DTD":
        doctype = f'<!DOCTYPE disqus SYSTEM "{base}/evil.dtd">'
    else:
        doctype = f'<!DOCTYPE disqus [<!ENTITY % p SYSTEM "{base}/p.dtd"> %p;]>'
    doc = f'<?xml version="1.0"?>{doctype}<disqus><post><message>&ext;</message></post></disqus>'.encode()
    texts, _ = _parse_alone(doc, "{*}message")
    assert hits == []
    assert all("FETCHED" not in t for t in texts)


def test_an_external_dtd_file_is_not_loaded_by_the_settings_alone(tmp_path):
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY ext "FROM-THE-DTD-FILE">')
    doc = f'<?xml version="1.0"?><!DOCTYPE disqus SYSTEM "{dtd.as_uri()}"><disqus><post><message>&ext;</message></post></disqus>'
    texts, _ = _parse_alone(doc.encode(), "{*}message")
    assert texts == ["&ext;"]


def _late(doctype: str, body: str) -> str:
    """A document whose DOCTYPE comes after a 70 KB comment: beyond the 64 KiB head the text check reads."""
    return '<?xml version="1.0"?>\n<!--' + "x" * 70_000 + "-->\n" + doctype + "\n" + body


DISQUS_BODY = ('<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
               '<post dsq:id="1"><message>&ext;</message><thread dsq:id="1"/></post></disqus>')


@pytest.mark.parametrize("late", [False, True])
@pytest.mark.parametrize("kind", ["external DTD", "external parameter entity", "file DTD"])
def test_read_dump_refuses_external_dtds_and_fetches_nothing(tmp_path, server, kind, late):
    base, hits = server
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY ext "FROM-THE-DTD-FILE">')
    doctype = {
        "external DTD": f'<!DOCTYPE disqus SYSTEM "{base}/evil.dtd">',
        "external parameter entity": f'<!DOCTYPE disqus [<!ENTITY % p SYSTEM "{base}/p.dtd"> %p;]>',
        "file DTD": f'<!DOCTYPE disqus SYSTEM "{dtd.as_uri()}">',
    }[kind]
    path = tmp_path / "attack.xml"
    text = _late(doctype, DISQUS_BODY) if late else f'<?xml version="1.0"?>\n{doctype}\n{DISQUS_BODY}'
    path.write_text(text, encoding="utf-8")
    records = list(read_dump(path, format="disqus"))
    assert hits == []
    assert not [r for r in records if isinstance(r, Comment)]
    (err,) = records
    assert isinstance(err, ReadError) and err.message.startswith("refused") and err.source == str(path)


def test_read_dump_refuses_a_late_billion_laughs(tmp_path):
    bomb = (DUMPS / "disqus_bomb.xml").read_text(encoding="utf-8")
    prolog, rest = bomb.split("\n", 1)
    path = tmp_path / "late_bomb.xml"
    path.write_text(prolog + "\n<!--" + "x" * 70_000 + "-->\n" + rest, encoding="utf-8")
    (err,) = list(read_dump(path, format="disqus"))  # the <disqus> tag is beyond what sniffing reads
    assert isinstance(err, ReadError) and err.message.startswith("refused")

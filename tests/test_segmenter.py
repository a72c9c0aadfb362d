"""The segmenter on the two seed pages (the spec), its CLI, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderation.cli import main
from moderation.segmenter import SegmenterError, segment_page

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED_000 = EXAMPLES / "000_1cf66c48eca757b9.txt"
SEED_001 = EXAMPLES / "001_f6e74c870da5195f.txt"


def test_seed_000_article_without_thread():
    page = segment_page(SEED_000.read_text(encoding="utf-8"), str(SEED_000))
    assert page.comments == []
    assert page.title.startswith("Russian ambassador to the US suggests")
    assert [b.kind for b in page.boilerplate] == ["share"]
    assert page.boilerplate[0].text.startswith("Share on Facebook")
    assert page.boilerplate[0].line == 35
    assert "Share on" not in page.article
    assert page.article.rstrip().endswith("force an adversary to retreat.")


def test_seed_001_tree_ids_and_lines():
    page = segment_page(SEED_001.read_text(encoding="utf-8"), "seed001")
    tree = [(c.id, c.parent_id, c.depth) for c in page.comments]
    assert tree == [
        ("c1", None, 0), ("c1.1", "c1", 1), ("c1.1.1", "c1.1", 2), ("c1.2", "c1", 1),
        ("c2", None, 0), ("c3", None, 0), ("c3.1", "c3", 1), ("c4", None, 0), ("c5", None, 0),
    ]
    assert [c.line for c in page.comments] == [41, 45, 48, 50, 52, 57, 59, 61, 63]
    c = {c.id: c for c in page.comments}
    assert c["c1"].quote.startswith("“We are firmly convinced")
    assert c["c1"].text.startswith("This guy must be watching RT.")
    assert c["c5"].quote == "“Russian ambassador hints some Kremlin officials want war to end: reports”"
    assert c["c5"].text.startswith("Those officials see the writing on the wall.")
    assert c["c1.1"].text.splitlines()[1].startswith("Unfortunately the above")
    assert len(c["c2"].text.splitlines()) == 4  # its continuation lines stay in it
    assert all(x.quote is None for x in page.comments if x.id not in ("c1", "c5"))
    assert all(x.thread == page.title and x.thread_title == page.title for x in page.comments)
    assert all(x.source == "seed001" for x in page.comments)
    assert not any(t.startswith(("•", "1.", "2.")) for x in page.comments for t in x.text.splitlines())


def test_seed_001_captions_credits_and_prompt_are_boilerplate():
    page = segment_page(SEED_001.read_text(encoding="utf-8"))
    kinds = {b.text: b.kind for b in page.boilerplate}
    assert kinds["Pierre Crom/Getty Images"] == "credit"
    assert kinds["SERGEY BOBOK/AFP via Getty Images"] == "credit"
    assert kinds["Diego Herrera Carcedo/Anadolu Agency via Getty Images"] == "credit"
    assert kinds["Antonov said that Russia will “never surrender.”"] == "caption"
    assert kinds["What is your opinion?"] == "footer"
    for text in kinds:
        assert text not in page.article
        assert all(text not in c.text for c in page.comments)
    assert "Stoltenberg’s assertion came after" in page.article
    assert "orcs" not in page.article


def cli(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_cli_json_and_text():
    result = cli("segment", str(SEED_001), "--format", "json")
    assert result.exit_code == 0, result.output
    page = json.loads(result.output)
    assert len(page["comments"]) == 9
    assert page["comments"][1]["parent_id"] == "c1"
    result = cli("segment", str(SEED_001), "--format", "text")
    assert result.exit_code == 0
    assert "Comments (9):" in result.output
    assert "[c1.1.1] line 48 reply to c1.1" in result.output


def test_cli_reads_stdin():
    result = cli("segment", "-", "--format", "json", input=SEED_000.read_text(encoding="utf-8"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["comments"] == []


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"\n \n\t\n", "empty"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00" * 50, "binary"),
])
def test_cli_bad_input_is_a_clear_error(tmp_path, data, message):
    path = tmp_path / "page.txt"
    path.write_bytes(data)
    result = cli("segment", str(path))
    assert result.exit_code == 1
    assert message in result.output and str(path) in result.output
    assert "Traceback" not in result.output
    with pytest.raises(SegmenterError, match=message):
        segment_page(data, str(path))


def test_cli_missing_file():
    result = cli("segment", "/no/such/page.txt")
    assert result.exit_code == 1
    assert "cannot read" in result.output


def _tree(page):
    return [(c.id, c.parent_id, c.depth, c.quote, c.text) for c in page.comments]


SEED_TEXT = SEED_001.read_text(encoding="utf-8")


@pytest.mark.parametrize("variant", ["crlf", "tabs", "nbsp", "zero_width", "bom"])
def test_whitespace_accidents_give_the_same_page(variant):
    text = SEED_TEXT
    if variant == "crlf":
        text = text.replace("\n", "\r\n")
    elif variant == "tabs":  # indentation by tabs: 2 -> 1 tab, 4 -> 2 tabs, 6 -> 3 tabs
        text = "\n".join("\t" * ((len(l) - len(l.lstrip(" "))) // 2) + l.lstrip(" ") for l in text.split("\n"))
    elif variant == "nbsp":
        text = "\n".join("\u00a0" * (len(l) - len(l.lstrip(" "))) + l.lstrip(" ") for l in text.split("\n"))
    elif variant == "zero_width":
        text = text.replace("1. ", "1.\u200b ").replace("• ", "•\u200b ").replace("Getty", "Get\u200bty")
    elif variant == "bom":
        text = "\ufeff" + text
    page = segment_page(text)
    expected = segment_page(SEED_TEXT)
    assert _tree(page) == _tree(expected)
    assert page.title == expected.title
    assert [(b.kind, b.line) for b in page.boilerplate] == [(b.kind, b.line) for b in expected.boilerplate]


def test_page_of_only_comments():
    text = ("Maggie_K • 3 hours ago\nAbout time.\n24 △ ▽ • Reply • Share ›\n\n"
            "    Rob • 2 hours ago\n    Agreed, it took years.\n    2 △ ▽ • Reply • Share ›\n")
    page = segment_page(text)
    assert page.article == "" and page.title == ""
    assert [(c.id, c.parent_id, c.author, c.text) for c in page.comments] == [
        ("c1", None, "Maggie_K", "About time."), ("c1.1", "c1", "Rob", "Agreed, it took years.")]


def test_page_of_only_boilerplate():
    page = segment_page("Advertisement\n\nShare on Facebook\nShare on Twitter\n\n© 2023 The Ledger\n")
    assert page.article == "" and page.comments == []
    assert [b.kind for b in page.boilerplate] == ["advert", "share", "share", "footer"]


def test_five_megabyte_page_is_segmented():
    paragraph = ("The council met on Tuesday to discuss the budget, and the debate went on well into the evening. " * 4).strip()
    text = "Budget night\n\n" + "\n\n".join([paragraph] * 13_000) + "\n\n3 Comments\n\nAnn • 1 hour ago\nLong night.\n"
    assert len(text) > 5_000_000
    page = segment_page(text)
    assert [c.text for c in page.comments] == ["Long night."]
    assert page.article.count("\n\n") == 13_000


def test_headline_above_a_date_is_not_a_page_of_comments():
    """A page of newspaper-style comments opens with a name above a date; an
    article can open with a short headline above its date. The article is far
    longer than the comments under it, so it stays the article."""
    body = "The council will raise council tax by 4.99% from April, the most it can without a referendum. " * 6
    text = ("Council tax to rise\n16 March 2023\n\n" + body + "\n\n" + body
            + "\n\nJenny Mack\n16 March 2023 10:00\nGreat, another rise.\n\nBob\n16 March 2023 11:00\nNo surprise.\n")
    page = segment_page(text)
    assert page.title == "Council tax to rise"
    assert [(c.author, c.text) for c in page.comments] == [("Jenny Mack", "Great, another rise."), ("Bob", "No surprise.")]
    comments_only = "Jenny Mack\n16 March 2023 10:00\nGreat, another rise.\n\nBob\n16 March 2023 11:00\nNo surprise.\n"
    page = segment_page(comments_only)
    assert page.title == "" and [c.author for c in page.comments] == ["Jenny Mack", "Bob"]


@pytest.mark.parametrize("line", ["reply " * 18 + "x", "Reply | " * 14 + "x", "1 " * 55 + "x", "| " * 55 + "reply x"])
def test_link_word_runs_do_not_backtrack_exponentially(line):
    """A comment of repeated link words once made the vote pattern backtrack
    exponentially (12 words: 0.5 s; each more word doubled it). Not a speed test:
    without possessive loops this line does not finish in any reasonable time."""
    import signal

    def hang(*_):
        raise TimeoutError(line)

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(10)
    try:
        page = segment_page("Headline\n\nThe council met on Tuesday to discuss the budget, and the debate went on late.\n\n"
                            "3 comments\n\nAnn • 1 hour ago\n" + line + "\n")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert [c.author for c in page.comments] == ["Ann"]


def test_absurdly_large_input_is_refused(monkeypatch):
    from moderation.segmenter import lines

    monkeypatch.setattr(lines, "MAX_PAGE_CHARS", 1000)
    with pytest.raises(SegmenterError, match="larger than any saved page"):
        segment_page("x" * 1001, "big.txt")


def test_undecodable_bytes_are_read_not_refused():
    page = segment_page("Caf\xe9 owners protest\n\nThe owners of the caf\xe9 said rents had doubled.\n".encode("cp1252"))
    assert page.title == "Café owners protest"


def test_cli_html_page(tmp_path):
    html = """<html><head><title>Council approves homes</title></head><body>
    <article><h1>Council approves homes</h1>
    <p>Councillors approved plans for 400 new homes on the former bus depot site on Tuesday night.</p>
    <p>The scheme includes a primary school, a park along the canal and 120 homes for social rent.</p>
    <p>Opponents said the development would overload local roads at rush hour.</p></article>
    <section id="comments" class="comments"><h2>3 Comments</h2>
    <div class="comment"><p>Maggie_K • 3 hours ago</p><p>About time. My daughter has waited six years.</p></div>
    <div class="comment"><p>JennyW • 40 minutes ago</p><p>These developers are parasites feeding on the town.</p></div>
    </section></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    result = cli("segment", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    page = json.loads(result.output)
    assert "400 new homes" in page["article"]
    assert "parasites" not in page["article"]
    texts = [c["text"] for c in page["comments"]]
    assert any("parasites" in t for t in texts) and any("About time" in t for t in texts)
    assert all("ago" not in t for t in texts)


def test_headline_after_furniture():
    page = segment_page("Home > News > Local\nAdvertisement\nCouncil approves homes\n\n"
                        "Councillors approved plans for 400 new homes on the former bus depot site.\n")
    assert page.title == "Council approves homes"
    assert [b.kind for b in page.boilerplate] == ["navigation", "advert"]


# --- decoding a page the way scan does (QA pass 5, findings 13 and 14) ---------------------

FOOTBALL = EXAMPLES / "disqus_football_chants.txt"


def _outline(page):
    return [(c.id, c.parent_id, c.author, c.timestamp, c.text) for c in page.comments]


def _scanned(path):
    from moderation.readers import read_page

    return list(read_page(path))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_page_is_segmented_like_scan_reads_it(tmp_path, encoding):
    text = FOOTBALL.read_text(encoding="utf-8")
    want = _outline(segment_page(text, "p"))
    assert want
    data = text.encode(encoding)  # "utf-16" writes a BOM; the others have none
    assert _outline(segment_page(data, "p")) == want
    path = tmp_path / "page.txt"
    path.write_bytes(data)
    result = cli("segment", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert [c["text"] for c in json.loads(result.output)["comments"]] == [c[4] for c in want]
    assert [c.text for c in _scanned(path)] == [c[4] for c in want]


def test_utf16_html_from_stdin_is_recognised_as_html():
    """QA pass 5: the HTML sniff looked for the bytes b"<html", which UTF-16 does not have."""
    html = ("<html><body><article><h1>T</h1><p>Article text long enough to be the article here.</p></article>"
            "<div class='comments'><div class='comment'><p>First comment here.</p></div></div></body></html>")
    result = cli("segment", "-", "--format", "json", input=html.encode("utf-16"))
    assert result.exit_code == 0, result.output
    assert [c["text"] for c in json.loads(result.output)["comments"]] == ["First comment here."]


def test_gzipped_page_is_segmented_like_scan_reads_it(tmp_path):
    import gzip

    path = tmp_path / "page.txt.gz"
    path.write_bytes(gzip.compress(FOOTBALL.read_bytes()))
    result = cli("segment", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["comments"]) == len(segment_page(FOOTBALL.read_bytes()).comments)


def test_a_stray_nul_in_a_text_page_is_dropped_not_the_whole_page(tmp_path):
    data = FOOTBALL.read_bytes()
    cut = data.index(b"\n", len(data) * 2 // 3)
    path = tmp_path / "page.txt"
    path.write_bytes(data[:cut] + b"\x00" + data[cut:])
    want = _outline(segment_page(data, "p"))
    assert _outline(segment_page(path.read_bytes(), "p")) == want
    assert _outline(segment_page(path.read_text(encoding="utf-8"), "p")) == want  # str: the same
    result = cli("segment", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    scanned = _scanned(path)
    assert [c.text for c in scanned] == [c[4] for c in want] and "\x00" not in "".join(c.text for c in scanned)


@pytest.mark.parametrize("data", [
    b"\x7fELF\x02\x01\x01\x00\x00\x00" * 50,
    b"Title\n\nSome text\x00\x00\x00\x00\x00\x00 and more." * 3,  # over a few stray NULs: binary, as scan says
])
def test_binary_page_gives_one_reason_in_segment_and_scan(tmp_path, data):
    path = tmp_path / "page.txt"
    path.write_bytes(data)
    reason = "binary file: not a saved page or a comment dump"
    result = cli("segment", str(path))
    assert result.exit_code == 1 and f"{path}: {reason}" in result.output
    (error,) = _scanned(path)
    assert error.message == reason
    with pytest.raises(SegmenterError, match=reason):
        segment_page(data.decode("latin-1"), "p")  # a str is judged by the same rule

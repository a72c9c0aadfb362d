"""Every fixture page against its gold, and the conservation ledger on every page.

Fixtures live in tests/fixtures/pages/NAME.txt with NAME.gold.json beside them
(hand-checked: comment tree, authors, times, quotes, texts, boilerplate kinds).
The pages in tests/fixtures/pages/unseen/ were written after the segmenter, as
other sites render them, with gold built from hand annotations (NAME.ann, see
build.py there); their gold also gives every line's home (`ledger`).
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from moderation.segmenter.core import segment_lines

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pages"
UNSEEN = FIXTURES / "unseen"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PAGES = sorted(FIXTURES.glob("*.txt"))
ALL_PAGES = PAGES + sorted(EXAMPLES.glob("*.txt")) + sorted(UNSEEN.glob("*.txt"))
REPO = EXAMPLES.parent
#: Gold for fixture pages sits beside them; gold for examples/ names its page.
GOLD = (sorted(FIXTURES.glob("*.gold.json")) + sorted((FIXTURES / "examples").glob("*.gold.json"))
        + sorted(UNSEEN.glob("*.gold.json")))


def read_page(path: Path) -> str:
    """The page as saved: line endings kept (some fixtures are CRLF on purpose)."""
    return path.read_bytes().decode("utf-8")
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
COMMENT_FIELDS = ("id", "parent_id", "depth", "author", "timestamp", "quote", "text", "line")


@pytest.mark.parametrize("gold_path", GOLD, ids=lambda p: p.name.removesuffix(".gold.json"))
def test_page_matches_gold(gold_path):
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    path = REPO / gold["page"] if "page" in gold else gold_path.with_name(gold_path.name.replace(".gold.json", ".txt"))
    page, ledger = segment_lines(read_page(path), str(path))
    if "ledger" in gold:
        assert {str(n): where for n, where in ledger.items()} == gold["ledger"]
    assert page.title == gold["title"]
    got = [{k: getattr(c, k) for k in COMMENT_FIELDS} for c in page.comments]
    assert got == gold["comments"]
    assert [[b.line, b.kind] for b in page.boilerplate] == gold["boilerplate"]
    lines = page.article.splitlines()
    assert (lines[0] if lines else "") == gold["article_first"]
    assert (lines[-1] if lines else "") == gold["article_last"]


def test_every_page_has_gold():
    named = {g.name.removesuffix(".gold.json") for g in GOLD}
    assert {p.stem for p in ALL_PAGES} <= named


def test_fixtures_cover_every_layout():
    names = " ".join(p.stem for p in PAGES)
    for layout in ("seed", "disqus", "wordpress", "reddit", "newspaper", "postedby", "typepad", "blogger", "article_only", "mixture"):
        assert layout in names, layout


@pytest.mark.parametrize("path", ALL_PAGES, ids=lambda p: p.stem)
def test_conservation_every_line_in_exactly_one_place(path):
    text = read_page(path)
    page, ledger = segment_lines(text, str(path))
    nonblank = {n for n, line in enumerate(text.splitlines(), 1) if line.strip()}
    assert set(ledger) == nonblank  # every non-blank line has exactly one home (a dict: one value)
    article_lines = set(page.article.splitlines())
    boiler = {b.line: b for b in page.boilerplate}
    assert len(boiler) == len(page.boilerplate)
    comments = {c.id: c for c in page.comments}
    raw = text.splitlines()
    for n, where in ledger.items():
        line = INVISIBLE.sub("", raw[n - 1]).strip()  # the segmenter drops zero-width characters
        if where == "article":
            assert line in article_lines, (n, line)
        elif where.startswith("boilerplate:"):
            assert boiler[n].kind == where.split(":", 1)[1] and boiler[n].text == line
        else:
            c = comments[where.split(":", 1)[1]]
            assert c.line <= n
            homes = (c.text or "") + "\n" + (c.quote or "")
            meta = " ".join(x for x in (c.author, c.timestamp) if x)
            assert line in homes or line.lstrip("•◦▪‣●○·∙*–↳↪⤷-0123456789.) ") in homes or line.lstrip("> ") in homes or any(
                part and part in line for part in (c.author, c.timestamp)) or "reply" in line.lower() or ("deleted" in line or "removed" in line) or (
                line == f"level {c.depth + 1}"), (n, line, meta)
    # nothing is in two places: article lines never appear in comment text
    for c in page.comments:
        for t in c.text.splitlines():
            if len(t) > 30:
                assert t not in article_lines, t


@pytest.mark.parametrize("path", ALL_PAGES, ids=lambda p: p.stem)
def test_no_metadata_in_comment_text(path):
    page, _ = segment_lines(read_page(path))
    for c in page.comments:
        for t in c.text.splitlines():
            assert "△ ▽" not in t and "Reply Share Report Save" not in t
            assert not t.strip().endswith(("points", "says:", "said...")), t
            assert t.strip() not in ("Reply", "Share", "Report")
            if c.timestamp:
                assert c.timestamp not in t


def test_unseen_gold_is_built_from_its_annotations():
    """The gold of the unseen pages comes from the hand annotations, never edited apart."""
    spec = importlib.util.spec_from_file_location("unseen_build", UNSEEN / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    anns = sorted(UNSEEN.glob("*.ann"))
    assert len(anns) >= 14 and {a.stem for a in anns} == {p.stem for p in UNSEEN.glob("*.txt")}
    for ann in anns:
        text, gold = build.build(ann)
        assert ann.with_suffix(".txt").read_bytes() == text.encode("utf-8"), ann.name
        assert json.loads(ann.with_suffix(".gold.json").read_text(encoding="utf-8")) == gold, ann.name


def test_unseen_pages_cover_every_layout_twice():
    names = [p.stem for p in UNSEEN.glob("*.txt")]
    for layout in ("seed", "disqus", "wordpress", "reddit", "newspaper", "postedby"):
        assert sum(n.startswith(layout) for n in names) >= 2, layout
    assert any(n.startswith("article_only") for n in names)
    assert any(b"\r\n" in p.read_bytes() for p in UNSEEN.glob("*.txt"))

"""Every fixture page against its gold, and the conservation ledger on every page.

Fixtures live in tests/fixtures/pages/NAME.txt with NAME.gold.json beside them
(hand-checked: comment tree, authors, times, quotes, texts, boilerplate kinds).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation.segmenter.core import segment_lines

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pages"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PAGES = sorted(FIXTURES.glob("*.txt"))
ALL_PAGES = PAGES + sorted(EXAMPLES.glob("*.txt"))
REPO = EXAMPLES.parent
#: Gold for fixture pages sits beside them; gold for examples/ names its page.
GOLD = sorted(FIXTURES.glob("*.gold.json")) + sorted((FIXTURES / "examples").glob("*.gold.json"))
COMMENT_FIELDS = ("id", "parent_id", "depth", "author", "timestamp", "quote", "text", "line")


@pytest.mark.parametrize("gold_path", GOLD, ids=lambda p: p.name.removesuffix(".gold.json"))
def test_page_matches_gold(gold_path):
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    path = REPO / gold["page"] if "page" in gold else gold_path.with_name(gold_path.name.replace(".gold.json", ".txt"))
    page, _ = segment_lines(path.read_text(encoding="utf-8"), str(path))
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
    text = path.read_text(encoding="utf-8")
    page, ledger = segment_lines(text, str(path))
    nonblank = {n for n, line in enumerate(text.splitlines(), 1) if line.strip()}
    assert set(ledger) == nonblank  # every non-blank line has exactly one home (a dict: one value)
    article_lines = set(page.article.splitlines())
    boiler = {b.line: b for b in page.boilerplate}
    assert len(boiler) == len(page.boilerplate)
    comments = {c.id: c for c in page.comments}
    raw = text.splitlines()
    for n, where in ledger.items():
        line = raw[n - 1].strip()
        if where == "article":
            assert line in article_lines, (n, line)
        elif where.startswith("boilerplate:"):
            assert boiler[n].kind == where.split(":", 1)[1] and boiler[n].text == line
        else:
            c = comments[where.split(":", 1)[1]]
            assert c.line <= n
            homes = (c.text or "") + "\n" + (c.quote or "")
            meta = " ".join(x for x in (c.author, c.timestamp) if x)
            assert line in homes or line.lstrip("•◦*-0123456789.) ") in homes or line.lstrip("> ") in homes or any(
                part and part in line for part in (c.author, c.timestamp)) or "reply" in line.lower() or ("deleted" in line or "removed" in line) or (
                line == f"level {c.depth + 1}"), (n, line, meta)
    # nothing is in two places: article lines never appear in comment text
    for c in page.comments:
        for t in c.text.splitlines():
            if len(t) > 30:
                assert t not in article_lines, t


@pytest.mark.parametrize("path", ALL_PAGES, ids=lambda p: p.stem)
def test_no_metadata_in_comment_text(path):
    page, _ = segment_lines(path.read_text(encoding="utf-8"))
    for c in page.comments:
        for t in c.text.splitlines():
            assert "△ ▽" not in t and "Reply Share Report Save" not in t
            assert not t.strip().endswith(("points", "says:", "said...")), t
            assert t.strip() not in ("Reply", "Share", "Report")
            if c.timestamp:
                assert c.timestamp not in t

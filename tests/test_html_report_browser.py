"""The HTML report in a real headless browser (Debian's chromium via Playwright).

Checks what only a browser can: the page renders, the filters work, a
`<script>` in a comment never runs, and the screenshot is not blank.
Skips with a reason when /usr/bin/chromium or Playwright is absent
(`make test` installs chromium in CI).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from moderation.records import ReadError
from moderation.report import ReplyContext, ScanSummary, open_report

from report_records import thread

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def write_report(path: Path, all_comments: bool = False, errors: tuple[ReadError, ...] = ()) -> Path:
    out = io.StringIO()
    report = open_report("html", out, all_comments=all_comments)
    summary, context = ScanSummary(), ReplyContext()
    for r in thread():
        summary.add(r)
        if all_comments or r["decision"] != "allow":
            report.add(r, context.parent_of(r))
        context.remember(r)
    for e in errors:
        summary.add_error(e)
        report.add_error(e)
    report.finish(summary)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    events: list[str] = []
    page.on("dialog", lambda d: (events.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: events.append(f"error: {e}"))
    page.on("request", lambda r: events.append(f"request: {r.url}") if not r.url.startswith("file:") else None)
    page.goto(path.as_uri())
    return page, events


def visible_ids(page) -> list[str]:
    # The element id is a running number (comment ids repeat across threads);
    # the comment's own id is in data-comment-id.
    return page.eval_on_selector_all("article.comment:not([hidden])", "els => els.map(e => e.dataset.commentId)")


def test_report_renders_filters_and_never_runs_comment_script(browser, tmp_path):
    page, events = open_page(browser, write_report(tmp_path / "report.html"))
    try:
        assert page.title().startswith("Moderation report: 4 flagged of 5 comments")
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert events == []  # no alert, no script error, nothing fetched from the network
        assert "<script>window.__pwned" in page.locator("article.comment").last.inner_text()
        assert visible_ids(page) == ["1", "1.1", "1.2", "2"]
        assert page.inner_text("#visible-count") == "4"
        assert page.locator("mark.ev").first.inner_text() == "orcs"
        assert "The house of cards will fall" in page.inner_text(".parent >> nth=1")

        page.uncheck("input.filter[data-kind=decision][value=reject]")
        assert visible_ids(page) == ["1.1", "1.2"]
        assert page.inner_text("#visible-count") == "2"
        page.uncheck("input.filter[data-kind=label][value=abusive]")
        assert visible_ids(page) == ["1.1"]  # held and dehumanising
        assert page.locator("section.thread:not([hidden])").count() == 1
        page.check("input.filter[data-kind=decision][value=reject]")
        page.check("input.filter[data-kind=label][value=abusive]")
        assert page.inner_text("#visible-count") == "4"
    finally:
        page.close()


def test_read_errors_are_listed_as_text_and_never_run(browser, tmp_path):
    error = ReadError("dumps/<b>x</b>.jsonl", 3, "the dump has: <script>window.__pwned = 1</script>")
    page, events = open_page(browser, write_report(tmp_path / "report.html", errors=(error,)))
    try:
        assert page.evaluate("typeof window.__pwned") == "undefined" and events == []
        cells = page.eval_on_selector_all("#error-list td", "els => els.map(e => e.textContent)")
        assert cells == ["dumps/<b>x</b>.jsonl", "3", "the dump has: <script>window.__pwned = 1</script>"]
        page.click("#summary a[href='#errors']")
        assert page.evaluate("location.hash") == "#errors"
    finally:
        page.close()


def test_screenshot_is_not_blank(browser, tmp_path):
    PIL = pytest.importorskip("PIL.Image", reason="Pillow is needed to inspect the screenshot")
    page, _ = open_page(browser, write_report(tmp_path / "report.html", all_comments=True))
    try:
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()
    image = PIL.open(shot).convert("RGB")
    assert image.width == 1100 and image.height > 900
    colours = image.resize((110, image.height // 10)).getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # text, badges, charts: far from a blank page
    reds = sum(n for n, (r, g, b) in colours if r > 150 and g < 80 and b < 80)
    assert reds > 0  # the reject badges and chart bars are drawn

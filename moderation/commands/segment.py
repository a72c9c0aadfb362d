"""`moderation segment PAGE`: show how a saved page splits into article, furniture and thread."""

from __future__ import annotations

import json
import sys
import textwrap

import click

from moderation.records import Page


def _read(page: str) -> tuple[bytes, str]:
    """The page's bytes as `scan` opens them (gzip undone; decoding is `decode_page`'s)."""
    from moderation.readers.sources import open_source

    name = "<stdin>" if page == "-" else page
    try:
        with open_source(sys.stdin.buffer if page == "-" else page, name=name) as source:
            if source.error:
                raise click.ClickException(f"{name}: {source.error}")
            data = source.stream.read()
            if source.damage:
                raise click.ClickException(f"{name}: {source.damage}")
    except OSError as exc:
        raise click.ClickException(f"{name}: cannot read: {exc.strerror or exc}") from exc
    return data, name


def format_page_text(page: Page) -> str:
    """A moderator-readable outline: the thread as an indented tree."""
    out = [f"Title: {page.title or '(none)'}"]
    if page.source:
        out.append(f"Source: {page.source}")
    words = len(page.article.split())
    out += ["", f"Article ({words} words):", textwrap.indent(page.article, "  ") if page.article else "  (none)"]
    out += ["", f"Boilerplate ({len(page.boilerplate)} lines):"]
    out += [f"  {'' if b.line is None else b.line:>5}  {b.kind:<10}  {b.text}" for b in page.boilerplate] or ["  (none)"]
    out += ["", f"Comments ({len(page.comments)}):"]
    for c in page.comments:
        pad = "  " * (c.depth + 1)
        meta = ", ".join(x for x in (c.author, c.timestamp) if x)
        parent = f" reply to {c.parent_id}" if c.parent_id else ""
        where = f" line {c.line}" if c.line is not None else ""
        out.append(f"{pad}[{c.id}]{where}{parent}{' — ' + meta if meta else ''}")
        if c.quote:
            out.append(textwrap.indent(c.quote, pad + "  > "))
        out.append(textwrap.indent(c.text or "(no text)", pad + "  ", lambda _: True))
    if not page.comments:
        out.append("  (none)")
    return "\n".join(out)


@click.command(name="segment")
@click.argument("page", metavar="PAGE")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True,
              help="json: the Page record (what `scan` scores); text: an outline for reading.")
@click.option("--html/--no-html", "as_html", default=None,
              help="Treat PAGE as HTML (default: by the .html/.htm suffix, or a page that starts "
                   "with <html or <!doctype html, in any encoding scan reads).")
def segment_command(page: str, fmt: str, as_html: bool | None) -> None:
    """Split a saved page into article, boilerplate and comments.

    PAGE is a page saved as plain text (or HTML), or - for stdin. The article
    is never returned as comments; captions, credits, share lines and thread
    furniture are boilerplate with their kind; each comment has its id, parent
    and depth in the reply tree.

    \b
    Examples:
      moderation segment examples/001_f6e74c870da5195f.txt
      moderation segment page.html --format json | jq '.comments[].text'
      curl -s https://example.org/story | moderation segment - --html
    """
    from moderation.segmenter import SegmenterError, segment_html, segment_page
    from moderation.segmenter.lines import decode_page

    data, source = _read(page)
    try:
        text = decode_page(data, source)  # as scan reads a page: UTF-16 HTML from stdin is still HTML
        if as_html is None:
            head = text[:512].lstrip().lower()
            as_html = page.lower().endswith((".html", ".htm")) or head.startswith(("<!doctype html", "<html"))
        result = segment_html(text, source) if as_html else segment_page(text, source)
    except SegmenterError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_page_text(result))

"""HTML pages: trafilatura finds the article; the comment section is rendered
to indented text and split by the same thread splitter as plain text.

trafilatura (optional extra `html`) is maintained, fast and good at telling
main text from furniture in HTML, so it gives the title and article body. Its
comment output is one block of paragraphs without authors, dates or nesting,
which would merge every commenter into one comment. So when the page has a
recognisable comment section (elements whose class or id says "comment"), we
render that section ourselves with selectolax (trafilatura's own HTML parser
dependency family; fast): one line per block, comment items indented by their
nesting depth, author and date lines kept. The thread splitter then finds
headers, depth and furniture exactly as on a saved text page. Without such a
section we fall back to trafilatura's comment block, one comment per
paragraph (never merging different commenters into one comment).
"""

from __future__ import annotations

import functools
import re

from moderation.records import Comment, Page
from moderation.segmenter.article import join_paragraphs, split_article
from moderation.segmenter.features import WEIGHTS, line_features
from moderation.segmenter.lines import SegmenterError, _refuse, decode_page, split_lines
from moderation.segmenter.thread import split_thread

_SKIP = {"script", "style", "noscript", "template", "svg", "form", "textarea", "select", "button", "iframe",
         "input", "img", "video", "audio", "canvas", "object", "head"}
_BLOCK = {"p", "div", "li", "ol", "ul", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "footer",
          "header", "blockquote", "pre", "table", "tr", "dd", "dt", "dl", "figure", "figcaption", "aside",
          "main", "nav", "address", "hr", "br", "cite", "time"}
#: A class token or id that marks one comment (WordPress li.comment, Drupal .comment, ...).
_ITEM_CLASS = re.compile(r"^(?:comment|comment-item|comments?-item|c-comment|commentitem|comment-container|"
                         r"comment_container|comment-thread-item|reader-comment|user-comment)$", re.I)
_ITEM_ID = re.compile(r"^(?:comment|li-comment|div-comment|c)[-_]?\d+$", re.I)
#: A class token that marks a comment's author (WordPress div.comment-author, cite.fn; Drupal .username).
_AUTHOR_CLASS = re.compile(r"^(?:comment-author|comment-author-name|comment__author|comment-username|author|"
                           r"author-name|fn|username|commenter|commenter-name)$", re.I)
#: An author line is a name, not prose: longer lines stay text.
AUTHOR_MAX_CHARS = 60
#: A class or id that marks the comment section.
_SECTION = re.compile(r"comment|disqus|discussion|respons|replies|reactions", re.I)
INDENT = "    "
#: Replies nested deeper than this are rendered at this depth (siblings there): no
#: real thread goes near it, and indenting a 10,000-deep chain would make the
#: rendering gigabytes of spaces (refused as "larger than any saved page").
MAX_RENDER_DEPTH = 200


def _is_item(node) -> bool:
    attrs = node.attributes
    if _ITEM_ID.match(attrs.get("id") or ""):
        return True
    return any(_ITEM_CLASS.match(token) for token in (attrs.get("class") or "").split())


def _comment_section(tree):
    """The element holding the most comment items (the outermost on a tie)."""
    best, best_items = None, 0
    for node in tree.css("[id], [class]"):
        label = f"{node.attributes.get('id') or ''} {node.attributes.get('class') or ''}"
        if not _SECTION.search(label) or _is_item(node):
            continue
        items = sum(1 for n in node.css("[id], [class]") if _is_item(n))
        if items > best_items:
            best, best_items = node, items
    return best


def _is_author(node) -> bool:
    return any(_AUTHOR_CLASS.match(token) for token in (node.attributes.get("class") or "").split())


def _render(section) -> tuple[str, set[int], set[int]]:
    """Block elements become lines; comment items indent their content one level.

    Also returns the (1-based) numbers of the lines where a comment item
    starts: each item is its own comment even when nothing in its text (an
    author, a date) says where one commenter ends and the next begins; and of
    the lines that are exactly the text of an author element inside an item
    (`_AUTHOR_CLASS`; not "NAME says:", which is a header anyway): the
    comment's author even with no date beside them.

    Iterative (an explicit stack), so a thread nested thousands of elements
    deep renders instead of exhausting Python's recursion limit.
    """
    lines: list[str] = []
    buffer: list[str] = []
    item_marks: list[int] = []  # index into `lines` from which an item's first line comes
    author_lines: set[int] = set()  # indexes into `lines`
    pending_author = ""  # the text of the author element just left, until the next line is flushed

    def flush(depth: int) -> None:
        nonlocal pending_author
        text = " ".join("".join(buffer).split())
        buffer.clear()
        if text:
            if text == pending_author:
                author_lines.add(len(lines))
            lines.append(INDENT * min(depth, MAX_RENDER_DEPTH) + text)
        pending_author = ""

    # (the node's children, their depth, what to do on leaving the node:
    #  block?, its depth, a <p>?, its text if it is an author element)
    stack = [(section.iter(include_text=True), 0, None)]
    while stack:
        children, depth, _ = stack[-1]
        child = next(children, None)
        if child is None:
            leave = stack.pop()[2]
            if leave is not None:
                block, inner, paragraph, author = leave
                if author:
                    pending_author = author
                    # an inline author element ends a word: "<span class=comment-author>Jean_Paul</span><span>il y a
                    # 3 heures</span>" glued read "Jean_Paulil y a 3 heures", neither a name nor a date
                    buffer.append(" ")
                if block:
                    flush(inner)
                if paragraph:
                    lines.append("")
            continue
        tag = child.tag
        if tag == "-text":
            buffer.append(child.text(deep=False))
            continue
        if tag in _SKIP or tag.startswith("#"):
            continue
        item = _is_item(child)
        block = item or tag in _BLOCK
        if block:
            flush(depth)
        if item:
            if lines and lines[-1]:
                lines.append("")
            item_marks.append(len(lines))
        inner = depth + 1 if item else depth
        author = " ".join(child.text().split()) if not item and depth > 0 and _is_author(child) else ""
        stack.append((child.iter(include_text=True), inner, (block, inner, tag == "p", author)))
    flush(0)
    # A comment's first level has no indent: depth 1 -> 0 columns.
    out = [line[len(INDENT):] if line.startswith(INDENT) else line for line in lines]
    starts = set()
    for mark in item_marks:
        first = next((i for i in range(mark, len(out)) if out[i].strip()), None)
        if first is not None:
            starts.add(first + 1)
    authors = {i + 1 for i in author_lines if out[i].strip()}
    return "\n".join(out), starts, authors


def segment_html(html: str | bytes, source: str | None = None) -> Page:
    """Split a saved HTML page into article, furniture and comments.

    Raises `SegmenterError` for input that is not a page (empty, binary, too
    large, nested too deeply for the HTML libraries)."""
    try:
        return _segment_html(html, source)
    except RecursionError:  # our renderer is iterative; this guards the libraries under it
        raise _refuse(source or "page", "the HTML is nested too deeply to read") from None


def _segment_html(html: str | bytes, source: str | None) -> Page:
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - depends on the install
        if exc.name == "trafilatura":
            raise SegmenterError("HTML pages need trafilatura: pip install 'moderation[html]'") from exc
        # Installed, but something it imports is missing or broken (e.g. lxml >= 5.2
        # without lxml_html_clean, which trafilatura's justext imports): say what.
        raise SegmenterError(f"trafilatura is installed but cannot be imported: {exc}") from exc
    text = decode_page(html, source)
    if not text.strip():
        raise _refuse(source or "page", "the page is empty (no text)")
    doc = trafilatura.bare_extraction(text, include_comments=True, with_metadata=True)
    rendered, item_starts, author_lines = _rendered_section(text)
    if doc is None and not rendered:
        raise _refuse(source or "page", "no article text and no comments found in the HTML")
    title = (getattr(doc, "title", None) or "").strip()
    body = _article_text(trafilatura, text, doc)
    article_lines, boilerplate = ([], [])
    if body.strip():
        article_lines, boilerplate = split_article(line_features(split_lines(body, source)))
        for item in boilerplate:
            item.line = None  # a line of trafilatura's text, not of the HTML file (see below)
    if rendered and article_lines:  # trafilatura may take a comment for the article: comments win
        in_thread = {line.strip() for line in rendered.split("\n") if line.strip()}
        article_lines = [(n, t) for n, t in article_lines if t not in in_thread]
    article = join_paragraphs(article_lines)
    if title and not article.startswith(title):
        article = f"{title}\n\n{article}" if article else title
    thread, thread_title = title or source, title or None
    comments: list[Comment] = []
    if rendered:
        infos = line_features(split_lines(rendered, source))
        _roles_from_markup(infos, item_starts, author_lines)
        comments, thread_boiler, _ = split_thread(infos, thread=thread, thread_title=thread_title, source=source,
                                                  item_starts=item_starts)
        for item in (*comments, *thread_boiler):
            item.line = None  # a line of our rendering, not of the HTML file: say nothing rather than mislead
        boilerplate += thread_boiler
    else:
        paragraphs = [p.strip() for p in (getattr(doc, "comments", None) or "").split("\n") if p.strip()]
        comments = [Comment(id=f"c{i}", text=p, thread=thread, thread_title=thread_title, source=source)
                    for i, p in enumerate(paragraphs, 1)]
    return Page(title=title, article=article, boilerplate=boilerplate, comments=comments, source=source)


def _paragraphs(body) -> list[str]:
    """trafilatura's body as paragraphs: each top-level block (<p>, <head>, <list>,
    <quote>, <table>...) rendered by trafilatura's own text serializer. Its "txt"
    output joins blocks with a single newline, the same as a <br> inside one, so
    paragraph boundaries are taken from its XML tree, not from that text."""
    from trafilatura.xml import xmltotxt

    parts = [(body.text or "").strip()] + [xmltotxt(child, include_formatting=False).strip() for child in body]
    return [part for part in parts if part]


@functools.lru_cache(maxsize=1)
def _no_rescue_config():
    """trafilatura's settings with MIN_EXTRACTED_SIZE 1: the main extractor's result is kept however short."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    return config


def _article_text(trafilatura, html: str, doc) -> str:
    """The article body, one blank line between paragraphs (as on a text page).

    When trafilatura's main extractor finds less than its MIN_EXTRACTED_SIZE
    (250 characters), its baseline rescue returns the whole <article> as ONE
    paragraph, blocks joined by spaces (a short news story: headline, byline,
    two paragraphs), or the whole page's text as one, a line per text node.
    Then the main extractor's own result (the same call with
    MIN_EXTRACTED_SIZE 1, so no rescue, and `fast`: no readability/justext
    comparison) gives the paragraph boundaries; the
    rescue's text between them (a byline the main extractor drops) is kept as
    paragraphs of its own. If the main extractor's paragraphs are not all in
    the rescue's text, in order, the rescue's single paragraph stays.
    """
    body = getattr(doc, "body", None)
    if body is None:
        return getattr(doc, "text", None) or ""
    paragraphs = _paragraphs(body)
    if not paragraphs:
        return getattr(doc, "text", None) or ""
    if len(paragraphs) > 1:
        return "\n\n".join(paragraphs)
    blob = paragraphs[0]
    main = trafilatura.bare_extraction(html, include_comments=True, fast=True, config=_no_rescue_config())
    parts = [] if main is None or getattr(main, "body", None) is None else _paragraphs(main.body)
    if len(parts) < 2:
        return blob
    out, at = [], 0
    for part in parts:
        found = blob.find(part, at)
        if found < 0:
            return blob
        gap = blob[at:found].strip()
        out += [gap, part] if gap else [part]
        at = found + len(part)
    if blob[at:].strip():
        out.append(blob[at:].strip())
    return "\n\n".join(out)


def _roles_from_markup(infos, item_starts: set[int], author_lines: set[int]) -> None:
    """What the markup says about a line, where its text alone says nothing or misleads.

    A line that is an author element's text is a name. A comment item whose
    only line is short and name-like ("They are vermin") is that comment's
    text: read as text, a short line above a deeper-indented block is a name,
    but the block below is the next item (a reply), not this comment's body;
    taken as the author, the comment would have no text to score.
    """
    content = [i for i, info in enumerate(infos) if info.role != "blank"]
    for k, i in enumerate(content):
        info = infos[i]
        number = info.line.number
        if number in author_lines:
            if info.role == "text" and len(info.line.text) <= AUTHOR_MAX_CHARS:
                info.role = "name"
            continue
        if info.role == "name" and number in item_starts and (
                k + 1 == len(content) or infos[content[k + 1]].line.number in item_starts):
            info.role = "text"
            info.weight = WEIGHTS["prose_per_line"] + WEIGHTS["prose_per_char"] * min(len(info.line.text), 1000)


def _rendered_section(html: str) -> tuple[str, set[int], set[int]]:
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError:  # pragma: no cover - selectolax is optional
        return "", set(), set()
    section = _comment_section(LexborHTMLParser(html))
    return _render(section) if section is not None else ("", set(), set())

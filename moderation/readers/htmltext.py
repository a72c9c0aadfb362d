"""HTML comment bodies (Disqus `<message>`, WordPress `comment_content`) to plain text.

A real parser (selectolax's Lexbor backend, fast and forgiving of broken
markup) does the work: tags go, entities are decoded exactly once (the XML
layer has already decoded its own), `<br>` and block elements become line
breaks, scripts and styles are dropped. A comment that opens with a
`<blockquote>` is quoting someone; that quotation is returned apart, as the
comment's `quote`, so the quoted words are never blamed on the commenter.

The walk over the tree is iterative: a message nested ten thousand deep is
still read, not a RecursionError.
"""

from __future__ import annotations

import html as _html
import re

BLOCKS = frozenset(
    "address article aside blockquote center dd details div dl dt fieldset figcaption figure footer form h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul".split()
)
DROP = frozenset({"script", "style", "template", "noscript", "head", "title", "iframe", "object", "svg", "math"})

# Only what needs changing matches (a lone space does not), so ordinary text costs nothing.
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]{2,}|[\t\r\f\v\u00a0]")
_AROUND_NEWLINE = re.compile(r" +\n *|\n +")
_MANY_NEWLINES = re.compile(r"\n{3,}")


_ODD_SPACE = re.compile(r"[\t\r\f\v\u00a0]")


def _tidy(text: str) -> str:
    # Each substitution only when its cheap substring test says it has work to do.
    if "  " in text or _ODD_SPACE.search(text):
        text = _SPACES.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _AROUND_NEWLINE.sub("\n", text)
    if "\n\n\n" in text:
        text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


def _walk(node, out: list[str]) -> None:
    # Iterative depth-first walk: (node, entering?) pairs.
    stack = [(node, True)]
    while stack:
        current, entering = stack.pop()
        tag = current.tag
        if not entering:
            out.append("\n\n" if tag in ("p", "blockquote", "pre", "table", "ul", "ol") else "\n")
            continue
        if tag == "-text":
            out.append(current.text_content or "")
            continue
        if tag in DROP or tag in ("-comment", "_comment", "!doctype"):
            continue
        if tag == "br":
            out.append("\n")
            continue
        if tag in BLOCKS:
            if out and not out[-1].endswith("\n"):
                out.append("\n")
            stack.append((current, False))
        if tag == "img":
            alt = current.attributes.get("alt")
            if alt:
                out.append(alt)
            continue
        children = []
        child = current.first_child
        while child is not None:
            children.append(child)
            child = child.next
        for child in reversed(children):
            stack.append((child, True))


#: Markup made only of these bare tags (no attributes, no entities) reads the
#: same with a regular expression as with the parser; most Disqus messages
#: are `<p>...</p>` and nothing else, and this path is ten times faster.
_SIMPLE_TAG = re.compile(r"<(/?)(p|br|b|i|em|strong|u|s)\s*/?>", re.I)


def _simple(match: re.Match) -> str:
    name = match.group(2).lower()
    if name == "br":
        return "\n"
    if name == "p":
        return "\n\n" if match.group(1) else "\n"
    return ""


def html_to_text(markup: str | None, *, split_quote: bool = False) -> tuple[str, str | None]:
    """(text, quote): the plain text of an HTML fragment, and its opening blockquote if asked.

    Text with no `<` and no `&` is returned as it is (apart from trimming):
    most comments carry no markup, and parsing them would only cost time.
    Only one that holds a no-break space is tidied as the parser's text is:
    the XML layer turns an `&nbsp;` written outside CDATA into U+00A0, and
    it must read as the space the same `&nbsp;` inside CDATA gives (QA pass
    7). (Tidying every such text would cost ten times the shortcut.)
    """
    if not markup:
        return "", None
    if "<" not in markup and "&" not in markup:
        return (_tidy(markup) if "\u00a0" in markup else markup.strip()), None
    if "<" not in markup:
        return _tidy(_html.unescape(markup)), None
    if "&" not in markup:
        stripped = markup.replace("<p>", "\n").replace("</p>", "\n\n").replace("<br>", "\n")
        if "<" in stripped:
            stripped = _SIMPLE_TAG.sub(_simple, stripped)
        if "<" not in stripped:
            return _tidy(stripped), None
    return parse_html(markup, split_quote=split_quote)


#: More tags than any real comment has. HTML parsing checks the open elements
#: at each tag, so time grows with the square of the nesting depth (100,000
#: nested <div>s took 100 s): past this many tags, the tags are only stripped.
_MAX_TAGS = 10_000
_ANY_TAG = re.compile(r"<[^>]*>?")


def parse_html(markup: str, *, split_quote: bool = False) -> tuple[str, str | None]:
    """html_to_text without the shortcuts: always the real parser (unless the markup has absurdly many tags)."""
    from selectolax.lexbor import LexborHTMLParser

    if markup.count("<") > _MAX_TAGS:
        return _tidy(_html.unescape(_ANY_TAG.sub(" ", markup))), None
    tree = LexborHTMLParser(markup)
    body = tree.body
    if body is None:
        return _tidy(_html.unescape(markup)), None
    quote = None
    if split_quote:
        first = body.first_child
        while first is not None and first.tag == "-text" and not (first.text_content or "").strip():
            first = first.next
        if first is not None and first.tag == "blockquote":
            parts: list[str] = []
            _walk(first, parts)
            quote = _tidy("".join(parts)) or None
            first.decompose()
    out: list[str] = []
    child = body.first_child
    while child is not None:
        _walk(child, out)
        child = child.next
    return _tidy("".join(out)), quote

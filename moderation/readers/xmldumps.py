"""Disqus export XML and WordPress WXR, streamed safely.

Both are parsed incrementally with lxml's `iterparse` (libxml2, C speed,
about three times the throughput of the pure-Python expat path), configured
the way the lxml and defusedxml documentation advise for untrusted XML: no
entity resolution, no DTD loading, no network, `huge_tree` off (libxml2's
own limits on text size and entity amplification stay on). On top of that a
document that carries a DTD at all (`<!DOCTYPE ... [<!ENTITY ...>]>`, the
billion-laughs bomb, an external entity) is refused before any record is
read: exports never need one. Only the record being read is held in memory:
each finished `<post>` or `<wp:comment>` is cleared and dropped from the
tree once read; a WXR article body (`<content:encoded>`) is dropped unread.

An XML document cannot be resynchronised after a syntax error, so a
malformed or truncated export yields every record before the error and then
one ReadError with the line and column of the error.

Disqus: `<thread dsq:id>` elements give each thread's title and link (kept in
a dict of thread id -> title: one entry per article, not per comment);
`<post dsq:id>` elements are comments, `<message>` holds HTML. WordPress: each
`<item>` is an article (title, link, `wp:post_id`), its `<wp:comment>`
children are comments.

Deleted and spam posts (Disqus `isDeleted`/`isSpam`, WordPress
`comment_approved` spam/trash) and pingbacks/trackbacks are not reader
comments to score: they are counted in `stats.skipped` by reason and not
yielded, unless `include_deleted`. They still count for reply depth: a reply
to a deleted comment keeps its true depth. WordPress comments awaiting
moderation (`comment_approved` 0) are yielded: they are what a moderator
most needs to see.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Iterator

from moderation.readers.base import ReaderContext, Record, blank_to_none
from moderation.readers.decoding import guess_encoding
from moderation.readers.htmltext import html_to_text
from moderation.readers.sources import DEFAULT_CHUNK_SIZE, Source
from moderation.records import Comment, ReadError

_DECLARED = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class Skipped:
    """A post that is in the dump but not yielded; it still anchors its replies' depth."""

    __slots__ = ("comment", "reason")

    def __init__(self, comment: Comment, reason: str):
        self.comment = comment
        self.reason = reason


@functools.lru_cache(maxsize=4096)
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag.split(":")[-1]


def _attr(element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _children(element) -> dict:
    """Local name -> child element (the first of each name); comments and PIs ignored."""
    kids = {}
    for child in element:
        tag = child.tag
        if isinstance(tag, str):
            kids.setdefault(_local(tag), child)
    return kids


def _text(element) -> str | None:
    if element is None:
        return None
    if len(element):  # mixed content: join it all
        return "".join(element.itertext())
    return element.text


class _Transcoded:
    """A file-like view of a legacy-encoded stream as UTF-8 bytes, for the parser."""

    def __init__(self, stream, encoding: str, chunk_size: int):
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder(encoding)("strict")
        self.chunk_size = chunk_size

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(self.chunk_size if size is None or size < 0 else size)
        return self.decoder.decode(data, final=not data).encode("utf-8")


def _parse_source(source: Source, encoding: str | None, chunk_size: int):
    """The stream to parse and the encoding to force (None: the document's own)."""
    if encoding:
        return _Transcoded(source.stream, encoding, chunk_size), "utf-8"
    declared = _DECLARED.search(source.head[:200])
    declared_name = declared.group(1).decode("ascii").lower().replace("_", "-") if declared else "utf-8"
    guess = guess_encoding(source.head)
    name = codecs.lookup(guess.encoding).name
    if name in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"):
        return source.stream, None  # libxml2 reads these from the byte-order mark
    if declared_name in ("utf-8", "utf8", "us-ascii", "ascii") and guess.settled and name not in ("utf-8", "utf-8-sig"):
        # Declared UTF-8 but written in a legacy encoding (old WordPress plugins do this).
        return _Transcoded(source.stream, guess.encoding, chunk_size), "utf-8"
    return source.stream, None


def _elements(source: Source, context: ReaderContext, tags: tuple[str, ...], root: str,
              encoding: str | None, chunk_size: int) -> Iterator[object]:
    """End events for `tags` (lxml elements), or ReadErrors; the DTD check comes first."""
    from lxml import etree

    from moderation.readers.sniff import _as_text

    refusal = (
        "refused: the XML carries a DTD (<!DOCTYPE>); exports never need one, and DTD entities "
        "are how entity-expansion bombs and external-entity attacks work"
    )
    head = _as_text(source.head)
    doctype = head.find("<!DOCTYPE")
    if doctype >= 0:
        # Checked on the raw text first, so the parser never even sees the declarations.
        yield context.error(head.count("\n", 0, doctype) + 1, refusal)
        return
    stream, forced = _parse_source(source, encoding, chunk_size)
    events = etree.iterparse(
        stream, events=("end",), tag=tags, encoding=forced, resolve_entities=False, load_dtd=False,
        no_network=True, huge_tree=False, remove_comments=True, remove_pis=True, recover=False,
    )
    checked = False
    kind = "Disqus export (<disqus>)" if root == "disqus" else "WordPress export (<rss>)"
    try:
        for event, element in events:
            if not checked:
                checked = True
                tree = element.getroottree()
                if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
                    yield context.error(element.sourceline, refusal)
                    return
                top = tree.getroot()
                if _local(top.tag) != root:
                    yield context.error(top.sourceline, f"not a {kind}: the root element is <{_local(top.tag)}>")
                    return
            yield element
        if not checked and events.root is not None and _local(events.root.tag) != root:
            yield context.error(events.root.sourceline, f"not a {kind}: the root element is <{_local(events.root.tag)}>")
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        message = (exc.msg or str(exc)).split(", line ")[0].splitlines()[0]
        if "amplification" in message or "entity" in message.lower() and "loop" in message.lower():
            yield context.error(line, f"refused: the XML declares entities that expand without bound ({message}); exports never need entity declarations")
            return
        hint = ""
        if "Premature end" in message or "EndTag" in message and line and not message:
            message = "the document ends early (truncated file?)"
        if "not proper UTF-8" in message or "Input is not proper" in message or "invalid" in message.lower() and "char" in message.lower():
            hint = "; if the export is not UTF-8, give its encoding (e.g. cp1252)"
        yield context.error(line, f"malformed XML at line {line}, column {column}: {message}{hint}; records after this point are not read")
    except UnicodeDecodeError as exc:
        yield context.error(context.line, f"bytes that do not decode as {exc.encoding}; records after this point are not read")


def _drop(element) -> None:
    """Free a finished element and the siblings before it (the lxml iterparse idiom)."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


def read_disqus(source: Source, context: ReaderContext, encoding: str | None, include_deleted: bool, chunk_size: int) -> Iterator[Record | Skipped]:
    titles: dict[str, str | None] = {}
    for element in _elements(source, context, ("{*}post", "{*}thread"), "disqus", encoding, chunk_size):
        if isinstance(element, ReadError):
            yield element
            continue
        parent = element.getparent()
        if parent is None or parent.getparent() is not None:
            continue  # a post's own <thread dsq:id/> reference, read with the post
        line = element.sourceline
        context.line = line
        kids = _children(element)
        if _local(element.tag) == "thread":
            thread_id = _attr(element, "id")
            if thread_id is not None:
                titles[thread_id] = blank_to_none(_text(kids.get("title"))) or blank_to_none(_text(kids.get("link")))
            _drop(element)
            continue
        post_id = _attr(element, "id")
        if post_id is None:
            _drop(element)
            yield context.error(line, "a <post> without a dsq:id attribute")
            continue
        thread_el, parent_el, author_el = kids.get("thread"), kids.get("parent"), kids.get("author")
        thread_id = _attr(thread_el, "id") if thread_el is not None else None
        author = None
        if author_el is not None:
            names = _children(author_el)
            author = blank_to_none(_text(names.get("name"))) or blank_to_none(_text(names.get("username")))
        text, quote = html_to_text(_text(kids.get("message")), split_quote=True)
        comment = Comment(
            id=post_id,
            text=text,
            quote=quote,
            parent_id=_attr(parent_el, "id") if parent_el is not None else None,
            author=author,
            timestamp=blank_to_none(_text(kids.get("createdAt"))),
            thread=thread_id,
            thread_title=titles.get(thread_id) if thread_id is not None else None,
            source=context.source,
            line=line,
        )
        reason = "deleted" if _true(_text(kids.get("isDeleted"))) else "spam" if _true(_text(kids.get("isSpam"))) else None
        _drop(element)
        if reason and not include_deleted:
            context.skip(reason)
            yield Skipped(comment, reason)
        else:
            yield comment


#: comment_approved values that mean the comment is not live and not awaiting review.
_WXR_SKIP_STATUS = {"spam": "spam", "trash": "trash", "post-trashed": "trash"}
_WXR_COMMENT_TYPES = {"", "comment", "review"}
_WXR_TAGS = ("{*}item", "{*}comment", "{*}title", "{*}link", "{*}post_id", "{*}guid", "{*}encoded")


def read_wxr(source: Source, context: ReaderContext, encoding: str | None, include_deleted: bool, chunk_size: int) -> Iterator[Record | Skipped]:
    article: dict[str, str | None] = {}
    for element in _elements(source, context, _WXR_TAGS, "rss", encoding, chunk_size):
        if isinstance(element, ReadError):
            yield element
            continue
        local = _local(element.tag)
        parent = element.getparent()
        if local == "item":
            article.clear()
            _drop(element)
            continue
        if parent is None or _local(parent.tag) != "item":
            continue  # the channel's own <title>/<link>
        if local != "comment":
            if local == "encoded":
                element.clear()  # the article body: never scored, never kept
            else:
                article[local] = blank_to_none(_text(element))
            continue
        line = element.sourceline
        context.line = line
        kids = {name: _text(child) for name, child in _children(element).items()}
        _drop(element)
        comment_id = blank_to_none(kids.get("comment_id"))
        if comment_id is None:
            yield context.error(line, "a <wp:comment> without a wp:comment_id")
            continue
        text, quote = html_to_text(kids.get("comment_content"), split_quote=True)
        comment = Comment(
            id=comment_id,
            text=text,
            quote=quote,
            parent_id=blank_to_none(kids.get("comment_parent")),
            author=blank_to_none(kids.get("comment_author")),
            timestamp=blank_to_none(kids.get("comment_date_gmt")) or blank_to_none(kids.get("comment_date")),
            thread=article.get("post_id") or article.get("link") or article.get("guid"),
            thread_title=article.get("title"),
            source=context.source,
            line=line,
        )
        status = (kids.get("comment_approved") or "").strip().lower()
        kind = (kids.get("comment_type") or "").strip().lower()
        reason = _WXR_SKIP_STATUS.get(status)
        if reason is None and kind not in _WXR_COMMENT_TYPES:
            reason = kind
        if reason and not include_deleted:
            context.skip(reason)
            yield Skipped(comment, reason)
        else:
            yield comment


def read_xml(
    fmt: str,
    source: Source,
    context: ReaderContext,
    *,
    encoding: str | None = None,
    include_deleted: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[Record | Skipped]:
    reader = read_disqus if fmt == "disqus" else read_wxr
    yield from reader(source, context, encoding, include_deleted, chunk_size)

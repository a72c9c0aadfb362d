"""Disqus export XML and WordPress WXR, streamed safely.

Both are parsed incrementally with defusedxml's expat parser, fed one chunk
at a time: entity declarations (the billion-laughs bomb), external entities
and external DTDs are refused at the declaration, before anything expands,
and nothing is ever fetched from the network. Only the record being read is
held in memory: a small parse target builds the subtree of one Disqus
`<post>`/`<thread>` or one WordPress `<wp:comment>` and hands it over; the
article bodies in a WXR `<content:encoded>` are never even kept.

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
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

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


def _attr(element: ET.Element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: ET.Element, name: str) -> str | None:
    child = _child(element, name)
    return child.text if child is not None else None


class _WrongRoot(Exception):
    """Raised from the parse target: the document is XML, but not the export expected."""


class _Target:
    """An expat parse target that builds only the subtrees worth keeping.

    `capture(depth, local_name, path)` says whether an element starts a
    subtree to build; finished subtrees queue up in `ready` with the line
    their start tag is on. `on_start` sees every element above capture depth.
    """

    def __init__(self, capture: Callable[[int, str], bool], on_start: Callable[[int, str, dict], None] | None = None,
                 root: str | None = None):
        self.capture = capture
        self.expected_root = root
        self.on_start = on_start
        self.parser = None  # set once the parser exists: its expat object gives line numbers
        self.depth = 0
        self.stack: list[ET.Element] = []
        self.texts: list[list[str]] = []
        self.start_line = 0
        self.ready: list[tuple[int, ET.Element]] = []
        self.root_tag: str | None = None

    def start(self, tag: str, attrib: dict) -> None:
        self.depth += 1
        if self.depth == 1:
            self.root_tag = tag
            if self.expected_root and _local(tag) != self.expected_root:
                raise _WrongRoot(_local(tag))
        if self.stack:
            element = ET.SubElement(self.stack[-1], tag, attrib)
            self.stack.append(element)
            self.texts.append([])
            return
        local = _local(tag)
        if self.capture(self.depth, local):
            self.start_line = self.parser.CurrentLineNumber if self.parser is not None else 0
            self.stack.append(ET.Element(tag, attrib))
            self.texts.append([])
        elif self.on_start is not None:
            self.on_start(self.depth, local, attrib)

    def data(self, text: str) -> None:
        if self.texts:
            self.texts[-1].append(text)

    def end(self, tag: str) -> None:
        self.depth -= 1
        if not self.stack:
            return
        element = self.stack.pop()
        element.text = "".join(self.texts.pop())
        if not self.stack:
            self.ready.append((self.start_line, element))

    def close(self) -> None:
        return None


def _open_parser(target: _Target, transcode: bool):
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(
        target=target,
        encoding="utf-8" if transcode else None,
        forbid_dtd=False,
        forbid_entities=True,
        forbid_external=True,
    )
    target.parser = parser.parser
    return parser


def _parse(
    source: Source,
    context: ReaderContext,
    target: _Target,
    encoding: str | None,
    chunk_size: int,
) -> Iterator[tuple[int, ET.Element] | ReadError]:
    """Feed the document to the parser chunk by chunk; yield finished subtrees, then any error."""
    from defusedxml import DefusedXmlException

    transcoder = None
    declared = _DECLARED.search(source.head[:200])
    declared_name = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    if encoding:
        transcoder = codecs.getincrementaldecoder(encoding)("strict")
    elif declared_name.replace("_", "-") in ("utf-8", "utf8", "us-ascii", "ascii"):
        guess = guess_encoding(source.head)
        if guess.settled and codecs.lookup(guess.encoding).name not in ("utf-8", "utf-8-sig"):
            # Declared UTF-8 but written in a legacy encoding (old WordPress plugins do this).
            transcoder = codecs.getincrementaldecoder(guess.encoding)("strict")
    parser = _open_parser(target, transcode=transcoder is not None)
    stream = source.stream
    try:
        while True:
            data = stream.read(chunk_size)
            if transcoder is not None:
                text = transcoder.decode(data, final=not data)
                data_out = text.encode("utf-8")
                if data_out:
                    parser.feed(data_out)
            elif data:
                parser.feed(data)
            while target.ready:
                yield target.ready.pop(0)
            if not data:
                break
        parser.close()
    except DefusedXmlException as exc:
        while target.ready:
            yield target.ready.pop(0)
        yield context.error(_line(target), f"refused: the XML declares entities or external references ({exc.__class__.__name__}); exports never need them, and they are how XML bombs and file-disclosure attacks work")
        return
    except ET.ParseError as exc:
        while target.ready:
            yield target.ready.pop(0)
        line, column = exc.position
        message = str(exc).split(":")[0]
        hint = ""
        if "no element found" in message:
            message = "the document ends early (truncated file?)"
        elif "invalid token" in message or "not well-formed" in message:
            hint = "; if the export is not UTF-8, give its encoding (e.g. cp1252)"
        yield context.error(line, f"malformed XML at line {line}, column {column + 1}: {message}{hint}; records after this point are not read")
        return
    except _WrongRoot as exc:
        kind = "Disqus export (<disqus>)" if target.expected_root == "disqus" else "WordPress export (<rss>)"
        yield context.error(_line(target), f"not a {kind}: the root element is <{exc.args[0]}>")
        return
    except UnicodeDecodeError as exc:
        while target.ready:
            yield target.ready.pop(0)
        yield context.error(_line(target), f"bytes that do not decode as {exc.encoding}; records after this point are not read")
        return
    while target.ready:
        yield target.ready.pop(0)


def _line(target: _Target) -> int | None:
    try:
        return target.parser.CurrentLineNumber if target.parser is not None else None
    except Exception:  # noqa: BLE001
        return None


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


def read_disqus(source: Source, context: ReaderContext, encoding: str | None, include_deleted: bool, chunk_size: int) -> Iterator[Record | Skipped]:
    target = _Target(capture=lambda depth, local: depth == 2, root="disqus")
    titles: dict[str, str | None] = {}
    for item in _parse(source, context, target, encoding, chunk_size):
        if isinstance(item, ReadError):
            yield item
            continue
        line, element = item
        context.line = line
        kind = _local(element.tag)
        if kind == "thread":
            thread_id = _attr(element, "id")
            if thread_id is not None:
                titles[thread_id] = blank_to_none(_text(element, "title")) or blank_to_none(_text(element, "link"))
            continue
        if kind != "post":
            continue
        post_id = _attr(element, "id")
        if post_id is None:
            yield context.error(line, "a <post> without a dsq:id attribute")
            continue
        kids = {_local(child.tag): child for child in element}
        thread_el = kids.get("thread")
        parent_el = kids.get("parent")
        thread_id = _attr(thread_el, "id") if thread_el is not None else None
        author_el = kids.get("author")
        author = None
        if author_el is not None:
            author = blank_to_none(_text(author_el, "name")) or blank_to_none(_text(author_el, "username"))
        message = kids.get("message")
        text, quote = html_to_text(message.text if message is not None else None, split_quote=True)
        comment = Comment(
            id=post_id,
            text=text,
            quote=quote,
            parent_id=_attr(parent_el, "id") if parent_el is not None else None,
            author=author,
            timestamp=blank_to_none(kids["createdAt"].text) if "createdAt" in kids else None,
            thread=thread_id,
            thread_title=titles.get(thread_id) if thread_id is not None else None,
            source=context.source,
            line=line,
        )
        deleted, spam = kids.get("isDeleted"), kids.get("isSpam")
        reason = "deleted" if deleted is not None and _true(deleted.text) else "spam" if spam is not None and _true(spam.text) else None
        if reason and not include_deleted:
            context.skip(reason)
            yield Skipped(comment, reason)
        else:
            yield comment


#: comment_approved values that mean the comment is not live and not awaiting review.
_WXR_SKIP_STATUS = {"spam": "spam", "trash": "trash", "post-trashed": "trash"}
_WXR_COMMENT_TYPES = {"", "comment", "review"}


def read_wxr(source: Source, context: ReaderContext, encoding: str | None, include_deleted: bool, chunk_size: int) -> Iterator[Record | Skipped]:
    article: dict[str, str | None] = {}

    def on_start(depth: int, local: str, attrib: dict) -> None:
        if local == "item":
            article.clear()

    # Inside an <item> (depth 3): keep its title, link, post id and comments; skip the article body.
    def capture(depth: int, local: str) -> bool:
        return depth == 4 and local in ("title", "link", "post_id", "comment", "guid")

    target = _Target(capture=capture, on_start=on_start, root="rss")
    for item in _parse(source, context, target, encoding, chunk_size):
        if isinstance(item, ReadError):
            yield item
            continue
        line, element = item
        local = _local(element.tag)
        if local != "comment":
            article[local] = blank_to_none(element.text)
            continue
        context.line = line
        kids = {_local(child.tag): child.text for child in element}
        comment_id = blank_to_none(kids.get("comment_id"))
        if comment_id is None:
            yield context.error(line, "a <wp:comment> without a wp:comment_id")
            continue
        thread = article.get("post_id") or article.get("link") or article.get("guid")
        text, quote = html_to_text(kids.get("comment_content"), split_quote=True)
        comment = Comment(
            id=comment_id,
            text=text,
            quote=quote,
            parent_id=blank_to_none(kids.get("comment_parent")),
            author=blank_to_none(kids.get("comment_author")),
            timestamp=blank_to_none(kids.get("comment_date_gmt")) or blank_to_none(kids.get("comment_date")),
            thread=thread,
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

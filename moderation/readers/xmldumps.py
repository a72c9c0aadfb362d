"""Disqus export XML and WordPress WXR, streamed safely.

Both are parsed incrementally with an lxml `XMLPullParser` fed 64 KiB at a
time (libxml2, C speed, about three times the throughput of the pure-Python
expat path; fed by hand rather than through `iterparse` so that reading can
resume after a syntax error), configured (`SAFE_PARSER_OPTIONS`) the way the
lxml and defusedxml documentation advise for untrusted XML: no
entity resolution, no DTD loading, no network, `huge_tree` off (libxml2's
own limits on text size and entity amplification stay on). On top of that a
document that carries a DTD at all (`<!DOCTYPE ... [<!ENTITY ...>]>`, the
billion-laughs bomb, an external entity) is refused before any record is
read: exports never need one. Only the record being read is held in memory:
each finished `<post>` or `<wp:comment>` is cleared and dropped from the
tree once read; a WXR article body (`<content:encoded>`) is dropped unread.

A syntax error part-way (a bare `&` or `<` in a message, a mismatched tag,
a control character, bytes that do not decode) is reported as one ReadError
with its line and column; every record before it has been yielded, and
reading resumes at the next record's start tag (`<post>`, or `<item>` /
`<wp:comment>`) with a fresh parser primed with the document's root start
tag, so only the record holding the error is lost. What cannot be recovered
is said in docs/dumps.md (an unclosed CDATA section or comment swallows the
rest of the file; a truncated file ends at the cut).

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
from moderation.readers.decoding import _MARK_HANDLER, guess_encoding, is_ascii_compatible
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
    """A file-like view of a stream in another encoding as UTF-8 bytes, for the parser.

    Bytes that do not decode are passed on as one invalid UTF-8 byte (0xFF),
    so libxml2 reports them at their line and the reader resumes after the
    record holding them, instead of the whole rest of the file being lost.
    """

    def __init__(self, stream, encoding: str, chunk_size: int):
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder(encoding)(_MARK_HANDLER)
        self.chunk_size = chunk_size

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(self.chunk_size if size is None or size < 0 else size)
        return self.decoder.decode(data, final=not data).encode("utf-8", "surrogateescape")




def _parse_source(source: Source, encoding: str | None, chunk_size: int):
    """(stream to parse, encoding to force on the first parser, encoding of the bytes for a resumed parser)."""
    if encoding:
        return _Transcoded(source.stream, encoding, chunk_size), "utf-8", "utf-8"
    declared = _DECLARED.search(source.head[:200])
    declared_name = declared.group(1).decode("ascii").lower().replace("_", "-") if declared else "utf-8"
    guess = guess_encoding(source.head)
    name = codecs.lookup(guess.encoding).name
    if not is_ascii_compatible(name):
        # Transcoded so that resynchronising after an error can search the bytes for a tag.
        return _Transcoded(source.stream, guess.encoding, chunk_size), "utf-8", "utf-8"
    if declared_name in ("utf-8", "utf8", "us-ascii", "ascii") and guess.settled and name not in ("utf-8", "utf-8-sig"):
        # Declared UTF-8 but written in a legacy encoding (old WordPress plugins do this).
        return _Transcoded(source.stream, guess.encoding, chunk_size), "utf-8", "utf-8"
    try:
        codecs.lookup(declared_name)
    except LookupError:
        # A declaration naming no known encoding (often damage): read the bytes as detected instead.
        return _Transcoded(source.stream, guess.encoding, chunk_size), "utf-8", "utf-8"
    return source.stream, None, declared_name


#: The lxml parser settings for untrusted XML: the ones defusedxml's lxml
#: advice and lxml's own FAQ give. No entity is ever substituted, no DTD is
#: loaded (so no external entity or external DTD is fetched), no network
#: access, and huge_tree off keeps libxml2's limits on text-node size, depth
#: and entity amplification. tests/test_readers_xml_safety.py checks each
#: attack against these settings alone, without the DOCTYPE refusal on top.
SAFE_PARSER_OPTIONS = dict(
    resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, dtd_validation=False,
    remove_comments=True, remove_pis=True, recover=False,
)

#: Where reading can resume after a syntax error: the start tag of the next
#: record. Disqus: a <post>, or a top-level <thread> (not a post's own
#: self-closing <thread dsq:id/> reference). WordPress: an <item>, or the
#: next <wp:comment> inside the current one.
_RESUME = {
    "disqus": re.compile(rb"<post[\s>/]|<thread\b[^<>]*(?<!/)>"),
    "rss": re.compile(rb"<item[\s>]|<wp:comment[\s>]"),
}
_DEFAULT_ROOT = {
    "disqus": b'<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">',
    "rss": (b'<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            b'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
            b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">'),
}
#: Bytes kept from a chunk's end while searching the next one for a start tag cut in two.
_TAG_OVERLAP = 64
_PIECE = 64 * 1024


class Resumed:
    """Yielded by `_elements` when reading resumes after a syntax error.

    `at_item` says it resumed at a new WordPress <item> (the article context
    of the broken one is gone) rather than at a <wp:comment> inside the same one.
    """

    __slots__ = ("at_item",)

    def __init__(self, at_item: bool):
        self.at_item = at_item


def _root_tag(head: bytes, root: str) -> bytes:
    """The document's own root start tag (its namespace declarations), for a resumed parser."""
    match = re.search(rb"<" + root.encode() + rb"\b[^<>]*>", head)
    if match and not match.group(0).endswith(b"/>"):
        return re.sub(rb"\s+", b" ", match.group(0))  # on one line: resumed line numbers stay exact
    return _DEFAULT_ROOT[root]


def _syntax_message(exc) -> tuple[int | None, int, str]:
    line, column = exc.position if exc.position else (exc.lineno, 0)
    message = (exc.msg or str(exc)).split(", line ")[0].splitlines()[0]
    return line, column or 0, message


def _offset_of(window: bytes, window_line: int, line: int, column: int) -> int:
    """The byte offset in `window` of (absolute line, column), at least 0; 0 if the line is before the window."""
    if line < window_line:
        return 0
    offset = 0
    for _ in range(line - window_line):
        found = window.find(b"\n", offset)
        if found < 0:
            return len(window)
        offset = found + 1
    end = window.find(b"\n", offset)
    end = len(window) if end < 0 else end
    return min(offset + max(column - 1, 0), end)


def _close(parser):
    """`parser.close()`, dropping the end events that a failing close() makes up.

    lxml 6.2 changed close(): when the document is not well-formed it now
    emits an end event for every element still open (lxml 6.1 and earlier did
    that only with recover=True). Those elements were never closed in the
    file: a record cut off by a truncated export, or the record whose bare
    "&" stalled the parser. Yielded, such a record would be read as a whole
    comment and also reported as an error. The caller reads every queued
    event before calling this, so what a failing close() queues is dropped.

    Nothing real is lost that way, under either lxml. libxml2 only holds data
    back while it waits for the end of something (a bare "&" for its ";", a
    comment or CDATA section for its end, a tag for its ">", text for the
    next "<"); a close() that fails either fails on that very construct or
    has only trailing text left, so it never parses a real end tag. Only
    close() does this: a syntax error raised by feed() comes with real events
    alone, which the caller still yields. (Checked with lxml 6.1.3 on 3,000
    randomly cut and broken exports: a failing close() never queued an event
    there.) Counting the closing tags in the bytes fed cannot tell these
    events apart: a stalled parser has been fed whole records past its error.
    """
    from lxml import etree

    try:
        return parser.close()
    except etree.XMLSyntaxError:
        for _ in parser.read_events():
            pass
        raise


def _elements(source: Source, context: ReaderContext, tags: tuple[str, ...], root: str,
              encoding: str | None, chunk_size: int) -> Iterator[object]:
    """(element, line offset) pairs for end events of `tags`, ReadErrors, and Resumed markers.

    The DTD check comes first. A syntax error is reported with its line and
    column, and reading resumes at the next record's start tag (see _RESUME)
    with a fresh parser that is handed the document's root start tag first;
    a record's absolute line is its element's sourceline plus the offset.
    """
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
    stream, forced, resume_encoding = _parse_source(source, encoding, chunk_size)
    kind = "Disqus export (<disqus>)" if root == "disqus" else "WordPress export (<rss>)"
    resume_at = _RESUME[root]
    root_tag = _root_tag(source.head, root)
    # Fed in pieces of at most 64 KiB (as lxml's iterparse does): a gzip stream
    # that turns out truncated loses only what its failing read had decompressed.
    piece = min(chunk_size, _PIECE)

    def new_parser(forced_encoding):
        try:
            return etree.XMLPullParser(events=("end",), tag=tags, encoding=forced_encoding, **SAFE_PARSER_OPTIONS)
        except LookupError:  # a declared name Python knows and libxml2 does not: let libxml2 detect
            return etree.XMLPullParser(events=("end",), tag=tags, **SAFE_PARSER_OPTIONS)

    parser = new_parser(forced)
    # "done": the furthest line at which an element was yielded (where a record starts).
    state = {"first": True, "checked": False, "stop": False, "events": 0, "done": 0}
    # A parser that has been fed whole records without yielding one is stalled:
    # libxml2 waits for the ";" of a bare "&" and would buffer the rest of the
    # file. Two record end tags fed with no event in between mean that.
    record_end = re.compile(rb"</post>" if root == "disqus" else rb"</wp:comment>|</item>")
    stalled_ends = 0
    last_resume: tuple[int, bytes] | None = None
    offset = 0  # absolute line = parser line + offset
    prefix_len = 0  # bytes of synthetic prefix on a resumed parser's line 1

    def drain():
        for _, element in parser.read_events():
            if state["first"] and not state["checked"]:
                state["checked"] = True
                tree = element.getroottree()
                if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
                    state["stop"] = True
                    yield context.error(element.sourceline, refusal)
                    return
                top = tree.getroot()
                if _local(top.tag) != root:
                    state["stop"] = True
                    yield context.error(top.sourceline, f"not a {kind}: the root element is <{_local(top.tag)}>")
                    return
            state["events"] += 1
            line = element.sourceline + offset
            if line > state["done"]:
                state["done"] = line
            yield element, offset

    # The data fed to the current parser (no prefix) since the last piece that
    # yielded a record, that piece included, and the absolute line of its first
    # byte: an error lies in it, so it is where to look for the place to resume.
    # Bounded: a piece that yields a record resets it; a stall is closed early.
    kept: list[bytes] = []
    kept_line = 1
    line_at = 1  # absolute line of the next byte read from the stream
    pending: tuple[bytes, bytes, int] | None = None  # (to feed, data without the prefix, its first line)
    eof = False
    top = None
    while True:
        if pending is not None:
            to_feed, data, data_line = pending
            pending = None
        else:
            data = stream.read(piece)
            data_line = line_at
            line_at += data.count(b"\n")
            eof = not data
            to_feed = data
        try:
            if to_feed:
                parser.feed(to_feed)
            if eof or stalled_ends >= 2:
                # Every event queued so far is real: yield them before close(),
                # which drops what it queues itself when it fails (see _close).
                yield from drain()
                if state["stop"]:
                    return
                top = _close(parser)  # a stalled parser reports its pending error here
        except LookupError as exc:  # lxml: the declaration names an encoding libxml2 does not know
            yield from drain()
            yield context.error(None, f"the XML declaration names an unknown encoding ({exc}); give the "
                                "export's encoding (e.g. --encoding cp1252); records after this point are not read")
            return
        except etree.XMLSyntaxError as exc:
            yield from drain()
            if state["stop"]:
                return
            line, column, message = _syntax_message(exc)
            if "amplification" in message or "entity" in message.lower() and "loop" in message.lower():
                yield context.error(line, f"refused: the XML declares entities that expand without bound ({message}); exports never need entity declarations")
                return
            absolute = (line or 1) + offset
            if line == 1:
                column = max(column - prefix_len, 0)
            if "Premature end" in message:
                message += " (the document ends early: truncated file?)"
            if "Invalid bytes" in message or "not proper UTF-8" in message or "Input is not proper" in message:
                message += "; if the export is not UTF-8, give its encoding (e.g. --encoding cp1252)"
            where = f"malformed XML at line {absolute}, column {column}: {message}"
            at_end = eof  # the error came with the end of the file: a truncated export
            # Find the next record's start tag after the error, reading on if need be.
            window = b"".join(kept) + data
            window_line = kept_line if kept else data_line
            start = _offset_of(window, window_line, absolute, column)
            if not state["first"] and not kept:
                start = max(start, 1)  # past the start tag this parser resumed at: always progress
            if absolute < state["done"]:
                # libxml2 noted the error earlier but went on (an attribute or namespace
                # error is reported only at the end): never resume before a record that
                # has been read already; look from the line after the last one.
                start = max(start, _offset_of(window, window_line, state["done"] + 1, 1))
            buffer, buffer_line = window[start:], window_line + window.count(b"\n", 0, start)
            found = -1
            while True:
                match = resume_at.search(buffer)
                if match and last_resume and (buffer_line + buffer.count(b"\n", 0, match.start()),
                                              buffer[match.start():match.start() + 256]) == last_resume:
                    match = resume_at.search(buffer, match.start() + 1)  # never resume twice at one place
                if match:
                    found = match.start()
                    break
                if eof:
                    break
                more = stream.read(piece)
                line_at += more.count(b"\n")
                if not more:
                    eof = True
                    continue
                keep = buffer[-_TAG_OVERLAP:]
                buffer_line += buffer.count(b"\n", 0, len(buffer) - len(keep))
                buffer = keep + more
            if found < 0:
                if at_end:
                    yield context.error(absolute, f"{where}; the file ends inside a record (truncated?), which is not read")
                else:
                    yield context.error(absolute, f"{where}; the record holding it is not read, and no record starts after it")
                return
            resume_line = buffer_line + buffer.count(b"\n", 0, found)
            yield context.error(absolute, f"{where}; the record holding it is not read, reading resumes at line {resume_line}")
            at_item = not buffer.startswith(b"<wp:comment", found)
            prefix = root_tag + (b"<channel>" if root == "rss" else b"") + (b"<item>" if root == "rss" and not at_item else b"")
            yield Resumed(at_item)
            parser = new_parser(resume_encoding)
            state["first"] = False
            offset = resume_line - 1
            prefix_len = len(prefix)
            rest = buffer[found:]
            last_resume = (resume_line, rest[:256])
            pending = (prefix + rest, rest, resume_line)
            kept, kept_line = [], resume_line
            stalled_ends = 0
            continue
        if stalled_ends >= 2:  # closed without an error: nothing was pending after all
            yield from drain()
            return
        before = state["events"]
        yield from drain()
        if state["stop"]:
            return
        if state["events"] != before:
            stalled_ends = 0
            kept, kept_line = [data], data_line
        elif data:
            if not kept:
                kept_line = data_line
            kept.append(data)
            stalled_ends += len(record_end.findall(data))
            if stalled_ends >= 2 and not eof:
                pending = (b"", b"", line_at)  # close it on the next turn, with this window kept
                continue
        if eof:
            if state["first"] and not state["checked"] and top is not None and _local(top.tag) != root:
                yield context.error(top.sourceline, f"not a {kind}: the root element is <{_local(top.tag)}>")
            return


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
    for item in _elements(source, context, ("{*}post", "{*}thread"), "disqus", encoding, chunk_size):
        if type(item) is not tuple:
            if isinstance(item, ReadError):
                yield item
            continue  # Resumed: a Disqus reader keeps no state inside a record
        element, offset = item
        parent = element.getparent()
        if parent is None or parent.getparent() is not None:
            continue  # a post's own <thread dsq:id/> reference, read with the post
        line = element.sourceline + offset
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
    for item in _elements(source, context, _WXR_TAGS, "rss", encoding, chunk_size):
        if type(item) is not tuple:
            if isinstance(item, ReadError):
                yield item
            elif item.at_item:
                article.clear()  # resumed at a new <item>: the broken one's title and id are gone
            continue
        element, offset = item
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
        line = element.sourceline + offset
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

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
`<post dsq:id>` elements are comments, `<message>` holds HTML. A post that
refers to its thread or parent by text (`<thread>1</thread>`, Disqus's
import shape) names an `<id>`, resolved whatever the order of the file
(`_TextReferences`: a post is held, boundedly, until what it names has been
read). WordPress: each
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
import html as _html
import itertools
import logging
import re
from collections import OrderedDict
from collections.abc import Iterator

from moderation.readers.base import ReaderContext, Record, blank_to_none
from moderation.readers.decoding import _MARK_HANDLER, guess_encoding, is_ascii_compatible
from moderation.readers.htmltext import html_to_text
from moderation.readers.sources import DEFAULT_CHUNK_SIZE, Source
from moderation.readers.threads import DEFAULT_MAX_PENDING, DEFAULT_WINDOW
from moderation.records import Comment, ReadError

#: Warnings on stderr (the scan's handler), as for a page with no reader comments.
_log = logging.getLogger("moderation.readers")

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
    return _record_children(element)[0]


def _record_children(element, body: str | None = None) -> tuple[dict, list]:
    """`_children` of a record, and every `body` child after the first (a body written twice: see _body)."""
    kids: dict = {}
    more = []
    for child in element:
        tag = child.tag
        if isinstance(tag, str):
            name = _local(tag)
            if name not in kids:
                kids[name] = child
            elif name == body:
                more.append(child)
    return kids, more


def _body(first, more: list) -> tuple[str, str | None]:
    """(text, quote) of a record's HTML body: the body element `first` and any `more`, joined by a blank line.

    A record that carries its body in two elements (`<message>` twice) would
    otherwise lose all but the first unread (QA pass 7, finding 7); both are
    the commenter's words. Each is made text on its own (an unclosed tag in
    one cannot swallow the next), empty ones add nothing, and each one's
    opening quotation goes to the quote, joined the same way.
    """
    if not more:
        return html_to_text(_text(first), split_quote=True)
    texts, quotes = [], []
    for element in (first, *more):
        text, quote = html_to_text(_text(element), split_quote=True)
        if text:
            texts.append(text)
        if quote:
            quotes.append(quote)
    return "\n\n".join(texts), "\n\n".join(quotes) or None


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




def _single_byte(name: str) -> bool:
    """Whether every byte is one character in this (ASCII-compatible) encoding."""
    return len(bytes(range(256)).decode(name, "surrogateescape")) == 256


def _parse_source(source: Source, encoding: str | None, chunk_size: int):
    """(stream to parse, encoding to force on the first parser, encoding for a resumed parser, UTF-8?).

    The parser is given either UTF-8 or a single-byte encoding, so that a
    column libxml2 reports (in characters) can be found in the bytes: the
    last value says which. Anything else is transcoded to UTF-8 first.
    """
    if encoding:
        return _Transcoded(source.stream, encoding, chunk_size), "utf-8", "utf-8", True
    declared = _DECLARED.search(source.head[:200])
    declared_name = declared.group(1).decode("ascii").lower().replace("_", "-") if declared else "utf-8"
    guess = guess_encoding(source.head)
    name = codecs.lookup(guess.encoding).name
    if not is_ascii_compatible(name):
        # Transcoded so that resynchronising after an error can search the bytes for a tag.
        return _Transcoded(source.stream, guess.encoding, chunk_size), "utf-8", "utf-8", True
    if declared_name in ("utf-8", "utf8", "us-ascii", "ascii") and guess.settled and name not in ("utf-8", "utf-8-sig"):
        # Declared UTF-8 but written in a legacy encoding (old WordPress plugins do this).
        return _Transcoded(source.stream, guess.encoding, chunk_size), "utf-8", "utf-8", True
    try:
        declared_codec = codecs.lookup(declared_name).name
    except LookupError:
        # A declaration naming no known encoding (often damage): read the bytes as detected instead.
        return _Transcoded(source.stream, guess.encoding, chunk_size), "utf-8", "utf-8", True
    if declared_codec in ("utf-8", "utf-8-sig", "ascii") or not is_ascii_compatible(declared_codec):
        return source.stream, None, declared_name, True  # (libxml2 reads 8-bit bytes labelled UTF-16 as UTF-8)
    if not _single_byte(declared_codec):  # Shift_JIS, GB18030, EUC-KR...: characters of varying length
        return _Transcoded(source.stream, declared_codec, chunk_size), "utf-8", "utf-8", True
    return source.stream, None, declared_name, False


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
#: What can follow the end of a record: the next record's start tag, or the document's end.
_BETWEEN_RECORDS = {
    "disqus": re.compile(rb"\s*(?:<post[\s>/]|<thread\b|</disqus\s*>|\Z)"),
    "rss": re.compile(rb"\s*(?:<item[\s>]|<wp:comment[\s>]|</item\s*>|</channel\s*>|</rss\s*>|\Z)"),
}
#: The document's end tag. A file that has it after the error's record is not cut off, even when
#: the error comes at the end of the file: libxml2 halts at an undefined entity (`&foo;`) without
#: raising, and only close() reports it, as it reports a file cut off.
_DOCUMENT_END = {
    "disqus": re.compile(rb"</disqus\s*>"),
    "rss": re.compile(rb"</rss\s*>"),
}
#: Bytes kept from a chunk's end while searching the next one for a start tag cut in two.
_TAG_OVERLAP = 512
_PIECE = 64 * 1024
#: Numbers for the parsers' base_url names (see _syntax_error).
_PARSER_IDS = itertools.count()


class Resumed:
    """Yielded by `_elements` when reading resumes after a syntax error.

    `at_item` says it resumed at a new WordPress <item> (the article context
    of the broken one is gone) rather than at a <wp:comment> inside the same one.
    """

    __slots__ = ("at_item",)

    def __init__(self, at_item: bool):
        self.at_item = at_item


#: UTF-8 continuation bytes: every other byte starts a character.
_CONTINUATION = bytes(range(0x80, 0xC0))


#: A reference to a named entity XML does not predefine (`&nbsp;`, `&copy;`, `&foo;`).
_NAMED_REF = re.compile(rb"&(?!(?:lt|gt|amp|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});")
#: The same, with the CDATA section marks, for reading a piece in order.
_REF_OR_CDATA = re.compile(rb"<!\[CDATA\[|\]\]>|" + _NAMED_REF.pattern)
#: A piece's end that may be a reference or a CDATA mark cut in two: held back for the next piece.
_CUT_END = re.compile(rb"(?:&[A-Za-z0-9]{0,31}|<(?:!(?:\[(?:C(?:D(?:A(?:T(?:A)?)?)?)?)?)?)?|\]\]?)\Z")


@functools.lru_cache(maxsize=1)
def _html_references() -> dict[bytes, bytes]:
    """HTML entity name -> the same characters as XML numeric character references.

    The same number of bytes where the number fits (`&nbsp;` -> `&#160;`,
    `&eacute;` -> `&#00233;`), so columns on the line stay the file's own.
    """
    import html.entities

    table = {}
    for name, chars in html.entities.html5.items():
        if not name.endswith(";") or name[:-1] in ("lt", "gt", "amp", "quot", "apos"):
            continue
        width = len(name) - 2  # "&" + name + ";" is len(name) + 1 bytes; "&#" + digits + ";" is digits + 3
        if len(chars) == 1 and len(str(ord(chars))) <= width:
            table[name[:-1].encode("ascii")] = b"&#%0*d;" % (width, ord(chars))
        else:
            table[name[:-1].encode("ascii")] = b"".join(b"&#%d;" % ord(c) for c in chars)
    return table


class _HtmlEntities:
    """Turns HTML named entity references outside CDATA into numeric character references, piece by piece.

    Disqus messages and WordPress comments are HTML, and exports write
    `&nbsp;`, `&copy;`, `&eacute;` outside CDATA though XML defines none of
    them: libxml2 would stop at each, and the record would be lost. Written
    as the character references they stand for, they read as the characters
    they name, which is what the HTML meant. This is a fixed table (HTML5's),
    not a DTD: nothing is declared, nothing expands into more references, no
    name outside the table is touched (`&foo;` stays an error), and inside
    CDATA the text is left as it is (it is literal there). The pieces come
    in order; a reference or CDATA mark cut by a piece's end is held back
    and put before the next piece.
    """

    __slots__ = ("held", "in_cdata")

    def __init__(self):
        self.held = b""
        self.in_cdata = False

    def __call__(self, data: bytes, final: bool) -> bytes:
        if self.held:
            data, self.held = self.held + data, b""
        if not final:
            cut = _CUT_END.search(data, max(len(data) - 40, 0))
            if cut:
                data, self.held = data[:cut.start()], data[cut.start():]
        if _NAMED_REF.search(data) is None:  # nearly every piece: only the CDATA state to follow
            opened, closed = data.rfind(b"<![CDATA["), data.rfind(b"]]>")
            if opened != closed:
                self.in_cdata = opened > closed
            return data
        table = _html_references()
        out, at = [], 0
        for match in _REF_OR_CDATA.finditer(data):
            mark = match.group(0)
            if mark == b"<![CDATA[":
                self.in_cdata = True
            elif mark == b"]]>":
                self.in_cdata = False
            elif not self.in_cdata:
                replacement = table.get(match.group(1))
                if replacement is not None:
                    out.append(data[at:match.start()])
                    out.append(replacement)
                    at = match.end()
        out.append(data[at:])
        return b"".join(out)


class _Tape:
    """The bytes lately read from the stream, each piece with where it starts in the file.

    libxml2 reports an error as (line, column), counting the column in
    characters, not bytes, from the start of the line; in a minified export
    the line is the whole file, far longer than the bytes kept. So each piece
    read keeps its absolute byte offset and the line and column (in the
    parser's characters) of its first byte, and a (line, column) is found in
    the bytes by counting characters from the nearest piece start before it,
    whatever the piece size and line layout. Pieces before the point where an
    error can still be are forgotten, so memory stays bounded.
    """

    def __init__(self, stream, piece: int, utf8: bool):
        self.stream = stream
        self.piece = piece
        self.utf8 = utf8
        self.pieces: list[tuple[int, int, int, bytes]] = []  # (offset, line, column, bytes)
        self.end = 0  # absolute offset of the next byte to read
        self.line = 1
        self.column = 1
        self.eof = False
        self.entities = _HtmlEntities()

    def _chars(self, data: bytes) -> int:
        return len(data.translate(None, _CONTINUATION)) if self.utf8 else len(data)

    def read(self) -> bytes:
        """The next piece of the stream (b"" at its end), kept on the tape, HTML entities as references."""
        data = b""
        while not data and not self.eof:
            raw = self.stream.read(self.piece)
            self.eof = not raw
            data = self.entities(raw, final=self.eof)
        if not data:
            return b""
        if self.end == 0 and data.startswith(codecs.BOM_UTF8):
            self.column = 0  # libxml2 does not count a byte order mark
        self.pieces.append((self.end, self.line, self.column, data))
        self.end += len(data)
        newlines = data.count(b"\n")
        if newlines:
            self.line += newlines
            self.column = 1 + self._chars(data[data.rindex(b"\n") + 1:])
        else:
            self.column += self._chars(data)
        return data

    def slice(self, start: int, end: int | None = None) -> bytes:
        """The kept bytes from absolute offset `start` (or the first kept byte) to `end`."""
        end = self.end if end is None else end
        parts = [data for offset, _, _, data in self.pieces if offset < end and offset + len(data) > start]
        if not parts:
            return b""
        first = next(offset for offset, _, _, data in self.pieces if offset + len(data) > start)
        return b"".join(parts)[max(start - first, 0):end - first]

    def forget_before(self, offset: int) -> None:
        """Drop the pieces that end at or before absolute `offset`."""
        while self.pieces and self.pieces[0][0] + len(self.pieces[0][3]) <= offset:
            self.pieces.pop(0)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of the byte at absolute `offset`."""
        for start, line, column, data in reversed(self.pieces):
            if start <= offset:
                head = data[:offset - start]
                newline = head.rfind(b"\n")
                if newline < 0:
                    return line, column + self._chars(head)
                return line + head.count(b"\n"), 1 + self._chars(head[newline + 1:])
        return (self.pieces[0][1], self.pieces[0][2]) if self.pieces else (self.line, self.column)

    def offset(self, line: int, column: int) -> int:
        """Absolute offset of the character at (line, column); the first kept byte if that is before the tape."""
        for index in range(len(self.pieces) - 1, -1, -1):
            start, piece_line, piece_column, _ = self.pieces[index]
            if (piece_line, piece_column) <= (line, column):
                break
        else:
            return self.pieces[0][0] if self.pieces else self.end
        # The position is in this piece; the next one is joined for a character cut in two.
        data = b"".join(piece[3] for piece in self.pieces[index:index + 2])
        at, base = 0, piece_column
        for _ in range(line - piece_line):
            newline = data.find(b"\n", at)
            if newline < 0:
                return start + len(data)
            at, base = newline + 1, 1
        line_end = data.find(b"\n", at)
        line_end = len(data) if line_end < 0 else line_end
        count = max(column - base, 0)
        if self.utf8:
            chars = data[at:min(line_end, at + 4 * count)].decode("utf-8", "surrogateescape")[:count]
            return start + at + len(chars.encode("utf-8", "surrogateescape"))
        return start + min(at + count, line_end)

    def find(self, pattern: re.Pattern, start: int) -> int:
        """Absolute offset of the first match of `pattern` at or after `start`, reading on as needed; -1 if none."""
        at = start
        while True:
            match = pattern.search(self.slice(at))
            if match:
                return max(at, self.pieces[0][0]) + match.start()
            at = max(at, self.end - _TAG_OVERLAP)  # a start tag cut in two is found whole next time
            self.forget_before(at)
            if not self.read():
                return -1


def _root_tag(head: bytes, root: str) -> bytes:
    """The document's own root start tag (its namespace declarations), for a resumed parser."""
    match = re.search(rb"<" + root.encode() + rb"\b[^<>]*>", head)
    if match and not match.group(0).endswith(b"/>"):
        return re.sub(rb"\s+", b" ", match.group(0))  # on one line: resumed line numbers stay exact
    return _DEFAULT_ROOT[root]


def _syntax_error(exc, url: str) -> tuple[int, int, str, bool]:
    """(line, column, message, stopped) of the error that stopped libxml2.

    The exception names the first error of the parse. That is not always
    where parsing stopped: a namespace or attribute error libxml2 only notes
    and reads past, raised later with the error that did stop it (or at the
    end of the file), after the records that follow it have been read. And
    an exception can be made up altogether (see below). lxml attaches the
    thread's recent error log, newest last, where this parser's entries carry
    its base_url (`url`): its first fatal one is where parsing stopped.
    `stopped` is False when there is none: libxml2 read everything it was fed.
    """
    from lxml import etree

    line, column = exc.position if exc.position else (exc.lineno, 0)
    line, column = line or 1, column or 0
    message = _first_line((exc.msg or str(exc)).split(", line ")[0])
    # The log is the thread's, shared by every parser: only this parser's entries count.
    entries = [entry for entry in exc.error_log if entry.filename == url]
    for entry in entries:
        # libxml2 gives nothing out after its first fatal error. It also halts on some
        # (an undefined entity, "&nbsp;") without raising, and then raises a made-up
        # one ("no element found" at line 0, "Start tag expected" at line 1).
        if entry.level == etree.ErrorLevels.FATAL:
            return entry.line or line, entry.column or 0, _first_line(entry.message) or message, True
    for entry in entries:
        if (entry.line, entry.column) == (line, column) and _first_line(entry.message) == message:
            return line, column, message, False  # only noted errors: libxml2 read all it was fed
    return line, column, message, True  # not in the log (it rotated out): as the exception says


def _first_line(text: str | None) -> str:
    """A libxml2 message without the excerpt of the document some of them carry on further lines."""
    return (text or "").strip().split("\n", 1)[0]


#: The longest piece of the input (or of a message quoting it) an error message repeats.
_QUOTE_LIMIT = 200
#: libxml2's wordings that name its internals or advise a parser option the user cannot set.
_PLAIN = (
    (re.compile(r"^Excessive depth in document: (\d+).*"), r"elements nested more than \1 deep (the safe limit)"),
    (re.compile(r"^Resource limit exceeded: Buffer size limit exceeded.*"),
     "a single tag or value larger than the safe limit (10 MB)"),
    (re.compile(r"^Resource limit exceeded: (.*?),? try XML_PARSE_HUGE.*"), r"\1 (over the safe limit of 10 MB)"),
    (re.compile(r"^xmlParseEntityRef: no name"), "a bare '&' (write it as &amp;)"),
    (re.compile(r"^EntityRef: expecting ';'"), "an '&' with no ';' after its name (a bare & is written &amp;)"),
    (re.compile(r"^xmlParseCharRef: invalid xmlChar value (\d+)"), r"a character reference to character \1, which XML forbids"),
    (re.compile(r"^xml\w+: "), ""),
    (re.compile(r",? (?:use|try) XML_PARSE_HUGE(?: option)?"), ""),
)


def _plain(message: str) -> str:
    """A libxml2 message for a reader of the report: no internal names, no option advice, at most 200 characters."""
    for pattern, replacement in _PLAIN:
        message = pattern.sub(replacement, message, count=1)
    return _clip(message)


def _clip(text: str, limit: int = _QUOTE_LIMIT) -> str:
    """`text` cut to `limit` characters, saying how long it was: a message never echoes a huge input."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


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
    column, and reading resumes at the first record start tag (see _RESUME)
    after the point where libxml2 stopped, with a fresh parser that is handed
    the document's root start tag first; a record's absolute line is its
    element's sourceline plus the offset.

    Where libxml2 stopped is never before the end of a record it has given
    out (it stops at the first fatal error, and gives nothing out after it),
    so resuming there repeats no record; and it is inside the broken record
    or at the very start of the next one, so the first start tag from there
    skips no complete record. The _Tape turns its (line, character column)
    into a byte offset.
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
    stream, forced, resume_encoding, utf8 = _parse_source(source, encoding, chunk_size)
    kind = "Disqus export (<disqus>)" if root == "disqus" else "WordPress export (<rss>)"
    resume_at = _RESUME[root]
    root_tag = _root_tag(source.head, root)
    # Fed in pieces of at most 64 KiB (as lxml's iterparse does).
    tape = _Tape(stream, min(chunk_size, _PIECE), utf8)

    def new_parser(forced_encoding):
        # A name of its own (never fetched: no DTD, no network) marks this parser's entries in the error log.
        url = f"moderation-xml-{next(_PARSER_IDS)}"
        try:
            parser = etree.XMLPullParser(events=("end",), tag=tags, encoding=forced_encoding, base_url=url,
                                         **SAFE_PARSER_OPTIONS)
        except LookupError:  # a declared name Python knows and libxml2 does not: let libxml2 detect
            parser = etree.XMLPullParser(events=("end",), tag=tags, base_url=url, **SAFE_PARSER_OPTIONS)
        return parser, url

    parser, url = new_parser(forced)
    state = {"first": True, "checked": False, "stop": False, "events": 0}
    # A parser that has been fed whole records without yielding one is stalled:
    # libxml2 waits for the ";" of a bare "&" and would buffer the rest of the
    # file. Two record end tags fed with no event in between mean that.
    record_end = re.compile(rb"</post>" if root == "disqus" else rb"</wp:comment>|</item>")
    stalled_ends = 0
    offset = 0  # absolute line = parser line + offset
    # The current parser's first byte from the file (after its synthetic prefix
    # on line 1), and that byte's file line and column.
    base, base_line, base_column, prefix_len = 0, 1, 1, 0
    fed = 0  # absolute offset of the next byte for the parser
    starts = [0, 0]  # where the last two pieces fed started: an error is at or after the earlier one
    prefix = b""

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
                    yield context.error(top.sourceline, f"not a {kind}: the root element is <{_clip(_local(top.tag))}>")
                    return
            state["events"] += 1
            yield element, offset

    top = None
    while True:
        data = tape.slice(fed) if fed < tape.end else tape.read()
        starts = [starts[1], fed]
        fed += len(data)
        eof = not data
        if eof:
            context.end_line = tape.line  # the line after the last one read whole
        to_feed, prefix = prefix + data, b""
        try:
            if to_feed:
                parser.feed(to_feed)
            before = state["events"]
            yield from drain()
            if state["stop"]:
                return
            if state["events"] != before:
                stalled_ends = 0
                # libxml2 stopped after the end of the record it gave out last,
                # which it read in one of the last two pieces at the latest.
                tape.forget_before(max(base, starts[0]))
            elif data:
                stalled_ends += len(record_end.findall(data))
            if eof or stalled_ends >= 2:
                # Every event queued so far is real and yielded: close() drops
                # what it queues itself when it fails (see _close).
                top = _close(parser)  # a stalled parser reports its pending error here
        except LookupError as exc:  # lxml: the declaration names an encoding libxml2 does not know
            yield from drain()
            yield context.error(None, f"the XML declaration names an unknown encoding ({_clip(str(exc))}); give the "
                                "export's encoding (e.g. --encoding cp1252); records after this point are not read")
            return
        except etree.XMLSyntaxError as exc:
            yield from drain()
            if state["stop"]:
                return
            line, column, message, stopped = _syntax_error(exc, url)
            if "amplification" in message or "entity" in message.lower() and "loop" in message.lower():
                yield context.error(line, f"refused: the XML declares entities that expand without bound ({_plain(message)}); exports never need entity declarations")
                return
            buffer_limit = "Buffer size limit" in message
            message = _plain(message)
            # The parser's (line, column) in the file's; its line 1 starts with the prefix.
            if line == 1:
                line, column = base_line, base_column + column - prefix_len - 1
            else:
                line += base_line - 1
            column = max(column, 1)
            if "Premature end" in message:
                message += " (the document ends early: truncated file?)"
            if "Invalid bytes" in message or "not proper UTF-8" in message or "Input is not proper" in message:
                message += "; if the export is not UTF-8, give its encoding (e.g. --encoding cp1252)"
            where = f"malformed XML at line {line}, column {column}: {message}"
            # No fatal error: libxml2 read all it was fed, so look after that.
            stop = tape.offset(line, column) if stopped else fed
            if not state["first"]:
                stop = max(stop, base + 1)  # past the start tag this parser resumed at: always progress
            # libxml2 checks the size of its input buffer after parsing what it was fed: a huge
            # token (a 20 MB attribute) read whole makes it stop there, between records, with
            # every record before that point given out. Then no record is lost: no error (the
            # record with the huge value is the reader's to refuse), read on from there.
            between = False
            if buffer_limit:
                while tape.end < stop + 64 and tape.read():
                    pass
                between = _BETWEEN_RECORDS[root].match(tape.slice(stop, stop + 64)) is not None
            found = tape.find(resume_at, stop)
            if between and found < 0:
                return
            if found < 0:  # (the tape has been read to the end of the file, its last bytes kept)
                if _DOCUMENT_END[root].search(tape.slice(stop)) is None:
                    # The file stops before the document does, whether or not the error came with its
                    # end (that depends on where the pieces fell): a truncated export.
                    yield context.cut_off(line, f"{where}; the file ends inside a record (truncated?), which is not read")
                else:
                    yield context.error(line, f"{where}; the record holding it is not read, and no record starts after it")
                return
            base_line, base_column = tape.position(found)
            if not between:
                yield context.error(line, f"{where}; the record holding it is not read, reading resumes at line {base_line}")
            at_item = not tape.slice(found, found + len(b"<wp:comment")).startswith(b"<wp:comment")
            prefix = root_tag + (b"<channel>" if root == "rss" else b"") + (b"<item>" if root == "rss" and not at_item else b"")
            yield Resumed(at_item)
            parser, url = new_parser(resume_encoding)
            state["first"] = False
            offset = base_line - 1
            prefix_len = len(prefix)
            base = fed = found
            starts = [found, found]
            tape.forget_before(found)
            stalled_ends = 0
            continue
        if eof or stalled_ends >= 2:  # closed without an error (a stalled one: nothing was pending after all)
            yield from drain()  # what a close() that succeeds gives out is real
            if state["first"] and not state["checked"] and top is not None and _local(top.tag) != root:
                yield context.error(top.sourceline, f"not a {kind}: the root element is <{_clip(_local(top.tag))}>")
            return


def _drop(element, nested: bool = False) -> None:
    """Free a finished element and the siblings before it (the lxml iterparse idiom).

    A record `nested` in another record is only cleared: the siblings before
    it belong to the outer record, which is read after it.
    """
    element.clear()
    if nested:
        return
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _reference(element) -> tuple[str | None, bool]:
    """(the id a post's <thread> or <parent> points at, whether it is given as text).

    Exports write `<parent dsq:id="7"/>`, a dsq:id; Disqus's documented import
    shape writes the reference as text (`<thread>1</thread>`), naming the
    thread's or post's own `<id>`, which is resolved later (_TextReferences).
    """
    if element is None:
        return None, False
    attr = _attr(element, "id")
    if attr:
        return attr, False
    text = blank_to_none(_text(element))
    return text, text is not None


#: Longer than any id an export writes: a record with such an id is damage, not a comment.
_MAX_ID = 1000


def _too_long(ids: dict[str, str | None]) -> str | None:
    """Why a record is refused for an absurdly long id; None if it is not.

    libxml2 reads an attribute of many megabytes whole; such a value, copied
    into every output record as an id, is never a real one.
    """
    for name, value in ids.items():
        if value is not None and len(value) > _MAX_ID:
            return f"whose {name} is {len(value):,} characters long (ids are at most {_MAX_ID:,}): not read"
    return None


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


#: Posts held at most while they wait for the <thread> or post their text reference names.
_MAX_HELD = DEFAULT_MAX_PENDING
#: Posts with an <id> remembered by it, for text <parent> references: the last this many (the default depth window).
_POST_WINDOW = DEFAULT_WINDOW


class _Held:
    """A post read, waiting for the thread or parent its text reference names."""

    __slots__ = ("record", "comment", "identifier", "thread_text", "parent_text", "order")

    def __init__(self, record: Comment | Skipped, identifier: str | None, thread_text: str | None,
                 parent_text: str | None, order: int):
        self.record = record
        self.comment = record.comment if type(record) is Skipped else record
        self.identifier = identifier
        self.thread_text = thread_text
        self.parent_text = parent_text
        self.order = order  # the post's place in the file, for giving held posts out in file order


class _TextReferences:
    """Resolves Disqus's text references (`<thread>1</thread>`, `<parent>p1</parent>`) whatever the order.

    A text reference names the thread's or post's own `<id>` (the site's
    identifier), not the dsq:id the post is known by, so it is resolved to
    that dsq:id (a thread or post with no dsq:id is known by its `<id>`
    anyway). What it names may come later in the file (posts before their
    `<thread>`, a reply before its parent): such a post is held until that
    has been read, then given out after it, so an article is one thread and
    a reply carries its parent's id, in any order. Memory stays bounded: at
    most `_MAX_HELD` posts are held (past that the oldest goes out with its
    reference as written, counted in `overflow`), and the posts that have an
    `<id>` are remembered by it in a window of the last `window` of them
    read (`DepthResolver` remembers depths the same way, in a window of the
    same default size). A post whose reference names nothing in the export
    goes out at the end, as written, and is counted in `unresolved`. Posts
    that refer by dsq:id, as Disqus's own exports do, are never held, and
    their `<id/>` is empty there, so nothing is remembered for them either.
    """

    def __init__(self, titles: dict[str, str | None], thread_ids: dict[str, str], window: int):
        self.titles = titles  # thread id -> title
        self.thread_ids = thread_ids  # a thread's <id> -> its id
        self.window = window
        self.posts: OrderedDict[tuple[str | None, str], str] = OrderedDict()  # (thread, <id>) -> id
        self.waiting: dict[tuple, list[_Held]] = {}  # what is awaited -> the posts awaiting it, in file order
        self.held: OrderedDict[int, tuple[tuple, _Held]] = OrderedDict()  # every held post, by when it was held
        self.unresolved = 0  # given out at the end, naming what never came
        self.overflow = 0  # given out early, when more than _MAX_HELD waited
        self._order = itertools.count()

    def post(self, record: Comment | Skipped, identifier: str | None, thread_text: str | None,
             parent_text: str | None) -> list[Comment | Skipped]:
        """A post read: it and the posts it frees; or none, if it waits (the oldest held may go out instead)."""
        if thread_text is None and parent_text is None and not self.held:
            # Nearly every post (dsq:id references, nothing waiting): no bookkeeping beyond the <id>.
            if identifier is not None:
                comment = record.comment if type(record) is Skipped else record
                self._remember((comment.thread, identifier), comment.id)
            return [record]
        entry = _Held(record, identifier, thread_text, parent_text, next(self._order))
        awaited = self._resolve(entry) if thread_text is not None or parent_text is not None else None
        if awaited is None:
            return self._out([entry])
        self._wait(awaited, entry)
        out: list[Comment | Skipped] = []
        while len(self.held) > _MAX_HELD:
            self.overflow += 1
            out += self._release(next(iter(self.held.values()))[1])
        return out

    def thread(self, identifier: str | None, thread_id: str) -> list[Comment | Skipped]:
        """A <thread> read: the held posts that named it, in file order, and the posts they free."""
        if not self.held:
            return []
        ready = self._freed(("thread", thread_id))
        if identifier is not None and identifier != thread_id:
            ready += self._freed(("thread", identifier))
            ready.sort(key=lambda entry: entry.order)
        return self._out(ready)

    def flush(self) -> list[Comment | Skipped]:
        """At the end of the export: every post still held, its references as written, in file order."""
        out: list[Comment | Skipped] = []
        for _, entry in sorted(self.held.values(), key=lambda item: item[1].order):
            if id(entry) in self.held:  # (not given out already, freed by one released before it)
                self.unresolved += 1
                out += self._release(entry)
        return out

    def _resolve(self, entry: _Held) -> tuple | None:
        """Resolve what can be; None if the post is ready, else the key of what it waits for."""
        comment = entry.comment
        if entry.thread_text is not None:
            text = entry.thread_text
            thread = self.thread_ids.get(text) or (text if text in self.titles else None)
            if thread is None:
                return ("thread", text)
            comment.thread, comment.thread_title = thread, self.titles.get(thread)
            entry.thread_text = None
        if entry.parent_text is not None:
            key = (comment.thread, entry.parent_text)
            parent = self.posts.get(key)
            if parent is None:
                return ("post", *key)
            self.posts.move_to_end(key)
            comment.parent_id = parent
            entry.parent_text = None
        return None

    def _remember(self, key: tuple[str | None, str], post_id: str) -> None:
        posts = self.posts
        posts[key] = post_id
        posts.move_to_end(key)
        if len(posts) > self.window:
            posts.popitem(last=False)

    def _wait(self, key: tuple, entry: _Held) -> None:
        self.waiting.setdefault(key, []).append(entry)
        self.held[id(entry)] = (key, entry)

    def _release(self, entry: _Held) -> list[Comment | Skipped]:
        """A held post given out with its references as written (what they name is not in sight), and what it frees."""
        key, _ = self.held.pop(id(entry))
        siblings = self.waiting[key]
        siblings.remove(entry)
        if not siblings:
            del self.waiting[key]
        if entry.thread_text is not None:
            entry.comment.thread = entry.thread_text
        if entry.parent_text is not None:
            entry.comment.parent_id = entry.parent_text
        return self._out([entry])

    def _out(self, ready: list[_Held]) -> list[Comment | Skipped]:
        """`ready` posts in order, each followed by the held posts that waited for it alone."""
        out: list[Comment | Skipped] = []
        stack = list(reversed(ready))
        while stack:
            entry = stack.pop()
            out.append(entry.record)
            if entry.identifier is None:
                continue  # a text reference names an <id>: nothing can name this post
            comment = entry.comment
            key = (comment.thread, entry.identifier)
            self._remember(key, comment.id)
            if self.held:
                stack.extend(reversed(self._freed(("post", *key))))
        return out

    def _freed(self, key: tuple) -> list[_Held]:
        """The posts that waited for `key` and now wait for nothing (one still missing its parent waits on)."""
        entries = self.waiting.pop(key, None)
        if not entries:
            return []
        ready = []
        for entry in entries:
            del self.held[id(entry)]
            awaited = self._resolve(entry)
            if awaited is None:
                ready.append(entry)
            else:  # its thread has come, its parent not yet
                self._wait(awaited, entry)
        return ready


def read_disqus(source: Source, context: ReaderContext, encoding: str | None, include_deleted: bool, chunk_size: int) -> Iterator[Record | Skipped]:
    titles: dict[str, str | None] = {}
    # A thread's own <id> (the site's identifier) -> its dsq:id: Disqus's documented import
    # shape refers to a thread by that identifier as text (<thread>1</thread>). One entry per article.
    thread_ids: dict[str, str] = {}
    # Text references (<thread>1</thread>, <parent>p1</parent>) name an <id>: resolved whatever the order.
    references = _TextReferences(titles, thread_ids, _POST_WINDOW)
    untitled = 0  # posts read before their <thread dsq:id/> (the export is streamed: their title is not known yet)
    for item in _elements(source, context, ("{*}post", "{*}thread"), "disqus", encoding, chunk_size):
        if type(item) is not tuple:
            if isinstance(item, ReadError):
                yield item
            continue  # Resumed: a Disqus reader keeps no state inside a record
        element, offset = item
        parent = element.getparent()
        if parent is None:
            continue
        # A <post> is a comment wherever it is: one nested inside another post is
        # read too, never dropped unseen (QA pass 5, finding 9); it is only cleared
        # when read, as the outer post's children before it are still to be read.
        nested = parent.getparent() is not None
        if nested and _local(element.tag) == "thread":
            continue  # a post's own <thread dsq:id/> reference, read with the post
        line = element.sourceline + offset
        context.line = line
        kids, more_messages = _record_children(element, "message")
        if _local(element.tag) == "thread":
            identifier = blank_to_none(_text(kids.get("id")))
            thread_id = _attr(element, "id") or identifier
            if thread_id is not None:
                titles[thread_id] = blank_to_none(_text(kids.get("title"))) or blank_to_none(_text(kids.get("link")))
                if identifier is not None:
                    thread_ids[identifier] = thread_id
                _drop(element)
                yield from references.thread(identifier, thread_id)
                continue
            _drop(element)
            continue
        identifier = blank_to_none(_text(kids.get("id")))
        post_id = _attr(element, "id") or identifier
        if post_id is None:
            _drop(element, nested)
            yield context.error(line, "a <post> with neither a dsq:id attribute nor an <id>")
            continue
        thread_el, parent_el, author_el = kids.get("thread"), kids.get("parent"), kids.get("author")
        thread_id, thread_by_text = _reference(thread_el)
        parent_id, parent_by_text = _reference(parent_el)
        too_long = _too_long({"dsq:id": post_id, "thread": thread_id, "parent": parent_id}) if (
            len(post_id) > _MAX_ID or len(thread_id or "") > _MAX_ID or len(parent_id or "") > _MAX_ID) else None
        if too_long:
            _drop(element, nested)
            yield context.error(line, f"a <post> {too_long}")
            continue
        if thread_id is not None and not thread_by_text and thread_id not in titles:
            untitled += 1
        author = None
        if author_el is not None:
            names = _children(author_el)
            author = blank_to_none(_text(names.get("name"))) or blank_to_none(_text(names.get("username")))
        text, quote = _body(kids.get("message"), more_messages)
        comment = Comment(
            id=post_id,
            text=text,
            quote=quote,
            parent_id=None if parent_by_text else parent_id,
            author=author,
            timestamp=blank_to_none(_text(kids.get("createdAt"))),
            thread=None if thread_by_text else thread_id,
            thread_title=titles.get(thread_id) if thread_id is not None and not thread_by_text else None,
            source=context.source,
            line=line,
        )
        reason = "deleted" if _true(_text(kids.get("isDeleted"))) else "spam" if _true(_text(kids.get("isSpam"))) else None
        _drop(element, nested)
        if reason and not include_deleted:
            context.skip(reason)
            record: Comment | Skipped = Skipped(comment, reason)
        else:
            record = comment
        yield from references.post(record, identifier, thread_id if thread_by_text else None,
                                   parent_id if parent_by_text else None)
    yield from references.flush()
    if references.overflow:
        _log.warning("%s: %d posts came before the <thread> or post that their text reference names, with more "
                     "than %d such posts waiting at once, so they were read before it: kept as written",
                     context.source, references.overflow, _MAX_HELD)
    if references.unresolved:
        _log.warning("%s: %d posts name a <thread> or <parent> by a text id that is not in the export "
                     "(or was read more than %d posts with an <id> earlier): kept as written", context.source,
                     references.unresolved, _POST_WINDOW)
    if untitled:
        _log.warning("%s: %d posts came before their <thread> element, so they have no thread title "
                     "(Disqus writes every <thread> before the posts; their ids, parents and depths are kept)",
                     context.source, untitled)


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
        in_item = parent is not None and _local(parent.tag) == "item"
        if local != "comment":
            if not in_item:
                continue  # the channel's own <title>/<link>
            if local == "encoded":
                element.clear()  # the article body: never scored, never kept
            else:
                article[local] = blank_to_none(_text(element))
            continue
        if parent is None or not len(element) and "wordpress.org" not in element.tag:
            continue  # not a <wp:comment> (an RSS <wfw:comment> link)
        # A comment outside any <item> (no article: no thread) or nested in another one is
        # still a comment in the export: read, never dropped unseen (QA pass 5, finding 9).
        line = element.sourceline + offset
        context.line = line
        children, more_content = _record_children(element, "comment_content")
        kids = {name: _text(child) for name, child in children.items()}
        text, quote = _body(children.get("comment_content"), more_content)
        _drop(element, nested=_local(parent.tag) == "comment")
        comment_id = blank_to_none(kids.get("comment_id"))
        if comment_id is None:
            yield context.error(line, "a <wp:comment> without a wp:comment_id")
            continue
        too_long = _too_long({"wp:comment_id": comment_id, "wp:comment_parent": kids.get("comment_parent")}) if (
            len(comment_id) > _MAX_ID or len(kids.get("comment_parent") or "") > _MAX_ID) else None
        if too_long:
            yield context.error(line, f"a <wp:comment> {too_long}")
            continue
        comment = Comment(
            id=comment_id,
            text=text,
            quote=quote,
            parent_id=blank_to_none(kids.get("comment_parent")),
            # WordPress stores the author name HTML-escaped ("Derek &amp; Sons") and WXR writes it in
            # CDATA, so it arrives escaped: decoded once here, as the site displays it.
            author=blank_to_none(_html.unescape(kids.get("comment_author") or "")),
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

"""Splitting a thread (a run of lines) into comments with their reply tree.

Works on roles, not on sites. Adjacent metadata lines (author, time, level,
"Reply to NAME") form a `Unit`; a unit with a header line ("NAME says:",
"user • 3 hours ago") opens a comment, one with a signature ("Posted by: NAME
| DATE") closes one, and units of bare dates and names are decided per page
(text after the last unit: headers above; none: signatures below). In threads
without units, numbered and bulleted items open comments (the seed layout).
Depth comes from, in order: an explicit level, a parent named by "Reply to
NAME" / "user → parent" / "@NAME", the item kind (numbered items are top
level), else indentation against the stack of open ancestors. Vote, reply and
share lines are boilerplate; timestamps and authors are the comment's
metadata, never its `text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from moderation.records import BoilerplateLine, Comment
from moderation.segmenter.features import LineInfo, _name_like
from moderation.segmenter.patterns import AT_REPLY, NAVIGATION, WHEN_SEARCH

BOILERPLATE_ROLES = {"boilerplate", "thread_header", "furniture", "form", "nav_heading"}
_OPEN_QUOTES = "“\"‘'«„"
_CLOSE_QUOTES = "”\"’'»“"


@dataclass
class _Draft:
    first_line: int  #: 1-based line number where the comment starts
    indent: int
    author: str | None = None
    timestamp: str | None = None
    depth: int | None = None  #: explicit (level N)
    parent_name: str | None = None
    numbered: bool = False
    body: list[tuple[int, str]] = field(default_factory=list)  #: (line, text) incl. blanks as ""
    closed: bool = False
    index: int = -1
    #: closed by a signature with a time and no name ("Like · Reply · 2h"): the
    #: name is the comment's first line (Facebook's comments plugin)
    name_above: bool = False

    @property
    def has_text(self) -> bool:
        return any(t for _, t in self.body)


def _clean_author(name: str | None) -> str | None:
    if not name:
        return None
    name = WHEN_SEARCH.sub(" ", name)
    name = " ".join(name.strip().strip(":/|,-").split())
    if name.startswith(USER_PREFIXES) and len(name) > 2:
        name = name.split("/", 2)[-1]  # Reddit's "u/name": the name is the user
    return name or None


#: Site prefixes printed before a user name.
USER_PREFIXES = ("u/",)  # (a leading "/" is stripped before the test)


def _clean_when(when: str | None) -> str | None:
    return when.strip().rstrip(".").strip() if when else None


#: Header patterns that always sit above their comment's text.
LEAD = {"says", "dated_said", "wrote", "disqus_header", "reddit_old_header", "slashdot", "posted_by", "level"}
#: Signature patterns that always sit below it.
TRAIL = {"by_trailer", "posted_trailer", "links_when_trailer"}
#: Signatures without a name, whose comment starts with the commenter's name.
NAME_ABOVE_TRAILERS = {"links_when_trailer"}
HEADERISH = {"lead", "meta", "name", "trailer", "reply_to", "deleted"}


@dataclass
class Unit:
    """A comment's metadata lines (adjacent), and whether they open a comment
    (header above its text) or close one (signature below its text)."""

    lines: list[int]  #: indexes into the thread's infos
    opens: bool


def plan_thread(infos: list[LineInfo]) -> tuple[list[str], list[Unit]]:
    """Per-line roles in thread context, and the metadata units.

    Roles: 'blank', 'boilerplate:<kind>', 'item', 'text', or a header-ish role
    ('lead', 'meta', 'name', 'trailer', 'reply_to') covered by a `Unit`.
    """
    roles: list[str] = []
    nav_block: str | None = None  # "paragraph" or "rest"
    for info in infos:
        r = info.role
        name = info.match.pattern.name if info.match else ""
        if r == "blank":
            roles.append("blank")
            if nav_block == "paragraph":
                nav_block = None
            continue
        if nav_block == "rest" and r == "thread_header" and info.weight > 0:
            nav_block = None  # "ALSO ON ..." teasers above the thread: "7 Comments" opens it
        if nav_block == "rest" or (nav_block and r not in ("start", "level", "name", "trailer")):
            roles.append(f"boilerplate:{NAVIGATION}")
            continue
        nav_block = None
        if r == "nav_heading":
            # Disqus's "ALSO ON <SITE>" teaser list runs to the end of the page
            # (its items may be blank-separated), unless a comment-section
            # heading follows: then the teaser sat above the thread.
            nav_block = "rest" if name == "also_on" else "paragraph"
            roles.append(f"boilerplate:{NAVIGATION}")
        elif r in BOILERPLATE_ROLES:
            roles.append(f"boilerplate:{info.kind or NAVIGATION}")
        elif r in ("start", "level"):
            roles.append("lead" if name in LEAD else "meta")
        elif r == "timestamp":
            roles.append("meta")
        elif r == "trailer" or name in TRAIL:
            roles.append("trailer")
        elif r in ("name", "reply_to", "deleted"):
            roles.append(r)
        elif r == "item":
            roles.append("item")
        else:
            roles.append("text")
    _vote_counts_beside_links(infos, roles)
    # Units: runs of adjacent header-ish lines; a new lead line starts a new unit
    # unless only a "level N" line came before it in the run.
    units: list[Unit] = []
    run: list[int] = []

    def flush() -> None:
        if run:
            units.append(Unit(list(run), False))
            run.clear()

    for i, role in enumerate(roles):
        if role not in HEADERISH:
            flush()
            continue
        if role in ("lead", "deleted") and run and not all(infos[j].role == "level" for j in run):
            # A placeholder right under a header ("Guest • 4 hours ago" / "This comment
            # was deleted.") is that header's comment, not a second one.
            if not (role == "deleted" and any(roles[j] == "lead" for j in run)
                    and not any(roles[j] in ("deleted", "trailer") for j in run)):
                flush()
        run.append(i)
    flush()
    if units:
        has_lead = any(roles[j] == "lead" for u in units for j in u.lines)
        # With no lead lines, the page decides: text after the last unit means
        # headers sit above their comments; none means signatures below.
        last_end = units[-1].lines[-1]
        after = sum(len(infos[j].line.text) for j in range(last_end + 1, len(roles)) if roles[j] in ("text", "item"))
        gaps = [sum(len(infos[j].line.text) for j in range(a.lines[-1] + 1, b.lines[0]) if roles[j] == "text")
                for a, b in zip(units, units[1:])]
        typical = sorted(gaps)[len(gaps) // 2] if gaps else 0
        leading_page = after > 0.3 * typical if typical else after > 0
        # A comment-section heading ("Comments (128)") with only furniture between
        # it and the first unit: that unit heads the first comment (a signature
        # would have the comment's text above it), however short the last comment.
        if after > 0 and not leading_page:
            for j in range(units[0].lines[0]):
                if infos[j].role == "thread_header" and infos[j].weight > 0:
                    leading_page = all(roles[x] == "blank" or roles[x].startswith("boilerplate:")
                                       for x in range(j + 1, units[0].lines[0]))
                    break
        # Text indented deeper than the metadata above it belongs to it.
        deeper = 0
        for u in units:
            nxt = next((j for j in range(u.lines[-1] + 1, len(roles)) if roles[j] != "blank"), None)
            if nxt is not None and roles[nxt] == "text" and infos[nxt].line.indent > infos[u.lines[0]].line.indent:
                deeper += 1
        if deeper * 2 >= len(units):
            leading_page = True
        for u in units:
            kinds = {roles[j] for j in u.lines}
            if "lead" in kinds or "deleted" in kinds:
                u.opens = True
            elif "trailer" in kinds:
                u.opens = False
            elif has_lead:
                u.opens = False  # a bare date below a "NAME said..." comment
            else:
                u.opens = leading_page
    # Items open comments only in threads that have no headers (the seed layout).
    if units:
        roles = ["text" if r == "item" else r for r in roles]
    return roles, units


_BARE_COUNT = re.compile(r"^[-+−]?\d[\d,.]*k?$")


def _vote_counts_beside_links(infos: list[LineInfo], roles: list[str]) -> None:
    """A bare number on its own line directly under or over a thread link line
    ("Reply / Report / Share / 42", the Guardian's recommendation count) is a
    vote count: navigation, like "Reply | Report | 👍 4" on one line. Alone it
    would be a comment of its own, or (read as a name above the next
    commenter's indented text) an author. A number under a date or a comment
    ("1" / "    NAME said:", a numbered blog thread) is left alone."""
    for i, role in enumerate(roles):
        if role not in ("text", "name") or _BARE_COUNT.match(infos[i].line.text) is None:
            continue
        if any(0 <= j < len(roles) and roles[j].startswith("boilerplate:")
               and infos[j].role in ("furniture", "boilerplate") for j in _neighbours(roles, i)):
            roles[i] = f"boilerplate:{NAVIGATION}"


def _neighbours(roles: list[str], i: int) -> tuple[int, int]:
    """The nearest non-blank lines above and below line i (new Reddit puts a blank
    line between a vote count and its "Reply")."""
    up = i - 1
    while up >= 0 and roles[up] == "blank":
        up -= 1
    down = i + 1
    while down < len(roles) and roles[down] == "blank":
        down += 1
    return up, down


def split_thread(infos: list[LineInfo], thread: str | None, thread_title: str | None,
                 source: str | None, plan: tuple[list[str], list[Unit]] | None = None,
                 item_starts: set[int] | None = None,
                 ) -> tuple[list[Comment], list[BoilerplateLine], dict[int, str]]:
    """Comments and thread boilerplate; plus, per line number, who owns it.
    `plan` is `plan_thread(infos)` when the caller already has it.
    `item_starts`: line numbers where the markup starts a comment item (HTML):
    a comment never runs on past one, so two commenters are never merged."""
    roles, units = plan if plan is not None else plan_thread(infos)
    unit_at = {u.lines[0]: u for u in units}
    in_unit = {j for u in units for j in u.lines}
    drafts: list[_Draft] = []
    boiler: list[BoilerplateLine] = []
    owner: dict[int, str] = {}  # line number -> "boilerplate" or draft index (as str)
    current: _Draft | None = None

    def open_draft(info: LineInfo) -> _Draft:
        nonlocal current
        if current is not None:
            current.closed = True
        current = _Draft(first_line=info.line.number, indent=info.line.indent, index=len(drafts))
        drafts.append(current)
        return current

    def own(info: LineInfo, draft: _Draft) -> None:
        owner[info.line.number] = str(draft.index)

    for i, (info, role) in enumerate(zip(infos, roles)):
        line = info.line
        if item_starts and line.number in item_starts and current is not None:
            current.closed = True  # the markup's next comment item: a new commenter
            current = None
        if i in unit_at:
            unit = unit_at[i]
            words = _words_in_signature(unit, roles, current)
            if unit.opens:
                d = open_draft(infos[unit.lines[0]])
            elif words is not None:
                # "What a waste" / "Carl" / "7 March 2024": a one-line comment as short as
                # a name, signed below; its words are the unit's top line, not a second name
                d = open_draft(infos[words])
                d.body.append((infos[words].line.number, infos[words].line.raw.strip()))
                own(infos[words], d)
            else:
                d = current if current is not None else (drafts[-1] if drafts else open_draft(info))
            for j in unit.lines:
                if j == words:
                    continue
                _take_metadata(d, infos[j], roles[j])
                own(infos[j], d)
            if not unit.opens:
                d.closed = True
                current = None
                if d.author is None and any(infos[j].match is not None and infos[j].match.pattern.name in NAME_ABOVE_TRAILERS
                                            for j in unit.lines):
                    d.name_above = True
            continue
        if i in in_unit:
            continue
        if role == "blank":
            if current is not None and current.has_text:
                current.body.append((line.number, ""))
            continue
        if role.startswith("boilerplate:"):
            boiler.append(BoilerplateLine(role.split(":", 1)[1], line.raw.strip(), line.number))
            owner[line.number] = "boilerplate"
            if (info.role == "furniture" and current is not None and current.has_text
                    and info.match.pattern.name != "badge_line"):  # "Top fan" under a name ends nothing
                current.closed = True  # "Reply • Share ›" ends a comment
            continue
        if role == "item":
            d = open_draft(info)
            d.numbered = info.match.pattern.name == "numbered_item"
            d.body.append((line.number, info.groups.get("rest", line.text)))
            own(info, d)
            continue
        # text
        if current is None or current.closed:
            open_draft(info)
        current.body.append((line.number, line.raw.strip()))
        own(info, current)

    comments = _build_tree(drafts, thread, thread_title, source)
    return comments, boiler, owner


def _words_in_signature(unit: Unit, roles: list[str], current: _Draft | None) -> int | None:
    """The top line of a closing unit of two name lines above a date, when there is
    no comment text for the unit to close: that line is the comment."""
    if unit.opens or (current is not None and current.has_text):
        return None
    names = [j for j in unit.lines if roles[j] == "name"]
    if len(names) < 2 or names[0] != unit.lines[0] or not any(roles[j] == "meta" for j in unit.lines):
        return None
    return names[0]


def _after_first_line(body: list[str]) -> list[str]:
    """`body` without its first line (a name taken as the author) and the blank lines after it."""
    i = 1
    while i < len(body) and not body[i]:
        i += 1
    return body[i:]


def _take_metadata(d: _Draft, info: LineInfo, role: str) -> None:
    g = info.groups
    if role == "name":
        d.author = d.author or info.line.text
        return
    if role == "reply_to":
        d.parent_name = g.get("parent")
        return
    if role == "deleted":
        return  # the placeholder line is the comment's only content; its text stays empty
    if info.role == "level" and "depth" in g:
        d.depth = int(g["depth"]) - 1
        return
    d.author = d.author or _clean_author(g.get("author"))
    d.timestamp = d.timestamp or _clean_when(g.get("when"))
    if g.get("parent"):
        d.parent_name = g["parent"]


def _split_quote(body: list[str]) -> tuple[str | None, list[str]]:
    """A leading block of fully quoted (or '>'-prefixed) lines, when text follows it."""
    n = 0
    for i, t in enumerate(body):
        if not t:
            if n:
                continue
            break
        if t.startswith(">") or (t[0] in _OPEN_QUOTES and t[-1] in _CLOSE_QUOTES and len(t) > 2):
            n = i + 1
            continue
        break
    quoted = [t for t in body[:n] if t]
    rest = body[n:]
    while rest and not rest[0]:
        rest = rest[1:]
    if not quoted or not rest:
        return None, body
    quote = "\n".join(t.lstrip(">").strip() for t in quoted)
    return quote, rest


def _build_tree(drafts: list[_Draft], thread, thread_title, source) -> list[Comment]:
    comments: list[Comment] = []
    path: list[tuple[_Draft, Comment]] = []  # the chain of open ancestors
    children: dict[str | None, int] = {}
    by_author: dict[str, Comment] = {}
    by_id: dict[str, tuple[_Draft, Comment]] = {}

    for d in drafts:
        body = [t for _, t in d.body]
        while body and not body[-1]:
            body.pop()
        if d.author and body and body[0].casefold() == d.author.casefold():
            body = _after_first_line(body)  # the name shown above a signed comment: metadata, not words
        if d.name_above and d.author is None and len([t for t in body if t]) >= 2 and _name_like(body[0]):
            d.author = " ".join(body[0].split())  # "Mark Taylor" / text / "Like · Reply · 2h" (NBSP as a space)
            body = _after_first_line(body)
        parent_name = d.parent_name
        if d.author and parent_name is None:
            # New Disqus copied as text: "Angry Resident  Tom Barnes", the reply arrow icon
            # lost between the author and the parent (an earlier commenter, exactly)
            head, _, tail = d.author.rpartition("  ")
            if head.strip() and tail.strip().lower().lstrip("@") in by_author:
                d.author, parent_name = head.strip(), tail.strip()
        if parent_name is None and body:
            m = AT_REPLY.match(body[0])
            if m:
                parent_name = m.group("parent")
        parent: Comment | None = None
        if d.depth is not None:
            path = [p for p in path if p[1].depth < d.depth]
            parent = path[-1][1] if path else None
        elif parent_name and _lookup(by_author, parent_name) is not None:
            parent = _lookup(by_author, parent_name)
            path = _ancestry(parent, by_id)
        elif d.numbered:
            path = []
        else:
            while path and path[-1][0].indent >= d.indent:
                path.pop()
            parent = path[-1][1] if path else None
        pid = parent.id if parent else None
        children[pid] = children.get(pid, 0) + 1
        cid = f"{pid}.{children[pid]}" if pid else f"c{children[pid]}"
        quote, text_lines = _split_quote(body)
        comment = Comment(
            id=cid, text="\n".join(text_lines), parent_id=pid,
            depth=(parent.depth + 1) if parent else 0,
            author=d.author, timestamp=d.timestamp, quote=quote,
            thread=thread, thread_title=thread_title, source=source, line=d.first_line,
        )
        comments.append(comment)
        path.append((d, comment))
        by_id[cid] = (d, comment)
        if d.author:
            by_author[d.author.lower().lstrip("@")] = comment
    return comments


def _lookup(by_author: dict[str, Comment], name: str) -> Comment | None:
    key = name.lower().lstrip("@").strip()
    if key in by_author:
        return by_author[key]
    for author, comment in reversed(list(by_author.items())):
        if author.startswith(key) or key.startswith(author):
            return comment
    return None


def _ancestry(comment: Comment, by_id: dict[str, tuple[_Draft, Comment]]) -> list[tuple[_Draft, Comment]]:
    chain = []
    cid: str | None = comment.id
    while cid is not None:
        chain.append(by_id[cid])
        cid = by_id[cid][1].parent_id
    return chain[::-1]

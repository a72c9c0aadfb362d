"""Splitting a thread (a run of lines) into comments with their reply tree.

Works on roles, not on sites: a comment opens at a header (`start`, `level`,
a name beside a timestamp, a leading timestamp), at a numbered or bulleted
item (when the thread has no headers: the seed layout), or at the first text
after a trailer closed the previous one. Depth comes from, in order: an
explicit level, a "Reply to NAME" / "@NAME" naming an earlier commenter, the
item kind (numbered items are top level), else indentation relative to the
enclosing comments (a stack). Vote, reply and share lines are boilerplate;
timestamps and author lines are the comment's metadata, never its `text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from moderation.records import BoilerplateLine, Comment
from moderation.segmenter.features import LineInfo
from moderation.segmenter.patterns import AT_REPLY, NAVIGATION

HEADER_ROLES = {"start", "level", "name"}
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

    @property
    def has_text(self) -> bool:
        return any(t for _, t in self.body)


def _clean_author(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip(":").strip()
    return name or None


def _clean_when(when: str | None) -> str | None:
    return when.strip().rstrip(".").strip() if when else None


def _assign_roles(infos: list[LineInfo]) -> list[str]:
    """Per line: 'blank', 'boilerplate:<kind>', 'header', 'ts_lead', 'ts_trail',
    'trailer', 'reply_to', 'item', 'text' (thread-context decisions made here)."""
    roles: list[str] = []
    headers = any(i.role in ("start", "level", "trailer") for i in infos)
    nav_block: str | None = None  # "paragraph" or "rest"
    for idx, info in enumerate(infos):
        r = info.role
        if r == "blank":
            roles.append("blank")
            if nav_block == "paragraph":
                nav_block = None
            continue
        if nav_block == "rest" or (nav_block and r not in HEADER_ROLES and r not in ("level", "trailer")):
            roles.append(f"boilerplate:{NAVIGATION}")
            continue
        nav_block = None
        if r == "nav_heading":
            nav_block = "rest" if info.match and info.match.pattern.name == "also_on" else "paragraph"
            roles.append(f"boilerplate:{NAVIGATION}")
        elif r in BOILERPLATE_ROLES:
            roles.append(f"boilerplate:{info.kind or NAVIGATION}")
        elif r in HEADER_ROLES:
            roles.append("header")
        elif r == "timestamp":
            roles.append("timestamp")  # decided below
        elif r == "trailer":
            roles.append("trailer")
        elif r == "reply_to":
            roles.append("reply_to")
        elif r == "item":
            roles.append("text" if headers else "item")
        else:
            roles.append("text")
    # Bare timestamps: part of a header right after one; else leading or trailing.
    leading_headers = any(r in ("header", "item") for r in roles)
    first_text = next((i for i, r in enumerate(roles) if r == "text"), len(roles))
    first_ts = next((i for i, r in enumerate(roles) if r == "timestamp"), len(roles))
    ts_leading = not leading_headers and first_ts < first_text
    prev = "blank"
    for i, r in enumerate(roles):
        if r == "timestamp":
            if prev == "header":
                roles[i] = "header"
            else:
                roles[i] = "ts_lead" if ts_leading else "ts_trail"
        if r != "blank":
            prev = roles[i]
    return roles


def split_thread(infos: list[LineInfo], thread: str | None, thread_title: str | None,
                 source: str | None) -> tuple[list[Comment], list[BoilerplateLine], dict[int, str]]:
    """Comments and thread boilerplate; plus, per line number, who owns it."""
    roles = _assign_roles(infos)
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

    for info, role in zip(infos, roles):
        line = info.line
        if role == "blank":
            if current is not None and current.has_text:
                current.body.append((line.number, ""))
            continue
        if role.startswith("boilerplate:"):
            boiler.append(BoilerplateLine(role.split(":", 1)[1], line.raw.strip(), line.number))
            owner[line.number] = "boilerplate"
            if info.role == "furniture" and current is not None and current.has_text:
                current.closed = True  # "Reply • Share ›" ends a comment
            continue
        g = info.groups
        if role in ("header", "ts_lead"):
            author = _clean_author(g.get("author")) if info.role != "name" else line.text
            when = _clean_when(g.get("when"))
            depth = int(g["depth"]) - 1 if info.role == "level" else None
            mergeable = (current is not None and not current.has_text and not current.closed
                         and not (author and current.author) and not (when and current.timestamp)
                         and not (depth is not None and current.depth is not None))
            d = current if mergeable else open_draft(info)
            d.author = d.author or author
            d.timestamp = d.timestamp or when
            if depth is not None:
                d.depth = depth
            if g.get("parent"):
                d.parent_name = g["parent"]
            own(info, d)
            continue
        if role == "ts_trail":
            target = current or (drafts[-1] if drafts else None)
            if target is None:
                target = open_draft(info)
            target.timestamp = target.timestamp or _clean_when(g.get("when"))
            own(info, target)
            if not any(r == "header" or r == "item" for r in roles):
                target.closed = True
                current = None
            continue
        if role == "trailer":
            target = current or (drafts[-1] if drafts else None)
            if target is None:
                target = open_draft(info)
            target.author = target.author or _clean_author(g.get("author"))
            target.timestamp = target.timestamp or _clean_when(g.get("when"))
            own(info, target)
            target.closed = True
            current = None
            continue
        if role == "reply_to":
            fresh = current is not None and not current.has_text and not current.closed
            d = current if fresh else open_draft(info)
            d.parent_name = g.get("parent")
            own(info, d)
            continue
        if role == "item":
            d = open_draft(info)
            d.numbered = info.match.pattern.name == "numbered_item"
            d.body.append((line.number, g.get("rest", line.text)))
            own(info, d)
            continue
        # text
        if current is None or current.closed:
            open_draft(info)
        current.body.append((line.number, line.raw.strip()))
        own(info, current)

    comments = _build_tree(drafts, thread, thread_title, source)
    return comments, boiler, owner


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
        parent_name = d.parent_name
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

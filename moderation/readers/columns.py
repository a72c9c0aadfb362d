"""Which column of a tabular dump holds what: given by the user, or detected.

Every CMS names its columns differently (`body`, `comment_text`,
`comment_content`...). Detection tries the common names, case-insensitively
and ignoring `-`/space/`_` differences; `ColumnMap` fields (the CLI's
`--text-column`, `--id-column`, `--parent-column`, `--thread-column`) win over
detection. For JSON records a name may be a dotted path (`author.name`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

#: Candidate names per field, most specific first.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "text": (
        "body", "text", "comment", "comment_text", "message", "content", "comment_content",
        "comment_body", "raw_message", "body_text", "message_text", "post_text", "comment_html", "html",
    ),
    "id": ("id", "comment_id", "commentid", "message_id", "uuid", "guid", "dsq_id", "_id", "key"),
    "parent": (
        "parent_id", "parent", "parent_comment_id", "comment_parent", "in_reply_to", "in_reply_to_id",
        "reply_to", "reply_to_id", "parentid", "parent_comment",
    ),
    "thread": (
        "thread_id", "thread", "article_id", "comment_post_id", "story_id", "asset_id", "page_id",
        "discussion_id", "article_url", "url", "link", "permalink",
    ),
    "author": (
        "author", "author_name", "comment_author", "user_name", "username", "user", "display_name",
        "name", "screen_name", "commenter",
    ),
    "timestamp": (
        "timestamp", "created_at", "createdat", "created", "comment_date_gmt", "comment_date", "date",
        "datetime", "time", "posted_at", "published_at", "created_utc", "submitted_at",
        "published_timestamp",  # Coral Talk's comment export ("Published Timestamp")
    ),
    "title": ("thread_title", "article_title", "title", "headline", "story_title", "page_title", "post_title"),
}

_SEPARATORS = re.compile(r"[\s\-]+")


def _norm(name: str) -> str:
    return _SEPARATORS.sub("_", str(name).strip().lstrip("\ufeff")).lower()


@dataclass(frozen=True)
class ColumnMap:
    """Names of the columns (or JSON keys) holding each comment field; None = detect."""

    text: str | None = None
    id: str | None = None
    parent: str | None = None
    thread: str | None = None
    author: str | None = None
    timestamp: str | None = None
    title: str | None = None

    def given(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


class ColumnError(ValueError):
    """A named column is missing, or no text column can be found: the whole dump is unreadable."""


def resolve_columns(available: list[str], columns: ColumnMap | None, *, what: str = "column") -> dict[str, str]:
    """Map each comment field to one of the `available` names.

    Raises ColumnError when a user-named column is absent or no text column is found,
    listing what the dump does have, so the fix (`--text-column NAME`) is obvious.
    """
    columns = columns or ColumnMap()
    by_norm: dict[str, str] = {}
    for name in available:
        by_norm.setdefault(_norm(name), name)
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    given = columns.given()
    for field, name in given.items():
        if name in available:
            chosen[field] = name
        elif _norm(name) in by_norm:
            chosen[field] = by_norm[_norm(name)]
        elif "." in name and name.split(".", 1)[0] in available:
            chosen[field] = name  # a dotted path into a JSON object
        else:
            raise ColumnError(
                f"no {what} named {name!r} (given for {field}); the dump has: {_listing(available)}"
            )
        taken.add(chosen[field])
    for field in ("text", "id", "parent", "thread", "author", "timestamp", "title"):
        if field in chosen:
            continue
        for candidate in CANDIDATES[field]:
            name = by_norm.get(_norm(candidate))
            if name is not None and name not in taken:
                chosen[field] = name
                taken.add(name)
                break
    if "text" not in chosen:
        raise ColumnError(
            f"no comment text {what} found (looked for {', '.join(CANDIDATES['text'][:6])}, ...); "
            f"the dump has: {_listing(available)}; name it with --text-column"
        )
    return chosen


#: How much of a dump's column list an error message quotes (a header line with no
#: delimiter in it can be one 40 KB "column").
MAX_QUOTED = 200


def _listing(available) -> str:
    """The columns (or keys) of a dump as an error message lists them, at most ~200 characters."""
    text = ", ".join(map(str, available)) or "nothing"
    if len(text) <= MAX_QUOTED:
        return text
    return f"{text[:MAX_QUOTED]}... ({len(text):,} characters in all)"

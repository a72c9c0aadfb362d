"""`segment_page`: a saved plain-text page -> `Page` (article, boilerplate, comments)."""

from __future__ import annotations

from moderation.records import Page
from moderation.segmenter.article import join_paragraphs, split_article
from moderation.segmenter.boundary import MIN_THREAD_EVIDENCE, thread_start
from moderation.segmenter.features import _name_like, line_features
from moderation.segmenter.lines import decode_page, split_lines
from moderation.segmenter.thread import LEAD, NAME_ABOVE_TRAILERS, plan_thread, split_thread


def segment_page(text: str | bytes, source: str | None = None) -> Page:
    """Split a saved page into its article, page furniture and comment thread.

    The article is everything before the thread starts (minus furniture); it is
    never returned as comments. Raises `SegmenterError` (a `ValueError`) for
    input that is not a page: empty, binary, or absurdly large.
    """
    return segment_lines(text, source)[0]


def segment_lines(text: str | bytes, source: str | None = None) -> tuple[Page, dict[int, str]]:
    """`segment_page`, plus where every non-blank input line went:
    line number -> "article", "boilerplate:<kind>" or "comment:<id>".

    This is the conservation ledger: tests check every line is in exactly one
    place, and the dragnet benchmark scores characters with it.
    """
    lines = split_lines(decode_page(text, source), source)
    infos = line_features(lines)
    first = next(i for i, info in enumerate(infos) if info.role != "blank")
    # The first line is the headline unless it is itself thread evidence.
    search_from = first if _opens_a_page(infos, first) else first + 1
    if search_from > first:
        _quiet_article_head(infos, search_from)
    k = thread_start(infos, search_from)
    while k is not None and infos[k].role == "thread_header" and _far_from_comments(infos, k):
        infos[k].weight = 0.0  # a "52 comments" link under the headline, not the section heading
        k = thread_start(infos, search_from)
    plan = None
    if k is None:
        k = len(infos)
    else:
        if search_from == first and infos[first].role == "name":
            k = first  # a page of comments alone: all of it (its first name may weigh 0, "Jane Doe" / "3h")
        k = _take_heading_above(infos, _skip_to_thread_header(infos, k), search_from)
        plan = plan_thread(infos[k:])
        k2 = _extend_back_over_first_comment(infos, k, search_from, plan)
        if k2 != k:
            k, plan = k2, None
    article_lines, boilerplate = split_article(infos[:k])
    # The headline: the first article line (furniture such as a breadcrumb may
    # come before it), unless that line is already body prose.
    first_article = next((t for _, t in article_lines if t), "")
    title = first_article if len(first_article) <= TITLE_MAX_CHARS else ""
    article = join_paragraphs(article_lines)
    comments, thread_boiler, owner = split_thread(infos[k:], thread=title or source,
                                                  thread_title=title or None, source=source, plan=plan)
    ledger: dict[int, str] = {n: "article" for n, t in article_lines if t}
    ledger.update((b.line, f"boilerplate:{b.kind}") for b in boilerplate + thread_boiler)
    for number, who in owner.items():
        if who != "boilerplate":
            ledger[number] = f"comment:{comments[int(who)].id}"
    page = Page(title=title, article=article, boilerplate=boilerplate + thread_boiler,
                comments=comments, source=source)
    return page, ledger


def _opens_a_page(infos, first: int) -> bool:
    """A page of comments alone starts with a comment header; a dateline on the
    first line is a headline. So is a name above a date, unless the page has no
    comment-section heading and more such name-and-date headers follow (a
    page of newspaper-style comments: "Margaret Lowe / 16 March 2023 at 7:45pm")."""
    info = infos[first]
    if _opens_with_name_above_trailer(infos, first):
        return True
    if info.weight <= 0 and info.role != "name":  # (a name over "Mar 5" or "3h" weighs 0)
        return False
    if info.role == "name":
        names = [k for k in range(first, len(infos)) if infos[k].role == "name"]
        if len(names) < 2:
            return False
        # (a heading below the comments, "Show More Comments", heads nothing)
        if any(i.role == "thread_header" for i in infos[:names[-1]]):
            return False
        # An article under a headline-and-date is far longer than the comments below it.
        # (text after each name, up to the next name or the page's end)
        gaps = [sum(len(i.line.text) for i in infos[a + 1:b] if i.role == "text")
                for a, b in zip(names, names[1:] + [len(infos)])]
        return gaps[0] <= 2 * max(gaps[1:]) + 200
    return info.role in ("thread_header", "level", "item") or (
        info.role == "start" and info.match.pattern.name in LEAD)


def _opens_with_name_above_trailer(infos, first: int) -> bool:
    """A page of Facebook-plugin comments alone: a name-like first line, then the
    comment's text and its "Like · Reply · 2h" in the same block (no blank line).
    Read as a headline, the first comment went into the article, unscored."""
    if infos[first].role != "text" or not _name_like(infos[first].line.text):
        return False
    for info in infos[first + 1:]:
        if info.role == "blank":
            return False
        if info.weight > 0:
            return info.match is not None and info.match.pattern.name in NAME_ABOVE_TRAILERS
    return False


TITLE_MAX_CHARS = 200

#: Prose this long is article body; before it, bylines and datelines are article head.
HEAD_PROSE_CHARS = 60


#: Lines no article head holds: a thread's sort menu ("sort by: best") and Reddit's
#: "level 1". A link post with no body has no paragraph before its first comment.
THREAD_ONLY_PATTERNS = {"reddit_sort", "level"}


def _quiet_article_head(infos, start: int) -> None:
    """Bylines, datelines and "Comments (12)" links under the headline look like
    comment headers; before the first real paragraph they are article head.
    The head also ends where only a thread can be (`THREAD_ONLY_PATTERNS`): else
    the first comment's text would count as that paragraph, and the comment
    with everything above it would go into the article."""
    for info in infos[start:]:
        if info.role == "text" and len(info.line.text) >= HEAD_PROSE_CHARS:
            return
        if info.match is not None and info.match.pattern.name in THREAD_ONLY_PATTERNS:
            return
        if info.weight > 0:
            info.weight = 0.0


#: A comment-section heading is followed by comments: some signal within this much text.
HEADER_REACH_CHARS = 2500


def _far_from_comments(infos, k: int) -> bool:
    chars = 0
    for info in infos[k + 1:]:
        if info.weight > 0:
            return False
        if info.role == "text":
            chars += len(info.line.text)
            if chars > HEADER_REACH_CHARS:
                return True
    return False


def _skip_to_thread_header(infos, k: int) -> int:
    """A "12 Comments" header opens the thread: a stray comment-like line before
    it (a blog's "Posted by Ellen at 10:30") belongs to the article."""
    for h in range(k, len(infos)):
        if infos[h].role == "thread_header" and infos[h].weight > 0:
            before = sum(i.weight for i in infos[k:h] if i.weight > 0)
            return h if before < MIN_THREAD_EVIDENCE else k
    return k


def _take_heading_above(infos, k: int, floor: int) -> int:
    """A heading of no weight directly above the comment-section heading
    (OpenWeb's "Conversation" over "87 Comments", blank lines between) heads the
    thread too: thread furniture, not the article's last line."""
    if infos[k].role != "thread_header":
        return k
    i = k - 1
    while i >= floor and infos[i].role == "blank":
        i -= 1
    if i >= floor and infos[i].role == "thread_header" and infos[i].weight <= 0:
        return i
    return k


def _extend_back_over_first_comment(infos, k: int, floor: int, plan) -> int:
    """When the thread signs comments *below* their text ("Posted by: NAME | DATE"),
    the first comment's text lies before the first signal: take back as many
    paragraphs as the thread's other comments have (their median), at least one."""
    roles, units = plan
    if not units or units[0].opens:
        return k
    if all(sum(roles[j] == "name" for j in u.lines) >= 2 for u in units) and "text" not in roles:
        return k  # every comment is the top line of its signature ("What a waste" / "Carl" / date)
    first = next(i for i, r in enumerate(roles) if r != "blank" and not r.startswith("boilerplate:"))
    if first != units[0].lines[0]:
        return k
    counts = []
    for a, b in zip(units, units[1:]):
        paragraphs, in_par = 0, False
        for j in range(a.lines[-1] + 1, b.lines[0]):
            if roles[j] == "text":
                paragraphs += not in_par
                in_par = True
            elif roles[j] == "blank":
                in_par = False
        counts.append(max(paragraphs, 1))
    take = sorted(counts)[len(counts) // 2] if counts else 1
    i = k - 1
    while i >= floor and take > 0:
        while i >= floor and infos[i].role == "blank":
            i -= 1
        if i < floor or infos[i].role != "text":
            break
        while i >= floor and infos[i].role == "text":
            i -= 1
        take -= 1
        k = i + 1
    return k

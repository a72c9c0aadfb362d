"""`segment_page`: a saved plain-text page -> `Page` (article, boilerplate, comments)."""

from __future__ import annotations

from moderation.records import Page
from moderation.segmenter.article import join_paragraphs, split_article
from moderation.segmenter.boundary import thread_start
from moderation.segmenter.features import line_features
from moderation.segmenter.lines import decode_page, split_lines
from moderation.segmenter.thread import split_thread


def segment_page(text: str | bytes, source: str | None = None) -> Page:
    """Split a saved page into its article, page furniture and comment thread.

    The article is everything before the thread starts (minus furniture); it is
    never returned as comments. Raises `SegmenterError` (a `ValueError`) for
    input that is not a page: empty, binary, or absurdly large.
    """
    lines = split_lines(decode_page(text, source), source)
    infos = line_features(lines)
    first = next(i for i, info in enumerate(infos) if info.role != "blank")
    # The first line is the headline unless it is itself thread evidence.
    search_from = first if infos[first].weight > 0 else first + 1
    k = thread_start(infos, search_from)
    if k is None:
        k = len(infos)
    else:
        k = _extend_back_over_first_comment(infos, k, search_from)
    article_lines, boilerplate = split_article(infos[:k])
    title = ""
    first_article = next((t for _, t in article_lines if t), "")
    if article_lines and infos[first].line.raw.strip() == first_article:
        title = first_article
    article = join_paragraphs(article_lines)
    comments, thread_boiler, _ = split_thread(infos[k:], thread=title or source,
                                              thread_title=title or None, source=source)
    return Page(title=title, article=article, boilerplate=boilerplate + thread_boiler,
                comments=comments, source=source)


def _extend_back_over_first_comment(infos, k: int, floor: int) -> int:
    """When the thread signs comments *after* their text ("by NAME on DATE"),
    the first comment's text lies before the first signal: take back as many
    paragraphs as the thread's other comments have (their median), at least one."""
    first_signal = next((i for i in range(k, len(infos)) if infos[i].role not in ("blank",)), None)
    if first_signal is None or infos[first_signal].role not in ("trailer", "timestamp"):
        return k
    if any(info.role in ("start", "level", "name", "item") and info.weight > 0.5 for info in infos[k:]):
        return k
    # paragraphs per comment in the rest of the thread
    counts, paragraphs, in_par = [], 0, False
    for info in infos[k + 1:]:
        if info.role in ("trailer", "timestamp"):
            counts.append(max(paragraphs, 1))
            paragraphs, in_par = 0, False
        elif info.role == "text":
            if not in_par:
                paragraphs += 1
            in_par = True
        elif info.role == "blank":
            in_par = False
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

"""Where the article ends and the thread begins.

A page is the article, then (maybe) the thread: one change of state, never
back. So the boundary is the line `k` that maximises the summed thread
evidence of lines `k..end` (a maximum suffix sum, linear time): comment
headers, vote lines and "12 Comments" push it up, prose pulls it down a little.
If even the best suffix has less than `MIN_THREAD_EVIDENCE`, the page has no
thread: an article with one dateline or one "Reply" link is still an article.
"""

from __future__ import annotations

from moderation.segmenter.features import LineInfo

MIN_THREAD_EVIDENCE = 2.0


def thread_start(infos: list[LineInfo], first: int = 0) -> int | None:
    """Index of the first thread line, or None when the page has no thread."""
    best, best_k, total = 0.0, None, 0.0
    for k in range(len(infos) - 1, first - 1, -1):
        total += infos[k].weight
        if infos[k].weight > 0 and total >= best:
            best, best_k = total, k
    if best_k is None or best < MIN_THREAD_EVIDENCE:
        return None
    return best_k

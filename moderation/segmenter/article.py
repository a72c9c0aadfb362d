"""The article part of a page: body text and its furniture (captions, credits...).

Captions have no marker of their own; what gives them away is a photo credit
("Pierre Crom/Getty Images") in the same block (no blank line between). So a
block holding a credit is caption + credit, whatever its sentences say, unless
a line is too long to be a caption.
"""

from __future__ import annotations

from moderation.records import BoilerplateLine
from moderation.segmenter.features import LineInfo
from moderation.segmenter.patterns import CAPTION, CREDIT, NAVIGATION

CAPTION_MAX_CHARS = 300
#: Roles that are furniture wherever they appear; thread roles are prose in an article.
ARTICLE_BOILERPLATE_ROLES = {"boilerplate", "nav_heading"}


def split_article(infos: list[LineInfo]) -> tuple[list[tuple[int, str]], list[BoilerplateLine]]:
    """Article lines (line number, text; blank lines as "") and boilerplate."""
    kinds: list[str | None] = [None] * len(infos)
    nav = False
    for i, info in enumerate(infos):
        if info.role == "blank":
            nav = False
            continue
        if nav:
            kinds[i] = NAVIGATION
        elif info.role in ARTICLE_BOILERPLATE_ROLES:
            kinds[i] = info.kind or NAVIGATION
            nav = info.role == "nav_heading"
    # Captions: the other lines of a block that holds a credit.
    start = 0
    for i in range(len(infos) + 1):
        if i == len(infos) or infos[i].role == "blank":
            block = range(start, i)
            if any(kinds[j] == CREDIT for j in block):
                for j in block:
                    if kinds[j] is None and len(infos[j].line.text) <= CAPTION_MAX_CHARS:
                        kinds[j] = CAPTION
            start = i + 1
    article: list[tuple[int, str]] = []
    boiler: list[BoilerplateLine] = []
    for info, kind in zip(infos, kinds):
        if info.role == "blank":
            article.append((info.line.number, ""))
        elif kind is not None:
            boiler.append(BoilerplateLine(kind, info.line.raw.strip(), info.line.number))
        else:
            article.append((info.line.number, info.line.raw.strip()))
    return article, boiler


def join_paragraphs(lines: list[tuple[int, str]]) -> str:
    """Lines -> text with one blank line between paragraphs, none at the ends."""
    out: list[str] = []
    for _, text in lines:
        if text:
            out.append(text)
        elif out and out[-1]:
            out.append("")
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)

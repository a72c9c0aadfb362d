"""HTML pages: trafilatura finds the article and the comment block, then the
same thread splitter as for plain text splits the block into comments.

trafilatura (optional extra `html`) is maintained, fast and good at telling
main text from furniture in HTML, but it returns all comments as one block of
lines; splitting that block is our job.
"""

from __future__ import annotations

from moderation.records import Page
from moderation.segmenter.article import join_paragraphs, split_article
from moderation.segmenter.features import line_features
from moderation.segmenter.lines import SegmenterError, decode_page, split_lines
from moderation.segmenter.thread import split_thread


def segment_html(html: str | bytes, source: str | None = None) -> Page:
    """Split a saved HTML page into article, furniture and comments."""
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SegmenterError("HTML pages need trafilatura: pip install 'moderation[html]'") from exc
    text = decode_page(html, source)
    if not text.strip():
        raise SegmenterError(f"{source or 'page'}: the page is empty (no text)")
    doc = trafilatura.bare_extraction(text, include_comments=True, with_metadata=True)
    if doc is None:
        raise SegmenterError(f"{source or 'page'}: no article text found in the HTML")
    title = (getattr(doc, "title", None) or "").strip()
    body = getattr(doc, "text", None) or ""
    comments_text = getattr(doc, "comments", None) or ""
    article_lines, boilerplate = ([], [])
    if body.strip():
        article_lines, boilerplate = split_article(line_features(split_lines(body, source)))
    article = join_paragraphs(article_lines)
    if title and not article.startswith(title):
        article = f"{title}\n\n{article}" if article else title
    comments = []
    if comments_text.strip():
        infos = line_features(split_lines(comments_text, source))
        comments, thread_boiler, _ = split_thread(infos, thread=title or source,
                                                  thread_title=title or None, source=source)
        boilerplate += thread_boiler
    return Page(title=title, article=article, boilerplate=boilerplate, comments=comments, source=source)

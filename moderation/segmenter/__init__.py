"""Page segmentation: a saved news page -> article, page furniture, comment thread.

    >>> from moderation.segmenter import segment_page
    >>> page = segment_page(open("examples/001_f6e74c870da5195f.txt").read())
    >>> [c.id for c in page.comments][:3]
    ['c1', 'c1.1', 'c1.1.1']

See docs/segmenter.md for the design and how to add a layout.
"""

from moderation.segmenter.core import segment_page
from moderation.segmenter.html import segment_html
from moderation.segmenter.lines import SegmenterError

__all__ = ["segment_page", "segment_html", "SegmenterError"]

"""HTML pages: article by trafilatura, the comment section rendered and split like text."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.segmenter import SegmenterError, segment_html

HTML = Path(__file__).resolve().parent / "fixtures" / "pages" / "html"

pytest.importorskip("trafilatura")
pytest.importorskip("selectolax")


def test_wordpress_nested_comments_keep_authors_dates_and_depth():
    page = segment_html((HTML / "wordpress_nested.html").read_text(encoding="utf-8"), "wp.html")
    assert page.title == "Council approves homes"
    assert "400 new homes" in page.article and "vermin" not in page.article
    assert [(c.id, c.parent_id, c.author, c.timestamp, c.text) for c in page.comments] == [
        ("c1", None, "Janet Hughes", "2 June 2023 at 9:14 pm",
         "I was there. It was a calm, sensible meeting and the organisers deserve credit."),
        ("c1.1", "c1", "Gary Bates", "2 June 2023 at 10:02 pm",
         "These people are vermin and you are inviting them into our town."),
        ("c2", None, "Paul Okafor", "3 June 2023 at 8:30 am",
         "Does anyone know whether the liaison group is open to anyone?"),
    ]
    assert all(c.source == "wp.html" and c.thread == page.title for c in page.comments)
    assert {b.kind for b in page.boilerplate} == {"navigation"}  # the count heading and Reply links


def test_drupal_div_comments_with_paragraphs_and_links():
    page = segment_html((HTML / "drupal_divs.html").read_bytes())
    assert page.title.startswith("Ferry workers to strike")
    assert [(c.id, c.parent_id, c.author) for c in page.comments] == [
        ("c1", None, "Island Mum"), ("c1.1", "c1", "Harbour Master"), ("c2", None, "Disgusted of Kirkwall")]
    assert page.comments[0].text == ("Another strike, another weekend of my kids not seeing their grandparents.\n\n"
                                     "I support fair pay but this is the third time this year.")
    assert "Reply" not in " ".join(c.text for c in page.comments)
    assert "leeches" not in page.article


def test_short_name_date_blocks_keep_each_text_with_its_commenter():
    # QA pass 4: a one-line comment under "NAME / DATE" read as a second name, so every
    # text went to the next commenter, the article became c1 and the last text was lost.
    page = segment_html((HTML / "short_name_date_blocks.html").read_text(encoding="utf-8"), "short.html")
    assert page.title == "Ferry fares"
    assert "12% from April" in page.article and "Hello there" not in page.article
    assert [(c.id, c.parent_id, c.author, c.timestamp, c.text) for c in page.comments] == [
        ("c1", None, "Al", "1 Jan 2024", "Hello there, this is a longer comment about the ferry fares."),
        ("c2", None, "Bo", "2 Jan 2024", "Second comment text here"),
    ]


def test_one_short_comment_keeps_its_text():
    page = segment_html((HTML / "one_line_comment.html").read_text(encoding="utf-8"))
    assert page.article == "T\n\nBody"
    assert [(c.id, c.author, c.timestamp, c.text) for c in page.comments] == [("c1", "Al", "1 Jan 2024", "Hello there")]


def test_comment_block_without_comment_items_gives_one_comment_per_paragraph():
    html = """<html><head><title>Bins</title></head><body><article><h1>Bins</h1>
    <p>Bin collections will move to every two weeks from April, the council said on Tuesday afternoon.</p>
    <p>The council says the change will save money and push up recycling rates, which have stalled.</p>
    <p>Households of six or more can apply for a larger bin from the council's website.</p></article>
    <div id="comments"><p>Two weeks is fine if you actually recycle.</p>
    <p>The councillors who voted for this are pigs with their snouts in the trough.</p></div></body></html>"""
    page = segment_html(html)
    assert [(c.id, c.text) for c in page.comments] == [  # never two commenters merged into one comment
        ("c1", "Two weeks is fine if you actually recycle."),
        ("c2", "The councillors who voted for this are pigs with their snouts in the trough."),
    ]
    assert "pigs" not in page.article


@pytest.mark.parametrize("data", ["", "   ", b""])
def test_empty_html_is_a_clear_error(data):
    with pytest.raises(SegmenterError, match="empty"):
        segment_html(data, "x.html")


def test_html_page_of_only_comments_never_puts_them_in_the_article():
    page = segment_html("<html><head><title>T</title></head><body><div id='comments'><div class='comment'>"
                        "<p>Ann • 1 hour ago</p><p>Only a comment here.</p></div></div></body></html>")
    assert [(c.author, c.text) for c in page.comments] == [("Ann", "Only a comment here.")]
    assert "Only a comment here." not in page.article


def test_html_without_article_or_comments_is_a_clear_error():
    with pytest.raises(SegmenterError, match="no article text and no comments"):
        segment_html("<html><body></body></html>", "e.html")


def test_comment_items_without_author_or_date_stay_separate_comments():
    # QA pass 5, finding 5: nothing in the text separates the commenters, but the markup does.
    page = segment_html(
        "<html><body><article><h1>Budget news</h1><p>Article text here about the budget and so on, a long "
        "paragraph of news.</p></article><ol class='commentlist'>"
        "<li class='comment' id='comment-1'><p>They are vermin.</p></li>"
        "<li class='comment' id='comment-2'><p>I like this article.</p></li>"
        "<li class='comment' id='comment-3'><p>Third one.</p><p>Two paragraphs.</p></li></ol></body></html>")
    assert [(c.id, c.parent_id, c.text) for c in page.comments] == [
        ("c1", None, "They are vermin."), ("c2", None, "I like this article."),
        ("c3", None, "Third one.\n\nTwo paragraphs.")]


def test_undated_reply_items_stay_separate_and_nested():
    page = segment_html(
        "<html><body><article><h1>T</h1><p>Article text long enough to be the article of this page.</p></article>"
        "<div class='comments'><div class='comment'><p>First comment here.</p>"
        "<div class='comment'><p>A reply to it.</p></div></div>"
        "<div class='comment'><p>Second top level.</p></div></div></body></html>")
    assert [(c.id, c.parent_id, c.text) for c in page.comments] == [
        ("c1", None, "First comment here."), ("c1.1", "c1", "A reply to it."), ("c2", None, "Second top level.")]


@pytest.mark.parametrize("depth", [1000, 4000])
def test_a_thread_nested_thousands_deep_is_segmented_with_replies_capped_at_the_render_depth(depth):
    # QA pass 5, finding 11: the renderer recursed once per element. And 4,000 levels indented
    # 4 columns each would render to 32 M characters (refused as "larger than any saved page"):
    # replies below MAX_RENDER_DEPTH are siblings there.
    from moderation.segmenter.html import MAX_RENDER_DEPTH

    html = ("<html><body><article><h1>T</h1><p>Article text.</p></article><div class='comments'>"
            + "<div class='comment'><p>I do not agree with the reply above, sorry.</p>" * depth + "</div>" * depth
            + "</div></body></html>")
    page = segment_html(html, "deep.html")
    assert len(page.comments) == depth
    assert [c.depth for c in page.comments] == [min(i, MAX_RENDER_DEPTH - 1) for i in range(depth)]
    assert {c.text for c in page.comments} == {"I do not agree with the reply above, sorry."}


@pytest.mark.parametrize("author", [
    "<div class='comment-author'>{}</div>",  # WordPress, no date line
    "<span class='author'>{}</span>",  # inline, then the text's paragraph
])
def test_author_element_without_a_date_is_the_author_not_text(author):
    items = "".join(f"<li class='comment'>{author.format(name)}<div class='comment-content'><p>{text}</p></div></li>"
                    for name, text in (("Bob", "They are vermin."), ("Al", "I like this article.")))
    page = segment_html("<html><body><article><h1>Budget news</h1><p>Article text here about the budget and so on, "
                        f"a long paragraph of news.</p></article><ol class='commentlist'>{items}</ol></body></html>")
    assert [(c.id, c.author, c.text) for c in page.comments] == [
        ("c1", "Bob", "They are vermin."), ("c2", "Al", "I like this article.")]


def test_author_element_inside_a_sentence_stays_text():
    page = segment_html("<html><body><article><h1>T</h1><p>Article text long enough to be the article of it.</p>"
                        "</article><div class='comments'><div class='comment'><p>I agree with "
                        "<span class='author'>Bob</span> on this one.</p></div></div></body></html>")
    assert [(c.author, c.text) for c in page.comments] == [(None, "I agree with Bob on this one.")]


def test_a_one_line_comment_with_a_reply_keeps_its_text():
    # A short name-like line above deeper-indented text reads as a name in plain text; here the
    # deeper block is a reply item, and taken as the author, "They are vermin" went unscored.
    page = segment_html(
        "<html><body><article><h1>T</h1><p>Article text long enough to be the article of this page.</p></article>"
        "<div class='comments'><div class='comment'><p>They are vermin</p>"
        "<div class='comment'><p>I do not agree with that at all.</p></div></div>"
        "<div class='comment'><p>Second top level comment here.</p></div></div></body></html>")
    assert [(c.id, c.parent_id, c.author, c.text) for c in page.comments] == [
        ("c1", None, None, "They are vermin"), ("c1.1", "c1", None, "I do not agree with that at all."),
        ("c2", None, None, "Second top level comment here.")]


# QA pass 10, finding B: docs/segmenter.md promises one blank line between the article's paragraphs.
def test_html_article_paragraphs_are_separated_by_one_blank_line():
    page = segment_html((HTML / "wordpress_nested.html").read_text(encoding="utf-8"), "wp.html")
    assert page.article.split("\n\n") == [
        "Council approves homes",
        "Councillors approved plans for 400 new homes on the former bus depot site on Tuesday night, ending a dispute.",
        "The scheme includes a primary school, a park along the canal and 120 homes for social rent, the council said.",
        "Opponents said the development would overload local roads at rush hour and called for a new bus route.",
    ]


def test_short_html_article_keeps_its_paragraphs_and_byline_and_comments_are_unchanged():
    # Under 250 characters, trafilatura's baseline rescue returned the whole <article> as ONE line.
    html = """<html><head><title>Ferry strike to go ahead | The Courier</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Ferry strike to go ahead</h1>
<p class="byline">By Staff Reporter, 6 March 2024</p>
<p>Ferry crews will strike on Friday after last-minute talks collapsed, the RMT union said on Wednesday evening.</p>
<p>The operator said it would run a reduced timetable and urged passengers to check before travelling to the port.</p>
</article>
<section id="comments" class="comments-area"><h2>2 Comments</h2><ol class="comment-list">
<li class="comment" id="comment-1"><div class="comment-author">JohnSmith84</div><time>6 March 2024 at 14:30</time>
<div class="comment-content"><p>The crews deserve a fair deal.</p></div><a class="comment-reply-link">Reply</a>
<ol class="children"><li class="comment" id="comment-2"><div class="comment-author">MaryJ</div>
<time>6 March 2024 at 14:45</time><div class="comment-content"><p>Islanders suffer most.</p><p>Again.</p></div>
</li></ol></li></ol></section><footer>(c) 2024 The Courier</footer></body></html>"""
    page = segment_html(html)
    assert page.title == "Ferry strike to go ahead"
    assert page.article.split("\n\n") == [
        "Ferry strike to go ahead",
        "By Staff Reporter, 6 March 2024",
        "Ferry crews will strike on Friday after last-minute talks collapsed, the RMT union said on Wednesday evening.",
        "The operator said it would run a reduced timetable and urged passengers to check before travelling to the "
        "port.",
    ]
    assert [(c.id, c.parent_id, c.author, c.timestamp, c.text) for c in page.comments] == [
        ("c1", None, "JohnSmith84", "6 March 2024 at 14:30", "The crews deserve a fair deal."),
        ("c1.1", "c1", "MaryJ", "6 March 2024 at 14:45", "Islanders suffer most.\n\nAgain."),
    ]


def test_line_break_inside_an_html_paragraph_stays_a_line_break():
    page = segment_html("<html><body><article><h1>Letters</h1><p>First paragraph of the letters page, long enough to "
                        "be an article paragraph for the extractor to keep it here.</p><p>Yours sincerely,<br>"
                        "Jane Doe</p></article></body></html>")
    assert page.article.endswith("it here.\n\nYours sincerely,\nJane Doe")


def test_article_furniture_of_an_html_page_names_no_line_of_a_text_the_user_never_saw():
    """Its line was counted in trafilatura's text (and moved when paragraphs got their blank lines):
    a line number into the HTML file it is not (QA pass 10, finding B, left by its helper)."""
    body = "".join(f"<p>{sentence}</p>" for sentence in (
        "The council approved new flood defences for the river on Tuesday, after a long debate about the cost.",
        "Share this article", "Advertisement",
        "Work will start in the spring and should be finished within two years, the council said afterwards.",
        "Residents welcomed the decision but asked for more detail about the road closures the works need."))
    html = (f"<html><head><title>Flood defences approved</title></head><body><article><h1>Flood defences approved</h1>"
            f"{body}</article><section id=\"comments\"><ol class=\"comment-list\"><li class=\"comment\">"
            f"<div class=\"comment-author\">Ann</div><p>About time too.</p></li></ol></section></body></html>")
    page = segment_html(html, "flood.html")
    assert {(b.kind, b.text) for b in page.boilerplate} >= {("share", "Share this article"), ("advert", "Advertisement")}
    assert all(b.line is None for b in page.boilerplate)
    assert "Share this article" not in page.article and [c.text for c in page.comments] == ["About time too."]

"""Comment plugins (Facebook, new Reddit, Substack, OpenWeb, NYT, new Disqus), French and Spanish threads,
and thread furniture, as real sites print them: each a page that segmented wrongly (QA pass 10)."""

from __future__ import annotations

from moderation.segmenter import segment_page
from moderation.segmenter.core import segment_lines


def _tree(page):
    return [(c.id, c.parent_id, c.author, c.text) for c in page.comments]


GUARDIAN_SHORT_LAST = """\
Ferry strike to go ahead after talks collapse

Ferry crews will strike on Friday after last-minute talks collapsed, the RMT union said.

The operator said it would run a reduced timetable and urged passengers to check before travelling.

Comments (128)

Sort by oldest

JohnSmith84
6 Mar 2024 14:30
The crews deserve a fair deal. Management have had two years to sort this out.
Reply
Report
Share
42

    MaryJ
    6 Mar 2024 14:45
    @JohnSmith84 Agreed, but islanders are the ones who suffer.
    Reply
    Report
    Share
    12

Frank_W
6 Mar 2024 15:02
Nationalise the lot.
Reply
Report
Share
7
"""


def test_short_last_comment_under_a_heading_does_not_flip_the_thread_to_signed_below():
    # Finding 1: with a short last comment, name/date units were read as signatures
    # below the text: the article's last paragraph became JohnSmith84's comment and
    # every text moved to the previous commenter.
    page, ledger = segment_lines(GUARDIAN_SHORT_LAST, "p")
    assert _tree(page) == [
        ("c1", None, "JohnSmith84", "The crews deserve a fair deal. Management have had two years to sort this out."),
        ("c1.1", "c1", "MaryJ", "@JohnSmith84 Agreed, but islanders are the ones who suffer."),
        ("c2", None, "Frank_W", "Nationalise the lot."),
    ]
    assert "reduced timetable" in page.article
    assert ledger[5] == "article"


def test_closed_for_comments_notice_and_view_all_link_are_furniture_not_a_comment():
    # Finding 2: "This discussion is closed for comments." and "View all comments >"
    # became the first comment's text (under the first commenter's name).
    page = GUARDIAN_SHORT_LAST.replace(
        "Sort by oldest", "This discussion is closed for comments.\n\nView all comments >\n\nSort by oldest")
    page, ledger = segment_lines(page, "p")
    assert [c.text for c in page.comments][0].startswith("The crews deserve")
    assert len(page.comments) == 3
    kinds = {b.text: b.kind for b in page.boilerplate}
    assert kinds["This discussion is closed for comments."] == "footer"
    assert kinds["View all comments >"] == "navigation"
    for notice in ("Comments are closed for new comments.", "Comments are closed."):
        assert not segment_page("Headline\n\nSome article text here that is long enough to be prose.\n\n" + notice).comments


def test_a_badge_line_above_a_header_is_furniture_not_a_comment():
    # Finding 3: the Guardian's "Picked" on its own line above "MaryJ / date" was read
    # as a commenter's name: an extra comment "Picked" (or the badge as text).
    for badge in ("Picked", "Guardian Pick", "NYT Pick", "Featured comment", "Pinned by moderator"):
        page = segment_page(GUARDIAN_SHORT_LAST.replace("    MaryJ\n", f"    {badge}\n    MaryJ\n"), "p")
        assert [(c.id, c.author) for c in page.comments] == [("c1", "JohnSmith84"), ("c1.1", "MaryJ"), ("c2", "Frank_W")], badge
        assert badge not in " ".join(c.text for c in page.comments)
        assert any(b.text == badge and b.kind == "navigation" for b in page.boilerplate)


FRENCH = """\
Le conseil municipal approuve une nouvelle piste cyclable

Le conseil municipal a voté mardi en faveur d'une nouvelle piste cyclable protégée le long de la Grand-Rue.

Les travaux commenceront en juin et devraient durer quatre mois.

12 commentaires

Trier par : Les plus récents

Marc Dupont
il y a 3 heures
Enfin ! La Grand-Rue est un piège mortel pour les cyclistes.
Répondre · Signaler

    Sophie Bernard
    il y a 2 heures
    Dites ça aux commerçants qui vont perdre la moitié de leur clientèle.
    Répondre · Signaler

Pierre Lefèvre
il y a une heure
Encore du gaspillage d'argent public.
Répondre · Signaler

Voir plus de commentaires
"""

SPANISH = """\
El ayuntamiento aprueba un nuevo carril bici

El pleno del ayuntamiento aprobó el martes un nuevo carril bici protegido a lo largo de la calle Mayor.

Las obras comenzarán en junio y durarán cuatro meses.

12 comentarios

Ordenar por: más recientes

Carlos Ruiz
hace 3 horas
Por fin. La calle Mayor es una trampa mortal para los ciclistas.
Responder · Denunciar

    Lucía Fernández
    hace 2 horas
    Díselo a los comerciantes que van a perder la mitad de sus clientes.
    Responder · Denunciar

Javier López
hace una hora
Otro despilfarro de dinero público.
Responder · Denunciar

Cargar más comentarios
"""


def test_french_and_spanish_comment_sections_are_found():
    # Finding 4: a French or Spanish thread ("12 commentaires", "il y a 3 heures",
    # "Répondre · Signaler") was left in the article: no comments at all, so unscored.
    for text, when in ((FRENCH, "il y a 3 heures"), (SPANISH, "hace 3 horas")):
        page, ledger = segment_lines(text, "p")
        assert [(c.id, c.parent_id, c.author) for c in page.comments] == [
            ("c1", None, page.comments[0].author), ("c1.1", "c1", page.comments[1].author), ("c2", None, page.comments[2].author)]
        assert page.comments[0].timestamp == when
        assert all("·" not in c.text and "\n" not in c.text for c in page.comments)
        assert "commentaires" not in page.article and "comentarios" not in page.article
        assert {b.text for b in page.boilerplate} >= {text.splitlines()[-1], text.splitlines()[6]}


def test_an_empty_threads_notice_is_not_a_comment():
    # Finding 5: "Be the first to comment" under "0 comments" became a comment (and was scored).
    for notice in ("Be the first to comment", "Be the first to comment!", "No comments yet.",
                   "There are no comments yet", "Start the conversation"):
        text = ("Council approves new cycle lane\n\nThe council voted on Tuesday to approve a new protected "
                f"cycle lane along the High Street.\n\n0 comments\n\n{notice}\n\nLeave a Reply\n\nComment *\n\nPost Comment\n")
        page = segment_page(text, "p")
        assert page.comments == [], notice
        assert any(b.text == notice and b.kind == "footer" for b in page.boilerplate)


FACEBOOK = """\
Council approves new cycle lane on High Street

By Jane Smith
5 March 2024

The council voted on Tuesday to approve a new protected cycle lane along the length of the High Street.

Traders have raised concerns about the loss of parking spaces outside their shops.

3 comments

Sort by Oldest

Mark Taylor
About time. The High Street is a death trap for cyclists.
Like · Reply · 2h

    Sue Brown
    Tell that to the shop owners who will lose half their trade.
    Like · Reply · 1h

Peter Jones
Waste of money as usual.
Like · Reply · 45m

View 2 more comments
"""


def test_facebook_plugin_name_above_and_like_reply_time_below():
    # Finding 6: Facebook's comments plugin ("NAME" / text / "Like · Reply · 2h") gave
    # 2 comments: the link line read as the next commenter's name, names left in the text.
    page, ledger = segment_lines(FACEBOOK, "p")
    assert [(c.id, c.parent_id, c.author, c.timestamp, c.text) for c in page.comments] == [
        ("c1", None, "Mark Taylor", "2h", "About time. The High Street is a death trap for cyclists."),
        ("c1.1", "c1", "Sue Brown", "1h", "Tell that to the shop owners who will lose half their trade."),
        ("c2", None, "Peter Jones", "45m", "Waste of money as usual."),
    ]
    assert "loss of parking spaces" in page.article
    assert [ledger[n] for n in (14, 15, 16, 18)] == ["comment:c1", "comment:c1", "comment:c1", "comment:c1.1"]


REDDIT_NEW = """\
Council to close six libraries

The county council has confirmed plans to close six libraries to save £2m a year.

Sort by:
Best

Search Comments

Expand comment search

Comment Section

throwaway_4412
•
5h ago

This is a disgrace. Libraries are the only warm free space left.

128

Reply
Award
Share

    bookworm_uk
    •
    4h ago

    Exactly. Mine is where kids do homework.

    41

    Reply
    Award
    Share

realist_dave
•
3h ago

Nobody uses them anymore, just shut them.

-12

Reply
Award
Share
"""


def test_new_reddit_copied_as_text_name_dot_time_on_three_lines():
    # Finding 7: new Reddit's "NAME" / "•" / "5h ago" header, a vote count a blank line
    # above "Reply", and "Search Comments" gave comments whose text held the header,
    # the votes and the search box.
    page = segment_page(REDDIT_NEW, "p")
    assert [(c.id, c.parent_id, c.author, c.timestamp, c.text) for c in page.comments] == [
        ("c1", None, "throwaway_4412", "5h ago", "This is a disgrace. Libraries are the only warm free space left."),
        ("c1.1", "c1", "bookworm_uk", "4h ago", "Exactly. Mine is where kids do homework."),
        ("c2", None, "realist_dave", "3h ago", "Nobody uses them anymore, just shut them."),
    ]
    assert {"128", "41", "-12", "Search Comments", "Comment Section"} <= {b.text for b in page.boilerplate}


SUBSTACK = """\
Why local news matters

Local papers are closing at a rate of two a week, and the gap they leave is being filled by rumour.

This matters for democracy.

Discussion about this post

Comments
Restacks

Jane Doe
Mar 5

Brilliant piece. Our town lost its paper in 2019.

Like (3)
Reply
Share

    Author
    Mar 5

    Thank you Jane, sorry to hear that.

    Like
    Reply
    Share

Bob K
Mar 6

Local papers were dying long before the internet.

Like
Reply
Share

2 more comments...
"""


def test_substack_thread_with_month_day_dates():
    # Finding 8: Substack's "NAME" / "Mar 5" (a date without a year) was not a header:
    # names and dates went into the text, "Restacks" and "2 more comments..." were comments.
    page = segment_page(SUBSTACK, "p")
    assert [(c.id, c.parent_id, c.author, c.timestamp, c.text) for c in page.comments] == [
        ("c1", None, "Jane Doe", "Mar 5", "Brilliant piece. Our town lost its paper in 2019."),
        ("c1.1", "c1", "Author", "Mar 5", "Thank you Jane, sorry to hear that."),
        ("c2", None, "Bob K", "Mar 6", "Local papers were dying long before the internet."),
    ]
    assert {"Discussion about this post", "Restacks", "2 more comments..."} <= {b.text for b in page.boilerplate}
    assert page.article.endswith("This matters for democracy.")


TIMELINE = """\
How the cycle lane row unfolded

The plan for a protected cycle lane on the High Street has divided the town for a year. Here is how it happened.

Timeline

Mar 5
The council publishes the plan{dot}

Apr 12
Traders launch a petition against it{dot}

May 3
The petition reaches 5,000 signatures{dot}

June 20
Councillors vote to approve the lane{dot}

Work is due to start next month.
"""


def test_an_article_timeline_of_dates_without_a_year_stays_article():
    # Finding 8's follow-up: with "Mar 5" alone a timestamp, an article's timeline
    # became four comments. Such dates (and names beside them) are no thread evidence.
    for dot in (".", ""):
        page = segment_page(TIMELINE.format(dot=dot), "p")
        assert page.comments == [], dot
        assert "Councillors vote to approve the lane" in page.article


TIMELINE_FULL = """\
How the cycle lane row unfolded

The plan for a protected cycle lane on the High Street has divided the town for a year. Here is how it happened.
{heading}
{d1}
The council publishes the plan{dot}

{d2}
Traders launch a petition against it{dot}

{d3}
The petition reaches 5,000 signatures{dot}

{d4}
Councillors vote to approve the lane{dot}

Work is due to start next month.
"""
FULL_DATES = ("5 March 2024", "12 April 2024", "3 May 2024", "20 June 2024")


def test_an_article_timeline_of_full_dates_stays_article():
    # QA pass 10, not fixed A: "Timeline" / "5 March 2024" / "The council publishes the
    # plan." ... became four comments, so the article's end was scored as comments.
    # Calendar days in strict order, no names, and a timeline heading or third-person
    # prose: a timeline, whose dates are no thread evidence.
    variants = {
        "heading": dict(heading="\nTimeline\n", dot="."),
        "heading on the line above": dict(heading="\nTimeline", dot="."),
        "no full stops": dict(heading="\nTimeline\n", dot=""),
        "no heading": dict(heading="", dot="."),
        "key dates": dict(heading="\nKey dates:\n", dot="."),
    }
    for name, fmt in variants.items():
        for dates in (FULL_DATES, FULL_DATES[::-1], ("March 5, 2024", "April 12, 2024", "May 3, 2024", "June 20, 2024"),
                      ("2024-03-05", "2024-04-12", "2024-05-03", "2024-06-20")):
            text = TIMELINE_FULL.format(d1=dates[0], d2=dates[1], d3=dates[2], d4=dates[3], **fmt)
            page = segment_page(text, "p")
            assert page.comments == [], (name, dates)
            assert "Councillors vote to approve the lane" in page.article, (name, dates)
            assert dates[0] in page.article and "Work is due to start next month." in page.article
    head = "How the row unfolded\n\nThe plan for a cycle lane has divided the town for a year. Here is how it happened.\n\n"
    compact = ("5 March 2024\nThe council publishes the plan\n12 April 2024\nTraders launch a petition against it\n"
               "3 May 2024\nThe petition reaches 5,000 signatures\n20 June 2024\nCouncillors vote to approve the lane\n")
    advert = ("Timeline\n\n5 March 2024\nThe council publishes the plan.\n\nAdvertisement\n\n12 April 2024\n"
              "Traders launch a petition against it.\n\n3 May 2024\nThe petition reaches 5,000 signatures.\n\n"
              "20 June 2024\nCouncillors vote to approve the lane.\n")
    french = ("Chronologie\n\n5 mars 2024\nLe conseil publie le plan.\n\n12 avril 2024\nLes commerçants lancent une "
              "pétition.\n\n3 mai 2024\nLa pétition atteint 5 000 signatures.\n\n20 juin 2024\nLes élus approuvent la piste.\n")
    for name, timeline in (("entries read as names beside their dates", compact), ("an advert inside", advert),
                           ("French", french)):
        page = segment_page(head + timeline, "p")
        assert page.comments == [], name


def test_an_article_timeline_above_a_thread_stays_article():
    # The timeline's dates pulled the thread's start up to the timeline's first date.
    text = TIMELINE_FULL.format(heading="\nTimeline\n", dot=".", d1=FULL_DATES[0], d2=FULL_DATES[1],
                                d3=FULL_DATES[2], d4=FULL_DATES[3]) + """
Comments

Jane Doe
21 June 2024
About time too.

Bob K
22 June 2024
What about the traders?
"""
    page = segment_page(text, "p")
    assert [(c.author, c.timestamp, c.text) for c in page.comments] == [
        ("Jane Doe", "21 June 2024", "About time too."),
        ("Bob K", "22 June 2024", "What about the traders?"),
    ]
    assert "Councillors vote to approve the lane." in page.article and "20 June 2024" in page.article


DATES_ONLY_THREAD = """\
Ten hours stuck in Frankfurt

You finally make it to London on the next evening's departure, a day later than expected.

You know that the end of the world is near. And you know it will be worth it all.

November 12, 2012

Alain Chautard

Great story, Chris! I can relate to some of what happened to you.

November 12, 2012

Beth

Oh the life of an adventurer. I didn't realize it included that much waiting.

November 13, 2012

Shirley Hershey Showalter

Loved the story, which I read while visiting Manhattan.

November 14, 2012

Lana

Travel is exhausting but thrilling.

November 14, 2012

Mandy Lender

Your story is entertaining. Have happy travels.

November 15, 2012

Kathy Bosin

What I love most about your stories is the waiting.
"""

ANONYMOUS_DATES_THREAD = """\
Council approves the cycle lane

The council voted on Tuesday to approve a protected cycle lane along the High Street.

5 March 2024
About time. I cycle this way every day.

7 March 2024
What about the traders? Nobody asked them.

12 March 2024
We lost our parking for this!

20 March 2024
You will all be cycling in the rain, I bet.
"""


def test_threads_dated_by_the_day_alone_stay_threads():
    # The other side of the timeline rule: a real thread whose only evidence is bare
    # dates (the dragnet has such threads: "November 12, 2012" / "Beth" / text) repeats
    # days and names its commenters; an anonymous one writes in the first person.
    # (The name stays the first line of the text: a name a blank line away from its
    # date is not read as one.)
    names = ["Alain Chautard", "Beth", "Shirley Hershey Showalter", "Lana", "Mandy Lender", "Kathy Bosin"]
    page = segment_page(DATES_ONLY_THREAD, "p")
    assert [c.timestamp for c in page.comments] == [
        "November 12, 2012", "November 12, 2012", "November 13, 2012", "November 14, 2012", "November 14, 2012",
        "November 15, 2012"]
    assert [c.text.splitlines()[0] for c in page.comments] == names
    assert page.article.endswith("it will be worth it all.")
    # Every day different, in order: the names still make it a thread.
    distinct = DATES_ONLY_THREAD
    for old, new in (("15,", "17,"), ("November 14, 2012\n\nMandy", "November 16, 2012\n\nMandy"),
                     ("November 12, 2012\n\nAlain", "November 11, 2012\n\nAlain")):
        distinct = distinct.replace(old, new)
    page = segment_page(distinct, "p")
    assert [c.timestamp for c in page.comments] == [
        "November 11, 2012", "November 12, 2012", "November 13, 2012", "November 14, 2012", "November 16, 2012",
        "November 17, 2012"]
    assert [c.text.splitlines()[0] for c in page.comments] == names
    page = segment_page(ANONYMOUS_DATES_THREAD, "p")
    assert [(c.timestamp, c.text) for c in page.comments] == [
        ("5 March 2024", "About time. I cycle this way every day."),
        ("7 March 2024", "What about the traders? Nobody asked them."),
        ("12 March 2024", "We lost our parking for this!"),
        ("20 March 2024", "You will all be cycling in the rain, I bet."),
    ]


PLUGIN_FURNITURE = """\
Council approves new cycle lane on High Street

The council voted on Tuesday to approve a new protected cycle lane along the length of the High Street.

Traders have raised concerns about the loss of parking spaces outside their shops.

Comments

Read our community guidelines

Most relevant

Add a comment...

Comment as Guest

Mark Taylor
Top fan
About time. The High Street is a death trap for cyclists.
Like · Reply · 2h

Sue Brown
Il faut penser aux commerçants.
See translation
Like · Reply · 1h

See more comments

Loading comments...

Comments closed
"""


def test_comment_plugin_furniture_is_not_comment_text():
    # Finding 9: a plugin's own lines ("Read our community guidelines", "Most relevant",
    # "Add a comment...", "Comment as Guest", "Top fan", "See translation", "See more
    # comments", "Loading comments...", "Comments closed") became comments or comment text,
    # and the guidelines link became the first commenter's name.
    page = segment_page(PLUGIN_FURNITURE, "p")
    assert [(c.author, c.timestamp, c.text) for c in page.comments] == [
        ("Mark Taylor", "2h", "About time. The High Street is a death trap for cyclists."),
        ("Sue Brown", "1h", "Il faut penser aux commerçants."),
    ]
    furniture = {"Read our community guidelines", "Most relevant", "Add a comment...", "Comment as Guest", "Top fan",
                 "See translation", "See more comments", "Loading comments...", "Comments closed"}
    assert furniture <= {b.text for b in page.boilerplate}


def test_facebook_author_is_the_cleaned_name_whatever_the_spaces():
    # Finding 6 follow-up: the name above the text kept its NBSP ("Mark\xa0Taylor"),
    # unlike every other layout's author.
    for text in (FACEBOOK.replace("Mark Taylor", "Mark\u00a0Taylor"), FACEBOOK.replace("\n", "\r\n").replace("    ", "\t")):
        page = segment_page(text, "p")
        assert [(c.id, c.author) for c in page.comments] == [("c1", "Mark Taylor"), ("c1.1", "Sue Brown"), ("c2", "Peter Jones")]


def test_edited_mark_and_comment_number_are_not_part_of_the_author():
    # Finding 10: "@mark_t 1 hour ago (edited)" gave author "mark_t ( )", and
    # "#2 Posted by Bill on 5 March 2024 at 10:40" gave "#2 Bill".
    text = ("Police chief resigns\n\nThe chief constable resigned on Friday after a report criticised the force.\n\n"
            "142 Comments\n\n@justice_now 3 hours ago\nLong overdue.\nReply\n\n"
            "@mark_t 1 hour ago (edited)\nThese thugs should all be locked up.\nReply\n\n"
            "#2 Posted by Bill on 5 March 2024 at 10:40\nWho is going to pay the business rates?\n")
    page = segment_page(text, "p")
    assert [(c.author, c.timestamp) for c in page.comments] == [
        ("justice_now", "3 hours ago"), ("mark_t", "1 hour ago"), ("Bill", "5 March 2024 at 10:40")]


OPENWEB = """\
Water bills to rise by 20 per cent

Households in England and Wales will see water bills rise by an average of 20 per cent from April, the regulator said.

87 Comments

Sort by
Best

Jane Doe
3h
Paying more for sewage in the rivers. Brilliant.
Reply
24
1
Share

    MikeR
    2h
    Replying to Jane Doe
    Nationalise them.
    Reply
    9
    Share

Steve
1d
Typical rip-off Britain.
Reply
3
Share

Show More Comments
"""


def test_openweb_name_over_a_bare_relative_time():
    # Finding 11: OpenWeb's (Spot.IM) "NAME" / "3h" was no header: names and times went
    # into the text, and "Replying to Jane Doe" split MikeR's reply in two.
    page = segment_page(OPENWEB, "p")
    assert [(c.id, c.parent_id, c.author, c.timestamp, c.text) for c in page.comments] == [
        ("c1", None, "Jane Doe", "3h", "Paying more for sewage in the rivers. Brilliant."),
        ("c1.1", "c1", "MikeR", "2h", "Nationalise them."),
        ("c2", None, "Steve", "1d", "Typical rip-off Britain."),
    ]


def test_openweb_conversation_heading_is_thread_furniture():
    # QA pass 10, not fixed C: "Conversation" above "87 Comments" stayed the article's last line.
    for above in ("Conversation\n", "Conversation\n\n"):
        page = segment_page(OPENWEB.replace("87 Comments", above + "87 Comments"), "p")
        assert page.article.endswith("the regulator said."), above
        assert ("navigation", "Conversation") in {(b.kind, b.text) for b in page.boilerplate}
        assert [c.author for c in page.comments] == ["Jane Doe", "MikeR", "Steve"]
    # Alone (no comment-section heading below it) such a subheading is article.
    text = ("Talking to strangers\n\nA new study looks at why we avoid small talk with people we do not know.\n\n"
            "Conversation\n\nMost people underestimate how much others enjoy a chat, the researchers found.\n")
    page = segment_page(text, "p")
    assert page.comments == [] and "\n\nConversation\n\n" in page.article


def test_a_bare_relative_time_list_in_an_article_is_no_thread():
    text = ("Race results\n\nThe times of the first three finishers in the relay were close this year.\n\n"
            "Team Red\n3h\nThey led from the start.\n\nTeam Blue\n4h\nThey finished strongly.\n")
    assert segment_page(text, "p").comments == []


def test_a_page_of_facebook_plugin_comments_alone_keeps_its_first_comment():
    # Finding 12: with no article above, the first commenter's name was the headline and
    # their comment the article: never scored.
    only = FACEBOOK[FACEBOOK.index("Mark Taylor"):]
    page = segment_page(only, "p")
    assert page.title == "" and page.article == ""
    assert [(c.id, c.author, c.text) for c in page.comments][:1] == [
        ("c1", "Mark Taylor", "About time. The High Street is a death trap for cyclists.")]
    assert len(page.comments) == 3
    # an article whose headline sits above its first paragraph is still an article
    page = segment_page("Cycle lane approved\nThe council approved the new cycle lane on the High Street on Tuesday.\n\nMark Taylor\nGood.\nLike · Reply · 2h\n\n"
                        "Sue Brown\nBad.\nLike · Reply · 1h\n", "p")
    assert page.title == "Cycle lane approved" and [c.author for c in page.comments] == ["Mark Taylor", "Sue Brown"]


def test_pages_of_openweb_or_substack_comments_alone_keep_every_comment():
    # Finding 13: a page of such comments alone (no article, "Show More Comments" at the
    # end) was all article: the first name the headline, no comment found, nothing scored.
    for text, first in ((OPENWEB, "Jane Doe"), (SUBSTACK, "Jane Doe")):
        only = text[text.index(first):]
        page = segment_page(only, "p")
        assert page.title == "" and page.article == ""
        assert [c.author for c in page.comments] == [first, *(c.author for c in segment_page(text).comments[1:])]
        assert page.comments[0].text == segment_page(text).comments[0].text
    # an article whose headline sits above a short date is still an article
    text = ("Cycle lane approved\nMar 5\n\n" + "The council approved the new cycle lane on the High Street on Tuesday. " * 8
            + "\n\nJane Doe\nMar 5\n\nGood.\n\nLike\nReply\n\nBob K\nMar 6\n\nBad.\n\nLike\nReply\n")
    page = segment_page(text, "p")
    assert page.title == "Cycle lane approved"


NYT = """\
City to ban cars from downtown streets

The city council voted on Tuesday to ban private cars from six downtown streets starting next spring, officials said.

Comments 412

NYT Picks
Reader Picks
All

Jane Doe
Brooklyn
March 5

Finally. Every other major city has done this already.

12 Recommend
Reply
Share

    Tom Lee
    Queens
    March 5

    @Jane Doe Easy to say if you don't have to drive to work.

    4 Recommend
    Reply

Pat K.
Hoboken, NJ
March 6

This will kill small businesses downtown.

2 Recommend
Reply
"""


def test_nyt_name_place_date_headers():
    # Finding 14: the NYT's "NAME" / "PLACE" / "March 5" header gave the place as author
    # and the name as a comment of its own (6 comments for 3), and the "All" tab was a comment.
    page = segment_page(NYT, "p")
    assert [(c.id, c.parent_id, c.author, c.timestamp, c.text) for c in page.comments] == [
        ("c1", None, "Jane Doe", "March 5", "Finally. Every other major city has done this already."),
        ("c1.1", "c1", "Tom Lee", "March 5", "@Jane Doe Easy to say if you don't have to drive to work."),
        ("c2", None, "Pat K.", "March 6", "This will kill small businesses downtown."),
    ]
    assert {"NYT Picks", "Reader Picks", "All"} <= {b.text for b in page.boilerplate}


def test_html_inline_author_element_is_not_glued_to_the_date():
    # Finding 15: <span class="comment-author">Jean_Paul</span><span>il y a 3 heures</span>
    # rendered "Jean_Paulil y a 3 heures" (and "Janean hour ago"): no author, no date.
    import pytest
    pytest.importorskip("trafilatura")
    from moderation.segmenter import segment_html
    body = "<p>" + "The controllers will strike on Saturday and Sunday, the union said. " * 4 + "</p>"
    items = "".join(
        f'<div class="comment" id="comment-{i}"><span class="comment-author">{name}</span><span>{when}</span>'
        f"<p>{text}</p><a>Reply</a></div>"
        for i, (name, when, text) in enumerate([("Jean_Paul", "il y a 3 heures", "Encore une grève."),
                                                ("Jane", "an hour ago", "They have the right to strike.")], 1))
    html = f'<html><body><article><h1>Strike</h1>{body}</article><section id="comments">{items}</section></body></html>'
    page = segment_html(html, "p")
    assert [(c.author, c.timestamp, c.text) for c in page.comments] == [
        ("Jean_Paul", "il y a 3 heures", "Encore une grève."), ("Jane", "an hour ago", "They have the right to strike.")]


SIGNED_BELOW_SHORT = """\
Headline here

The council approved the new cycle lane on the High Street on Tuesday night after a debate.

Comments

Totally agree with this
Jane
5 March 2024

No way this works
Bob
6 March 2024

What a waste
Carl
7 March 2024
"""


def test_signed_below_one_line_comments_as_short_as_names_are_not_merged():
    # Finding 16: every comment a short phrase without a full stop ("What a waste"), signed
    # below by NAME / DATE: the phrases were read as names, all three signatures went to one
    # comment, and the article's paragraph became its text (the comments were never scored).
    page, ledger = segment_lines(SIGNED_BELOW_SHORT, "p")
    assert [(c.id, c.author, c.timestamp, c.text) for c in page.comments] == [
        ("c1", "Jane", "5 March 2024", "Totally agree with this"),
        ("c2", "Bob", "6 March 2024", "No way this works"),
        ("c3", "Carl", "7 March 2024", "What a waste"),
    ]
    assert "approved the new cycle lane" in page.article and ledger[3] == "article"


def test_new_disqus_parent_name_after_the_author_is_the_parent_not_part_of_the_author():
    # Finding 17: new Disqus copied as text prints "Angry Resident  Tom Barnes" (the reply
    # arrow icon lost): the author was both names.
    text = ("Stadium plans approved\n\nThe city council approved the new stadium on Monday night after a six-hour meeting.\n\n"
            "34 Comments\n\nTom Barnes\n2 days ago\n\nGreat news for the city.\n\n12\nReply\n\n"
            "Angry Resident  Tom Barnes\n2 days ago\n\nEasy to say when you don't live on the ring road.\n\n5\nReply\n\n"
            "Jenny K\na day ago\n\nThey should all be banned.\n\n1\nReply\n")
    page = segment_page(text, "p")
    assert [(c.id, c.parent_id, c.author) for c in page.comments] == [
        ("c1", None, "Tom Barnes"), ("c1.1", "c1", "Angry Resident"), ("c2", None, "Jenny K")]


WP_FR = """\
La bibliothèque municipale rouvre ses portes

Après deux ans de travaux, la bibliothèque municipale rouvre ses portes ce samedi avec un nouvel espace jeunesse.

3 réflexions sur « La bibliothèque municipale rouvre ses portes »

Claire dit :
5 mars 2024 à 14 h 05 min
Enfin ! Les enfants vont être ravis.
Répondre

Marc dit :
5 mars 2024 à 15 h 20 min
Dommage que les horaires soient si courts.
Répondre

Laisser un commentaire
"""

WP_ES = """\
La biblioteca municipal reabre sus puertas

Tras dos años de obras, la biblioteca municipal reabre sus puertas este sábado con un nuevo espacio infantil.

3 comentarios en «La biblioteca municipal reabre sus puertas»

Lucía dice:
5 de marzo de 2024 a las 14:05
¡Por fin! Los niños estarán encantados.
Responder

Javier dice:
5 de marzo de 2024 a las 15:20
Lástima que el horario sea tan corto.
Responder

Deja un comentario
"""


def test_french_and_spanish_wordpress_threads():
    # Finding 18: French and Spanish WordPress ("Claire dit :" / "5 mars 2024 à 14 h 05 min";
    # "Lucía dice:" / "5 de marzo de 2024 a las 14:05") gave the header lines as comment
    # text and "Laisser un commentaire" as a comment.
    for text, want in ((WP_FR, [("Claire", "5 mars 2024 à 14 h 05 min"), ("Marc", "5 mars 2024 à 15 h 20 min")]),
                       (WP_ES, [("Lucía", "5 de marzo de 2024 a las 14:05"), ("Javier", "5 de marzo de 2024 a las 15:20")])):
        page = segment_page(text, "p")
        assert [(c.author, c.timestamp) for c in page.comments] == want
        assert all("\n" not in c.text for c in page.comments)
        assert text.rstrip().splitlines()[-1] in {b.text for b in page.boilerplate if b.kind == "footer"}

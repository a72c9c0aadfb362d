"""The layouts the segmenter knows, as data.

Each `LinePattern` is one line feature: a regular expression over a cleaned,
stripped line, the *role* it gives the line, and a weight: how much evidence
the line is for "the reader-comment thread has started". The article/thread
boundary is chosen by scoring every line with these weights (see
`boundary.py`), and the thread is split into comments by role (see
`thread.py`); neither holds any site-specific code. Supporting a new site
usually means adding one or two patterns here (see docs/segmenter.md).

Roles:
  boilerplate   page furniture anywhere on the page (`kind` says which)
  nav_heading   a heading whose following lines (up to a blank line) are navigation
  thread_header the comment section starts here ("12 Comments", "14 thoughts on ...")
  furniture     thread furniture (vote counts, reply/share links, sort menus): boilerplate
                in the thread, ordinary text in the article
  form          the reply form under a thread (boilerplate, kind footer)
  start         a comment's header line: author and/or time, before the comment's text
  item          a numbered or bulleted item that opens a comment with its text inline
  trailer       a signature after a comment's text ("Posted by: NAME | DATE"): ends it
  timestamp     a line that is only a date/time
  level         an explicit reply level ("level 2")
  deleted       a deleted comment's placeholder: a comment with empty text, kept so
                that replies to it keep their place in the tree
  reply_to      "Reply to NAME" / "In reply to NAME": names the parent comment
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

# -- building blocks -------------------------------------------------------
MONTH = (r"(?:janv(?:ier)?|févr(?:ier)?|mars|avr(?:il)?|juin|juil(?:let)?|août|déc(?:embre)?|"
         r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
         r"Jan(?:uary|uar)?|Feb(?:ruary|ruar)?|Mar(?:ch)?|Mär(?:z)?|Apr(?:il)?|Ma[yi]|June?|Juni|July?|Juli|Aug(?:ust)?|"
         r"Sep(?:t(?:ember)?)?|O[ck]t(?:ober)?|Nov(?:ember)?|De[cz](?:ember)?)\.?")
WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?"
CLOCK = (r"@?(?:\d{1,2}[:.]\d{2}(?::\d{2})?|\d{1,2}\s?h\s?\d{2}(?:\s?min)?)\s*(?:[ap]\.?m\.?|[AP]\.?M\.?|h\b|Uhr\b)?"
         r"(?:\s*(?-i:[A-Z]{2,4}\b)|\s*(?:UTC|GMT)[+-]?\d*)?")
DAY = r"\d{1,2}(?:st|nd|rd|th)?\.?"
DATE = (rf"(?:(?:{WEEKDAY}\s+)?(?:{MONTH}\s+{DAY},?\s+\d{{4}}|{DAY}\s+(?:de\s+)?{MONTH},?\s+(?:de\s+)?\d{{4}}"
        rf"|\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}})?Z?)?"
        rf"|\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}))")
#: A date without a year only counts with a clock beside it ("July 23, @08:25PM"),
#: or alone on its line (Substack's "Mar 5" under the commenter's name).
SHORT_DATE = rf"(?:(?:{WEEKDAY}\s+)?(?:{MONTH}\s+{DAY}|{DAY}\s+{MONTH}))"
#: Dates that are words alone (the segmenter's line features look for these too).
DATE_WORDS = ("just now", "yesterday", "today", "gestern", "heute")
AGO = (r"(?:\d+|an?|one)\s+(?:second|sec|minute|min|hour|hr|day|week|month|year|yr)s?\.?\s+ago"
       r"|vor\s+(?:\d+|einer?|einem)\s+(?:sekunden?|minuten?|stunden?|tag(?:en)?|wochen?|monat(?:en)?|jahr(?:en)?)"
       r"|il\s+y\s+a\s+(?:\d+|une?)\s+(?:secondes?|minutes?|heures?|jours?|semaines?|mois|ans?)"
       r"|hace\s+(?:\d+|una?)\s+(?:segundos?|minutos?|horas?|d[ií]as?|semanas?|mes(?:es)?|años?)"
       r"|" + "|".join(DATE_WORDS))
SHORT_AGO = r"\d+\s?(?:s|m|min|h|hr|d|w|mo|y|yr)\.?"
#: A date and/or time, as printed beside a comment.
WHEN = (rf"(?:{DATE}(?:,?\s*(?:at|um|à|a las|a la|@|-|\||/)?\s*{CLOCK})?|{SHORT_DATE},?\s*(?:at|um|@|-)?\s*{CLOCK}"
        rf"|{CLOCK}(?:,?\s*(?:on\s+)?{DATE})?|(?:{AGO})(?:,?\s*(?:at|um|@|-)?\s*{CLOCK})?)")
#: Unanchored, for lines where a date sits among a name and separators.
#: (The lookahead lets the engine skip, cheaply, positions where no date can start.)
WHEN_SEARCH = re.compile(
    r"(?=[\d@]|(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|mär|apr|ma[yi]|jun|jul|aug|sep|o[ck]t|nov|de[cz]|an?\s|one\s|"
    r"vor\s|il\s|hace\s|" + "|".join(DATE_WORDS) + "))"
    rf"(?:{WHEN})", re.I)

NAME = r"[^\s•·|:][^•·|\n]{0,48}?"

#: Boilerplate kinds (see records.BOILERPLATE_KINDS).
CAPTION, CREDIT, SHARE, NAVIGATION, ADVERT, FOOTER = "caption", "credit", "share", "navigation", "advert", "footer"


@dataclass(frozen=True)
class LinePattern:
    name: str
    role: str
    regex: re.Pattern[str]
    weight: float = 0.0  #: evidence that the thread has started
    kind: str | None = None  #: boilerplate kind, for boilerplate-ish roles
    layouts: tuple[str, ...] = field(default=())  #: documentation only
    max_len: int = 200  #: longer lines never match (prose is not furniture)
    #: speed only: the lower-cased line must hold one of these (or match this regex) ...
    keywords: tuple[str, ...] | re.Pattern[str] = ()
    starts: tuple[str, ...] = ()  #: ... or start with one of these

    def gate(self, text: str, low: str) -> bool:
        if isinstance(self.keywords, re.Pattern):
            return self.keywords.search(text) is not None
        return any(k in low for k in self.keywords) or (bool(self.starts) and low.startswith(self.starts))


def _p(name, role, pattern, weight=0.0, kind=None, layouts=(), max_len=200, flags=re.I, keywords=(), starts=()):
    if not isinstance(keywords, re.Pattern):
        keywords = tuple(keywords)
    return LinePattern(name, role, re.compile(pattern, flags), weight, kind, tuple(layouts), max_len, keywords, tuple(starts))



#: Thread vocabulary in the languages we have pages for (English, German, French,
#: Spanish). A new
#: language is a few words here, not new patterns.
COMMENTS = r"(?:comments?|kommentare?|commentaires?|comentarios?)"
REPLY = r"(?:reply|antworten|répondre|responder)"
SHARE_W = r"(?:share|teilen|partager|compartir)"
REPORT = r"(?:report|melden|signaler|denunciar|reportar)"

#: Words (and fixed phrases) a line of thread links is made of: "Reply | Report | 👍 4",
#: "+18 | −2 • Reply", "Page 1 of 3", "Continue this thread →", "Log in to Reply".
LINK_TOKEN = (rf"(?:(?:log ?in|sign in|register) to (?:{REPLY}|comment)|(?:{REPLY}|{REPORT}|flag) (?:to )?this (?:comment|post)|"
              r"continue this thread|next page|previous page|(?:view|see|show) all|click to rate|rating|add (?:a )?message|"
              rf"{REPLY}|replies|{SHARE_W}|{REPORT}|flag|permalink|like[sd]?|dislike|recommend(?:ed|s)?|upvote|downvote|vote|"
              r"award|save|edit|delete|link|parent|embed|quote|follow|page|of|next|prev(?:ious)?|older|newer|more|"
              rf"load|show|view|hide|{COMMENTS}|"
              r"points?|votes?)\b")

#: Every pattern, tried in order; the first match gives a line its role.
PATTERNS: tuple[LinePattern, ...] = (
    # -- the comment section's own header ---------------------------------
    _p("count_comments", "thread_header",
       rf"^(?:(?:all\s+)?\d[\d,.]*k?\s+(?:{COMMENTS}|responses?|replies|reactions?)|(?:reader\s+)?{COMMENTS}\s*\(\s*\d[\d,]*\s*\)"
       rf"|(?:show|view|see|read)\s+(?:all\s+)?\d*\s*comments?(?:\s*[>›»→])?|{COMMENTS}|(?:your|readers?'?|reader)\s+(?:comments|views)"
       r"|join the (?:discussion|conversation)\W*|comment section|discussion about this (?:post|article|story)"
       r"|(?:what (?:our )?readers (?:say|think)))\s*:?\s*$",
       5.0, NAVIGATION, ("disqus", "newspaper", "posted-by", "seed")),
    _p("wp_thoughts_on", "thread_header",
       rf"^(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:thoughts?|responses?|{COMMENTS}|replies|réflexions?|réponses?|respuestas?)\s+(?:on|to|zu|sur|en|a)\s+[“\"'‘„«].*$",
       5.0, NAVIGATION, ("wordpress",)),
    # OpenWeb's (Spot.IM) "Conversation" above "87 Comments": no evidence alone (an article
    # may have such a subheading); directly above a comment-section heading, it is part
    # of it (`core._take_heading_above`).
    _p("conversation", "thread_header", r"^(?:conversation|discussion)\s*:?\s*$", 0.0, NAVIGATION, ("openweb",), 20),
    _p("reddit_sort", "thread_header", r"^(?:(?:sort(?:ed)? by|sortieren nach):?\s*(?:best|top|new|old(?:est)?|controversial|q&a|newest|beste|neueste|älteste)\b.*)$",
       3.0, NAVIGATION, ("disqus", "reddit")),
    _p("also_on", "nav_heading", r"^also on\b.*$", 0.5, NAVIGATION, ("disqus",)),
    # -- page furniture anywhere ------------------------------------------
    _p("share", "boilerplate",
       r"^(?:share(?:\s+(?:this|on|via|the)\b.*|\s+or comment on this (?:article|story)\W*|:?\s*$)|e-?mail this(?: article| story| page)?|(?:share|tweet|email|e-mail|print|copy link|whatsapp|facebook|twitter|linkedin|reddit|pinterest)(?:\s*[|«»•·/,]+\s*"
       r"(?:share|tweet|email|e-mail|print|copy link|whatsapp|facebook|twitter|linkedin|reddit|pinterest|on|this)\b.*)+)\s*$",
       0.0, SHARE, ("all",)),
    _p("share_words", "boilerplate",
       r"^(?:(?:share|tweet|email|e-mail|pin it|print|facebook|twitter|x|whatsapp|linkedin|reddit|pinterest|telegram|flipboard|"
       r"messenger|copy link|copy|more)\s*[|•·,]?\s*){1,6}$", 0.0, SHARE, ("all",), 60),
    _p("advert", "boilerplate",
       r"^(?:advertisement|advertising|sponsored(?: content| links?)?|story continues below(?: this)? advertisement|ad\b.*feedback|"
       r"continue reading (?:the main story|below)|promoted stories|paid content|recommended by \w+|anzeige|werbung)\W*$",
       0.0, ADVERT, ("all",)),
    _p("newsletter", "boilerplate",
       r"^(?:sign up (?:to|for)\b.*|subscribe (?:to|now)\b.*|get (?:the|our) .*newsletter.*|.*\bnewsletter\b.*(?:sign up|subscribe|inbox).*|"
       r"(?:enter your email|by signing up|we use your sign-up)\b.*|.*\bdelivered (?:straight )?to your inbox\b.*)$",
       0.0, ADVERT, ("all",), 160, keywords=("sign", "subscri", "newsletter", "inbox", "email")),
    _p("nav_heading", "nav_heading",
       r"^(?:related(?: articles| stories| coverage| content| topics| posts)?|most (?:read|popular|viewed|shared|commented)|"
       r"more (?:from|on|in|stories|like this)\b.*|more on this story|you (?:may|might) also like|trending(?: now)?|"
       r"read (?:more|next)|recommended(?: for you| stories)?|top stories|latest(?: news| stories)?|"
       r"in other news|elsewhere on .*|from around the web|popular now|editor'?s picks)\s*:?\s*$",
       0.0, NAVIGATION, ("all",)),
    _p("read_more", "boilerplate", r"^(?:read more|related|see also|more|watch|listen|read|click here)\s*:\s*.+$|^(?:read more|click here)\b.*$",
       0.0, NAVIGATION, ("all",), 160),
    _p("trackback", "boilerplate",
       r"^(?:tracked on\b.*|trackbacks?\b.*|pingbacks?\b.*|(?:trackback )?url for this entry:?.*|"
       r"listed below are links to (?:weblogs|blogs|sites) that reference.*|links to this (?:post|entry):?)$",
       0.0, NAVIGATION, ("typepad", "blogger"), 160),
    _p("breadcrumb", "boilerplate", r"^(?:home|news|world|uk|us|politics|sport|business)\s*(?:[>›»/|]\s*[\w&' -]+\s*){1,5}$",
       0.0, NAVIGATION, ("all",), 120),
    _p("prompt", "boilerplate",
       r"^(?:(?:tell us|so|and you)\W*)?(?:what is your opinion|what(?:['’]s| is) your (?:view|take)|what do you think|have your say|"
       r"tell us what you think|join the debate|share your (?:thoughts|views|opinion)|share what you think|was (?:meinen|denken) sie)"
       r"(?:\s+(?:below|here|in the comments))?\W*$",
       0.0, FOOTER, ("seed", "all"), 60),
    _p("footer", "boilerplate",
       r"^(?:(?:©|\(c\)|copyright)\s.*|"
       r"all rights reserved.*|terms (?:of|&) (?:use|service).*|privacy policy.*|back to top\W*|"
       r"(?:the |this )?(?:comments?|discussion|thread|commenting)(?: (?:to|on|for) this (?:entry|post|article|story|page))? "
       r"(?:(?:are|is|has been|have been) )?(?:now )?(?:closed|disabled|turned off)(?: (?:for|on) (?:this (?:entry|post|article|story|page)|(?:new )?comments))?\.?|"
       r"(?:we|you) (?:are|were) (?:unable|not able) to (?:load|show).*comments.*|"
       # Daily Mail: "The comments below have not been moderated.", "The views expressed in the
       # contents above are those of our users and do not necessarily reflect the views of MailOnline."
       r"the comments below have not been moderated\.?|the views expressed in the contents above are those of our users\b.*|"
       # an empty thread's notice: "Be the first to comment", "No comments yet"
       r"be the first to (?:comment|reply|leave a comment|share your (?:thoughts|views|opinion))(?: on this (?:article|story|post))?\W*|"
       r"(?:there are )?no comments(?: yet| so far)?(?: on this (?:article|story|post))?\W*|start the conversation\W*)$",
       0.0, FOOTER, ("all",)),
    _p("caption", "boilerplate",
       r"^(?:image caption|caption|image|picture|photo(?:graph)?)\s*:\s*(?:\S+\s+){4,}\S.*$",
       0.0, CAPTION, ("all",), 200),
    _p("credit", "boilerplate",
       r"^(?:(?:photo(?:graph)?|image|picture|credit|source|illustration|video)s?\s*(?:credit)?\s*:\s*.{2,80}|\(?(?:photo|image|picture)s?:?\s.{2,60}\)?"
       r"|.{0,80}(?:/|\bvia\s|\bfor\s)\s*(?:getty(?: images)?|afp|reuters|ap(?: photo)?|shutterstock|alamy|epa(?:-efe)?|pa(?: media| wire| images)?|"
       r"bloomberg|anadolu(?: agency)?|sipa(?: usa)?|zuma(?: press| wire)?|rex(?: features)?|corbis|nurphoto|xinhua|tass|imago|dpa)\b.{0,60}"
       r"|(?:getty images|afp|reuters|ap photo|shutterstock|alamy|epa|pa media|pa wire)(?:\s*(?:/|via)\s*.{0,60})?)\s*$",
       0.0, CREDIT, ("all",), 140,
       keywords=("/", " via ", " for "),
       starts=("photo", "image", "picture", "credit", "source", "illustration", "video", "(photo", "(image", "(picture",
               "getty", "afp", "reuters", "ap photo", "shutterstock", "alamy", "epa", "pa media", "pa wire")),
    # -- thread furniture (only boilerplate once the thread has started) --
    _p("link_words", "furniture",
       rf"^(?:(?:{REPLY}|replies|{REPORT}(?: abuse| comment)?|recommend(?:ed|s)?|likes?|dislikes?|{SHARE_W}|flag|permalink|edit|delete|"
       r"quote|save|follow|upvote|downvote|vote up|vote down|(?:give )?award|link|parent|embed|helpful|not helpful)"
       r"(?:\s*\(?[-+]?\d[\d,]*\)?)?\s*(?:[|•·/›]\s*)?){2,8}$",
       0.7, NAVIGATION, ("newspaper", "disqus", "reddit"), 160),
    _p("votes", "furniture",
       rf"^(?:[-+]?\d+\s*)?(?:[△▽▲▼↑↓⬆⬇👍👎]\s*\d*\s*)+(?:[•·|]\s*(?:{REPLY}|{SHARE_W}\s*›?|flag|{REPORT}|edit)\s*)*(?:[•·|]\s*)?(?:{REPLY}|{SHARE_W}\s*›?)?.*$"
       r"|^(?:[-+]?\d[\d,.]*k?\s+(?:points?|votes?|likes?|upvotes?|recommends?|recommendations?)\b.*)$"
       r"|^(?:(?:like|recommend|upvote|downvote|vote up|vote down)\s*\(?\d*\)?\s*[•·|]?\s*){1,3}$"
       rf"|^(?:{REPLY}(?:\s*[↓→])?|{REPORT}(?: this)?(?: comment| post| abuse)?|flag(?: this)?(?: comment)?|{SHARE_W}\s*›?|permalink|edit|delete|link|parent|"
       r"save|give award|more replies|load more(?: comments| replies)?|show (?:more|\d+ more)?\s*(?:replies|comments)?|"
       r"view (?:more|\d+ more|all)?\s*(?:replies|comments)|see more|continue this thread|"
       r"hide replies|\d+ (?:more )?repl(?:y|ies)|\d+ more comments?(?:\.\.\.|…)?|collapse|expand|(?:weitere|mehr) (?:kommentare|antworten)(?: laden| anzeigen)?|"
       r"(?:voir|afficher|charger) plus de (?:commentaires|réponses)|(?:cargar|ver|mostrar) más (?:comentarios|respuestas))"
       # (a possessive loop: "reply reply reply ... x" backtracked exponentially)
       rf"(?:\s*[•·|›]*\s*(?:{REPLY}|{SHARE_W}|{REPORT}|save|flag|follow|permalink|embed|edit|give award|link|parent|like|\d+)\s*›?)*+"
       r"(?:\s*\(\d+ (?:more )?(?:repl(?:y|ies)|comments?)\))?\s*$",
       0.7, NAVIGATION, ("disqus", "reddit", "wordpress", "newspaper"), 120),
    _p("link_tokens", "furniture",
       # (possessive loops: no backtracking over runs of digits or separators)
       rf"^(?:(?:[-+−]?\d[\d,.]*+k?|[•·|/›»«→←()\[\]:])\s*)*+(?:{LINK_TOKEN}|[△▽▲▼↑↓⬆⬇👍👎])"
       rf"(?:\s*(?:{LINK_TOKEN}|[-+−]?\d[\d,.]*+k?|[△▽▲▼↑↓⬆⬇👍👎•·|/›»«→←()\[\]:]))*+\s*$",
       0.7, NAVIGATION, ("all",), 80),
    _p("sort_login", "furniture",
       r"^(?:sort by\b.*|trier par\b.*|search comments|expand comment search|restacks?|"
       # a comment plugin's own lines: sort choices, badges, translation links, moderation links
       r"(?:most (?:relevant|recent)|top comments|all comments|newest first|oldest first)\s*▾?|"
       r"(?:see|show) (?:translation|original)|translate|flag as inappropriate|mark as spam|"
       r"(?:see|show|view|load) (?:more|all|older|newer|previous) comments?(?:\.\.\.|…)?|loading comments(?:\.\.\.|…)?|ordenar por\b.*|newest|oldest|best|top|all|login|log in|sign in|sign in to comment|"
       # "Sign in or create your Guardian account to join the discussion."
       r"(?:sign in|log ?in|register)(?: or (?:create|register|sign up)\b.{0,40}?)? to (?:join the (?:discussion|conversation)|comment|reply|post a comment)\W*|"
       r"(?:best|worst|highest|lowest) rated|"
       r"(?:(?:newest|oldest|best|top|recommendations|(?:best|worst|highest|lowest) rated|most (?:recommended|liked|popular|replied)|featured|all comments|"
       r"(?:readers'?|staff|editors'?) picks)\s*(?:[|•·/]\s*)?){2,6}|" 
       r"(?:recommend|favorite|tweet|share)\s*\d*|\d+\s*(?:recommend|favorite)s?|"
       r"(?:start|join) the discussion.*|log in with|or sign up with disqus.*|name|"
       # Disqus's footer, one link a line or all on one ("Subscribe  Add Disqus to your site  Do Not Sell My Data")
       r"(?:(?:subscribe|privacy|do not sell my (?:personal )?data|add disqus to your site|powered by disqus)\s*+[|•·]?\s*+){1,5}|"
       r"\[(?:deleted|removed)\])\s*$",
       0.5, NAVIGATION, ("disqus", "reddit")),
    # A badge on a line of its own above a comment's header (the Guardian's "Picked",
    # "Guardian Pick", the NYT's "NYT Pick", "Featured comment", "Pinned"):
    # read as a name, it became a comment of its own.
    _p("badge_line", "furniture",
       r"^(?:picked|(?:guardian|nyt|staff|editors?['’]?s?|readers?['’]?|times) picks?|featured(?: comment)?|top comment|top fan|"
       r"highlighted(?: comment)?|pinned(?: comment)?(?: by (?:the )?(?:moderators?|\w+))?)\s*$",
       0.5, NAVIGATION, ("newspaper", "disqus"), 40),
    _p("form", "form",
       r"^(?:leave a (?:reply|comment)(?:\s+(?:to \S.*|cancel reply))?|post (?:a )?comment|add (?:a|your) comment|write a comment.*|cancel reply|"
       r"your email address will not be published.*|required fields are marked.*|(?:name|email|e-mail|website|comment)\s*\*?|"
       r"save my name, email.*|notify me of .*|you must be logged in to post a comment.*|logged in as .*|"
       r"submit(?: comment)?|post|send|\d+ characters? (?:left|remaining)|"
       r"post your comment|(?:write|add) a (?:comment|reply)(?:\.\.\.|…)?|comment as (?:a )?guest|"
       r"you must be (?:signed|logged) in to (?:comment|post a comment|reply)\W*|"
       r"(?:please )?read our (?:community|commenting|comments?) (?:guidelines|standards|rules|policy)\b.*|"
       r"community (?:guidelines|standards|rules)|"
       r"laisser un commentaire|laissez un commentaire|(?:deja|dejar) un comentario|"
       r"votre adresse e-mail ne sera pas publiée.*|tu dirección de correo electrónico no será publicada.*|"
       r"schreibe einen kommentar|hinterlasse einen kommentar|kommentar (?:absenden|schreiben)|kommentar\s*\*?|"
       r"deine e-mail-adresse wird nicht veröffentlicht.*|erforderliche felder sind .*)\s*$",
       0.5, FOOTER, ("wordpress", "newspaper", "posted-by")),
    # -- comment headers --------------------------------------------------
    _p("deleted", "deleted",
       r"^(?:this comment (?:was|has been|is) (?:deleted|removed|hidden)\b.*|comment (?:deleted|removed)(?: by (?:a )?moderator)?\.?|"
       r"this comment is awaiting moderation\.?|(?:this )?(?:comment|post) (?:was|has been) removed by (?:a |the )?moderators?\.?)$",
       1.0, None, ("disqus", "newspaper"), 120, keywords=("deleted", "removed", "hidden", "moderat")),
    _p("level", "level", r"^level\s+(?P<depth>\d{1,2})\s*$", 1.5, None, ("reddit",)),
    _p("reply_to", "reply_to", r"^(?:in\s+)?reply(?:ing)?\s+to\s+(?!this\s+(?:comment|post)\b)(?P<parent>@?[^\s].{0,40}?)\s*:?$", 0.8, None, ("newspaper",)),
    _p("says", "start",
       rf"^(?P<author>{NAME})\s+(?:says\s*[:,]?|said\s*(?:\.\.\.|…|,)|commented\s*:|(?:sagt|schreibt|meint|dit|dice|escribe)\s*:)"
       rf"\s*(?:(?:on\s+|am\s+)?(?P<when>{WHEN})\s*:?)?$",
       1.5, None, ("wordpress", "blogger"), 120, keywords=("says", "said", "commented", "sagt:", "schreibt:", "meint:", "dit :", "dit:", "dice:", "escribe:")),
    # "Gwen Adams on March 3, 2023 at 6:12 pm said:" (a bare "NAME said:" is how news quotes people)
    _p("dated_said", "start", rf"^(?P<author>{NAME})\s+(?:on\s+)?(?P<when>{WHEN})\s+said\s*:$",
       1.5, None, ("wordpress",), 120, keywords=("said:", "said :")),
    _p("wrote", "start", rf"^(?P<author>{NAME})\s+(?:wrote|writes|commented|replied|responded)\s*:\s*$",
       1.0, None, ("blogs",), 60, keywords=("wrote", "writes", "commented", "replied", "responded")),
    _p("slashdot", "start",
       r"^by\s+(?P<author>[^()]{1,40}?)\s+\(\d+\)(?:\s+on\s+(?P<when>.+?))?(?:\s*\(#\d+\))?(?:\s+(?:journal|homepage))*\s*$",
       1.5, None, ("slashdot",)),
    _p("reddit_old_header", "start",
       rf"^\[[–+-]\]\s*(?P<author>\S{{1,40}})\s+[-+]?\d[\d,]*\s+points?\s+(?P<when>{AGO}|{WHEN})"
       r"(?:\s*\(\d+ (?:child|children)\))?\s*$",
       1.5, None, ("reddit",), 120, keywords=("point",)),
    _p("disqus_header", "start",
       rf"^(?P<author>{NAME})(?:\s+[→>➦↪]\s*(?P<parent>[^•·]{{2,40}}?))?\s*[•·]\s*(?P<when>{AGO}|{WHEN}|edited\b.*|{SHORT_AGO}(?:\s+ago)?)"
       rf"(?:\s*[•·]\s*edited.*)?$",
       1.5, None, ("disqus", "reddit"), 120, keywords=("•", "·")),
    # Facebook's comments plugin (and Instagram's, LinkedIn's): the name above the text,
    # then "Like · Reply · 2h" below it; the time closes the comment.
    _p("links_when_trailer", "trailer",
       rf"^(?:(?:like|love|{REPLY}|{SHARE_W}|{REPORT}|translate|see translation|edited|\d+\s*(?:likes?|replies|reactions?)|\d+)"
       rf"(?:\s*[·•|]\s*|\s+)){{1,5}}(?P<when>{SHORT_AGO}|{AGO})(?:\s*[·•|]\s*(?:edited|\d+))?\s*$",
       1.5, None, ("facebook",), 80),
    _p("posted_trailer", "trailer",
       rf"^posted by:\s*(?P<author>{NAME})\s*\|\s*(?P<when>{WHEN})\.?$", 1.5, None, ("typepad",)),
    _p("posted_by", "start",
       rf"^(?:posted|submitted|written|comment)\s+by\s*:?\s*(?P<author>{NAME})\s*(?:on|at|[|,•·-])\s*(?P<when>{WHEN})\.?$",
       1.5, None, ("posted-by",)),
    _p("by_trailer", "trailer",
       rf"^(?:by|—|--|-|~)\s*(?P<author>{NAME})\s+(?:on|at|[|,•·-])\s*(?P<when>{WHEN})\.?\s*(?:[|•·]\s*(?:reply|permalink|report|link)\s*)*$",
       1.5, None, ("typepad", "blog")),
    _p("timestamp", "timestamp",
       rf"^(?:(?:posted|published|updated|added|commented)(?:\s+on)?:?\s*)?(?P<when>{WHEN}|{SHORT_AGO}\s*ago)\.?\s*(?:\(edited\))?$",
       0.6, None, ("all",), 80),
    # Substack's "Mar 5" under a commenter's name: a timestamp in a thread, but no
    # evidence of one (weight 0, and so is a name beside it): an article's timeline
    # ("Mar 5" / "The council publishes the plan.") stays article.
    _p("short_date", "timestamp", rf"^(?P<when>{SHORT_DATE})\.?$", 0.0, None, ("substack",), 40),
    # OpenWeb (Spot.IM) and others: "3h", "1d" alone under the name; no evidence either.
    _p("short_ago", "timestamp", rf"^(?P<when>{SHORT_AGO})$", 0.0, None, ("openweb",), 8),
    # New Reddit copied as text: "NAME" / "•" / "5h ago", the separator on a line of its
    # own between the name and the time. It joins them (a date's part, no date in it).
    _p("separator_line", "timestamp", r"^[•·]$", 0.0, None, ("reddit",), 1),
    # -- items opening a comment with its text inline --------------------
    _p("numbered_item", "item", r"^(?P<marker>\d{1,4}[.)])\s+(?P<rest>\S.*)$", 0.0, None, ("seed",), 100_000),
    _p("bullet_item", "item", r"^(?P<marker>[•◦▪‣●○·∙*–↳↪⤷-])\s+(?P<rest>\S.*)$", 0.0, None, ("seed",), 100_000),
)

#: A short line that is a date plus at most a name ("Jane Doe | 5 April 2023 09:12",
#: "Sumit singh9/25/12 12:10 AM", "on 2012-10-09 at 9:03 am Fernando"). Found by
#: `features._dated_byline` (one date search, then a word count), not by this regex.
DATED_BYLINE = LinePattern("dated_byline", "start", WHEN_SEARCH, 1.0, None, ("newspaper", "disqus", "blogs"), 120)

#: "@Name" at the start of a comment names the comment it replies to.
AT_REPLY = re.compile(r"^@(?P<parent>[\w.\-]+(?:\s[A-Z][\w.\-]*)?)")


@dataclass
class LineMatch:
    pattern: LinePattern
    groups: dict[str, str]


def _first_chars(pattern: str) -> str | None:
    """A character class holding every character a match of `pattern` can start
    with, or None when any character may (or the pattern can match nothing).
    Derived from the parsed pattern, so it stays right when a pattern changes."""
    try:
        from re import _constants as c, _parser  # Python >= 3.11
    except ImportError:  # no parse tree to read: no guard (slower, same matches)
        return None
    atomic, possessive = getattr(c, "ATOMIC_GROUP", None), getattr(c, "POSSESSIVE_REPEAT", None)

    def seq(items) -> tuple[list[str], bool] | None:  # (class parts, can be empty)
        parts: list[str] = []
        for op, av in items:
            if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue  # zero-width: the next item starts the match
            if op is c.LITERAL:
                return parts + [re.escape(chr(av))], False
            if op is c.IN:
                got = []
                for iop, iav in av:
                    if iop is c.LITERAL:
                        got.append(re.escape(chr(iav)))
                    elif iop is c.RANGE:
                        got.append(f"{re.escape(chr(iav[0]))}-{re.escape(chr(iav[1]))}")
                    elif iop is c.CATEGORY and str(iav) in _CATEGORIES:
                        got.append(_CATEGORIES[str(iav)])
                    else:
                        return None  # negated class and the like: anything
                return parts + got, False
            if op is c.BRANCH:
                empty = False
                for alt in av[1]:
                    r = seq(alt)
                    if r is None:
                        return None
                    parts += r[0]
                    empty = empty or r[1]
                if not empty:
                    return parts, False
            elif op is c.SUBPATTERN or (atomic is not None and op is atomic):
                r = seq(av[-1] if op is c.SUBPATTERN else av)
                if r is None:
                    return None
                parts += r[0]
                if not r[1]:
                    return parts, False
            elif op is c.MAX_REPEAT or op is c.MIN_REPEAT or (possessive is not None and op is possessive):
                r = seq(av[2])
                if r is None:
                    return None
                parts += r[0]
                if av[0] > 0 and not r[1]:
                    return parts, False
            else:
                return None  # any character, a back-reference...
        return parts, True

    r = seq(_parser.parse(pattern, re.I))
    if r is None or r[1] or not r[0]:
        return None
    return "[" + "".join(dict.fromkeys(r[0])) + "]"


_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
               "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}


def _combine(patterns: tuple[LinePattern, ...]) -> re.Pattern[str]:
    """Patterns as one alternation, tried in order by the regex engine (one C
    call per line instead of one Python call per pattern). Named groups are
    prefixed with the pattern's index. Every pattern here accepts the line's
    length (see `_BY_LENGTH`), so branches need no length guard.

    Speed: each branch opens with a lookahead on the line's first character
    (`_first_chars`), so a branch that cannot match fails at once instead of
    trying each of its alternatives (a date alone has dozens) on a line of prose."""
    branches = []
    for i, p in enumerate(patterns):
        body = re.sub(r"\(\?P<(\w+)>", lambda m: f"(?P<p{i}__{m.group(1)}>", p.regex.pattern)
        first = _first_chars(p.regex.pattern)
        guard = f"(?={first})" if first else ""
        branches.append(f"(?P<p{i}>{guard}(?:{body}))")
    return re.compile("|".join(branches), re.I)


def _stages(patterns: tuple[LinePattern, ...]) -> list[tuple[LinePattern | None, tuple[LinePattern, ...], re.Pattern[str]]]:
    # (gated pattern or None, patterns, combined regex)
    """Runs of patterns without a gate become one combined regex; a gated
    pattern stands alone and is tried only when its gate passes."""
    stages, run = [], []
    for p in patterns:
        if p.keywords or p.starts:
            if run:
                stages.append((None, tuple(run), _combine(tuple(run))))
                run = []
            stages.append((p, (p,), _combine((p,))))
        else:
            run.append(p)
    if run:
        stages.append((None, tuple(run), _combine(tuple(run))))
    return stages

#: Speed: one set of stages per line-length band, holding only the patterns whose
#: max_len admits lines of that band (a line of 150 characters never meets the
#: 80-character patterns, and no branch scans the line to check its length).
_LENGTHS = sorted({p.max_len for p in PATTERNS})
_BY_LENGTH = [_stages(tuple(p for p in PATTERNS if p.max_len >= limit)) for limit in _LENGTHS]


def match_line(text: str) -> LineMatch | None:
    """The first pattern that matches a cleaned line, with its named groups."""
    if not text:
        return None
    low = None
    n = len(text)
    band = bisect_left(_LENGTHS, n)
    if band == len(_LENGTHS):
        return None
    for gated, patterns, regex in _BY_LENGTH[band]:
        if gated is not None:  # inlined LinePattern.gate: this loop is the hot path
            if low is None:
                low = text.lower()
            keys = gated.keywords
            if isinstance(keys, re.Pattern):
                if keys.search(text) is None:
                    continue
            else:
                for k in keys:
                    if k in low:
                        break
                else:
                    if not (gated.starts and low.startswith(gated.starts)):
                        continue
        m = regex.match(text)
        if m is None:
            continue
        name = m.lastgroup
        prefix = f"{name}__"
        groups = {k[len(prefix):]: v for k, v in m.groupdict().items() if v and k.startswith(prefix)}
        return LineMatch(patterns[int(name[1:])], groups)
    return None

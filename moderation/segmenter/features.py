"""Line features: each line's role and its weight as evidence for "thread".

The role comes from the first matching pattern in `patterns.PATTERNS`; lines no
pattern matches are prose. The few features that depend on context (an item's
indentation and length, a short name line beside a timestamp) are added here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from moderation.segmenter.lines import Line
from moderation.segmenter.patterns import DATE_WORDS, DATED_BYLINE, WHEN_SEARCH, LineMatch, match_line

#: Weights of the context-dependent features (the rest live with their pattern).
WEIGHTS = {
    "indented_long_item": 1.0,  #: "  1. a long comment ..." / "    • a long reply ..."
    "indented_short_item": 0.2,  #: a short indented list item (articles have those too)
    "name_beside_timestamp": 0.8,
    "dated_byline": 1.0,
    "name_above_indented_text": 0.6,  #: "Gibbo" then, indented deeper, what Gibbo wrote  #: a short line that is a date plus a few words ("Lisa November 7, 2012 at 4:42 PM")  #: "Jane Doe" directly above or below "12 May 2022 10:14"
    "prose_per_line": -0.06,  #: every prose line is a little evidence for "still the article"
    "prose_per_char": -1 / 5000,
}
LONG_ITEM_CHARS = 40
NAME_MAX_CHARS = 40
NAME_MAX_WORDS = 5
BYLINE_MAX_CHARS = 120
_BYLINE_NOISE = re.compile(
    r"\(\s*edited\s*\)|(?<![\w#])#\d+\b|"  # "@mark_t 1 hour ago (edited)", "#2 Posted by Bill on ..."
    r"\b(?:posted|submitted|written|by|on|at|says|said|wrote|writes|responded|replied|to|in reply|reply|permalink|"
    r"quote|report|like|journal|homepage|edited|\d+\s+recs?|recs?)\b|\(#?\d+\)|[|/@:•·~–—\-]+|,(?=\s*(?:,|$))|(?<!\w),", re.I)
_DATED_BYLINE = DATED_BYLINE
_DIGIT = re.compile(r"\d")
#: What every date with digits holds: a clock or numeric date ("9:41", "14/03"), or a year.
#: (Not one case-insensitive alternation with the words below: that scans each
#: line once per alternative and cost a fifth of the segmenter's time.)
_DIGITS = re.compile(r"\d(?:[:./-]\d|\d{3})")
_AGO = re.compile(r"\bago\b|\bvor\s+(?:\d|ein)|\bil\s+y\s+a\s+(?:\d|une?\b)|\bhace\s+(?:\d|una?\b)")
DATE_LEAD_CHARS = 40


def _word_date(low: str) -> bool:
    """Whether a lower-cased line may hold a date without digits ("an hour ago", "yesterday")."""
    for w in DATE_WORDS:
        if w in low:
            return True
    return ("ago" in low or "vor " in low or "y a " in low or "hace " in low) and _AGO.search(low) is not None


@dataclass(slots=True)
class LineInfo:
    line: Line
    role: str  #: a pattern role, "name", "text" or "blank"
    weight: float
    match: LineMatch | None = None

    @property
    def groups(self) -> dict[str, str]:
        return self.match.groups if self.match else {}

    @property
    def kind(self) -> str | None:
        return self.match.pattern.kind if self.match else None


def _name_like(text: str) -> bool:
    return (len(text) <= NAME_MAX_CHARS and len(text.split()) <= NAME_MAX_WORDS
            and text[-1] not in ".!?:;,\"”’)" and not text[0] in "“\"‘'(")


def _dated_byline(text: str) -> LineMatch | None:
    """A date plus at most a name's worth of words: a comment's byline, whatever
    the site's separators ("Sumit singh9/25/12 12:10 AM", "on 2012-10-09 at 9:03 am Fernando")."""
    if len(text) > BYLINE_MAX_CHARS:
        return None
    # Speed (this runs on every prose line): every date has a clock, a numeric
    # date or a year, or is a word date ("an hour ago", "yesterday"); the others
    # start at most DATE_LEAD_CHARS before their first digit ("Wednesday, September 14").
    start = 0
    if not _word_date(text.lower()):
        if _DIGITS.search(text) is None:
            return None
        start = max(0, _DIGIT.search(text).start() - DATE_LEAD_CHARS)
    m = WHEN_SEARCH.search(text, start)
    if m is None:
        return None
    rest = (text[:m.start()] + " " + text[m.end():]).strip()
    if rest and rest[-1] in ".!?;\"”":
        return None
    # Separators and noise words go; a comma inside a name stays ("Morag, Portsoy").
    author = " ".join(_BYLINE_NOISE.sub(" ", rest).split()).strip(", ")
    if len(author.split()) > NAME_MAX_WORDS and not (
            m.end() == len(text) and text[:m.start()].rstrip().endswith(",") and _name_and_places(author)):
        return None
    groups = {"when": m.group().strip()}
    if author:
        groups["author"] = author
    return LineMatch(_DATED_BYLINE, groups)


#: "Bert from Bolton, Bolton, United Kingdom": a name, then at most this many places
#: of at most PLACE_MAX_WORDS words each (the Daily Mail signs comments so).
MAX_PLACES = 3
PLACE_MAX_WORDS = 3


def _name_and_places(author: str) -> bool:
    """Whether a byline's words longer than a name are a name and where the
    commenter lives, comma-separated, each place capitalised ("Bolton, United
    Kingdom"): the places add words, not prose. (The caller also wants the date
    last, after a comma, as the Daily Mail prints it.)"""
    name, *places = [p.split() for p in author.split(",")]
    return (0 < len(name) <= NAME_MAX_WORDS and 0 < len(places) <= MAX_PLACES
            and all(0 < len(p) <= PLACE_MAX_WORDS and all(w[0].isupper() and w.isalpha() for w in p) for p in places))


def _items_need_replies(infos: list[LineInfo]) -> None:
    """Indented numbered items are a thread (the seed layout) only when some are
    answered by deeper bulleted replies, or when a reader prompt ("What is your
    opinion?") follows them; an article's indented list has neither."""
    numbered = [(k, i.line.indent) for k, i in enumerate(infos) if i.role == "item" and i.weight > 0
                and i.match.pattern.name == "numbered_item"]
    end = len(infos)  # items before this are an article's list, not comments
    if numbered and not _prose_after(infos, numbered[-1][0], numbered[0][1]):
        first, indent = numbered[0][0], min(n for _, n in numbered)
        if (any(i.role == "item" and i.match.pattern.name == "bullet_item" and i.line.indent > indent for i in infos[first:])
                or any(i.match is not None and i.match.pattern.name == "prompt" for i in infos[numbered[-1][0]:])):
            end = first  # a seed thread; bullets above its first numbered item answer nothing: an article list
    for i in infos[:end]:
        if i.role == "item" and i.weight > 0:
            i.weight = 0.0


def _bare_date(info: LineInfo) -> bool:
    return info.role == "timestamp" or (info.role == "start" and "author" not in info.groups)


def _beside_a_date(infos: list[LineInfo], i: int) -> bool:
    """Directly above or below a bare date, or separated from it only by a
    "Reply to NAME" line ("RiverWatcher / Reply to Alan Price / 10.02am, 5 April")."""
    for step in (-1, 1):
        j = i + step
        if not 0 <= j < len(infos):
            continue
        if _bare_date(infos[j]):
            return True
        if infos[j].role == "reply_to" and 0 <= j + step < len(infos) and _bare_date(infos[j + step]):
            return True
    return False


def _only_beside_short_dates(infos: list[LineInfo], i: int) -> bool:
    """Whether every bare date beside line i is a date without a year ("Mar 5") or a bare "3h"."""
    near = [infos[j] for j in (i - 2, i - 1, i + 1, i + 2) if 0 <= j < len(infos) and _bare_date(infos[j])]
    return bool(near) and all(d.match is not None and d.match.pattern.name in ("short_date", "short_ago") for d in near)


#: A paragraph this long, not indented under the items, after the last numbered item
#: means the items were an article list: a thread ends the page.
PROSE_AFTER_ITEMS_CHARS = 60


def _prose_after(infos: list[LineInfo], last: int, indent: int) -> bool:
    for i in infos[last + 1:]:
        if i.role == "text" and i.line.indent < indent and len(i.line.text) >= PROSE_AFTER_ITEMS_CHARS:
            return True
    return False


def _line_matches(text: str) -> tuple[LineMatch | None, LineMatch | None]:
    """A non-blank line's pattern match, and its dated byline (for prose and
    item lines): everything about a line that depends on its text alone."""
    m = match_line(text)
    if m is None:
        return None, _dated_byline(text)
    if m.pattern.role == "item":
        rest = m.groups.get("rest", "")
        return m, (_dated_byline(rest) if "(" not in rest and "?" not in rest else None)
    return m, None


def line_features(lines: list[Line]) -> list[LineInfo]:
    infos: list[LineInfo] = []
    # Speed: a page repeats lines ("Reply", "Share", "Report", a user's name...);
    # each distinct text is matched once per page (the matches are never mutated).
    seen: dict[str, tuple[LineMatch | None, LineMatch | None]] = {}
    for line in lines:
        if line.blank:
            infos.append(LineInfo(line, "blank", 0.0))
            continue
        got = seen.get(line.text)
        if got is None:
            got = seen[line.text] = _line_matches(line.text)
        m, byline = got
        if m is None:
            if byline is not None:
                infos.append(LineInfo(line, "start", WEIGHTS["dated_byline"], byline))
                continue
            w = WEIGHTS["prose_per_line"] + WEIGHTS["prose_per_char"] * min(len(line.text), 1000)
            infos.append(LineInfo(line, "text", w))
            continue
        role, w = m.pattern.role, m.pattern.weight
        if role == "item":
            if byline is not None:  # "1. William Kirk - August 8, 2012": a numbered comment header
                infos.append(LineInfo(line, "start", WEIGHTS["dated_byline"], byline))
                continue
            if line.indent > 0:
                long = len(line.text) >= LONG_ITEM_CHARS
                w = WEIGHTS["indented_long_item" if long else "indented_short_item"]
                if m.pattern.name == "bullet_item":
                    w *= 0.8
            else:
                w = WEIGHTS["prose_per_line"]
        infos.append(LineInfo(line, role, w, m))
    _items_need_replies(infos)
    # A short name-like prose line directly beside a bare timestamp is a header.
    for i, info in enumerate(infos):
        if info.role != "text" or not _name_like(info.line.text):
            continue
        if _beside_a_date(infos, i):
            info.role, info.weight = "name", WEIGHTS["name_beside_timestamp"]
            if _only_beside_short_dates(infos, i):
                info.weight = 0.0  # "Timeline" over "Mar 5": no evidence of a thread
            continue
        nxt = next((infos[j] for j in range(i + 1, min(i + 3, len(infos))) if infos[j].role != "blank"), None)
        if nxt is not None and nxt.role == "text" and nxt.line.indent >= info.line.indent + 2:
            info.role, info.weight = "name", WEIGHTS["name_above_indented_text"]
    _one_name_per_date(infos)
    _name_above_place(infos)
    _timeline_dates(infos)
    return infos


_INITIAL_DOT = re.compile(r"(?<=\b[A-Z])\.$")  # "Pat K." is a name

#: Month names (as `patterns.MONTH` spells them, lower-cased prefixes) -> number.
_MONTH_NUMBERS = {name: n for n, names in enumerate((
    ("jan", "janv", "enero"), ("feb", "févr", "febrero"), ("mar", "mär", "marzo"), ("apr", "avr", "abril"),
    ("may", "mai", "mayo"), ("jun", "juin", "junio"), ("jul", "juil", "julio"), ("aug", "août", "agosto"),
    ("sep", "septiembre", "setiembre"), ("oct", "okt", "octubre"), ("nov", "noviembre"),
    ("dec", "dez", "déc", "diciembre")), start=1) for name in names}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\.?\s+(?:de\s+)?(\w+)\.?,?\s+(?:de\s+)?(\d{4})")
_MONTH_DAY_YEAR = re.compile(r"(\w+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\.?,?\s+(\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
#: A time of day in a date ("10:02", "5.30", "14 h 05", "pm"): what comment systems print, timelines not.
_TIME_OF_DAY = re.compile(r"\d[:.]\d|\d\s?h\s?\d|\b[ap]\.?m\b|uhr", re.I)
#: A heading above a timeline.
TIMELINE_HEADING = re.compile(
    r"^(?:timeline|chronology|key (?:dates|events|moments)|the story so far|chronologie|cronología|chronik)\b[^.!?]{0,60}$",
    re.I)
#: What comments have and timeline entries (third-person news prose) do not:
#: the first or second person, a question, an exclamation. (Case-sensitive: "US" is a country.)
_FIRST_SECOND_PERSON = re.compile(
    r"\b(?:I|I['’](?:m|ve|d|ll)|[Mm]e|[Mm]y|[Mm]ine|[Ww]e|[Oo]ur|[Oo]urs|us|[Yy]ou|[Yy]our|[Yy]ours|"
    r"[Ii]ch|[Ww]ir|[Jj]e|[Jj]['’]|[Nn]ous|[Vv]ous|[Yy]o)\b|[?!]")


def _calendar_day(when: str) -> tuple[int, int, int] | None:
    """A date that is a calendar day and nothing more, as (year, month, day):
    None for a date with a time of day, a relative date, or a numeric one
    ("05/03/2024" could be either day first or month first)."""
    if _TIME_OF_DAY.search(when):
        return None
    m = _ISO_DAY.search(when)
    if m:
        return int(m[1]), int(m[2]), int(m[3])
    for m, (d, mo, y) in ((_DAY_MONTH_YEAR.search(when), (1, 2, 3)), (_MONTH_DAY_YEAR.search(when), (2, 1, 3))):
        if m:
            month = _month_number(m[mo])
            if month:
                return int(m[y]), month, int(m[d])
    return None


def _month_number(word: str) -> int | None:
    word = word.lower()
    for cut in (len(word), 4, 3):
        if word[:cut] in _MONTH_NUMBERS:
            return _MONTH_NUMBERS[word[:cut]]
    return None


def _a_sentence(text: str) -> bool:
    """A line that reads as a sentence, not a name: not name-like, or three
    lower-case words ("The council publishes the plan", without its full stop)."""
    return not _name_like(text) or sum(w.isalpha() and w.islower() for w in text.split()) >= 3


def _timeline_dates(infos: list[LineInfo]) -> None:
    """An article's timeline ("5 March 2024" / "The council publishes the plan.")
    is no thread. A run of two or more bare dates with only text between them is
    a timeline when every date is a calendar day without a time of day, the days
    are all different in strict ascending or descending order, no line between
    them is a name, and either a timeline heading ("Timeline", "Key dates") sits
    directly above the run or every entry reads as third-person prose (no I, we,
    you, no question or exclamation mark). Its dates then weigh nothing, and
    names read into it are prose again. A thread dated by the day alone repeats
    days and names its commenters ("November 12, 2012" / "Beth" / text)."""
    dates = [j for j, info in enumerate(infos) if info.weight > 0 and _bare_date(info)]
    if len(dates) < 2:
        return
    run: list[int] = []
    for j in dates + [None]:
        if j is not None and run and not any(
                (infos[x].weight > 0 and infos[x].role != "name") or infos[x].role == "thread_header"
                for x in range(run[-1] + 1, j)):
            run.append(j)
            continue
        if len(run) >= 2:
            _demote_timeline(infos, run)
        run = [j]


def _demote_timeline(infos: list[LineInfo], run: list[int]) -> None:
    days = [_calendar_day(infos[j].groups.get("when", "")) for j in run]
    if None in days:
        return
    pairs = list(zip(days, days[1:]))
    if not (all(a < b for a, b in pairs) or all(a > b for a, b in pairs)):
        return
    # Each entry: the lines up to the next date; the last one's first paragraph.
    entries = []
    for n, j in enumerate(run):
        end = run[n + 1] if n + 1 < len(run) else len(infos)
        lines = []
        for x in range(j + 1, end):
            if infos[x].role == "blank":
                if lines and n + 1 == len(run):
                    break
                continue
            lines.append(x)
        if not lines:
            return
        entries.append(lines)
    inside = [x for e in entries for x in e if infos[x].role != "boilerplate"]  # (an "Advertisement" line)
    if any(infos[x].role not in ("text", "name") or not _a_sentence(infos[x].line.text) for x in inside):
        return
    above = run[0] - 1
    while above >= 0 and infos[above].role == "blank":
        above -= 1
    heading = above >= 0 and infos[above].role in ("text", "name") and TIMELINE_HEADING.match(infos[above].line.text)
    if not heading and any(_FIRST_SECOND_PERSON.search(infos[x].line.text) for x in inside):
        return
    prose = ([above] if heading else []) + inside
    for x in prose:
        if infos[x].role == "name":
            info = infos[x]
            info.role = "text"
            info.weight = WEIGHTS["prose_per_line"] + WEIGHTS["prose_per_char"] * min(len(info.line.text), 1000)
    for j in run:
        infos[j].weight = 0.0


def _name_above_place(infos: list[LineInfo]) -> None:
    """The NYT signs comments "Jane Doe" / "Brooklyn" / "March 5": the line beside
    the date is the place, the name is above it. When every date with a name above
    it has one more name-like line above that, opening its block (a blank line or
    furniture above), on two dates or more, those lines are names too (the first
    name of a header is the author; the place stays metadata)."""
    tops = []
    for j, info in enumerate(infos):
        if not _bare_date(info) or j < 1 or infos[j - 1].role != "name":
            continue
        t = j - 2
        if not (t >= 0 and infos[t].role == "text" and _name_like(_INITIAL_DOT.sub("", infos[t].line.text))
                and (t == 0 or infos[t - 1].role in ("blank", "boilerplate", "furniture", "thread_header", "nav_heading"))):
            return
        tops.append(t)
    if len(tops) < 2:
        return
    for t in tops:
        infos[t].role, infos[t].weight = "name", 0.0


def _name_at(infos: list[LineInfo], j: int, step: int) -> int | None:
    """The name line directly beside the date at `j` on one side (across a
    "Reply to NAME" line), if any."""
    k = j + step
    if 0 <= k < len(infos) and infos[k].role == "reply_to":
        k += step
    return k if 0 <= k < len(infos) and infos[k].role == "name" else None


def _one_name_per_date(infos: list[LineInfo]) -> None:
    """A date has one author. A short comment ("Second comment text here")
    directly under its "NAME / DATE" header is name-like too; read as a second
    name it joins the header, the thread seems to sign its comments below, and
    every comment's text goes to the next commenter. So where name-like lines
    sit on both sides of a date, the side the page's other dates have their
    name on wins (above on a tie, the usual layout); the other line is prose."""
    above = below = 0
    both: list[int] = []
    for j, info in enumerate(infos):
        if not _bare_date(info):
            continue
        up, down = _name_at(infos, j, -1), _name_at(infos, j, 1)
        if up is not None and down is not None:
            both.append(j)
        elif up is not None:
            above += 1
        elif down is not None:
            below += 1
    for j in both:
        k = _name_at(infos, j, -1 if below > above else 1)
        if k is None:  # already demoted as the other side of a neighbouring date
            continue
        info = infos[k]
        info.role = "text"
        info.weight = WEIGHTS["prose_per_line"] + WEIGHTS["prose_per_char"] * min(len(info.line.text), 1000)

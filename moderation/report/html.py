"""`--format html`: one self-contained page a moderator can work through.

Summary (with the posts the readers skipped as not comments, by reason: a
page with no reader comments is counted there, since the page is read where
the scan's stderr warning naming it is not), an inline-SVG chart of score
distributions (and of flags per day when comments carry timestamps), the read errors (file, line, message: the
first `ERROR_LIMIT`, since the page is read where the scan's stderr is not),
then the flagged comments grouped by thread
under the article title, each with the comment it replies to and its
evidence highlighted, and checkboxes that filter by label and decision.

No CDN, no external file: the page works offline and from an e-mail
attachment. Comments are hostile input, so everything goes through Jinja2's
autoescaping, and a Content-Security-Policy allows only this page's own
script (by hash) and styles: a `<script>` in a comment is text, never code.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from typing import IO, Any, Mapping

from moderation.records import DECISIONS, ReadError
from moderation.report.base import Report
from moderation.report.context import MISSING_PARENT
from moderation.report.errors import ERROR_LIMIT, FULL_LIST, ErrorSample
from moderation.report.highlight import document_safe, highlights, segments, word_reasons
from moderation.report.summary import HISTOGRAM_BINS, ScanSummary, skipped_text

_SCRIPT = """
(function () {
  var boxes = document.querySelectorAll('input.filter');
  var comments = document.querySelectorAll('article.comment');
  var threads = document.querySelectorAll('section.thread');
  var counter = document.getElementById('visible-count');
  function apply() {
    var labels = {}, decisions = {};
    boxes.forEach(function (b) { (b.dataset.kind === 'label' ? labels : decisions)[b.value] = b.checked; });
    var shown = 0;
    comments.forEach(function (c) {
      var ls = c.dataset.labels ? c.dataset.labels.split(' ') : ['(none)'];
      var okLabel = ls.some(function (l) { return labels[l] !== false; });
      var ok = okLabel && decisions[c.dataset.decision] !== false;
      c.hidden = !ok;
      if (ok) { shown += 1; }
    });
    threads.forEach(function (t) { t.hidden = !t.querySelector('article.comment:not([hidden])'); });
    counter.textContent = String(shown);
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  apply();
})();
""".strip()

#: Filter keys beside the labels: held or rejected by a word list, and neither labelled nor listed.
WORD_LIST, NO_LABEL = "(word-list)", "(none)"

_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "script-src 'sha256-{}'").format(base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode())

_STYLE = """
:root { --reject: #b3261e; --hold: #a35f00; --allow: #2e7d32; --ink: #1d1d1f; --muted: #666; --line: #ddd; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1100px; padding: 1.5rem; background: #fafafa; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
.meta { color: var(--muted); font-size: .85rem; }
.cards { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .6rem 1rem; min-width: 8rem; }
.card b { display: block; font-size: 1.4rem; }
.card.error b { color: var(--reject); }
table.counts { border-collapse: collapse; background: #fff; font-size: .9rem; }
table.counts th, table.counts td { border: 1px solid var(--line); padding: .25rem .6rem; text-align: left; }
table.counts td.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; margin-top: 1rem; }
.chart { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .5rem; }
.chart figcaption { font-size: .85rem; color: var(--muted); }
.filters { position: sticky; top: 0; background: #fafafa; border-bottom: 1px solid var(--line);
           padding: .5rem 0; z-index: 1; }
.filters label { margin-right: 1rem; white-space: nowrap; }
section.thread { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 1rem 0; padding: .75rem 1rem; }
section.thread h3 { margin: 0 0 .25rem; font-size: 1.05rem; }
article.comment { border-left: 4px solid var(--line); padding: .4rem .75rem; margin: .6rem 0; }
article.comment.reject { border-left-color: var(--reject); }
article.comment.hold { border-left-color: var(--hold); }
article.comment.allow { border-left-color: var(--allow); }
.badge { display: inline-block; border-radius: 4px; padding: 0 .4rem; font-size: .75rem; font-weight: 600;
         color: #fff; text-transform: uppercase; }
.badge.reject { background: var(--reject); } .badge.hold { background: var(--hold); } .badge.allow { background: var(--allow); }
.score { font-size: .8rem; border: 1px solid var(--line); border-radius: 4px; padding: 0 .35rem; margin-left: .25rem; }
.score.flagged { border-color: var(--reject); color: var(--reject); font-weight: 600; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: .3rem 0 0; }
mark.ev { background: #ffd54f; padding: 0 .1rem; border-radius: 2px; font-weight: 600; }
blockquote { margin: .3rem 0; padding: .2rem .6rem; border-left: 3px solid var(--line); color: var(--muted);
             font-size: .9rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.parent { background: #f3f3f3; border-radius: 4px; padding: .3rem .6rem; font-size: .88rem; color: #444; margin: .3rem 0;
          white-space: pre-wrap; overflow-wrap: anywhere; }
.reasons { font-size: .8rem; color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
#error-list td { overflow-wrap: anywhere; }
""".strip()

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Moderation report: {{ summary.flagged }} flagged of {{ summary.comments }} comments</title>
<style>{{ style }}</style>
</head>
<body>
<header>
<h1>Moderation report</h1>
<p class="meta">Generated {{ generated }}{% if model_version %} · model {{ model_version }}{% endif %}
 · {{ "every comment" if all_comments else "flagged comments only" }}</p>
</header>

<section id="summary">
<h2>Summary</h2>
<div class="cards">
  <div class="card"><b>{{ "{:,}".format(summary.comments) }}</b>comments read</div>
  <div class="card"><b>{{ "{:,}".format(summary.flagged) }}</b>flagged</div>
  {% for d in decisions %}<div class="card"><b>{{ "{:,}".format(summary.decisions.get(d, 0)) }}</b>{{ d }}</div>{% endfor %}
  {% for label in label_names %}<div class="card"><b>{{ "{:,}".format(summary.labels.get(label, 0)) }}</b>{{ label }}</div>{% endfor %}
  <div class="card{% if summary.errors %} error{% endif %}"><b>{{ "{:,}".format(summary.errors) }}</b>{% if errors or errors_not_shown %}<a href="#errors">errors</a>{% else %}errors{% endif %}</div>
</div>
<p class="meta">Records read {{ "{:,}".format(summary.read) }} = {{ "{:,}".format(summary.comments) }} scored
 + {{ "{:,}".format(summary.errors) }} unreadable.</p>
{% if skipped %}<p class="meta" id="skipped">Skipped, not comments: {{ skipped }}.</p>{% endif %}
<table class="counts" id="per-source">
<thead><tr><th>source</th><th>comments</th><th>flagged</th><th>errors</th></tr></thead>
<tbody>
{% for source, c in sources %}<tr><td>{{ source }}</td><td class="n">{{ "{:,}".format(c[0]) }}</td><td class="n">{{ "{:,}".format(c[1]) }}</td><td class="n">{{ "{:,}".format(c[2]) }}</td></tr>
{% endfor %}{% if more_sources %}<tr><td colspan="4" class="meta">… and {{ more_sources }} more sources</td></tr>{% endif %}
</tbody>
</table>
{% if top_threads %}
<h2>Threads with the most flags</h2>
<table class="counts" id="per-thread">
<thead><tr><th>thread</th><th>source</th><th>comments</th><th>flagged</th></tr></thead>
<tbody>
{% for t in top_threads %}<tr><td>{{ t.title }}</td><td>{{ t.source }}</td><td class="n">{{ "{:,}".format(t.comments) }}</td><td class="n">{{ "{:,}".format(t.flagged) }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endif %}
<div class="charts">
{% if histogram_svg %}<figure class="chart" id="chart-scores">{{ histogram_svg }}<figcaption>Score distribution per label, all {{ "{:,}".format(summary.comments) }} comments (log scale)</figcaption></figure>{% endif %}
{% if timeline_svg %}<figure class="chart" id="chart-time">{{ timeline_svg }}<figcaption>Comments and flagged comments per day</figcaption></figure>{% endif %}
</div>
</section>

{% if errors or errors_not_shown %}
<section id="errors">
<h2>Read errors ({{ "{:,}".format(errors|length + errors_not_shown) }})</h2>
<p class="meta">These records could not be read and were not scored.</p>
{% if errors %}<table class="counts" id="error-list">
<thead><tr><th>source</th><th>line</th><th>message</th></tr></thead>
<tbody>
{% for e in errors %}<tr><td>{{ e.source }}</td><td class="n">{{ "" if e.line is none else e.line }}</td><td>{{ e.message }}</td></tr>
{% endfor %}
</tbody>
</table>{% endif %}
{% if errors_not_shown %}<p class="meta" id="errors-not-shown">{{ "{:,}".format(errors_not_shown) }} more not shown here: {{ full_list }}.</p>{% endif %}
</section>
{% endif %}

<section id="comments">
<h2>{{ "Comments" if all_comments else "Flagged comments" }} (<span id="visible-count">{{ count }}</span> shown)</h2>
<div class="filters" id="filters" role="group" aria-label="filters">
<strong>Labels:</strong>
{% for key, name in filter_labels %}<label><input type="checkbox" class="filter" data-kind="label" value="{{ key }}" checked> {{ name }}</label>{% endfor %}
<strong>Decisions:</strong>
{% for d in filter_decisions %}<label><input type="checkbox" class="filter" data-kind="decision" value="{{ d }}" checked> {{ d }}</label>{% endfor %}
</div>
{% if not threads %}<p class="empty">No {{ "" if all_comments else "flagged " }}comments.</p>{% endif %}
{% for thread in threads %}
<section class="thread">
<h3>{{ thread.title or thread.thread or thread.source }}</h3>
<p class="meta">{{ thread.source }}{% if thread.thread and thread.title and thread.thread != thread.title %} · thread {{ thread.thread }}{% endif %} · {{ thread.comments }} comments, {{ thread.flagged }} flagged</p>
{% for c in thread.entries %}
<article class="comment {{ c.decision }}" data-labels="{{ c.filter_keys|join(' ') }}" data-decision="{{ c.decision }}" data-comment-id="{{ c.comment_id }}" id="c-{{ c.n }}" style="margin-left: {{ c.indent }}rem">
<div><span class="badge {{ c.decision }}">{{ c.decision }}</span>
<strong>#{{ c.comment_id }}</strong>{% if c.author %} by {{ c.author }}{% endif %}{% if c.timestamp %} · {{ c.timestamp }}{% endif %} · depth {{ c.depth }}
{% for label, score in c.scores %}<span class="score{% if label in c.labels %} flagged{% endif %}">{{ label }} {{ "%.2f"|format(score) }}</span>{% endfor %}</div>
{% if c.parent %}<div class="parent">↳ in reply to #{{ c.parent.comment_id }}{% if c.parent.author %} ({{ c.parent.author }}){% endif %}: {{ c.parent.text }}</div>
{% elif c.parent_id %}<div class="parent">↳ in reply to #{{ c.parent_id }} ({{ missing_parent }})</div>{% endif %}
{% if c.quote %}<blockquote>{{ c.quote }}</blockquote>{% endif %}
<p class="text">{% for text, hit in c.segments %}{% if hit %}<mark class="ev">{{ text }}</mark>{% else %}{{ text }}{% endif %}{% endfor %}</p>
{% if c.reasons %}<div class="reasons">{{ c.reasons }}</div>{% endif %}
</article>
{% endfor %}
</section>
{% endfor %}
</section>
<script>{{ script }}</script>
</body>
</html>
"""


def _environment():
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("the HTML report needs Jinja2: pip install 'moderation[report]'") from exc
    return jinja2.Environment(autoescape=True, trim_blocks=False, lstrip_blocks=False, finalize=_safe_text)


def _safe_text(value: Any) -> Any:
    """Every value the page shows, before escaping: text from a dump (comments, names, error
    messages quoting a record) loses its control characters and bidi overrides, as in the
    table and Markdown (`terminal_safe`), so a right-to-left override cannot reorder what a
    moderator reads; CRLF stays a line break. Our own markup passes as it is."""
    from markupsafe import Markup

    if not isinstance(value, str) or isinstance(value, Markup):
        return value
    return document_safe(value)


def _short_parent(parent: Mapping[str, Any] | None, limit: int = 240) -> Mapping[str, Any] | None:
    if parent is None or len(parent["text"]) <= limit:
        return parent
    return {**parent, "text": parent["text"][: limit - 1].rstrip() + "…"}


def _reason_text(reasons: list[Mapping[str, Any]]) -> str:
    parts = []
    for r in reasons:
        kind = r.get("kind", "")
        if kind == "score":
            parts.append(f"{r.get('label')} {r.get('score')} ≥ {r.get('threshold')} → {r.get('action')}")
        else:
            detail = ", ".join(f"{k}={v}" for k, v in r.items() if k not in ("kind",))
            parts.append(f"{kind}: {detail}" if detail else str(kind))
    return "; ".join(parts)


def top_threads(summary: ScanSummary, n: int = 10) -> list[dict[str, Any]]:
    """The `n` threads with the most flagged comments, each with the source it came from.

    Dumps from different sites or exports reuse thread ids (`t1`, `1`), so a
    thread is only identified by its source and id together: without the
    source, the table would list `t1` several times with nothing to tell the
    rows apart.
    """
    flagged = sorted(((key, c) for key, c in summary.threads.items() if c[1]), key=lambda kv: -kv[1][1])[:n]
    return [{"title": summary.thread_titles.get((source, thread)) or thread or "—", "source": source,
             "comments": c[0], "flagged": c[1]} for (source, thread), c in flagged]


_PALETTE = ["#b3261e", "#1565c0", "#6a1b9a", "#2e7d32", "#ef6c00"]


def histogram_svg(summary: ScanSummary) -> str:
    """Bars per score bin and label on a log scale (most comments score near 0)."""
    import math

    from markupsafe import escape

    labels = [label for label in summary.label_names if label in summary.histograms]
    if not labels:
        return ""
    w, h, left, bottom, top = 480, 220, 40, 30, 22
    plot_w, plot_h = w - left - 10, h - bottom - top
    peak = max(max(summary.histograms[label]) for label in labels) or 1
    scale = math.log10(peak + 1)
    bin_w = plot_w / HISTOGRAM_BINS
    bar_w = bin_w / (len(labels) + 0.5)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
           f'aria-label="score distribution">']
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>')
    for i in range(0, HISTOGRAM_BINS + 1, 4):
        x = left + i * bin_w
        out.append(f'<text x="{x:.1f}" y="{h - 10}" font-size="10" text-anchor="middle" fill="#666">{i / HISTOGRAM_BINS:.1f}</text>')
    out.append(f'<text x="{w - 10}" y="13" font-size="10" text-anchor="end" fill="#666">max {peak:,}</text>')
    for li, label in enumerate(labels):
        color = _PALETTE[li % len(_PALETTE)]
        for i, n in enumerate(summary.histograms[label]):
            if not n:
                continue
            bh = plot_h * math.log10(n + 1) / scale
            x = left + i * bin_w + li * bar_w + bar_w / 4
            out.append(f'<rect x="{x:.1f}" y="{top + plot_h - bh:.1f}" width="{bar_w:.1f}" height="{bh:.1f}" '
                       f'fill="{color}"><title>{escape(label)} {i / HISTOGRAM_BINS:.2f}–{(i + 1) / HISTOGRAM_BINS:.2f}: {n:,}</title></rect>')
        out.append(f'<rect x="{left + 10 + li * 130}" y="4" width="10" height="10" fill="{color}"/>'
                   f'<text x="{left + 24 + li * 130}" y="13" font-size="11">{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def timeline_svg(summary: ScanSummary) -> str:
    """Comments and flagged comments per day, when the inputs have timestamps."""
    from markupsafe import escape

    days = sorted(summary.days.items())
    if len(days) < 2:
        return ""
    if len(days) > 120:  # bucket into at most 120 bars
        step = -(-len(days) // 120)
        days = [(days[i][0], [sum(c[0] for _, c in days[i:i + step]), sum(c[1] for _, c in days[i:i + step])])
                for i in range(0, len(days), step)]
    w, h, left, bottom, top = 480, 220, 40, 30, 22
    plot_w, plot_h = w - left - 10, h - bottom - top
    peak = max(c[0] for _, c in days) or 1
    bw = plot_w / len(days)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
           f'aria-label="flags over time">']
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>')
    out.append(f'<text x="{w - 10}" y="13" font-size="10" text-anchor="end" fill="#666">max {peak:,}/day</text>')
    for i, (day, (comments, flagged)) in enumerate(days):
        x = left + i * bw
        ch, fh = plot_h * comments / peak, plot_h * flagged / peak
        out.append(f'<rect x="{x:.1f}" y="{top + plot_h - ch:.1f}" width="{max(bw - 1, 1):.1f}" height="{ch:.1f}" '
                   f'fill="#90a4ae"><title>{escape(day)}: {comments:,} comments</title></rect>')
        if flagged:
            out.append(f'<rect x="{x:.1f}" y="{top + plot_h - fh:.1f}" width="{max(bw - 1, 1):.1f}" height="{fh:.1f}" '
                       f'fill="#b3261e"><title>{escape(day)}: {flagged:,} flagged</title></rect>')
    for i in sorted({0, len(days) // 2, len(days) - 1}):
        anchor = "start" if i == 0 else "end" if i == len(days) - 1 else "middle"
        x = left if i == 0 else left + plot_w if i == len(days) - 1 else left + (i + 0.5) * bw
        out.append(f'<text x="{x:.1f}" y="{h - 10}" font-size="10" text-anchor="{anchor}" '
                   f'fill="#666">{escape(days[i][0])}</text>')
    out.append(f'<rect x="{left + 10}" y="4" width="10" height="10" fill="#90a4ae"/><text x="{left + 24}" y="13" font-size="11">comments</text>'
               f'<rect x="{left + 110}" y="4" width="10" height="10" fill="#b3261e"/><text x="{left + 124}" y="13" font-size="11">flagged</text>')
    out.append("</svg>")
    return "".join(out)


class HTMLReport(Report):
    summary_in_output = True
    needs_context = True

    def __init__(self, out: IO[str], *, all_comments: bool = False, max_errors: int = ERROR_LIMIT, **options: Any):
        super().__init__(out, **options)
        self.all_comments = all_comments
        self._threads: dict[tuple[Any, Any], dict[str, Any]] = {}
        self._count = 0
        self._model_version = ""
        self._errors = ErrorSample(max_errors)

    def add(self, record: Mapping[str, Any], parent: Mapping[str, Any] | None = None) -> None:
        key = (record["source"], record["thread"])
        thread = self._threads.get(key)
        if thread is None:
            thread = self._threads[key] = {"source": record["source"], "thread": record["thread"],
                                           "title": record["thread_title"], "entries": []}
        self._count += 1
        self._model_version = record["model_version"] or self._model_version
        parts, _, _ = segments(record["text"], highlights(record))
        # The filter's keys: the labels, WORD_LIST when a word list decided, NO_LABEL when neither.
        keys = list(record["labels"]) + ([WORD_LIST] if word_reasons(record) else [])
        thread["entries"].append({
            "n": self._count,  # the page-wide position: comment ids repeat across threads and hold spaces
            "comment_id": record["comment_id"], "parent_id": record["parent_id"], "author": record["author"],
            "timestamp": record["timestamp"], "depth": record["depth"] or 0,
            "indent": min(int(record["depth"] or 0), 6) * 1.5, "decision": record["decision"],
            "labels": list(record["labels"]), "filter_keys": keys or [NO_LABEL], "scores": list(record["scores"].items()),
            "quote": record["quote"], "segments": parts, "parent": _short_parent(parent),
            "reasons": _reason_text(record["reasons"]),
        })

    def add_error(self, error: ReadError) -> None:
        self._errors.add(error)

    def finish(self, summary: ScanSummary) -> None:
        env = _environment()
        template = env.from_string(_TEMPLATE)
        sources = sorted(summary.sources.items(), key=lambda kv: (-kv[1][1], kv[0]))
        threads = []
        for (source, thread), t in self._threads.items():
            counts = summary.threads.get((source or "-", thread or ""), [len(t["entries"]), len(t["entries"])])
            # The thread's title as the summary keeps it (the first any of its comments carries),
            # not the first reported comment's, which may lack it.
            title = summary.thread_titles.get((source or "-", thread or "")) or t["title"]
            threads.append({**t, "title": title, "comments": counts[0], "flagged": counts[1]})
        # One box for every key a comment carries: a key with no box (a word-list hold has no
        # label) kept its comment shown with every box unchecked.
        keys = {key for t in threads for i in t["entries"] for key in i["filter_keys"]}
        labels_seen = [(label, label) for label in sorted((keys - {WORD_LIST, NO_LABEL}) | set(summary.label_names))]
        labels_seen += [(key, name) for key, name in ((WORD_LIST, "word list"), (NO_LABEL, "(none)")) if key in keys]
        decisions = [d for d in DECISIONS if d != "allow" or self.all_comments]
        html = template.render(
            csp=_CSP, style=_markup(_STYLE), script=_markup(_SCRIPT), summary=summary, decisions=DECISIONS,
            label_names=summary.label_names, sources=sources[:50], more_sources=max(0, len(sources) - 50),
            top_threads=top_threads(summary), histogram_svg=_markup(histogram_svg(summary)),
            timeline_svg=_markup(timeline_svg(summary)), threads=threads, count=self._count,
            filter_labels=labels_seen, filter_decisions=decisions, all_comments=self.all_comments,
            model_version=self._model_version, errors=self._errors.shown, skipped=skipped_text(summary),
            errors_not_shown=self._errors.not_shown(summary.errors), full_list=FULL_LIST, missing_parent=MISSING_PARENT,
            generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        )
        self.out.write(html)


def _markup(svg: str):
    from markupsafe import Markup

    return Markup(svg)  # our own constants, or SVG built from numbers and escaped labels only

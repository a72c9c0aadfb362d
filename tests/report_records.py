"""Hand-written scan records for the report tests: the shape `scan()` yields, no model needed.

A small thread in the seed's layout (a flagged comment, flagged and unflagged
replies) plus a hostile comment that tries to run script, drive the terminal
and inject a spreadsheet formula.
"""

from __future__ import annotations

from typing import Any

HOSTILE = "=HYPERLINK(\"x\") <script>window.__pwned = 1; alert(1)</script> \x1b[2J those cockroaches again"


def record(comment_id: str, text: str, evidence_words: tuple[str, ...] = (), *, decision: str = "reject",
           labels: tuple[str, ...] = ("dehumanising", "abusive"), parent_id: str | None = None, depth: int = 0,
           timestamp: str | None = None, quote: str | None = None, source: str = "examples/001.txt",
           thread: str = "t1", title: str = "Russian ambassador hints at nuclear threat") -> dict[str, Any]:
    evidence = []
    for word in evidence_words:
        start = text.index(word)
        evidence.append({"label": labels[0] if labels else "abusive", "start": start, "end": start + len(word),
                         "text": word, "weight": 1.5})
    high = bool(labels)
    return {
        "source": source, "thread": thread, "thread_title": title, "comment_id": comment_id,
        "parent_id": parent_id, "depth": depth, "author": f"reader{comment_id}", "timestamp": timestamp,
        "quote": quote, "text": text,
        "scores": {"dehumanising": 0.93 if "dehumanising" in labels else 0.04,
                   "abusive": 0.81 if "abusive" in labels else 0.07},
        "labels": list(labels), "decision": decision if high else "allow", "evidence": evidence,
        "reasons": [{"kind": "score", "label": label, "score": 0.9, "threshold": 0.5, "action": decision}
                    for label in labels],
        "model_version": "test-1", "line": 1,
    }


def thread() -> list[dict[str, Any]]:
    return [
        record("1", "The orcs failed to take Kyiv, the scum.", ("orcs", "scum"), quote="We are firmly convinced",
               timestamp="2024-03-01T10:00:00Z"),
        record("1.1", "Putin is an evil pig.\nUnfortunately the above is true.", ("evil pig",), parent_id="1",
               depth=1, decision="hold", timestamp="2024-03-02T09:00:00Z"),
        record("1.1.1", "The house of cards will fall", labels=(), parent_id="1.1", depth=2,
               timestamp="2024-03-02T10:00:00Z"),
        record("1.2", "Reply to an allowed comment: bunch of arseholes", ("arseholes",), labels=("abusive",),
               parent_id="1.1.1", depth=3, decision="hold", timestamp="2024-03-03T10:00:00Z"),
        record("2", HOSTILE, ("cockroaches",), thread="t2", title="Second <i>article</i>",
               source="dumps/comments.jsonl", timestamp="2024-03-03T11:00:00Z"),
    ]

"""Plain records passed between the stages of the pipeline.

They are dataclasses with no behaviour beyond conversion to plain dicts, so
that every stage (readers, segmenter, model, report, hook) can be used and
tested on its own, and so that what a CMS receives is ordinary JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: The kinds of page furniture the segmenter recognises.
BOILERPLATE_KINDS = ("caption", "credit", "share", "navigation", "advert", "footer")

#: The decisions a verdict can carry, mildest first.
DECISIONS = ("allow", "hold", "reject")


@dataclass
class Comment:
    """One reader's post, wherever it came from (a page or a dump).

    `quote` holds a quotation the comment opens with (of the article, of
    another commenter) so that quoted words are never blamed on the commenter;
    `text` is the commenter's own words.
    """

    id: str
    text: str
    parent_id: str | None = None
    depth: int = 0
    author: str | None = None
    timestamp: str | None = None
    quote: str | None = None
    thread: str | None = None
    thread_title: str | None = None
    source: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BoilerplateLine:
    """A line of page furniture, kept (not dropped) so nothing is lost."""

    kind: str
    text: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Page:
    """A saved article page split into its parts. The article is never scored."""

    title: str
    article: str
    boilerplate: list[BoilerplateLine] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "article": self.article,
            "boilerplate": [b.to_dict() for b in self.boilerplate],
            "comments": [c.to_dict() for c in self.comments],
        }


@dataclass
class Evidence:
    """A span of the original text that pushed a label's score up."""

    label: str
    start: int
    end: int
    text: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Verdict:
    """What the model and policy say about one comment, with the reasons."""

    scores: dict[str, float]
    labels: list[str]
    decision: str
    evidence: list[Evidence] = field(default_factory=list)
    model_version: str = ""
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": dict(self.scores),
            "labels": list(self.labels),
            "decision": self.decision,
            "evidence": [e.to_dict() for e in self.evidence],
            "model_version": self.model_version,
            "reasons": list(self.reasons),
        }


@dataclass
class ReadError:
    """A record that could not be read: reported, counted, never silently dropped."""

    source: str
    line: int | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.message}"

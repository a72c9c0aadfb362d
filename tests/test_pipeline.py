"""End to end: the seed pages are the spec (issue 2).

Page in, article and comments separated, every comment scored, a report out,
through the same CLI a newcomer runs from the README.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderation.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SEED_000 = EXAMPLES / "000_1cf66c48eca757b9.txt"
SEED_001 = EXAMPLES / "001_f6e74c870da5195f.txt"

# Seed 001's thread in document order: (depth, expected labels, a phrase of the comment's own text).
# None means borderline: either answer is accepted.
SEED_001_THREAD = [
    (0, {"dehumanising", "abusive"}, "The orcs failed to take Kyiv"),
    (1, {"dehumanising", "abusive"}, "an evil pig"),
    (2, set(), "The house of cards"),
    (1, {"dehumanising", "abusive"}, "slaughter of the orcs"),
    (0, {"abusive"}, "bunch of arseholes"),
    (0, {"abusive"}, "Get the fuck out"),
    (1, None, "Russia’s thugs"),
    (0, set(), "Crimean war"),
    (0, {"dehumanising", "abusive"}, "slaughtering the cockroaches"),
]


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result


def test_segment_seed_without_thread_has_no_comments_and_a_share_line():
    result = run("segment", str(SEED_000), "--format", "json")
    assert result.exit_code == 0, result.output
    page = json.loads(result.output)
    assert page["comments"] == []
    assert "Russian ambassador" in page["title"]
    assert "Anatoly Antonov" in page["article"]
    kinds = {b["kind"] for b in page["boilerplate"]}
    assert "share" in kinds
    assert all("Share on Facebook" not in line for line in page["article"].splitlines())


def test_segment_seed_thread_tree_quotes_and_credits():
    result = run("segment", str(SEED_001), "--format", "json")
    assert result.exit_code == 0, result.output
    page = json.loads(result.output)
    comments = page["comments"]
    assert [c["depth"] for c in comments] == [d for d, _, _ in SEED_001_THREAD]
    for comment, (_, _, phrase) in zip(comments, SEED_001_THREAD):
        assert phrase in comment["text"]
    by_id = {c["id"]: c for c in comments}
    # Replies point at the right parents.
    assert comments[1]["parent_id"] == comments[0]["id"]
    assert comments[2]["parent_id"] == comments[1]["id"]
    assert comments[3]["parent_id"] == comments[0]["id"]
    assert comments[6]["parent_id"] == comments[5]["id"]
    assert all(c["parent_id"] is None for c in comments if c["depth"] == 0)
    assert len(by_id) == 9
    # Quotations the commenters open with are kept apart from their own words.
    assert comments[0]["quote"].lstrip("“\"").startswith("We are firmly convinced")
    assert "We are firmly convinced" not in comments[0]["text"]
    assert "Russian ambassador hints" in comments[8]["quote"]
    assert "Russian ambassador hints" not in comments[8]["text"]
    # The continuation line of 1.1 stays in 1.1.
    assert "Unfortunately the above" in comments[1]["text"]
    # Captions and credits are boilerplate, not article, not comments.
    credits = [b["text"] for b in page["boilerplate"] if b["kind"] == "credit"]
    assert any("Pierre Crom/Getty Images" in t for t in credits)
    assert any("SERGEY BOBOK/AFP via Getty Images" in t for t in credits)
    assert "Getty Images" not in page["article"]
    assert "slaughter of the orcs" not in page["article"]


def test_scan_json_all_scores_every_comment_and_never_the_article():
    result = run("scan", str(SEED_000), str(SEED_001), "--format", "json", "--all")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert len(records) == 9
    assert {r["source"] for r in records} == {str(SEED_001)}
    for field in ("source", "thread", "comment_id", "parent_id", "depth", "author", "text",
                  "scores", "labels", "decision", "evidence", "model_version"):
        assert all(field in r for r in records), field
    for record, (depth, expected, phrase) in zip(records, SEED_001_THREAD):
        assert phrase in record["text"]
        assert record["depth"] == depth
        if expected is not None:
            assert set(record["labels"]) == expected, (phrase, record["scores"])
        if record["labels"]:
            assert record["decision"] in ("hold", "reject")
            assert record["evidence"], phrase
            for span in record["evidence"]:
                assert record["text"][span["start"]:span["end"]] == span["text"]
        else:
            assert record["decision"] == "allow"


def test_scan_table_report_lists_flagged_comments_with_a_summary():
    result = run("scan", str(EXAMPLES))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "cockroaches" in out
    assert "Crimean war" not in out  # not flagged, so not listed by default
    assert "Anatoly Antonov" not in out  # the article is never a comment
    assert "comments read" in out.lower()


@pytest.mark.parametrize(
    "text, code",
    [
        ("Thanks for the thorough reporting on the council budget.", 0),
        ("We will continue slaughtering the cockroaches until they go scurrying back.", None),
    ],
)
def test_check_exit_codes(text, code):
    result = run("check", text)
    if code is None:
        assert result.exit_code in (10, 11), result.output
    else:
        assert result.exit_code == code, result.output

"""Generalisation: the segmenter on pages written after it, as other sites render them.

The pages in tests/fixtures/pages/unseen/ were written (with hand-made gold,
see build.py there) to imitate sites the segmenter was not developed on: other
date formats, vote and reply wording, German variants, tabs, CRLF, NBSP and
zero-width characters, lists and quotes inside comments, an article quoting
abuse, a page of only comments. A page is *fully right* when the title, every
comment (id, parent, depth, author, timestamp, quote, text, line), every
boilerplate line and kind, the article's first and last line, and the home of
every non-blank line all match the gold.

    .venv/bin/python benchmarks/segmenter_unseen.py [--verbose]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from moderation.segmenter.core import segment_lines

UNSEEN = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages" / "unseen"
FIELDS = ("id", "parent_id", "depth", "author", "timestamp", "quote", "text", "line")


def differences(path: Path, tally: dict | None = None) -> list[str]:
    """What the segmenter gets wrong on one page, as short messages (empty: fully right).
    `tally` (if given) adds up lines placed right and comments fully right."""
    gold = json.loads(path.with_suffix("").with_suffix(".gold.json").read_text(encoding="utf-8")) \
        if path.suffix == ".txt" else None
    page, ledger = segment_lines(path.read_bytes(), str(path))
    out = []
    if page.title != gold["title"]:
        out.append(f"title {page.title!r} != {gold['title']!r}")
    want_ledger = {int(k): v for k, v in gold["ledger"].items()}
    wrong = sorted(n for n in want_ledger if ledger.get(n) != want_ledger[n])
    if wrong:
        out.append(f"{len(wrong)} lines misplaced, e.g. " + "; ".join(
            f"line {n}: {ledger.get(n)} != {want_ledger[n]}" for n in wrong[:3]))
    got = [{k: getattr(c, k) for k in FIELDS} for c in page.comments]
    if tally is not None:
        tally["lines"] = tally.get("lines", 0) + len(want_ledger)
        tally["lines_right"] = tally.get("lines_right", 0) + len(want_ledger) - len(wrong)
        tally["comments"] = tally.get("comments", 0) + len(gold["comments"])
        tally["comments_right"] = tally.get("comments_right", 0) + sum(c in got for c in gold["comments"])
    if len(got) != len(gold["comments"]):
        out.append(f"{len(got)} comments != {len(gold['comments'])}")
    else:
        for g, w in zip(got, gold["comments"]):
            bad = [k for k in FIELDS if g[k] != w[k]]
            if bad:
                out.append(f"{w['id']}: " + ", ".join(f"{k} {g[k]!r} != {w[k]!r}" for k in bad))
    boiler = [[b.line, b.kind] for b in page.boilerplate]
    if boiler != gold["boilerplate"] and not wrong:
        out.append(f"boilerplate kinds {boiler} != {gold['boilerplate']}")
    lines = page.article.splitlines()
    if (lines[0] if lines else "") != gold["article_first"] or (lines[-1] if lines else "") != gold["article_last"]:
        out.append("article first/last line differs")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verbose", "-v", action="store_true", help="every difference, not just the first two per page")
    ap.add_argument("pages", nargs="*", help="page names (default: every unseen page)")
    args = ap.parse_args()
    pages = [UNSEEN / f"{n}.txt" for n in args.pages] if args.pages else sorted(UNSEEN.glob("*.txt"))
    right, tally = 0, {}
    for path in pages:
        diffs = differences(path, tally)
        right += not diffs
        print(f"{'ok  ' if not diffs else 'FAIL'} {path.stem}")
        for d in diffs if args.verbose else diffs[:2]:
            print(f"       {d[:300]}")
    print(f"unseen pages fully right: {right} of {len(pages)}; lines placed right: {tally['lines_right']} of {tally['lines']}; "
          f"comments fully right (all fields): {tally['comments_right']} of {tally['comments']}")


if __name__ == "__main__":
    main()

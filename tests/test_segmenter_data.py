"""The segmenter on real pages from ../shared/data (skipped when absent).

A fast slice of the full measurement in benchmarks/segmenter_dragnet.py: the
test split of dragnet (415 pages) and 400 BBC articles, with floors a little
under the full-run figures so a regression fails and noise does not.
"""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def bench(benchmark_script):
    return benchmark_script("segmenter_dragnet")


def test_dragnet_article_and_comments_split(shared_data, bench):
    csv = shared_data / "dragnet_article_comments" / "dragnet_article_comments.csv"
    if not csv.exists():
        pytest.skip(f"{csv} not found")
    df = pd.read_csv(csv, keep_default_na=False)
    df = df[df["split"] == "test"]
    counts = {"article": [0, 0, 0], "comments": [0, 0, 0]}
    false_threads = 0
    for row in df.itertuples():
        article, comments, _ = bench.gold_parts(row, raw_gold=False)
        text, gold = bench.build_page(article, comments, heading=False)
        if not text.strip():
            continue
        try:
            pred, _ = bench.predicted_sides(text)
        except ValueError:
            continue  # binary rows (NUL bytes): refused with a clear error
        lines = text.split("\n")
        for n, g in enumerate(gold, 1):
            if g not in counts:
                continue
            p = pred.get(n, "article")
            p = p[0] if isinstance(p, tuple) else p
            chars = len(lines[n - 1].strip())
            for cls, c in counts.items():
                c[0] += chars * (g == cls and p == cls)
                c[1] += chars * (g != cls and p == cls)
                c[2] += chars * (g == cls and p != cls)
        if not comments.strip():
            false_threads += any((p[0] if isinstance(p, tuple) else p) == "comments" for p in pred.values())
    for cls, (tp, fp, fn) in counts.items():
        f1 = 2 * tp / (2 * tp + fp + fn)
        assert f1 >= 0.95, (cls, f1)
    assert false_threads <= 3


def test_bbc_articles_alone_have_no_comments(shared_data, bench):
    if not (shared_data / "bbc_news_text").is_dir():
        pytest.skip("bbc_news_text not found")
    from moderation.segmenter import segment_page

    pages = bench.bbc_pages(shared_data)[:400]
    with_comments = sum(bool(segment_page(p).comments) for p in pages)
    assert with_comments / len(pages) <= 0.01

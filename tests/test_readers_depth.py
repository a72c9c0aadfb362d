"""Reply depth from parent links: out-of-order dumps, orphans, cycles, bounded memory; reconciliation."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from moderation.readers import iter_inputs, read_dump
from moderation.readers.threads import DepthResolver
from moderation.records import Comment, ReadError

DUMPS = Path(__file__).resolve().parent / "fixtures" / "dumps"


def test_replies_before_parents_orphans_cycles_and_per_thread_ids():
    reader = read_dump(DUMPS / "replies_first.csv")
    records = list(reader)
    depth = {(c.thread, c.id): (c.depth, c.parent_id) for c in records}
    assert depth[("t", "r1")] == (0, None)
    assert depth[("t", "r2")] == (1, "r1")
    assert depth[("t", "r3")] == (2, "r2")  # listed before its parent and grandparent
    assert depth[("t", "o1")] == (0, "missing")  # an orphan keeps its parent id, depth 0
    assert depth[("t", "s1")] == (0, "s1")  # answers itself: a cycle of one
    assert {depth[("t", "x1")][0], depth[("t", "x2")][0]} == {0, 1}  # a cycle of two ends, once each
    assert depth[("u", "p1")] == (1, "1")  # ids are per thread: "1" of thread u
    assert depth[("v", "2")] == (0, "1")  # "1" of thread v does not exist
    assert len(records) == 10 and reader.stats.comments == 10
    assert reader.stats.orphans == 4  # o1, s1, one of the x-cycle, v/2


def comment(cid, parent=None, thread="t"):
    return Comment(id=cid, text=cid, parent_id=parent, thread=thread)


def test_every_comment_comes_out_exactly_once_whatever_the_order():
    rng = random.Random(7)
    # A random forest of 3,000 comments, fed in a random order.
    comments = [comment("n0")]
    for i in range(1, 3000):
        parent = f"n{rng.randrange(i)}" if rng.random() < 0.7 else None
        comments.append(comment(f"n{i}", parent))
    truth = {}
    for c in comments:
        truth[c.id] = 0 if c.parent_id is None else truth[c.parent_id] + 1
    rng.shuffle(comments)
    resolver = DepthResolver()
    out = [c for item in comments for c in resolver.feed(item)] + list(resolver.flush())
    assert sorted(c.id for c in out) == sorted(truth)
    assert {c.id: c.depth for c in out} == truth
    assert resolver.orphans == 0


def test_a_long_cycle_does_not_hang():
    resolver = DepthResolver()
    n = 5000
    out = [c for i in range(n) for c in resolver.feed(comment(f"n{i}", f"n{(i + 1) % n}"))]
    out += list(resolver.flush())
    assert len(out) == n and len({c.id for c in out}) == n
    assert resolver.orphans == 1
    assert sorted(c.depth for c in out) == list(range(n))


def test_deep_chains_need_no_recursion():
    resolver = DepthResolver()
    n = 15_000  # under the pending limit (20,000)
    # Worst order: deepest reply first, so everything waits, then the root releases the chain.
    items = [comment(f"n{i}", f"n{i - 1}" if i else None) for i in range(n)]
    out = [c for item in reversed(items) for c in resolver.feed(item)]
    assert len(out) == n and out[-1].depth == n - 1


def test_memory_is_bounded_by_the_window_and_pending_limit():
    resolver = DepthResolver(window=100, max_pending=50)
    out = []
    for i in range(10_000):
        out.extend(resolver.feed(comment(f"c{i}", f"c{i - 1}" if i % 10 else None)))
        # Replies to comments that never come: held, then released as orphans.
        out.extend(resolver.feed(comment(f"w{i}", f"never{i}")))
        assert len(resolver._depth) <= 100 and len(resolver._pending) <= 50
    out.extend(resolver.flush())
    assert len(out) == 20_000
    assert all(c.depth == i % 10 for i, c in enumerate(c for c in out if c.id.startswith("c")))
    assert resolver.orphans == 10_000


def test_a_reply_to_an_evicted_parent_is_an_orphan_not_a_loss():
    resolver = DepthResolver(window=10)
    out = list(resolver.feed(comment("old")))
    for i in range(20):
        out.extend(resolver.feed(comment(f"n{i}")))
    out.extend(resolver.feed(comment("late", "old")))
    out.extend(resolver.flush())
    assert [c.id for c in out][-1] == "late" and out[-1].depth == 0 and out[-1].parent_id == "old"
    assert resolver.orphans == 1


def test_wordpress_zero_parent_means_top_level():
    resolver = DepthResolver()
    (c,) = list(resolver.feed(comment("1", "0")))
    assert c.depth == 0 and c.parent_id is None and resolver.orphans == 0


# --- reconciliation: records read = comments + errors, for every fixture and for a batch ----------


FIXTURES = sorted(p for p in DUMPS.iterdir() if p.is_file() and not p.name.endswith(".py"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_every_fixture_reconciles(path):
    reader = read_dump(path)
    records = list(reader)
    assert all(isinstance(r, (Comment, ReadError)) for r in records)
    assert reader.stats.records == len(records)
    assert reader.stats.comments == sum(isinstance(r, Comment) for r in records)
    assert reader.stats.errors == sum(isinstance(r, ReadError) for r in records)
    for r in records:
        assert r.source == str(path)
        if isinstance(r, Comment):
            assert isinstance(r.id, str) and isinstance(r.text, str) and r.depth >= 0 and r.line >= 1


def test_a_batch_over_every_fixture_reconciles_and_counts_skips():
    reader = iter_inputs([DUMPS])
    records = list(reader)
    stats = reader.stats
    assert stats.records == len(records) == stats.comments + stats.errors
    assert stats.comments == sum(isinstance(r, Comment) for r in records)
    assert stats.errors == sum(isinstance(r, ReadError) for r in records) > 0
    assert stats.skipped["deleted"] >= 1 and stats.skipped["spam"] >= 1
    # In a directory only known extensions are read: export.dat, export_csv.dat,
    # image.dat and make_fixtures.py are skipped and counted.
    assert stats.skipped["unrecognised file"] == 4
    by_source = {}
    for r in records:
        by_source.setdefault(r.source, []).append(r)
    assert str(DUMPS / "comments.csv") in by_source


def test_known_record_counts_per_fixture():
    expected = {
        "malformed.csv": (3, 4),
        "malformed.jsonl": (2, 4),
        "malformed.json": (4, 4),
        "bad_bytes.csv": (3, 1),
        "truncated.json": (2, 1),
        "disqus.xml": (4, 0),
        "disqus_truncated.xml": (2, 1),
        "wordpress.xml": (4, 0),
    }
    for name, (n_comments, n_errors) in expected.items():
        reader = read_dump(DUMPS / name)
        list(reader)
        assert (reader.stats.comments, reader.stats.errors) == (n_comments, n_errors), name


def test_the_default_window_keeps_replies_within_it_and_stays_bounded():
    from moderation.readers.threads import DEFAULT_WINDOW

    resolver = DepthResolver()
    out = list(resolver.feed(comment("root")))
    for i in range(DEFAULT_WINDOW - 1):
        out.extend(resolver.feed(comment(f"n{i}")))
    (reply,) = resolver.feed(comment("reply", "root"))  # the last id still in the window: depth kept
    assert reply.depth == 1 and resolver.orphans == 0
    # The reply refreshed root: DEFAULT_WINDOW - 1 newer ids later it is still known...
    for i in range(DEFAULT_WINDOW - 2):
        out.extend(resolver.feed(comment(f"m{i}")))
    (again,) = resolver.feed(comment("again", "root"))
    assert again.depth == 1
    # ...and once DEFAULT_WINDOW newer ids went by it is forgotten: a later reply is an orphan, not a loss.
    for i in range(DEFAULT_WINDOW):
        out.extend(resolver.feed(comment(f"k{i}")))
    assert resolver.feed(comment("late", "root")) == []  # held: its parent may still come
    (late,) = resolver.flush()
    assert late.id == "late" and late.depth == 0 and late.parent_id == "root" and resolver.orphans == 1
    assert len(resolver._depth) == DEFAULT_WINDOW


def test_pages_dumps_and_missing_files_are_counted_together(tmp_path):
    examples = DUMPS.parents[2] / "examples"
    pages = [examples / "001_f6e74c870da5195f.txt", examples / "disqus_football_chants.txt"]
    inputs = [*pages, DUMPS / "comments.jsonl", tmp_path / "missing.csv", DUMPS / "bad_bytes.jsonl"]
    reader = iter_inputs(inputs)
    records = list(reader)
    assert reader.stats.comments == sum(isinstance(r, Comment) for r in records) > 0
    assert reader.stats.errors == sum(isinstance(r, ReadError) for r in records) >= 2
    assert {r.source for r in records if isinstance(r, Comment)} >= {*map(str, pages), str(DUMPS / "comments.jsonl")}


def test_a_dump_left_part_way_still_counts_what_it_handed_on():
    reader = iter_inputs([DUMPS / "comments.jsonl"])
    first = next(reader)
    assert isinstance(first, Comment)
    reader._it.close()
    assert reader.stats.comments >= 1

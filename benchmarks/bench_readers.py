"""How fast each dump reader is, and whether its memory stays flat as dumps grow.

Generates the same synthetic comment dump (threads of ~40 comments, half of
them replies, 1% of comments over 6,000 characters, some non-ASCII) in every
format, then reads each file in a fresh subprocess with `read_dump` and
reports comments per second, the reading's CPU seconds (which other work on
the machine disturbs less than the wall time), and the process's peak resident memory
(VmHWM from /proc/self/status; ru_maxrss where /proc is missing), also net of the memory the
process had after its imports. Reading at 200k and at 2M comments shows
whether memory grows with the input: it must not.

    .venv/bin/python benchmarks/bench_readers.py                 # 200k and 2M, every format
    .venv/bin/python benchmarks/bench_readers.py --sizes 200000  # quicker
    .venv/bin/python benchmarks/bench_readers.py --formats csv,jsonl --sizes 200000,2000000
    .venv/bin/python benchmarks/bench_readers.py --attacks       # how fast XML bombs are refused

Files go to a temporary directory (about 5 GB at 2M comments, all formats),
removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

FORMATS = ("csv", "csv.gz", "jsonl", "json", "parquet", "disqus", "wxr")
SUFFIX = {"csv": ".csv", "csv.gz": ".csv.gz", "jsonl": ".jsonl", "json": ".json", "parquet": ".parquet",
          "disqus": ".xml", "wxr": ".wxr"}

WORDS = (
    "the government said minister people war army tax budget vote election policy russia ukraine frontline "
    "winter price energy council school hospital they them we you should would never always really think "
    "agree disagree article comment reply thanks nonsense rubbish brilliant café naïve déjà über "
    "vermin orcs scum idiots clowns shame disgrace truth lies report journalist readers"
).split()
THREAD_SIZE = 40


def comments(n: int, seed: int = 1):
    """(id, parent_id, thread_id, thread_title, author, timestamp, text) for n comments, thread by thread."""
    rng = random.Random(seed)
    for i in range(n):
        thread = i // THREAD_SIZE
        first = thread * THREAD_SIZE
        parent = f"c{rng.randrange(first, i)}" if i > first and rng.random() < 0.5 else ""
        if rng.random() < 0.01:
            length = 1100  # ~6,500 characters
        else:
            length = rng.randrange(8, 70)
        text = " ".join(rng.choice(WORDS) for _ in range(length))
        yield (f"c{i}", parent, f"t{thread}", f"Article number {thread}", f"user{rng.randrange(50_000)}",
               f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z", text)


FIELDS = ("id", "parent_id", "thread_id", "thread_title", "author", "created_at", "body")


def write_csv(path: Path, n: int) -> None:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(FIELDS)
        writer.writerows(comments(n))


def write_jsonl(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for row in comments(n):
            out.write(json.dumps(dict(zip(FIELDS, row)), ensure_ascii=False) + "\n")


def write_json(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("[\n")
        for i, row in enumerate(comments(n)):
            out.write(("" if i == 0 else ",\n") + json.dumps(dict(zip(FIELDS, row)), ensure_ascii=False, indent=1))
        out.write("\n]\n")


def write_parquet(path: Path, n: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(f, pa.string()) for f in FIELDS])
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[tuple] = []
        for row in comments(n):
            batch.append(row)
            if len(batch) == 50_000:
                writer.write_table(pa.Table.from_arrays([pa.array(col) for col in zip(*batch)], schema=schema))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_arrays([pa.array(col) for col in zip(*batch)], schema=schema))


def write_disqus(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
                  'xmlns:dsq="http://disqus.com/disqus-internals">\n')
        for t in range((n + THREAD_SIZE - 1) // THREAD_SIZE):
            out.write(f'<thread dsq:id="t{t}"><link>https://news.example.com/{t}</link>'
                      f"<title>Article number {t}</title></thread>\n")
        for cid, parent, thread, _title, author, ts, text in comments(n):
            parent_el = f'<parent dsq:id="{parent}" />' if parent else ""
            out.write(f'<post dsq:id="{cid}"><id /><message><![CDATA[<p>{escape(text)}</p>]]></message>'
                      f"<createdAt>{ts}</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>"
                      f"<author><name>{author}</name><isAnonymous>false</isAnonymous></author>"
                      f'<thread dsq:id="{thread}" />{parent_el}</post>\n')
        out.write("</disqus>\n")


def write_wxr(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
                  'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/">\n'
                  "<channel><title>Example</title><wp:wxr_version>1.2</wp:wxr_version>\n")
        current = None
        for cid, parent, thread, title, author, ts, text in comments(n):
            if thread != current:
                if current is not None:
                    out.write("</item>\n")
                current = thread
                out.write(f"<item><title>{title}</title><link>https://news.example.com/{thread}</link>"
                          f"<content:encoded><![CDATA[<p>The article.</p>]]></content:encoded>"
                          f"<wp:post_id>{thread[1:]}</wp:post_id>\n")
            out.write(f"<wp:comment><wp:comment_id>{cid[1:]}</wp:comment_id>"
                      f"<wp:comment_author><![CDATA[{author}]]></wp:comment_author>"
                      f"<wp:comment_date_gmt>{ts}</wp:comment_date_gmt>"
                      f"<wp:comment_content><![CDATA[{text}]]></wp:comment_content>"
                      f"<wp:comment_approved>1</wp:comment_approved><wp:comment_type>comment</wp:comment_type>"
                      f"<wp:comment_parent>{parent[1:] if parent else 0}</wp:comment_parent></wp:comment>\n")
        if current is not None:
            out.write("</item>\n")
        out.write("</channel></rss>\n")


WRITERS = {"csv": write_csv, "csv.gz": write_csv, "jsonl": write_jsonl, "json": write_json,
           "parquet": write_parquet, "disqus": write_disqus, "wxr": write_wxr}

# Run in a fresh interpreter so the peak is this reader's alone. The peak is
# VmHWM from /proc (per address space, reset by exec); ru_maxrss is not
# reset by exec on Linux and would report the parent's peak.
CHILD = r"""
import json, resource, sys, time

def peak_kb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

from moderation.readers import read_dump
from moderation.records import Comment
import moderation.readers.xmldumps, moderation.readers.parquet, moderation.readers.htmltext  # imports before the baseline
import pyarrow.parquet, lxml.etree, selectolax.lexbor, charset_normalizer
base = peak_kb()
path = sys.argv[1]
start, cpu_start = time.perf_counter(), time.process_time()
comments = errors = 0
for record in read_dump(path):
    if type(record) is Comment:
        comments += 1
    else:
        errors += 1
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
peak = peak_kb()
print(json.dumps({"comments": comments, "errors": errors, "seconds": seconds, "cpu": cpu, "base_kb": base, "peak_kb": peak}))
"""


# The one structure that grows as a dump is read is the depth window (ids of
# recent comments, for reply depth). Fed synthetic comments with no file I/O,
# its peak must level off once the window (20,000 ids by default) is full.
RESOLVER_CHILD = r"""
import sys
from moderation.records import Comment
from moderation.readers.threads import DepthResolver

def peak_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

n = int(sys.argv[1])
base = peak_kb()
resolver = DepthResolver()
for i in range(n):
    comment = Comment(id=f"c{i}", text="x", parent_id=f"c{i - 1}" if i % 2 else None, thread=f"t{i // 40}")
    for _ in resolver.feed(comment):
        pass
print((peak_kb() - base) // 1024)
"""


def resolver_plateau(sizes=(200_000, 1_000_000, 2_000_000, 4_000_000)) -> None:
    if not os.path.exists("/proc/self/status"):
        return
    print("\ndepth window alone (DepthResolver fed N comments, peak MB over its baseline):")
    for n in sizes:
        out = subprocess.run([sys.executable, "-c", RESOLVER_CHILD, str(n)], check=True, capture_output=True, text=True)
        print(f"  {n:>9,} comments: {int(out.stdout):4d} MB", flush=True)


def _attack_files(workdir: Path) -> dict[str, tuple[Path, str | None]]:
    """The XML attacks, as files: (path, format to force or None)."""
    fixtures = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "dumps"
    bomb = (fixtures / "disqus_bomb.xml").read_text(encoding="utf-8")
    prolog, rest = bomb.split("\n", 1)
    files = {
        "billion laughs (DOCTYPE in the head)": (fixtures / "disqus_bomb.xml", None),
        "external entity file:///etc/passwd": (fixtures / "wxr_xxe.xml", None),
    }
    late = workdir / "late_bomb.xml"
    late.write_text(prolog + "\n<!--" + "x" * 70_000 + "-->\n" + rest, encoding="utf-8")
    files["billion laughs after 70 KB (parser check)"] = (late, "disqus")
    quadratic = workdir / "quadratic.xml"
    quadratic.write_text('<?xml version="1.0"?>\n<!--' + "x" * 70_000 + '-->\n<!DOCTYPE disqus [<!ENTITY a "'
                         + "x" * 50_000 + '">]>\n<disqus><post><message>' + "&a;" * 50_000
                         + "</message></post></disqus>\n", encoding="utf-8")
    files["quadratic blowup after 70 KB (parser check)"] = (quadratic, "disqus")
    external = workdir / "external_dtd.xml"
    external.write_text('<?xml version="1.0"?>\n<!--' + "x" * 70_000 + '-->\n<!DOCTYPE disqus SYSTEM '
                        '"http://192.0.2.1/evil.dtd">\n<disqus><post><message>&ext;</message></post></disqus>\n',
                        encoding="utf-8")
    files["external DTD over HTTP after 70 KB"] = (external, "disqus")
    return files


def attack_timings(workdir: Path, repeats: int = 5) -> None:
    """How fast each XML attack is refused by read_dump (best and worst of `repeats`, in this process)."""
    from moderation.readers import read_dump
    from moderation.records import ReadError

    print(f"\nXML attacks (read_dump until refused; best / worst of {repeats}; load average {os.getloadavg()[0]:.1f}):")
    for name, (path, fmt) in _attack_files(workdir).items():
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            records = list(read_dump(path, format=fmt))
            times.append(time.perf_counter() - start)
        (record,) = records
        assert isinstance(record, ReadError) and record.message.startswith("refused"), (name, record)
        print(f"  {name:46} {min(times) * 1000:7.2f} ms / {max(times) * 1000:7.2f} ms   -> {record.message[:60]}...")


def measure(path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200000,2000000", help="comma-separated dump sizes (comments)")
    parser.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated, from {', '.join(FORMATS)}")
    parser.add_argument("--dir", default=None, help="where to write the dumps (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the generated dumps")
    parser.add_argument("--no-resolver", action="store_true", help="skip the depth-window plateau check")
    parser.add_argument("--attacks", action="store_true",
                        help="only time how fast the XML attacks (bombs, external entities and DTDs) are refused")
    args = parser.parse_args()
    if args.attacks:
        with tempfile.TemporaryDirectory(prefix="bench_attacks_") as scratch:
            attack_timings(Path(scratch))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    formats = [f.strip() for f in args.formats.split(",")]
    for f in formats:
        if f not in FORMATS:
            parser.error(f"unknown format {f!r}")
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="bench_readers_"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
          f"(other work on the machine slows every figure); dumps in {workdir}")
    print(f"{'format':8} {'comments':>9} {'file MB':>8} {'seconds':>8} {'CPU s':>6} {'comments/s':>11} {'peak RSS MB':>12} {'net of imports MB':>18}")
    results = []
    try:
        for n in sizes:
            for fmt in formats:
                path = workdir / f"dump_{n}{SUFFIX[fmt]}"
                t0 = time.perf_counter()
                WRITERS[fmt](path, n)
                gen = time.perf_counter() - t0
                r = measure(path)
                assert r["comments"] == n and r["errors"] == 0, (fmt, n, r)
                size_mb = path.stat().st_size / 1e6
                rate = r["comments"] / r["seconds"]
                peak, net = r["peak_kb"] / 1024, (r["peak_kb"] - r["base_kb"]) / 1024
                results.append((fmt, n, rate, peak, net))
                print(f"{fmt:8} {n:>9,} {size_mb:>8.0f} {r['seconds']:>8.1f} {r['cpu']:>6.1f} {rate:>11,.0f} {peak:>12.0f} {net:>18.0f}"
                      f"   (generated in {gen:.0f}s)", flush=True)
                if not args.keep:
                    path.unlink()
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if len(sizes) > 1:
        print("\npeak RSS growth from the smallest to the largest dump (net of imports):")
        for fmt in formats:
            small = next(r for r in results if r[0] == fmt and r[1] == sizes[0])
            large = next(r for r in results if r[0] == fmt and r[1] == sizes[-1])
            print(f"  {fmt:8} {small[4]:6.0f} MB -> {large[4]:6.0f} MB ({large[1] // small[1]}x the comments)")
    if not args.no_resolver:
        resolver_plateau()


if __name__ == "__main__":
    main()

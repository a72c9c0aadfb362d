"""Side by side with alt-profanity-check: same process, same 20,000 news-site comments.

Prints throughput (the three timed in turns for 5 rounds after a warm-up, fastest round each) for alt-profanity-check's
`predict_prob`, our `predict_proba` (like for like) and our full `score()`
(verdicts, policy decisions, evidence spans), plus single-comment latency,
cold-start load time and model size. Needs ../shared/data (or $MODERATION_DATA).

    python benchmarks/compare_peers.py [--data DIR] [--n 20000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from moderation import load_model
from moderation.training import bench

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("MODERATION_DATA", REPO.parent / "shared" / "data")))
    parser.add_argument("--n", type=int, default=20_000, help="comments to score")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    moderator = load_model()
    texts = bench.news_comments(args.data, args.n)
    tp = bench.throughput(moderator, texts)
    lat = bench.latency(moderator, texts)
    load = bench.load_time()
    size = bench.model_size(moderator)
    out = {"model_version": moderator.version, "throughput": tp, "latency": lat, "load": load, "size": size,
           "peer_import_seconds": bench.peer_load_time()}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"model {moderator.version}, {tp['comments']:,} news-site comments, same process")
    print(f"  alt-profanity-check predict_prob : {tp['peer_seconds']:.3f} s  ({tp['peer_per_second']:,}/s)")
    print(f"  ours predict_proba               : {tp['ours_proba_seconds']:.3f} s  ({tp['ours_proba_per_second']:,}/s)  "
          f"-> {tp['ratio_proba']:.3f}x theirs")
    print(f"  ours score (verdicts + evidence) : {tp['ours_score_seconds']:.3f} s  ({tp['ours_score_per_second']:,}/s)  "
          f"-> {tp['ratio_score']:.2f}x theirs")
    cpu = tp["cpu_seconds"]
    print(f"  CPU seconds (fastest round each): theirs {cpu['peer']:.3f}, predict_proba {cpu['ours_proba']:.3f} "
          f"({tp['ratio_proba_cpu']:.3f}x), score {cpu['ours_score']:.3f} ({tp['ratio_score_cpu']:.2f}x)")
    print(f"  single check(): p50 {lat['p50_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms, max {lat['max_ms']:.3f} ms "
          f"(each comment's best of 3: p50 {lat['best_of_3_p50_ms']:.3f} ms, p99 {lat['best_of_3_p99_ms']:.3f} ms; "
          f"load average {lat['load_average_1min']} on {lat['cpus']} CPUs)")
    print(f"  cold start: imports {load['import_seconds']:.3f} s, load_model {load['load_seconds']:.3f} s, "
          f"first check {load['first_check_seconds']:.3f} s (alt-profanity-check import {out['peer_import_seconds']:.3f} s)")
    print(f"  model file: {size['megabytes']} MB")


if __name__ == "__main__":
    main()

"""The model alone: throughput, single-comment latency, load time and size, with no peer and no data needed.

Scores a synthetic mix of comments built from the seed table and the lexicon
templates (so it runs on a fresh clone); `compare_peers.py` is the benchmark on
real news comments against alt-profanity-check.

    python benchmarks/bench_model.py [--n 20000]
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from moderation import load_model
from moderation.training import bench
from moderation.training.seed_table import SEED_TABLE
from moderation.training.synthetic import synthetic_examples


def corpus(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    base = [t for _, t, _ in SEED_TABLE] + synthetic_examples()["text"].tolist()
    out = []
    while len(out) < n:
        k = rng.randint(1, 4)
        out.append(" ".join(rng.choice(base) for _ in range(k)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    moderator = load_model()
    in_process_load = time.perf_counter() - t0
    texts = corpus(args.n)
    moderator.predict_proba(texts[:100])
    t = time.perf_counter()
    moderator.predict_proba(texts)
    t_proba = time.perf_counter() - t
    t = time.perf_counter()
    verdicts = moderator.score(texts)
    t_score = time.perf_counter() - t
    lat = bench.latency(moderator, texts, n=2000)
    load = bench.load_time()
    flagged = sum(bool(v.labels) for v in verdicts)
    print(f"model {moderator.version}: {len(texts):,} comments ({flagged:,} flagged)")
    print(f"  predict_proba : {len(texts) / t_proba:,.0f} comments/s")
    print(f"  score         : {len(texts) / t_score:,.0f} comments/s (verdicts + evidence)")
    print(f"  check()       : p50 {lat['p50_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms "
          f"(best of 3 per comment: p99 {lat['best_of_3_p99_ms']:.3f} ms; load average {lat['load_average_1min']})")
    print(f"  load_model    : {load['load_seconds']:.3f} s in a fresh process ({in_process_load:.3f} s here, with imports)")
    print(f"  model file    : {bench.model_size(moderator)['megabytes']} MB")


if __name__ == "__main__":
    main()

"""Is a code change faster or slower? Two checkouts of the repository, timed in turns.

On a shared VM one process's run of 20,000 comments differs from the next
process's by 5-15% even with the same code (docs/model-history.md, "Spelling
variants of lexicon words"), so one run of each side, or the medians of five,
cannot tell a 3% change. Here each pair runs both checkouts in fresh processes,
in ABBA order (drift cancels), and the figure is the median of the per-pair
ratios candidate / base. Run the base against itself first (an A/A run): its
median ratio shows how far from 1.0 the protocol strays with no change at all.

    python benchmarks/ab_speed.py --base ../wt-base                 # this checkout is the candidate
    python benchmarks/ab_speed.py --base ../wt-base --candidate ../wt-base   # A/A
    python benchmarks/ab_speed.py --base ../wt-base --latency --pairs 6      # check() cost too

Both checkouts use the model in their own models/ directory and this
interpreter's installed packages. Needs ../shared/data (or $MODERATION_DATA).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: What one process measures: `predict_proba` over the news comments (median of 3 runs after
#: a warm-up), and with `latency` each comment's fastest of 10 `check()` passes (p99).
_SNIPPET = """
import json, time, numpy as np
from pathlib import Path
from moderation import load_model
from moderation.training import bench
m = load_model()
texts = bench.news_comments(Path({data!r}), {n})
m.predict_proba(texts[:2000])
runs = []
for _ in range(3):
    t = time.perf_counter(); m.predict_proba(texts); runs.append(time.perf_counter() - t)
out = {{"proba_seconds": float(np.median(runs)), "model_version": m.version}}
if {latency}:
    few = texts[:2000]
    best = np.full(len(few), np.inf)
    for _ in range(10):
        for i, t in enumerate(few):
            t0 = time.perf_counter(); m.check(t); best[i] = min(best[i], time.perf_counter() - t0)
    out["check_p99_of_fastest_ms"] = float(np.percentile(best * 1000, 99))
print(json.dumps(out))
"""


def measure(checkout: Path, data: Path, n: int, latency: bool) -> dict:
    """One fresh process of `checkout`'s code timing its own model."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    code = _SNIPPET.format(data=str(data), n=n, latency=latency)
    done = subprocess.run([sys.executable, "-c", code], cwd=checkout, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{checkout}: the timing process failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(base: Path, candidate: Path, data: Path, pairs: int = 20, n: int = 20_000,
            latency: bool = False, log=print) -> dict:
    """Per-pair ratios candidate / base in ABBA order, and their medians."""
    rows = []
    for k in range(pairs):
        order = [(base, "base"), (candidate, "candidate")]
        if k % 2:
            order.reverse()
        got = {name: measure(path, data, n, latency) for path, name in order}
        rows.append(got)
        log(f"pair {k + 1}/{pairs}: base {got['base']['proba_seconds']:.4f} s, "
            f"candidate {got['candidate']['proba_seconds']:.4f} s")
    keys = ["proba_seconds"] + (["check_p99_of_fastest_ms"] if latency else [])
    ratios = {key: [r["candidate"][key] / r["base"][key] for r in rows] for key in keys}
    return {"base": str(base), "candidate": str(candidate), "pairs": pairs, "comments": n,
            "models": sorted({r[side]["model_version"] for r in rows for side in ("base", "candidate")}),
            "ratios": {key: [round(x, 4) for x in v] for key, v in ratios.items()},
            "median_ratio": {key: round(statistics.median(v), 4) for key, v in ratios.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="checkout of the code before the change")
    parser.add_argument("--candidate", type=Path, default=REPO, help="checkout of the change [default: this one]")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("MODERATION_DATA", REPO.parent / "shared" / "data")))
    parser.add_argument("--pairs", type=int, default=20, help="ABBA pairs of processes [default: 20]")
    parser.add_argument("--n", type=int, default=20_000, help="news comments per run [default: 20,000]")
    parser.add_argument("--latency", action="store_true", help="also time check() (adds ~25 s per process)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    for path in (args.base, args.candidate):
        if not (path / "moderation" / "__init__.py").is_file():
            parser.error(f"{path}: not a checkout of this repository (no moderation/__init__.py)")
    out = compare(args.base.resolve(), args.candidate.resolve(), args.data, args.pairs, args.n, args.latency)
    for key, value in out["median_ratio"].items():
        print(f"{key}: median ratio candidate / base {value:.4f} over {args.pairs} pairs "
              f"(per pair: {', '.join(f'{x:.3f}' for x in out['ratios'][key])})")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

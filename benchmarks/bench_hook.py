"""The pre-publish hook's own costs: in-process `check` latency and `moderation check` cold start.

1. In process: the shipped model loaded once, `Moderator.check(text)` timed per
   comment over many calls (after a warm-up); target p99 <= 2 ms.
2. Cold start: wall time of `moderation check TEXT` (a new process, as a CMS
   shelling out per comment pays it) next to `python -c "import sklearn"`,
   interleaved in the same run so both see the same machine state.
3. Import hygiene: the modules `moderation check` imports, from
   `python -X importtime`; pandas and matplotlib must not be among them.

    python benchmarks/bench_hook.py
    python benchmarks/bench_hook.py --calls 20000 --cold-runs 10
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http import COMMENTS, percentile  # noqa: E402  (same corpus as the HTTP benchmark)

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = ("pandas", "matplotlib", "pyarrow", "dask", "starlette", "uvicorn")


def in_process(calls: int) -> dict:
    from moderation import load_model

    t0 = time.perf_counter()
    moderator = load_model()
    load_s = time.perf_counter() - t0
    for text in COMMENTS * 20:  # warm-up
        moderator.check(text)
    times, cpu = [], []
    by_decision: dict[str, list[float]] = {}
    decisions: dict[str, int] = {}
    for i in range(calls):
        text = COMMENTS[i % len(COMMENTS)]
        t, c = time.perf_counter(), time.thread_time()
        verdict = moderator.check(text)
        cpu.append((time.thread_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
        decisions[verdict.decision] = decisions.get(verdict.decision, 0) + 1
        by_decision.setdefault("allowed" if verdict.decision == "allow" else "flagged", []).append(times[-1])
    return {"model_version": moderator.version, "load_s": round(load_s, 3), "calls": calls,
            "p50_ms": round(percentile(times, 50), 3), "p90_ms": round(percentile(times, 90), 3),
            "p99_ms": round(percentile(times, 99), 3), "max_ms": round(max(times), 3),
            "mean_ms": round(statistics.fmean(times), 3), "decisions": decisions,
            # CPU time of this thread: what the code costs, without the machine's other processes' preemption
            "cpu_p50_ms": round(percentile(cpu, 50), 3), "cpu_p99_ms": round(percentile(cpu, 99), 3),
            # flagged comments also get their evidence spans computed, allowed ones do not
            "by_outcome": {k: {"n": len(v), "p50_ms": round(percentile(v, 50), 3), "p99_ms": round(percentile(v, 99), 3)}
                           for k, v in sorted(by_decision.items())}}


def wall(cmd: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t, proc.returncode


def cold_start(runs: int) -> dict:
    script = Path(sys.executable).with_name("moderation")  # the console script a CMS would call
    launcher = [str(script)] if script.exists() else [sys.executable, "-c", "from moderation.cli import main; main()"]
    check_cmd = [*launcher, "check", "They are cockroaches and should be treated as such."]
    sklearn_cmd = [sys.executable, "-c", "import sklearn"]
    wall(check_cmd), wall(sklearn_cmd)  # warm the page cache for both
    check_times, sklearn_times, codes = [], [], set()
    for _ in range(runs):
        seconds, code = wall(check_cmd)
        check_times.append(seconds)
        codes.add(code)
        sklearn_times.append(wall(sklearn_cmd)[0])
    bad = codes - {0, 10, 11}
    if bad:
        raise SystemExit(f"moderation check exited with {sorted(bad)}; run it by hand to see why")
    return {"runs": runs, "command": " ".join(check_cmd[:-1]) + " '...'",
            "check_median_s": round(statistics.median(check_times), 3), "check_min_s": round(min(check_times), 3),
            "sklearn_median_s": round(statistics.median(sklearn_times), 3),
            "sklearn_min_s": round(min(sklearn_times), 3), "exit_codes": sorted(codes)}


def imports() -> dict:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "from moderation.cli import main; main()",
                           "check", "hello there"],
                          cwd=REPO, env=env, capture_output=True, text=True)
    modules, top = set(), {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cum, name = line[len("import time:"):].split("|")
        if not cum.strip().isdigit():  # the header line
            continue
        modules.add(name.strip().split(".")[0])
        if not name.startswith("   "):  # " name" is imported by the command itself, deeper ones by others
            top[name.strip()] = int(cum.strip())
    heaviest = sorted(top.items(), key=lambda kv: -kv[1])[:6]
    return {"forbidden_imported": sorted(m for m in FORBIDDEN if m in modules),
            "top_level_modules": len(modules), "import_s": round(sum(top.values()) / 1e6, 3),
            "heaviest_ms": {k: round(v / 1000, 1) for k, v in heaviest}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10_000, help="in-process check calls (default 10000)")
    parser.add_argument("--cold-runs", type=int, default=7, help="cold starts of each command (default 7)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    report = {"in_process": in_process(args.calls), "cold_start": cold_start(args.cold_runs), "imports": imports(),
              "loadavg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    p, c, i = report["in_process"], report["cold_start"], report["imports"]
    print(f"model {p['model_version']} (load {p['load_s']} s), {os.cpu_count()} CPUs, "
          f"1-min load average {report['loadavg_1min'][0]} before, {report['loadavg_1min'][1]} after")
    print(f"in-process Moderator.check, {p['calls']} calls: p50 {p['p50_ms']} ms, p90 {p['p90_ms']} ms, "
          f"p99 {p['p99_ms']} ms, max {p['max_ms']} ms (target p99 <= 2 ms); thread CPU time p50 {p['cpu_p50_ms']} ms, "
          f"p99 {p['cpu_p99_ms']} ms")
    print("  by outcome (wall): " + "; ".join(f"{k} ({v['n']}): p50 {v['p50_ms']} ms, p99 {v['p99_ms']} ms"
                                              for k, v in p["by_outcome"].items()))
    print(f"cold start, median of {c['runs']}: `moderation check TEXT` {c['check_median_s']} s "
          f"(min {c['check_min_s']}) vs `python -c \"import sklearn\"` {c['sklearn_median_s']} s "
          f"(min {c['sklearn_min_s']})")
    print(f"imports of `moderation check`: {i['import_s']} s; heaviest top-level: "
          + ", ".join(f"{k} {v} ms" for k, v in i["heaviest_ms"].items()))
    print(f"forbidden on the hook path ({', '.join(FORBIDDEN)}): "
          + (", ".join(i["forbidden_imported"]) if i["forbidden_imported"] else "none imported"))
    return 1 if i["forbidden_imported"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""HTTP load test of `moderation serve`, from a second process, on loopback only.

Starts the server in a subprocess on a free 127.0.0.1 port, then drives
POST /v1/check from this process with 32 concurrent clients (keep-alive
connections) in two phases, each bounded in time:

1. saturation: every client sends its next request as soon as the last one is
   answered (closed loop): the most requests/s the server gives, and the
   latency when it is saturated (which Little's law fixes at clients / rate);
2. paced: the 32 clients together offer a fixed rate (default 300 req/s, the
   target) with a fixed schedule per client (open loop, latency
   counted from the scheduled send time, so a slow server cannot hide queueing):
   the latency a CMS sees at that load.

Reports requests/s, p50/p90/p99/max latency, errors (non-200 or exceptions),
and the server's resident memory (all its processes) before, between and
after. Targets (issue 6): >= 300 req/s, p99 <= 25 ms, zero errors, stable memory.

    python benchmarks/bench_http.py                 # 60 s per phase, 1 worker
    python benchmarks/bench_http.py --duration 10 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import httpx

REPO = Path(__file__).resolve().parent.parent

#: Comments in the shape and length of a news thread (the two seed pages' kind), varied so
#: the server cannot answer from a cache.
COMMENTS = [
    "Thanks for this, a clear and fair piece on a hard subject.",
    "These orcs deserve nothing but slaughter. Scum, the lot of them.",
    "Who voted for this? Honestly the council has lost the plot on parking.",
    "They are cockroaches and should be treated as such.",
    "I lived in Kherson for ten years and the picture you paint is accurate. The shelling at night was the worst.",
    "What an evil pig. Hope he rots.",
    "The house of cards will fall soon enough, mark my words.",
    "Get the fuck out of our country.",
    "Russia's thugs again, same playbook as 2014.",
    "The Crimean war was also fought over this stretch of coast, which the article could have mentioned.",
    "Arseholes, the whole government front bench.",
    "Good reporting. Would like to see a follow-up on the grain corridor and what it means for prices here.",
    "Vermin. Every last one of them.",
    "I disagree with the columnist, but this is a well argued case and worth reading twice.",
    "Such people are a plague on this country and should be removed.",
    "Typo in the third paragraph: it's 'their', not 'there'.",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), from /proc."""
    pids = [pid]
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
        pids += [int(p) for p in out.split()]
    except OSError:
        pass
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (uvicorn workers), from /proc."""
    pids = [pid]
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
        pids += [int(p) for p in out.split()]
    except OSError:
        pass
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[k]


async def run_phase(base: str, clients: int, duration: float, rate: float | None, max_requests: int) -> dict:
    """Drive POST /v1/check; `rate` None = closed loop, else an open-loop schedule shared by the clients."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    decisions: dict[str, int] = {}
    sent = 0
    # aiohttp, not httpx, drives the load: httpx's async pool tops out near 300 req/s on
    # this machine, which would measure the client instead of the server.
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as http:
        start = time.perf_counter()
        stop_at = start + duration

        async def client(index: int) -> None:
            nonlocal sent
            rng = random.Random(index)
            interval = clients / rate if rate else 0.0
            scheduled = start + rng.random() * interval if rate else start
            while True:
                now = time.perf_counter()
                if rate:
                    if scheduled > now:
                        await asyncio.sleep(scheduled - now)
                    begin = scheduled
                    scheduled += interval
                else:
                    begin = now
                if begin >= stop_at or sent >= max_requests:
                    return
                sent += 1
                text = rng.choice(COMMENTS)
                try:
                    async with http.post("/v1/check", json={"text": text, "id": str(sent)}) as response:
                        payload = await response.read()
                        elapsed = time.perf_counter() - begin
                        if response.status == 200:
                            latencies.append(elapsed)
                            decision = json.loads(payload)["decision"]
                            decisions[decision] = decisions.get(decision, 0) + 1
                        else:
                            errors[str(response.status)] = errors.get(str(response.status), 0) + 1
                except Exception as exc:  # counted, never hidden
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

        await asyncio.gather(*(client(i) for i in range(clients)))
        wall = time.perf_counter() - start
    ms = [x * 1000 for x in latencies]
    return {
        "mode": f"paced {rate:g} req/s" if rate else "saturation (closed loop)",
        "requests": len(ms) + sum(errors.values()),
        "ok": len(ms),
        "errors": errors,
        "seconds": round(wall, 1),
        "req_per_s": round(len(ms) / wall, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
        "decisions": decisions,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase (default 60)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rate", type=float, default=300.0, help="offered load of the paced phase, req/s (the target)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--max-requests", type=int, default=200_000, help="hard cap per phase")
    parser.add_argument("--phases", default="saturation,paced")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()
    if args.duration > 120 or args.clients > 64:
        parser.error("bounded: at most 120 s per phase and 64 clients")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "MODERATION_API_KEY"}
    server = subprocess.Popen(
        [sys.executable, "-c", "from moderation.cli import main; main()", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(args.workers), "--no-access-log", "--log-level", "warning"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while True:
            if server.poll() is not None:
                print(server.stderr.read().decode(), file=sys.stderr)
                return 1
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                print("server did not start within 60 s", file=sys.stderr)
                return 1
            time.sleep(0.2)
        version = httpx.get(base + "/version").json()
        # warm up every worker's code paths, then measure
        asyncio.run(run_phase(base, args.clients, 2.0, None, 2000))
        report = {"model_version": version["model_version"], "workers": args.workers, "clients": args.clients,
                  "cpus": os.cpu_count(), "loadavg_1min_before": round(os.getloadavg()[0], 2), "rss_mb": {"before": round(rss_mb(server.pid), 1)}, "phases": []}
        for phase in args.phases.split(","):
            rate = None if phase == "saturation" else args.rate
            cpu_before = cpu_seconds(server.pid)
            result = asyncio.run(run_phase(base, args.clients, args.duration, rate, args.max_requests))
            # CPU the server spent per answered request: its cost, whatever else the machine runs
            result["server_cpu_ms_per_request"] = round(1000 * (cpu_seconds(server.pid) - cpu_before)
                                                        / max(1, result["ok"]), 3)
            result["rss_mb_after"] = round(rss_mb(server.pid), 1)
            report["phases"].append(result)
        report["rss_mb"]["after"] = round(rss_mb(server.pid), 1)
        report["loadavg_1min_after"] = round(os.getloadavg()[0], 2)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()

    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"moderation serve, model {report['model_version']}, {args.workers} worker(s), "
          f"{args.clients} clients over loopback, {args.duration:g} s per phase, {report['cpus']} CPUs, "
          f"1-min load average {report['loadavg_1min_before']} before, {report['loadavg_1min_after']} after")
    print(f"server RSS before: {report['rss_mb']['before']} MB")
    for r in report["phases"]:
        print(f"- {r['mode']}: {r['ok']} ok / {r['requests']} requests in {r['seconds']} s = {r['req_per_s']} req/s; "
              f"latency p50 {r['p50_ms']} ms, p90 {r['p90_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms; "
              f"errors {r['errors'] or 0}; server CPU {r['server_cpu_ms_per_request']} ms/request; "
              f"RSS after {r['rss_mb_after']} MB")
    print(f"server RSS after: {report['rss_mb']['after']} MB")
    print("targets: >= 300 req/s, p99 <= 25 ms, zero errors, stable memory")
    return 0


if __name__ == "__main__":
    sys.exit(main())

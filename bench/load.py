"""Load, soak and hostile-load test against a real server on loopback (bounded in time and requests).

Normal requests are the gallery examples and two 500-node graphs; half of them carry a unique
comment, so the server evaluates them afresh instead of answering from its response cache.

Run:
  .venv/bin/python bench/load.py                      # 50 clients, 60 s, gallery + 500-node graphs
  .venv/bin/python bench/load.py --duration 600       # the 10-minute soak
  .venv/bin/python bench/load.py --hostile 0.2        # 20% of requests from the hostile corpus
Prints requests/s, p50/p95/p99 latency of normal requests, errors, and the server's memory (RSS of the
whole process tree) after warm-up and at the end. Exits non-zero when an error occurred, memory grew
by more than 10%, or the server was unhealthy afterwards.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.examples import EXAMPLES  # noqa: E402
from bench.api import generated  # noqa: E402
from bench.server import running_server  # noqa: E402
from tests.hostile_inputs import HOSTILE_INPUTS  # noqa: E402

MAX_REQUESTS = 2_000_000
# Half the normal requests are new to the server (a student's own edit), half repeat a shared link.
FRESH_SHARE = 0.5
MEMORY_GROWTH_LIMIT = 0.10


def tree_rss_bytes(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


async def client_loop(client: httpx.AsyncClient, normal: list[str], hostile: list[str], share: float,
                      deadline: float, rng: random.Random, stats: dict) -> None:
    while time.monotonic() < deadline and stats["sent"] < MAX_REQUESTS:
        is_hostile = bool(hostile) and rng.random() < share
        source = rng.choice(hostile if is_hostile else normal)
        if not is_hostile and rng.random() < FRESH_SHARE:
            source += f"\n# student {rng.randrange(10**9)}"  # a new request: evaluated, not cached
        stats["sent"] += 1
        start = time.perf_counter()
        try:
            # ASCII-escaped JSON, so hostile sources with lone surrogates reach the server as they are
            response = await client.post("/api/graph", content=json.dumps({"source": source}),
                                         headers={"content-type": "application/json"})
        except httpx.HTTPError as e:
            stats["errors"].append(f"transport: {type(e).__name__}")
            continue
        elapsed = time.perf_counter() - start
        if is_hostile:
            stats["hostile"] += 1
            if response.status_code >= 500:
                stats["errors"].append(f"hostile input answered {response.status_code}")
        elif response.status_code != 200:
            stats["errors"].append(f"normal input answered {response.status_code}: {response.text[:120]}")
        else:
            stats["latencies"].append(elapsed)


async def run_load(base: str, clients: int, duration: float, share: float, seed: int) -> dict:
    normal = [e.source for e in EXAMPLES] + [generated(500)] * 2
    hostile = [source for source, _, _ in HOSTILE_INPUTS] if share else []
    stats: dict = {"sent": 0, "hostile": 0, "errors": [], "latencies": []}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        deadline = time.monotonic() + duration
        await asyncio.gather(*(client_loop(client, normal, hostile, share, deadline, random.Random(seed + i), stats)
                               for i in range(clients)))
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (600 for the soak)")
    parser.add_argument("--hostile", type=float, default=0.0, help="share of requests from the hostile corpus")
    parser.add_argument("--workers", type=int, default=1, help="server processes (one is the supported deployment)")
    parser.add_argument("--warmup", type=float, default=5.0)
    args = parser.parse_args()
    with running_server(workers=args.workers) as (base, pid):
        asyncio.run(run_load(base, args.clients, args.warmup, args.hostile, seed=1))
        before = tree_rss_bytes(pid)
        start = time.monotonic()
        stats = asyncio.run(run_load(base, args.clients, args.duration, args.hostile, seed=2))
        wall = time.monotonic() - start
        after = tree_rss_bytes(pid)
        healthy = httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    lat = stats["latencies"]
    growth = (after - before) / before
    print(f"clients {args.clients}, {wall:.0f} s, server workers {args.workers}, hostile share {args.hostile:.0%}")
    print(f"requests {stats['sent']} ({stats['sent'] / wall:.1f}/s), hostile {stats['hostile']}, "
          f"errors {len(stats['errors'])}")
    print(f"normal latency ms: p50 {percentile(lat, 0.5):.1f}  p95 {percentile(lat, 0.95):.1f}  "
          f"p99 {percentile(lat, 0.99):.1f}  (median {statistics.median(lat) * 1000 if lat else float('nan'):.1f})")
    print(f"server memory: {before / 2**20:.0f} MiB after warm-up, {after / 2**20:.0f} MiB at the end "
          f"({growth:+.1%}); healthy afterwards: {healthy}")
    for error in sorted(set(stats["errors"]))[:10]:
        print("  error:", error)
    return 0 if not stats["errors"] and growth <= MEMORY_GROWTH_LIMIT and healthy else 1


if __name__ == "__main__":
    sys.exit(main())

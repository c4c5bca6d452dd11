"""A fair share under attack: six clients send programs built to run to the time limit while a student types.

Starts `python -m app serve` with default settings on a free loopback port. Six clients each send, one
after another, programs that run to the evaluation limit (a loop near MAX_STEPS) or close to it (the
largest matmuls the budgets allow, with gradcheck), a new comment each time so nothing is cached, and
try again 0.1 s after a 503 whatever its Retry-After says. One student sends a small program with new
numbers every 200 ms (the next as soon as an answer is late). Meanwhile /healthz is asked every 100 ms
and the server's memory read from /proc every 100 ms. An idle asyncio server (a few lines answering every
request at once) is asked the same way at the same time: its stalls are the machine's (other processes
taking the cores), not the app's, and each /healthz stall over the goal is matched against them. The
server's event loop's time waiting for a core (its run-queue time in /proc) is read every 20 ms: a stall
spent mostly there is the machine's load (the loop was ready to answer), not the app's code holding it.

Run: .venv/bin/python bench/fairness.py [--duration 40] [--addresses shared|distinct] [--sly N] [--baseline 10]
  --addresses shared (default): every client comes from 127.0.0.1, like a class behind one NAT address;
    distinct: each client has its own address (sent as X-Forwarded-For, which uvicorn trusts from 127.0.0.1).
  --sly N: N of the six clients send programs that look cheap to the static estimate and run to the limit.
  --baseline S: first S seconds of the student and /healthz alone: the machine's own noise, printed beside.
Prints the student's p50/p95/max latency, /healthz max latency beside the idle server's, how many /healthz
stalls over the goal the idle server shared, the server's largest RSS (the server process alone, and with
its sandbox workers), and the 503 counts; exits non-zero when a goal is missed:
student p95 <= 1 s and max <= 2 s, /healthz <= 100 ms, server <= 600 MiB.
"""

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import tree_rss_bytes  # noqa: E402
from bench.server import running_server  # noqa: E402

ATTACKERS = 6
MAX_REQUESTS_PER_CLIENT = 2_000
STUDENT_EVERY_S = 0.2
HEALTH_EVERY_S = 0.1
GOALS = {"student p95": 1.0, "student max": 2.0, "healthz max": 0.1, "server MiB": 600}

# A loop near MAX_STEPS, twelve statements each time round: ~15 s unbounded, so it runs to the 5 s limit
BODY = "".join(f"    v{k} = (i + {k}) % 7 * 3 - 1\n" for k in range(12))
LOOP = f"from micrograd.engine import Value\nw = Value(0.5)\nfor i in range(99990):\n{BODY}"
# the largest matmuls MAX_MATMUL_FLOPS and MAX_TOTAL_ELEMENTS allow, checked by gradcheck: 0.5-1 s
MATMULS = "A = randn(460, 460, seed=1)\nB = A @ A\nC = B @ A\nL = C.sum()\n"
# small numbers only, so the static estimate calls it cheap; 59,049 times round runs to the limit all the same
SLY = f"from micrograd.engine import Value\nw = Value(0.5)\nn = 9 * 9 * 9 * 9 * 9\nfor i in range(n):\n{BODY}"
STUDENT = "a = {a}\nb = {b}\nc = a * b + a\nd = c.tanh()\nL = d * b - a\n"
# One line a request: when it was sent (the system's monotonic clock, the same in every process) and how long
# it took, so the stalls of two probes can be matched in time.
HEALTH_PROBE = f"""
import sys, time, httpx
base, duration = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + duration
with httpx.Client(base_url=base, timeout=60) as client:
    while time.monotonic() < deadline:
        sent, start = time.monotonic(), time.perf_counter()
        client.get("/healthz").raise_for_status()
        print(sent, time.perf_counter() - start, flush=True)
        time.sleep({HEALTH_EVERY_S})
"""
# The machine's own noise: an asyncio server that does nothing but answer, started like the app's server
IDLE_SERVER = """
import asyncio
BODY = b'HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: 15\\r\\n\\r\\n{"status":"ok"}'
async def answer(reader, writer):
    try:
        while True:
            await reader.readuntil(b"\\r\\n\\r\\n")
            writer.write(BODY)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""
MACHINE_STALL_S = 0.05  # an idle server's request this slow means the machine, not the app, held it up
SCHED_EVERY_S = 0.02


def run_queue_s(pid: int) -> float:
    """Seconds the process's main thread (uvicorn's event loop) has spent runnable, waiting for a core."""
    with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
        return int(f.read().split()[1]) / 1e9


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Bench:
    def __init__(self, base: str, pid: int, idle_base: str, duration_s: float, distinct: bool, sly: int,
                 attackers: int = ATTACKERS) -> None:
        self.base, self.pid, self.distinct, self.sly, self.attackers = base, pid, distinct, sly, attackers
        self.idle_base = idle_base
        self.deadline = time.monotonic() + duration_s
        self.student: list[float] = []
        self.health: list[tuple[float, float]] = []  # (sent, seconds) of each /healthz
        self.idle_health: list[tuple[float, float]] = []  # the same of the idle server beside it
        self.run_queue: list[tuple[float, float]] = []  # (when, run_queue_s) of the server's event loop
        self.rss = [0, 0]  # the server process, and with its workers
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.lock = threading.Lock()

    def headers(self, client: int) -> dict[str, str]:
        return {"x-forwarded-for": f"10.0.0.{client + 1}"} if self.distinct else {}

    def count(self, who: str, status: int) -> None:
        with self.lock:
            self.statuses[(who, status)] += 1

    def attacker(self, index: int) -> None:
        program = SLY if index < self.sly else (LOOP if index % 3 else MATMULS)
        with httpx.Client(base_url=self.base, timeout=60, headers=self.headers(index)) as client:
            for n in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() > self.deadline:
                    return
                body = {"source": f"{program}# attacker {index} request {n}\n", "gradcheck": program is MATMULS}
                status = client.post("/api/graph", json=body).status_code
                self.count("attackers", status)
                if status == 503:
                    time.sleep(0.1)

    def typist(self) -> None:
        rng = random.Random(0)
        with httpx.Client(base_url=self.base, timeout=60, headers=self.headers(ATTACKERS)) as client:
            next_at = time.monotonic()
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() > self.deadline:
                    return
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at = time.monotonic() + STUDENT_EVERY_S
                source = STUDENT.format(a=round(rng.uniform(-3, 3), 3), b=round(rng.uniform(-3, 3), 3))
                start = time.perf_counter()
                status = client.post("/api/graph", json={"source": source}).status_code
                self.student.append(time.perf_counter() - start)
                self.count("student", status)

    def watcher(self) -> None:
        """/healthz of the app and of the idle server, each from a process of its own, so this one's threads do
        not delay their clocks; memory from here."""
        probes = [subprocess.Popen([sys.executable, "-c", HEALTH_PROBE, base, str(self.deadline - time.monotonic())],
                                   stdout=subprocess.PIPE, text=True) for base in (self.base, self.idle_base)]
        ticks = 0
        while any(probe.poll() is None for probe in probes):
            self.run_queue.append((time.monotonic(), run_queue_s(self.pid)))
            if ticks % round(HEALTH_EVERY_S / SCHED_EVERY_S) == 0:
                self.rss[0] = max(self.rss[0], rss_bytes(self.pid))
                self.rss[1] = max(self.rss[1], tree_rss_bytes(self.pid))
            ticks += 1
            time.sleep(SCHED_EVERY_S)
        lines = [(probe.stdout.read() if probe.stdout else "").splitlines() for probe in probes]
        self.health, self.idle_health = ([(float(sent), float(took)) for sent, took in map(str.split, probe_lines)]
                                         for probe_lines in lines)

    def stalls(self, over_s: float) -> tuple[int, int, int]:
        """How many /healthz requests took longer than `over_s`; how many of those overlapped in time a request
        to the idle server slower than MACHINE_STALL_S; and how many the event loop spent at least half of
        waiting for a core (both: stalls the machine caused)."""
        slow = [(sent, sent + took) for sent, took in self.health if took > over_s]
        idle_slow = [(sent, sent + took) for sent, took in self.idle_health if took > MACHINE_STALL_S]
        shared = sum(any(start < idle_end and idle_start < end for idle_start, idle_end in idle_slow)
                     for start, end in slow)
        return len(slow), shared, sum(self.waited_s(start, end) >= (end - start) / 2 for start, end in slow)

    def waited_s(self, start: float, end: float) -> float:
        """The event loop's run-queue time from the last reading before `start` to the first after `end`."""
        before = [waited for when, waited in self.run_queue if when <= start]
        after = [waited for when, waited in self.run_queue if when >= end]
        return after[0] - before[-1] if before and after else 0.0

    def run(self) -> None:
        threads = [threading.Thread(target=self.attacker, args=(i,)) for i in range(self.attackers)]
        threads += [threading.Thread(target=self.typist), threading.Thread(target=self.watcher)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


@contextlib.contextmanager
def idle_server() -> Iterator[str]:
    """IDLE_SERVER on a free loopback port: its base URL."""
    process = subprocess.Popen([sys.executable, "-c", IDLE_SERVER], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        yield f"http://127.0.0.1:{int(process.stdout.readline())}"
    finally:
        process.terminate()
        process.wait(10)


def durations(probe: list[tuple[float, float]]) -> list[float]:
    return [took for _, took in probe]


def quantile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=40.0, help="seconds of load (default 40)")
    parser.add_argument("--addresses", choices=["shared", "distinct"], default="shared")
    parser.add_argument("--sly", type=int, default=0, help="attackers whose programs look cheap")
    parser.add_argument("--baseline", type=float, default=10.0,
                        help="seconds of the student and /healthz alone first, to show the machine's own noise")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with running_server() as (base, pid), idle_server() as idle_base:
        httpx.post(f"{base}/api/graph", json={"source": "a = 2\nb = a * a"}, timeout=30)  # warm up
        quiet = Bench(base, pid, idle_base, args.baseline, False, 0, attackers=0)
        quiet.run()
        bench = Bench(base, pid, idle_base, args.duration, args.addresses == "distinct", args.sly)
        bench.run()
    health, idle_health = durations(bench.health), durations(bench.idle_health)
    figures = {
        "student p95": quantile(bench.student, 0.95),
        "student max": max(bench.student),
        "healthz max": max(health),
        "server MiB": bench.rss[0] / 2**20,
    }
    stalls, shared, waiting = bench.stalls(GOALS["healthz max"])
    print(f"{args.duration:g} s, {ATTACKERS} attackers ({args.sly} sly), addresses {args.addresses}, "
          f"{os.cpu_count()} cores; machine load (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    if quiet.student:
        print(f"without attackers first ({args.baseline:g} s): student max {max(quiet.student) * 1000:.0f} ms, "
              f"/healthz max {max(durations(quiet.health)) * 1000:.1f} ms "
              f"(the idle server's {max(durations(quiet.idle_health)) * 1000:.1f} ms)")
    print(f"student: {len(bench.student)} requests, p50 {statistics.median(bench.student) * 1000:.0f} ms, "
          f"p95 {figures['student p95'] * 1000:.0f} ms, max {figures['student max'] * 1000:.0f} ms")
    print(f"/healthz: {len(health)} requests, p50 {statistics.median(health) * 1000:.1f} ms, "
          f"max {figures['healthz max'] * 1000:.1f} ms; the idle server beside it: p50 "
          f"{statistics.median(idle_health) * 1000:.1f} ms, max {max(idle_health) * 1000:.1f} ms")
    print(f"/healthz over {GOALS['healthz max'] * 1000:.0f} ms: {stalls} times; {shared} of them while the idle server "
          f"also took over {MACHINE_STALL_S * 1000:.0f} ms, {waiting} with the event loop waiting for a core half the "
          f"time or more (the machine's stalls, not the app's)")
    print(f"server RSS max: {figures['server MiB']:.0f} MiB (with its sandbox workers "
          f"{bench.rss[1] / 2**20:.0f} MiB)")
    for who in ("student", "attackers"):
        counts = {status: n for (w, status), n in sorted(bench.statuses.items()) if w == who}
        print(f"{who} answers by status: {counts} (503: {counts.get(503, 0)})")
    missed = [name for name, goal in GOALS.items() if figures[name] > goal]
    print("goals met" if not missed else f"goals missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

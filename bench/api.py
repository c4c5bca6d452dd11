"""Latency of POST /api/graph: end to end against a real server, and where the time goes.

Run: .venv/bin/python bench/api.py [--repeat N]
Prints medians (ms) for each gallery example (first request: evaluation and a cold layout; the
same request repeated: served from the response cache; the same structure with changed numbers:
a new evaluation with the cached layout), for generated graphs of ~100, ~1,000 and ~5,000 nodes, and the
share of evaluation, layout and JSON serialization measured in-process on the same inputs.

Then the side by side with micrograd's own render path (what its users run: the program with micrograd
0.1.0, then `draw_dot` from its trace_graph notebook and Graphviz to SVG) against our /api/graph with
the layout of what the page shows, on the same micrograd-style programs with new numbers each request,
and the evaluation + record time of the 1,000-node MLP program (`build_graph`, in-process). With it, where
one request of each size goes: the floor (GET /healthz, and the same POST answered from the response cache:
HTTP, middleware, validation and nothing else), the sandbox's round trip, the worker's stages (shares of a
cProfile of `record_and_view`, the record and the planned view, applied to its unprofiled median) and the
server's own (the layout looked up and the last fields spliced after the record).
Run only that part: .venv/bin/python bench/api.py --micrograd
"""

import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from graphviz import Digraph

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import graph as graph_module  # noqa: E402
from app.admission import cheap_shape  # noqa: E402
from app.encode import from_json  # noqa: E402
from app.examples import EXAMPLES  # noqa: E402
from app.first_view import ViewPlan, plan_view, record_and_view  # noqa: E402
from app.graph import GraphOptions, build_graph, record_json  # noqa: E402
from app.language import parse_program  # noqa: E402
from app.language.templates import parse  # noqa: E402
from app.layout import LayoutUnavailable, layout_graph, layout_structure  # noqa: E402
from app.sandbox import Sandbox  # noqa: E402
from app.schemas import GraphRequest  # noqa: E402
from app.service import UNLAID, last_fields, to_json  # noqa: E402
from bench.server import running_server  # noqa: E402
from tests.micrograd_programs import MLP_3_16_16_1, mlp_program  # noqa: E402
from tests.oracles import execute_with_micrograd, micrograd_node_count  # noqa: E402


def generated(nodes: int) -> str:
    """A chain of about `nodes` graph nodes (each line adds two constants, a mul and an add)."""
    return "x=1\n" + "x=x*0.9+0.1\n" * ((nodes - 1) // 4)


def nudged(source: str, k: int) -> str:
    """The same structure with different numbers, as when a student edits an input (the comment makes
    every nudge a new request, so none is answered from the response cache)."""
    return source.replace("= 2\n", f"= 2.{k + 1}\n", 1).replace("= 3\n", f"= 3.{k + 1}\n", 1) + f"\n# nudge {k}"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed_post(client: httpx.Client, source: str) -> tuple[float, dict]:
    start = time.perf_counter()
    response = client.post("/api/graph", json={"source": source})
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return elapsed, response.json()


def stages(source: str, repeat: int) -> tuple[float, float, float, int]:
    """Median ms of evaluation+record, a cold layout (cache cleared) and serialization, in-process."""
    evaluation, layout, serialization = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        graph = build_graph(source, None, GraphOptions())
        evaluation.append(time.perf_counter() - start)
        layout_structure.cache_clear()
        start = time.perf_counter()
        try:
            graph["layout"] = layout_graph(graph)
        except LayoutUnavailable as e:
            graph["layout_reason"] = str(e)
        layout.append(time.perf_counter() - start)
        start = time.perf_counter()
        to_json(graph)
        serialization.append(time.perf_counter() - start)
    return median_ms(evaluation), median_ms(layout), median_ms(serialization), len(graph["nodes"])


# ---- side by side with micrograd ---------------------------------------------------------------------

def trace(root):
    """micrograd's trace_graph.ipynb, as published."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)
    build(root)
    return nodes, edges


def draw_dot(root, format="svg", rankdir="LR"):
    """micrograd's trace_graph.ipynb, as published (its %-format spelled as an f-string): a record node per
    value and a node per op."""
    assert rankdir in ["LR", "TB"]
    nodes, edges = trace(root)
    dot = Digraph(format=format, graph_attr={"rankdir": rankdir})
    for n in nodes:
        dot.node(name=str(id(n)), label=f"{{ data {n.data:.4f} | grad {n.grad:.4f} }}", shape="record")
        if n._op:
            dot.node(name=str(id(n)) + n._op, label=n._op)
            dot.edge(str(id(n)) + n._op, str(id(n)))
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def micrograd_diamond(k: int) -> str:
    return (f"from micrograd.engine import Value\na = Value(2.{k})\nb = Value(3.{k})\nc = Value(4.{k})\n"
            f"L = (a*b + c) * (a - c)\nL.backward()\n")


THREE_INPUTS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
SIDE_BY_SIDE = [  # (name, program with new numbers for request k)
    ("diamond", micrograd_diamond),
    ("mlp 2-4-4-1", lambda k: mlp_program(2, [4, 4, 1], [[2.0, 3.0]], [1.0], seed=k)),
    ("mlp 3-16-16-1", lambda k: mlp_program(3, [16, 16, 1], THREE_INPUTS[:1], [1.0], seed=k)),
    ("mlp 3-16-16-1 x4", lambda k: mlp_program(3, [16, 16, 1], THREE_INPUTS, [1.0, -1.0, -1.0, 1.0], seed=k)),
]


def micrograd_render(source: str) -> tuple[float, int]:
    """Seconds to run the program with micrograd and draw its graph as SVG, and the graph's node count."""
    start = time.perf_counter()
    root = execute_with_micrograd(source).root
    draw_dot(root).pipe(format="svg")
    return time.perf_counter() - start, micrograd_node_count(root)


def side_by_side(client: httpx.Client, repeat: int) -> None:
    print(f"\nload average at the start: {os.getloadavg()[0]:.1f}")
    print(f"{'micrograd program':<20}{'nodes':>6}{'theirs':>7}{'ours ms':>10}{'micrograd ms':>14}{'ratio':>8}"
          "   (ours: POST /api/graph with layout; micrograd: run + draw_dot + dot -Tsvg)")
    sys.setrecursionlimit(10_000)  # micrograd's trace and backward recurse along the graph
    for name, program in SIDE_BY_SIDE:
        n = max(3, repeat // 10) if "16" in name else repeat
        timed_post(client, program(0))  # warm up our code paths for this size (micrograd keeps no state)
        ours, theirs = [], []
        for k in range(1, n + 1):
            # Before each timed call, untimed, the garbage the other side left: micrograd's graph is reference
            # cycles (each Value's _backward closure holds its output), which only the collector frees, and the
            # collections run while our client reads the answer (3 a request) freed them on our clock.
            gc.collect()
            elapsed, graph = timed_post(client, program(k))
            ours.append(elapsed)
            gc.collect()
            elapsed, their_nodes = micrograd_render(program(k))
            theirs.append(elapsed)
        note = f"  layout: {graph['layout_reason']}" if graph.get("layout") is None else ""
        print(f"{name:<20}{len(graph['nodes']):>6}{their_nodes:>7}{median_ms(ours):>10.1f}{median_ms(theirs):>14.1f}"
              f"{median_ms(ours) / median_ms(theirs):>8.2f}{note}")
    evaluation = []
    for k in range(repeat):
        source = MLP_3_16_16_1.replace("random.seed(1337)", f"random.seed({k})")
        start = time.perf_counter()
        graph = build_graph(source, None, GraphOptions())
        evaluation.append(time.perf_counter() - start)
    print(f"evaluation + record of the 3-16-16-1 MLP program ({len(graph['nodes'])} nodes, build_graph): "
          f"median {median_ms(evaluation):.1f} ms, min {min(evaluation) * 1000:.1f} ms")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


# ---- where one request goes ---------------------------------------------------------------------

# (stage, function whose cumulative time it is, functions inside it counted in their own stage, and the caller
# it is counted under when only calls from there count)
WORKER_STAGES: list[tuple[str, Callable, list[Callable], Callable | None]] = [
    ("syntax", parse, [], None),
    ("evaluate", parse_program, [parse], None),
    ("backward", graph_module.run_backward, [], None),
    ("paths", graph_module.top_paths, [], None),
    ("budget", graph_module.choose_detail, [], None),
    ("diagnose", graph_module.diagnose, [], None),
    ("record", graph_module.GraphWriter.write, [graph_module.diagnose], None),
    ("view", plan_view, [], None),  # with the view's JSON
    ("json", graph_module.to_json, [], record_and_view),  # the record's JSON
]


def timed_median(fn: Callable[[], object], n: int) -> float:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return median_ms(samples)


def worker_call(source: str) -> tuple[bytes, ViewPlan]:
    """What the worker runs for a graph request (with the layout; the opening view)."""
    return record_and_view(source, None, GraphOptions(), None, True)


def worker_stages(source: str, n: int) -> dict[str, float]:
    """record_and_view's median ms split by the shares its stages take of a cProfile of it (the profiler slows
    Python more than NumPy, so the split is approximate; the total is not)."""
    total = timed_median(lambda: worker_call(source), n)
    profile = cProfile.Profile()
    profile.runcall(lambda: [worker_call(source) for _ in range(n)])
    stats = pstats.Stats(profile).stats

    def key(fn: Callable) -> tuple[str, int, str]:
        return fn.__code__.co_filename, fn.__code__.co_firstlineno, fn.__code__.co_name

    def seconds(fn: Callable, caller: Callable | None = None) -> float:
        stat = stats.get(key(fn))
        if stat is None:
            return 0.0
        return stat[3] if caller is None else stat[4].get(key(caller), (0, 0, 0.0, 0.0))[3]

    everything = seconds(record_and_view)
    shares = {name: (seconds(fn, caller) - sum(seconds(inner) for inner in inside)) / everything
              for name, fn, inside, caller in WORKER_STAGES}
    return {"worker": total, **{name: share * total for name, share in shares.items()}}


def server_stages(source: str, n: int) -> dict[str, float]:
    """What the server does with the worker's answer: look the planned view's layout up (cached by structure:
    warm here, as when only numbers change) and write the last fields after the record."""
    request = GraphRequest(source=source)
    record, plan = worker_call(source)
    last_fields(record, plan, request)  # the layout, into the cache
    return {"fields": timed_median(lambda: record[:-len(UNLAID)] + last_fields(record, plan, request)[1:], n)}


def breakdown(client: httpx.Client, sandbox: Sandbox, repeat: int) -> None:
    """Where one request of each size goes, beside its floor."""
    # This process's own workers import this module as they start (multiprocessing runs the main module's
    # imports in each), ~1 s of CPU each (more on a busy machine: main() gives them a long time limit):
    # timed alongside, it slowed the first row's requests 3x.
    for _ in range(sandbox.gate.slots):
        sandbox.run(int)
    n = max(50, repeat * 5)
    floor = timed_median(lambda: client.get("/healthz"), n)
    print(f"\nwhere a request goes (ms, medians; load average {os.getloadavg()[0]:.1f}); floor: GET /healthz "
          f"{floor:.2f}")
    print(f"{'program':<20}{'nodes':>6}{'e2e':>7}{'cached':>8}{'sandbox':>9}{'worker':>8}{'fields':>8}"
          f"   worker stages (of its time)")
    for name, program in SIDE_BY_SIDE[:3]:
        print(f"{name:<20}" + request_breakdown(client, sandbox, program, max(5, n // 10) if "16" in name else n))
    print("(cached: the same POST again, answered from the response cache: HTTP, middleware and validation, the\n"
          " floor of a POST; sandbox: a call of record_and_view in a worker, the worker's time included; worker:\n"
          " that call in-process; fields: the server looks the layout up and writes the last fields after the record)")


def request_breakdown(client: httpx.Client, sandbox: Sandbox, program: Callable[[int], str], n: int) -> str:
    sources = [program(1000 + i) for i in range(n)]
    source = sources[0]
    e2e = [timed_post(client, s)[0] for s in sources]
    cached = timed_median(lambda: client.post("/api/graph", json={"source": source}), n)
    options = GraphOptions()
    trip = timed_median(lambda: sandbox.run(record_and_view, source, None, options, None, True,
                                            cheap=cheap_shape(source)), n)
    record = record_json(source)
    stages = worker_stages(source, n)
    server = server_stages(source, n)
    worker = "  ".join(f"{stage} {stages[stage]:.2f}" for stage, _, _, _ in WORKER_STAGES)
    return (f"{len(from_json(record)['nodes']):>6}{median_ms(e2e):>7.1f}{cached:>8.2f}{trip:>9.2f}"
            f"{stages['worker']:>8.2f}{server['fields']:>8.2f}"
            f"   {worker}")


def gallery(client: httpx.Client, repeat: int) -> None:
    cases = ([(e.id, e.source) for e in EXAMPLES] + [(f"generated-{n}", generated(n)) for n in (100, 1000, 5000)]
             + [("mlp-3-16-16-1", MLP_3_16_16_1)])
    print(f"{'graph':<20}{'nodes':>6}{'first':>9}{'cached':>9}{'nudged':>9}   in-process: eval / layout(cold) / json")
    for name, source in cases:
        n = max(3, repeat // 10) if name.startswith(("generated", "mlp")) else repeat
        first, graph = timed_post(client, source)
        warm = [timed_post(client, source)[0] for _ in range(n)]
        nudges = [timed_post(client, nudged(source, k))[0] for k in range(n)]
        ev, lay, ser = stages(source, max(3, n // 3))[:3]
        note = f"  layout: {graph['layout_reason']}" if graph["layout"] is None else ""
        print(f"{name:<20}{len(graph['nodes']):>6}{first * 1000:>9.1f}{median_ms(warm):>9.1f}"
              f"{median_ms(nudges):>9.1f}   {ev:7.1f} / {lay:7.1f} / {ser:6.1f} ms{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--micrograd", action="store_true", help="only the side by side with micrograd")
    args = parser.parse_args()
    with running_server() as (base, _), httpx.Client(base_url=base, timeout=60) as client:
        if not args.micrograd:
            gallery(client, args.repeat)
        side_by_side(client, args.repeat)
        with Sandbox(workers=2, timeout_s=60) as sandbox:
            breakdown(client, sandbox, args.repeat)


if __name__ == "__main__":
    main()

"""Latency of POST /api/graph: end to end against a real server, and where the time goes.

Run: .venv/bin/python bench/api.py [--repeat N]
Prints medians (ms) for each gallery example (first request: evaluation and a cold layout; the
same request repeated: served from the response cache; the same structure with changed numbers:
a new evaluation with the cached layout), for generated graphs of ~100, ~1,000 and ~5,000 nodes, and the
share of evaluation, layout and JSON serialization measured in-process on the same inputs.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.examples import EXAMPLES  # noqa: E402
from app.graph import GraphOptions, build_graph  # noqa: E402
from app.layout import LayoutUnavailable, layout_graph, layout_structure  # noqa: E402
from app.service import to_json  # noqa: E402
from bench.server import running_server  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    cases = [(e.id, e.source) for e in EXAMPLES] + [(f"generated-{n}", generated(n)) for n in (100, 1000, 5000)]
    with running_server() as (base, _), httpx.Client(base_url=base, timeout=60) as client:
        print(f"{'graph':<20}{'nodes':>6}{'first':>9}{'cached':>9}{'nudged':>9}   in-process: eval / layout(cold) / json")
        for name, source in cases:
            big = name.startswith("generated")
            repeat = max(3, args.repeat // 10) if big else args.repeat
            first, graph = timed_post(client, source)
            warm = [timed_post(client, source)[0] for _ in range(repeat)]
            nudges = [timed_post(client, nudged(source, k))[0] for k in range(repeat)]
            ev, lay, ser = stages(source, max(3, repeat // 3))[:3]
            note = f"  layout: {graph['layout_reason']}" if graph["layout"] is None else ""
            print(f"{name:<20}{len(graph['nodes']):>6}{first * 1000:>9.1f}{median_ms(warm):>9.1f}"
                  f"{median_ms(nudges):>9.1f}   {ev:7.1f} / {lay:7.1f} / {ser:6.1f} ms{note}")


if __name__ == "__main__":
    main()

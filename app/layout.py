"""Node positions and edge routes from Graphviz `dot`, cached by the graph's structure.

Layout depends only on structure (which nodes, how big, which edges), never on the numbers, so a
student nudging an input gets the cached layout back without starting `dot` again.
"""

import json
import subprocess
from functools import lru_cache
from typing import Any

import graphviz

# `dot` takes ~0.2 s for a 1,000-node chain and ~0.5 s at 2,000 on these machines, but an edge
# that spans many ranks (one weight shared by a long chain) becomes a chain of virtual nodes, and
# ~2,500 of those already take 1.4 s. Past these bounds the page lays the graph out itself; past
# the timeout we give up rather than hang.
MAX_LAYOUT_NODES = 2000
MAX_VIRTUAL_NODES = 1200
LAYOUT_TIMEOUT_S = 1.5
POINTS_PER_INCH = 72.0

# Box sizes in inches by what the page draws inside: a scalar's value and grad, a few tensor
# entries, or a heat map.
BOX_SIZES = {"scalar": (1.6, 0.85), "small": (2.0, 1.2), "tensor": (2.2, 1.5)}


class LayoutUnavailable(Exception):
    """Why a graph has no layout (too large, too slow, Graphviz missing); the graph is still returned."""


def size_class(shape: list[int]) -> str:
    size = 1
    for n in shape:
        size *= n
    if not shape:
        return "scalar"
    return "small" if size <= 6 else "tensor"


def structure_key(graph: dict[str, Any]) -> tuple:
    """What layout depends on: node order and size classes, and the edges between them."""
    index = {n["id"]: i for i, n in enumerate(graph["nodes"])}
    return (
        tuple(size_class(n["shape"]) for n in graph["nodes"]),
        tuple((index[e["source"]], index[e["target"]]) for e in graph["edges"]),
    )


def layout_graph(graph: dict[str, Any]) -> dict[str, Any]:
    """The `layout` section for a graph record: boxes by node id and routes by edge id."""
    if len(graph["nodes"]) > MAX_LAYOUT_NODES:
        raise LayoutUnavailable(
            f"the graph has {len(graph['nodes'])} nodes; Graphviz layout is done up to {MAX_LAYOUT_NODES}")
    laid_out = layout_structure(structure_key(graph))
    if isinstance(laid_out, str):
        raise LayoutUnavailable(laid_out)
    boxes, routes, width, height = laid_out
    return {
        "width": width,
        "height": height,
        "nodes": {n["id"]: box for n, box in zip(graph["nodes"], boxes)},
        "edges": {e["id"]: route for e, route in zip(graph["edges"], routes)},
    }


def structure_dot(key: tuple) -> str:
    """DOT for a structure: generated ids and sizes only; no user text ever reaches Graphviz here."""
    sizes, edges = key
    dot = graphviz.Digraph(graph_attr={"rankdir": "LR", "nodesep": "0.3", "ranksep": "0.55"},
                           node_attr={"shape": "box", "fixedsize": "true", "label": ""})
    for i, cls in enumerate(sizes):
        width, height = BOX_SIZES[cls]
        dot.node(f"n{i}", width=str(width), height=str(height))
    for i, (source, target) in enumerate(edges):
        dot.edge(f"n{source}", f"n{target}", id=f"e{i}")  # Graphviz numbers edges its own way: name them
    return dot.source


def virtual_nodes(key: tuple) -> int:
    """How many bends `dot` would add for edges spanning several ranks, from a tight ranking.

    Ids are in topological order, so one pass gives each node its longest-path rank; a source is
    pulled next to its nearest consumer, as dot's network simplex does.
    """
    sizes, edges = key
    inputs: list[list[int]] = [[] for _ in sizes]
    consumers: list[list[int]] = [[] for _ in sizes]
    for source, target in edges:
        inputs[target].append(source)
        consumers[source].append(target)
    rank = [0] * len(sizes)
    for i, sources in enumerate(inputs):
        if sources:
            rank[i] = max(rank[s] for s in sources) + 1
    for i, targets in enumerate(consumers):
        if targets and not inputs[i]:
            rank[i] = min(rank[t] for t in targets) - 1
    return sum(max(0, rank[t] - rank[s] - 1) for s, t in edges)


def run_dot(source: str, fmt: str, timeout_s: float = LAYOUT_TIMEOUT_S) -> bytes:
    """Graphviz `dot` on DOT text, bounded in time; every way it can fail becomes LayoutUnavailable."""
    try:
        return subprocess.run(["dot", f"-T{fmt}"], input=source.encode(), capture_output=True,
                              timeout=timeout_s, check=True).stdout
    except subprocess.TimeoutExpired:
        raise LayoutUnavailable(f"Graphviz took longer than {timeout_s:g} s on this graph") from None
    except FileNotFoundError:
        raise LayoutUnavailable("Graphviz (dot) is not installed on the server") from None
    except subprocess.CalledProcessError as e:
        raise LayoutUnavailable(f"Graphviz failed: {e.stderr.decode(errors='replace').strip()[:200]}") from None


@lru_cache(maxsize=512)
def layout_structure(key: tuple) -> tuple[list[dict], list[dict], float, float] | str:
    """The layout of a structure, or why there is none; both are cached, so a slow graph costs once."""
    bends = virtual_nodes(key)
    if bends > MAX_VIRTUAL_NODES:
        return (f"the graph has long edges (Graphviz would add {bends} bends, more than {MAX_VIRTUAL_NODES}); "
                "it is laid out by the page instead")
    try:
        out = run_dot(structure_dot(key), "json0")
    except LayoutUnavailable as e:
        return str(e)
    return parse_dot_json(json.loads(out), len(key[1]))


def parse_dot_json(out: dict[str, Any], n_edges: int) -> tuple[list[dict], list[dict], float, float]:
    """Graphviz's y axis points up; the page's points down: flip every y."""
    _, _, width, height = (float(v) for v in out["bb"].split(","))

    def point(text: str) -> list[float]:
        x, y = text.split(",")[-2:]
        return [round(float(x), 2), round(height - float(y), 2)]

    boxes = []
    for obj in out.get("objects", []):
        x, y = point(obj["pos"])
        boxes.append({"x": x, "y": y, "width": round(float(obj["width"]) * POINTS_PER_INCH, 2),
                      "height": round(float(obj["height"]) * POINTS_PER_INCH, 2)})
    routes: list[dict] = [{"points": [], "end": None} for _ in range(n_edges)]
    for edge in out.get("edges", []):
        parts = edge["pos"].split()
        end = None
        if parts and parts[0].startswith("e,"):
            end = point(parts.pop(0)[2:])
        if parts and parts[0].startswith("s,"):
            parts.pop(0)
        routes[int(edge["id"][1:])] = {"points": [point(p) for p in parts], "end": end}
    return boxes, routes, width, height

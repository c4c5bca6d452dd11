"""Box positions, edge routes and group frames for a view, from Graphviz `dot`, cached by structure.

Layout depends only on the view's structure (which boxes, how big, in which open group, which
edges), never on the numbers, so a student nudging an input gets the cached layout back without
starting `dot` again. Only successes are cached: a timeout may be a busy machine, so the same view
is tried again next time.
"""

import json
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, TypeVar

from app.admission import DRAWINGS, LAYOUTS, graphviz_runs
from app.encode import to_json
from app.limits import LAYOUT_TIMEOUT_S, MAX_LAYOUT_BENDS, MAX_LAYOUT_BOXES
from app.response_cache import depends_on_load
from app.view import ViewBuilder, group_number

T = TypeVar("T")

POINTS_PER_INCH = 72.0

# Box sizes in inches by what the page draws inside: a scalar's value and grad, a few tensor
# entries, a heat map, or a collapsed call ("name #k" and its output's value and grad).
BOX_SIZES = {"scalar": (1.6, 0.85), "small": (2.0, 1.2), "tensor": (2.2, 1.5), "group": (1.9, 1.0)}
# Room at the top of an open group's frame for its name, which the page writes there.
CLUSTER_LABEL = "_" * 14
CLUSTER_MARGIN_PT = 10
DIRECTIONS = {"LR": "LR", "TB": "TB"}
"""Graphviz rankdirs a layout may ask for; the request's text is looked up here, never pasted into DOT."""

# A structure: per box (size class, index of its cluster or -1), per cluster the index of its
# parent cluster or -1, and edges as (source box index, target box index).
Structure = tuple[tuple[tuple[str, int], ...], tuple[int, ...], tuple[tuple[int, int], ...]]


class LayoutUnavailable(Exception):
    """Why a view has no layout (too large, too slow, Graphviz missing); the graph is still returned."""


class DotRefused(Exception):
    """`dot` was asked for inside `without_dot`."""


dot_refused: ContextVar[bool] = ContextVar("dot_refused", default=False)


@contextmanager
def without_dot() -> Iterator[None]:
    """DotRefused instead of a `dot` run in the block: for code on the event loop's thread, where every request
    would wait for `dot`, to do what needs none (a layout already cached) and hand the rest to a thread."""
    token = dot_refused.set(True)
    try:
        yield
    finally:
        dot_refused.reset(token)


def size_class(shape: list[int]) -> str:
    size = 1
    for n in shape:
        size *= n
    if not shape:
        return "scalar"
    return "small" if size <= 6 else "tensor"


def view_clusters(graph: dict[str, Any], view: dict[str, Any]) -> list[str]:
    """The open groups drawn as frames: those holding a box, directly or through an inner frame."""
    parent = {g["id"]: g["parent"] for g in graph.get("groups") or []}
    framed: set[str] = set()
    for box in view["boxes"]:
        g = box["parent"]
        while g is not None and g not in framed:
            framed.add(g)
            g = parent.get(g)
    return sorted(framed, key=group_number)


def structure_key(graph: dict[str, Any], view: dict[str, Any]) -> Structure:
    """What layout depends on; no ids, so programs of the same shape share a layout."""
    shapes = {n["id"]: n["shape"] for n in graph["nodes"]}
    parent = {g["id"]: g["parent"] for g in graph.get("groups") or []}
    clusters = view_clusters(graph, view)
    cluster_index = {g: i for i, g in enumerate(clusters)}
    box_index = {b["id"]: i for i, b in enumerate(view["boxes"])}
    return (
        tuple(("group" if b["kind"] == "group" else size_class(shapes[b["id"]]),
               cluster_index.get(b["parent"], -1)) for b in view["boxes"]),
        tuple(cluster_index.get(parent[g], -1) for g in clusters),
        tuple((box_index[e["source"]], box_index[e["target"]]) for e in view["edges"]),
    )


def checked_structure(graph: dict[str, Any], view: dict[str, Any]) -> Structure:
    """A view's structure, when it is within what Graphviz lays out in time (boxes, bends); raises
    LayoutUnavailable otherwise. Pure: the sandbox worker checks it (app.first_view) without running dot."""
    key = structure_key(graph, view)
    if len(key[0]) > MAX_LAYOUT_BOXES:
        raise LayoutUnavailable(f"the view has {len(key[0])} boxes; Graphviz lays out up to {MAX_LAYOUT_BOXES}")
    bends = virtual_nodes(key)
    if bends > MAX_LAYOUT_BENDS:
        raise LayoutUnavailable(f"the view has long edges (Graphviz would add {bends} bends, "
                                f"more than {MAX_LAYOUT_BENDS})")
    return key


def view_ids(graph: dict[str, Any], view: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """The ids a layout is keyed by: the view's boxes, its edges and its framed groups."""
    return [b["id"] for b in view["boxes"]], [e["id"] for e in view["edges"]], view_clusters(graph, view)


def placed(key: Structure, direction: str, boxes: list[str], edges: list[str], clusters: list[str]) -> dict[str, Any]:
    """The `layout` of a structure under the ids of one view of it (view_ids), from the cache or from dot."""
    return arranged(layout_structure(key, direction), boxes, edges, clusters)


def arranged(geometry: tuple[list[dict], list[dict], list[dict], float, float], boxes: list[str], edges: list[str],
             clusters: list[str]) -> dict[str, Any]:
    at, routes, frames, width, height = geometry
    return {
        "width": width,
        "height": height,
        "nodes": dict(zip(boxes, at, strict=True)),
        "edges": dict(zip(edges, routes, strict=True)),
        "clusters": dict(zip(clusters, frames, strict=True)),
    }


def placed_json(key: Structure, direction: str, boxes: list[str], edges: list[str], clusters: list[str]) -> bytes:
    """placed(...)'s JSON, kept for the structure's cached layout under these ids: writing a layout's floats
    is ~0.1 ms at 114 boxes (~1 ms at 1,000), again at every request whose numbers alone changed."""
    geometry = layout_structure(key, direction)  # first, so a layout that is no longer cached is laid out again
    ids = (id(geometry), tuple(boxes), tuple(edges), tuple(clusters))
    with placed_lock:
        kept = placed_texts.get(ids)
        if kept is not None and kept[0] is geometry:  # (holding the layout, the entry keeps its id from reuse)
            placed_texts.move_to_end(ids)
            return kept[1]
    text = to_json(arranged(geometry, boxes, edges, clusters))
    with placed_lock:
        placed_texts[ids] = (geometry, text)
        if len(placed_texts) > PLACED_TEXTS_KEPT:
            placed_texts.popitem(last=False)
    return text


PLACED_TEXTS_KEPT = 32
placed_texts: OrderedDict[tuple, tuple[object, bytes]] = OrderedDict()
placed_lock = threading.Lock()


def layout_view(graph: dict[str, Any], view: dict[str, Any], direction: str = "LR",
                failed: tuple[Structure, LayoutUnavailable] | None = None) -> dict[str, Any]:
    """The `layout` of a view: boxes by box id, routes by view edge id, frames by open group id; `direction`
    is Graphviz's rankdir, LR (inputs left, the root right) or TB (inputs above, the root below).
    `failed`: a structure dot just failed on in this request, and why (not run again)."""
    key = checked_structure(graph, view)
    if failed is not None and failed[0] == key:
        raise failed[1]
    return placed(key, direction, *view_ids(graph, view))


def lay_out_view(graph: dict[str, Any], open: set[str] | None, direction: str = "LR",
                 failed: tuple[Structure, LayoutUnavailable] | None = None,
                 ) -> tuple[dict[str, Any], dict[str, Any] | None, str | None]:
    """The view asked for and its layout; when Graphviz cannot lay it out, a more collapsed view.

    Returns (view, layout, layout_reason): layout is None only when even the view with every group
    closed cannot be laid out, and `view["reason"]` says why groups were closed beyond the request.
    `failed`: see layout_view.
    """
    return first_usable_view(graph, open, lambda view: layout_view(graph, view, direction, failed))


def first_usable_view(graph: dict[str, Any], open: set[str] | None, use: Callable[[dict[str, Any]], T],
                      ) -> tuple[dict[str, Any], T | None, str | None]:
    """(view, use(view), None) for the view asked for, or for the first more collapsed one (collapsed_views)
    that `use` does not refuse with LayoutUnavailable, `view["reason"]` then saying why groups were closed;
    (the view with every group closed, None, the first refusal's words) when `use` refuses them all."""
    builder = ViewBuilder(graph)
    first_error: LayoutUnavailable | None = None
    for view, closed in collapsed_views(builder, builder.view(open)):
        try:
            used = use(view)
        except LayoutUnavailable as e:
            first_error = first_error or e
            continue
        if first_error is not None:
            view["reason"] = f"{first_error}; {closed}"
        return view, used, None
    assert first_error is not None
    view["reason"] = f"{first_error}; {closed}" if closed else None
    return view, None, str(first_error)


def layout_graph(graph: dict[str, Any]) -> dict[str, Any]:
    """The layout of a graph's opening view, for tools that lay out without a request (bench/api.py)."""
    _, layout, reason = lay_out_view(graph, None)
    if layout is None:
        raise LayoutUnavailable(reason)
    return layout


def collapsed_views(builder: ViewBuilder, view: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str | None]]:
    """The view, then with its deepest open groups closed, then with every group closed; each with
    what was closed, in words. Each is built only when the one before could not be used (building a
    view is most of the server's own work on a request)."""
    yield view, None
    opened = set(view["open"])
    if not opened:
        return
    depth = {g: len(builder.chain[g]) for g in opened}
    deepest = max(depth.values())
    shallower = {g for g in opened if depth[g] < deepest}
    if shallower:
        closed = sorted(opened - shallower, key=group_number)
        listed = ", ".join(closed[:5]) + (", ..." if len(closed) > 5 else "")
        yield builder.view(shallower), f"the deepest open groups ({listed}) are shown closed"
    yield builder.view(set()), "every group is shown closed"


def structure_dot(key: Structure, direction: str = "LR") -> str:
    """DOT for a structure: generated ids and sizes only; no user text ever reaches Graphviz here."""
    boxes, cluster_parents, edges = key
    boxes_in: dict[int, list[int]] = {c: [] for c in range(-1, len(cluster_parents))}
    clusters_in: dict[int, list[int]] = {c: [] for c in range(-1, len(cluster_parents))}
    for i, (_, cluster) in enumerate(boxes):
        boxes_in[cluster].append(i)
    for c, parent in enumerate(cluster_parents):
        clusters_in[parent].append(c)

    def body(c: int, indent: str) -> list[str]:
        lines = []
        for i in boxes_in[c]:
            width, height = BOX_SIZES[boxes[i][0]]
            lines.append(f"{indent}b{i} [width={width}, height={height}];")
        for k in clusters_in[c]:
            lines.append(f'{indent}subgraph cluster_{k} {{ label="{CLUSTER_LABEL}"; labeljust=l; '
                         f"margin={CLUSTER_MARGIN_PT};")
            lines += body(k, indent + "  ")
            lines.append(f"{indent}}}")
        return lines

    return "\n".join([
        "digraph {",
        # newrank ranks the whole graph at once instead of cluster by cluster: 10-50x faster on views
        # with frames (a 1,000-box MLP with 70 open calls: 3-8 s -> 0.2-0.3 s), the same without.
        f"  rankdir={DIRECTIONS[direction]}; newrank=true; nodesep=0.3; ranksep=0.55; fontsize=11;",
        '  node [shape=box, fixedsize=true, label=""];',
        *body(-1, "  "),
        # Graphviz numbers edges its own way: name them
        *(f"  b{s} -> b{t} [id=v{i}];" for i, (s, t) in enumerate(edges)),
        "}",
    ])


def virtual_nodes(key: Structure) -> int:
    """How many bends `dot` would add for edges spanning several ranks, from a tight ranking.

    Boxes are in topological order (a box comes where its first node was created), so one pass
    gives each box its longest-path rank; a source is pulled next to its nearest consumer, as dot's
    network simplex does.
    """
    boxes, _, edges = key
    inputs: list[list[int]] = [[] for _ in boxes]
    consumers: list[list[int]] = [[] for _ in boxes]
    for source, target in edges:
        inputs[target].append(source)
        consumers[source].append(target)
    rank = [0] * len(boxes)
    for i, sources in enumerate(inputs):
        if sources:
            rank[i] = max(rank[s] for s in sources) + 1
    for i, targets in enumerate(consumers):
        if targets and not inputs[i]:
            rank[i] = min(rank[t] for t in targets) - 1
    return sum(max(0, rank[t] - rank[s] - 1) for s, t in edges)


def run_dot(source: str, fmt: str, timeout_s: float = LAYOUT_TIMEOUT_S) -> bytes:
    """Graphviz `dot` on DOT text, bounded in time; every way it can fail becomes LayoutUnavailable.

    No more run at once than app.admission.graphviz_runs allows (layouts before drawings); Busy when
    none frees in time. A timeout may be a busy machine: the answer made without it is not cached.
    """
    if dot_refused.get():
        raise DotRefused
    try:
        with graphviz_runs.admitted(LAYOUTS if fmt == "json0" else DRAWINGS, cost_s=timeout_s):
            return subprocess.run(["dot", f"-T{fmt}"], input=source.encode(), capture_output=True,
                                  timeout=timeout_s, check=True).stdout
    except subprocess.TimeoutExpired:
        depends_on_load()
        raise LayoutUnavailable(f"Graphviz took longer than {timeout_s:g} s on this view") from None
    except FileNotFoundError:
        raise LayoutUnavailable("Graphviz (dot) is not installed on the server") from None
    except subprocess.CalledProcessError as e:
        raise LayoutUnavailable(f"Graphviz failed: {e.stderr.decode(errors='replace').strip()[:200]}") from None


@lru_cache(maxsize=512)
def layout_structure(key: Structure, direction: str = "LR") -> tuple[list[dict], list[dict], list[dict], float, float]:
    """The layout of a structure in a direction (both are the cache's key); raises LayoutUnavailable, which
    lru_cache does not remember."""
    out = run_dot(structure_dot(key, direction), "json0")
    return parse_dot_json(json.loads(out), len(key[0]), len(key[1]), len(key[2]))


def parse_dot_json(out: dict[str, Any], n_boxes: int, n_clusters: int,
                   n_edges: int) -> tuple[list[dict], list[dict], list[dict], float, float]:
    """Boxes, routes and frames by index; boxes and frames by their centre like the page draws them.

    Graphviz's y axis points up; the page's points down: flip every y.
    """
    _, _, width, height = (float(v) for v in out["bb"].split(","))

    def point(text: str) -> list[float]:
        x, y = text.split(",")[-2:]
        return [round(float(x), 2), round(height - float(y), 2)]

    boxes: list[dict] = [{}] * n_boxes
    frames: list[dict] = [{}] * n_clusters
    for obj in out.get("objects", []):
        name = obj["name"]
        if name.startswith("b"):
            x, y = point(obj["pos"])
            boxes[int(name[1:])] = {"x": x, "y": y, "width": round(float(obj["width"]) * POINTS_PER_INCH, 2),
                                    "height": round(float(obj["height"]) * POINTS_PER_INCH, 2)}
        elif name.startswith("cluster_"):
            x0, y0, x1, y1 = (float(v) for v in obj["bb"].split(","))
            frames[int(name[len("cluster_"):])] = {
                "x": round((x0 + x1) / 2, 2), "y": round(height - (y0 + y1) / 2, 2),
                "width": round(x1 - x0, 2), "height": round(y1 - y0, 2)}
    routes: list[dict] = [{"points": [], "end": None} for _ in range(n_edges)]
    for edge in out.get("edges", []):
        parts = edge["pos"].split()
        end = None
        if parts and parts[0].startswith("e,"):
            end = point(parts.pop(0)[2:])
        if parts and parts[0].startswith("s,"):
            parts.pop(0)
        routes[int(edge["id"][1:])] = {"points": [point(p) for p in parts], "end": end}
    return boxes, routes, frames, width, height

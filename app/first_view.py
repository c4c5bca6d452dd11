"""A graph request in one trip to a sandbox worker: the worker writes the record and, from the record it
still holds in memory, the view asked for with what its layout needs; the server then only looks the
layout up by structure (Graphviz runs in the server, under its gate) and writes the response's last
fields around the view's JSON, instead of reading the whole record back (~0.3 ms of parsing, and the
view's ~0.4 ms, on a 114-node graph).
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Any

from app import layout
from app import view as views
from app.encode import to_json
from app.graph import GraphOptions, graph_and_sources
from app.layout import Structure, checked_structure, first_usable_view, placed_json, view_ids
from app.sandbox import free_after_reply
from app.view import build_view, sum_contributions


@dataclass(frozen=True)
class ViewPlan:
    """A view's JSON and, when it is to be laid out, its structure and the ids its layout is keyed by;
    with no structure, `reason` is the layout_reason (None: no layout was asked for)."""

    view: bytes
    structure: Structure | None = None
    reason: str | None = None
    ids: tuple[list[str], list[str], list[str]] = ([], [], [])  # app.layout.view_ids


def plan_view(graph: dict[str, Any], open: set[str] | None) -> ViewPlan:
    """lay_out_view's part that needs no Graphviz: the first view (the one asked for, then more collapsed
    ones) within Graphviz's limits, its reason saying what was closed beyond the request and why.

    Kept by the record's view_structure: a program whose numbers alone changed gets the same view with
    only the sums on its edges written again (a 114-node graph: ~0.17 ms instead of ~0.6)."""
    key = view_structure(graph, open)
    with plans_lock:
        kept = plans.get(key)
        if kept is not None:
            plans.move_to_end(key)
    if kept is not None:
        view, carried, plan = kept
        contributions = [e["contribution"] for e in graph["edges"]]
        edges = [{**edge, "contribution": sum_contributions([contributions[i] for i in positions])}
                 for edge, positions in zip(view["edges"], carried, strict=True)]
        return replace(plan, view=to_json({**view, "edges": edges}))
    view, plan = first_view(graph, open)
    position = {e["id"]: i for i, e in enumerate(graph["edges"])}
    carried = [[position[e] for e in edge["edges"]] for edge in view["edges"]]
    with plans_lock:
        plans[key] = (view, carried, plan)
        if len(plans) > PLANS_KEPT:
            plans.popitem(last=False)
    return plan


def first_view(graph: dict[str, Any], open: set[str] | None) -> tuple[dict[str, Any], ViewPlan]:
    """plan_view's view, built, and its plan."""
    view, key, reason = first_usable_view(graph, open, lambda view: checked_structure(graph, view))
    if key is None:
        return view, ViewPlan(to_json(view), None, reason)
    return view, ViewPlan(to_json(view), key, None, view_ids(graph, view))


def view_structure(graph: dict[str, Any], open: set[str] | None) -> bytes:
    """Everything of a record its views depend on (app.view, app.layout) but the numbers on its edges, and the
    limits they are planned under (read where they are used: a test may change them).

    As JSON: a bytes key keeps its hash and compares in one memcmp, where a tuple of a 114-node graph's ~1,500
    entries was hashed and compared entry by entry at each of a request's two lookups (~40 us)."""
    limits = (layout.MAX_LAYOUT_BOXES, layout.MAX_LAYOUT_BENDS, views.FOLD_CONSTS_OVER_NODES,
              views.OPENING_VIEW_MAX_BOXES)
    return to_json((limits, graph["root"], None if open is None else sorted(open),
                    list(map(NODE_STRUCTURE, graph["nodes"])), list(map(EDGE_STRUCTURE, graph["edges"])),
                    [step["node"] for step in graph["backward_steps"]], list(map(GROUP_STRUCTURE, graph["groups"]))))


NODE_STRUCTURE = itemgetter("id", "group", "kind", "shape")
EDGE_STRUCTURE = itemgetter("id", "source", "target")
GROUP_STRUCTURE = itemgetter("id", "parent", "label", "index")


PLANS_KEPT = 16
# view_structure -> (the view, the record's edges each of its edges carries, the plan)
plans: OrderedDict[bytes, tuple[dict[str, Any], list[list[int]], ViewPlan]] = OrderedDict()
plans_lock = threading.Lock()


def record_and_view(source: str, root: str | None, options: GraphOptions, open: set[str] | None,
                    layout: bool) -> tuple[bytes, ViewPlan]:
    """In the worker: the record's JSON (app.graph.record_json's bytes) and the plan of the view asked for."""
    graph, sources = graph_and_sources(source, root, options)
    free_after_reply(graph, sources)
    record = to_json(graph)  # before the view is built: nothing of the record may change after this
    if not layout:
        return record, ViewPlan(to_json(build_view(graph, open)))
    return record, plan_view(graph, open)


def view_fields_json(plan: ViewPlan, direction: str) -> bytes:
    """The response's last fields as JSON, `{"layout":...,"layout_reason":...,"view":...}`, the bytes
    to_json writes for them; raises LayoutUnavailable when dot cannot lay the planned structure out."""
    layout = b"null" if plan.structure is None else placed_json(plan.structure, direction, *plan.ids)
    return b'{"layout":' + layout + b',"layout_reason":' + to_json(plan.reason) + b',"view":' + plan.view + b"}"

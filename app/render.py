"""Static drawings for slides and notebooks: a view of the graph drawn by Graphviz as SVG, PNG or DOT.

Collapsed function calls are one box ("neuron #2" with its output's value and grad) and open ones
are frames, so a program of thousands of nodes still makes a drawing a person can read.
"""

from typing import Any

import graphviz

from app.layout import DIRECTIONS, LayoutUnavailable, collapsed_views, run_dot, view_clusters
from app.limits import LAYOUT_TIMEOUT_S, MAX_LAYOUT_BOXES
from app.number_format import format_shape, format_value
from app.view import ViewBuilder

MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "dot": "text/vnd.graphviz; charset=utf-8"}
KIND_FILL = {"leaf": "#dbeafe", "const": "#e5e7eb", "op": "#ffffff"}
GROUP_FILL = "#fef9c3"
FRAME_COLOR = "#94a3b8"
SUM_COLOR = "#b45309"
MAX_OUTPUTS_SHOWN = 3
MAX_FOLDED_SHOWN = 2
FONT = "DejaVu Sans"


def call_name(group: dict[str, Any]) -> str:
    return f"{group['label']} #{group['index']}"


def label(lines: list[str]) -> str:
    """User text (names, labels) only ever reaches DOT escaped, inside a quoted label: never as an HTML-like
    label, which the joined text would be taken for when it starts with '<' and ends with '>'."""
    return graphviz.nohtml("\\n".join(graphviz.escape(line) for line in lines))


class ViewDrawing:
    """DOT for one view of a graph record, with generated ids only, laid out in `rankdir` (a key of
    app.layout.DIRECTIONS: LR inputs left and the root right, TB inputs above and the root below)."""

    def __init__(self, graph: dict[str, Any], view: dict[str, Any], rankdir: str = "LR") -> None:
        self.view = view
        self.rankdir = DIRECTIONS[rankdir]
        self.nodes = {n["id"]: n for n in graph["nodes"]}
        self.arg_of = {e["id"]: e["arg"] for e in graph["edges"]}
        self.groups = {g["id"]: g for g in graph.get("groups") or []}
        self.folded_in: dict[str, list[str]] = {}
        for const, consumer in view["folded"].items():
            self.folded_in.setdefault(consumer, []).append(const)
        clusters = view_clusters(graph, view)
        self.boxes_in: dict[str | None, list[dict]] = {g: [] for g in [None, *clusters]}
        for box in view["boxes"]:
            self.boxes_in[box["parent"]].append(box)
        self.frames_in: dict[str | None, list[str]] = {g: [] for g in [None, *clusters]}
        for g in clusters:
            self.frames_in[self.groups[g]["parent"]].append(g)

    def source(self) -> str:
        dot = graphviz.Digraph(graph_attr={"rankdir": self.rankdir, "fontname": FONT, **self.graph_attrs()},
                               node_attr={"shape": "box", "style": "rounded,filled", "fontname": FONT,
                                          "fontsize": "11"},
                               edge_attr={"color": "#475569"})
        self.fill(dot, None)
        for edge in self.view["edges"]:
            dot.edge(edge["source"], edge["target"], **self.edge_attrs(edge))
        return dot.source

    # What a drawing of one moment of the backward pass (app/animation.py) draws differently.

    def graph_attrs(self) -> dict[str, str]:
        return {}

    def frame_attrs(self, group_id: str) -> dict[str, str]:
        return {}

    def box_attrs(self, box_id: str) -> dict[str, str]:
        return {}

    def grad_text(self, node_id: str) -> str:
        return f"grad {format_value(self.nodes[node_id]['grad'])}"

    def edge_attrs(self, edge: dict[str, Any]) -> dict[str, str]:
        first = self.edge_arg(edge)
        return {"label": str(first), "fontsize": "9"} if first else {"fontsize": "9"}

    def fill(self, dot: graphviz.Digraph, parent: str | None) -> None:
        for box in self.boxes_in[parent]:
            if box["kind"] == "group":
                self.group_box(dot, box)
            else:
                self.node_box(dot, self.nodes[box["id"]])
        for g in self.frames_in[parent]:
            with dot.subgraph(name=f"cluster_{g}") as frame:
                frame.attr(label=label([call_name(self.groups[g])]), labeljust="l", style="rounded,dashed",
                           color=FRAME_COLOR, fontname=FONT, fontsize="10", **self.frame_attrs(g))
                self.fill(frame, g)

    def title(self, node: dict[str, Any]) -> str:
        if node["label"] and node["op"]:
            return f"{node['label']} = {node['op']}"
        return str(node["label"] or node["op"] or node["kind"])

    def node_box(self, dot: graphviz.Digraph, node: dict[str, Any]) -> None:
        title = self.title(node)
        shape = f"  shape {format_shape(node['shape'])}" if node["shape"] else ""
        lines = [title + shape, f"value {format_value(node['value'])}", self.grad_text(node["id"])]
        consts = self.folded_in.get(node["id"], [])
        lines += [f"with {format_value(self.nodes[c]['value'])}" for c in consts[:MAX_FOLDED_SHOWN]]
        if len(consts) > MAX_FOLDED_SHOWN:
            lines.append(f"and {len(consts) - MAX_FOLDED_SHOWN} more constants")
        attrs = {"fillcolor": KIND_FILL[node["kind"]]}
        if "sum" in node["flags"]:
            lines[0] = "Σ " + lines[0]
            attrs.update(color=SUM_COLOR, penwidth="2.5", peripheries="2")
        if {"nan", "inf"} & set(node["flags"]):
            attrs.update(color="#7c3aed", penwidth="2.5", style="rounded,filled,dashed")
        attrs.update(self.box_attrs(node["id"]))
        dot.node(node["id"], label(lines), **attrs)

    def group_box(self, dot: graphviz.Digraph, box: dict[str, Any]) -> None:
        lines = [f"{call_name(self.groups[box['id']])}  ({box['members']} nodes)"]
        for out in box["outputs"][:MAX_OUTPUTS_SHOWN]:
            node = self.nodes[out]
            lines.append(f"value {format_value(node['value'])}  {self.grad_text(out)}")
        if len(box["outputs"]) > MAX_OUTPUTS_SHOWN:
            lines.append(f"and {len(box['outputs']) - MAX_OUTPUTS_SHOWN} more outputs")
        attrs = {"fillcolor": GROUP_FILL, "style": "filled", "penwidth": "1.5", **self.box_attrs(box["id"])}
        dot.node(box["id"], label(lines), **attrs)

    def edge_arg(self, edge: dict[str, Any]) -> int | None:
        """The argument position, for a view edge that stands for one edge of the graph."""
        return self.arg_of[edge["edges"][0]] if len(edge["edges"]) == 1 else None


def render(graph: dict[str, Any], open: set[str] | None, fmt: str, direction: str = "LR") -> bytes:
    """The drawing in `fmt` of the view with `open` open (None: the opening view), laid out in `direction`
    (LR or TB, as the page shows it), collapsed further when Graphviz cannot draw it in time; raises
    LayoutUnavailable when even every group closed fails."""
    builder = ViewBuilder(graph)
    first_error: LayoutUnavailable | None = None
    for view, _ in collapsed_views(builder, builder.view(open)):
        source = ViewDrawing(graph, view, direction).source()
        if fmt == "dot":
            return source.encode()
        try:
            if len(view["boxes"]) > MAX_LAYOUT_BOXES:
                raise LayoutUnavailable(f"the view has {len(view['boxes'])} boxes; drawings are made up to "
                                        f"{MAX_LAYOUT_BOXES}")
            return run_dot(source, fmt, timeout_s=LAYOUT_TIMEOUT_S * 2)
        except LayoutUnavailable as e:
            first_error = first_error or e
    assert first_error is not None
    raise first_error

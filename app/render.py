"""Static drawings for slides and notebooks: the graph record drawn by Graphviz as SVG, PNG or DOT."""

from typing import Any

import graphviz

from app.layout import LAYOUT_TIMEOUT_S, MAX_LAYOUT_NODES, LayoutUnavailable, run_dot

MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "dot": "text/vnd.graphviz; charset=utf-8"}
KIND_FILL = {"leaf": "#dbeafe", "const": "#e5e7eb", "op": "#ffffff"}
SUM_COLOR = "#b45309"


def short(value: Any) -> str:
    """A value as a label shows it: 4 significant digits, tensors by shape."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (str, type(None))):
        return str(value)
    if isinstance(value, dict):
        return "…"
    flat: list = value
    while flat and isinstance(flat[0], list):
        flat = [x for row in flat for x in row]
    head = ", ".join(short(x) for x in flat[:4])
    return f"[{head}{', …' if len(flat) > 4 else ''}]"


def graph_dot(graph: dict[str, Any]) -> str:
    """DOT with generated ids; user text (labels) only inside quoted, escaped label attributes."""
    dot = graphviz.Digraph(graph_attr={"rankdir": "LR", "fontname": "DejaVu Sans"},
                           node_attr={"shape": "box", "style": "rounded,filled", "fontname": "DejaVu Sans",
                                      "fontsize": "11"},
                           edge_attr={"color": "#475569"})
    for node in graph["nodes"]:
        title = node["label"] or node["op"] or "const"
        if node["label"] and node["op"]:
            title = f"{node['label']} = {node['op']}"
        shape = f"  shape {tuple(node['shape'])}" if node["shape"] else ""
        lines = [title + shape, f"value {short(node['value'])}", f"grad {short(node['grad'])}"]
        attrs = {"fillcolor": KIND_FILL[node["kind"]]}
        if "sum" in node["flags"]:
            lines[0] = "Σ " + lines[0]
            attrs.update(color=SUM_COLOR, penwidth="2.5", peripheries="2")
        if {"nan", "inf"} & set(node["flags"]):
            attrs.update(color="#7c3aed", penwidth="2.5", style="rounded,filled,dashed")
        dot.node(node["id"], "\\n".join(graphviz.escape(line) for line in lines), **attrs)
    for edge in graph["edges"]:
        dot.edge(edge["source"], edge["target"], label=f"{edge['arg']}" if edge["arg"] else None, fontsize="9")
    return dot.source


def render(graph: dict[str, Any], fmt: str) -> bytes:
    """The drawing in `fmt`; raises LayoutUnavailable when Graphviz cannot do it in time."""
    source = graph_dot(graph)
    if fmt == "dot":
        return source.encode()
    if len(graph["nodes"]) > MAX_LAYOUT_NODES:
        raise LayoutUnavailable(f"the graph has {len(graph['nodes'])} nodes; drawings are made up to {MAX_LAYOUT_NODES}")
    return run_dot(source, fmt, timeout_s=LAYOUT_TIMEOUT_S * 2)

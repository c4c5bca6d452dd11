"""The page in a notebook's output cell: `show(L)` for a root Tensor built with the engine, or
`show("a = 2.0\\nL = a*a + a")` for program text.

    from app.notebook import show
    show(L)

The output is the whole page (graph, player, inspector, bug modes) in an iframe's `srcdoc`, made by
app/offline_page.py: styles and modules inlined, and every answer the page asks the API for
computed here up front and embedded: the graph record in each bug mode, the views of its groups
with their layouts, the gradient check. It fetches nothing, so it works offline and in a notebook
opened later. It is plain HTML output (an iframe, as folium's maps are), which Jupyter, JupyterLab
and VS Code display; the tests open it in Chromium. Editing the program, another call of a training
loop, and views beyond the embedded ones need the server (`python -m app serve`); the page says so.

A Tensor has no program text: an adapter presents its graph to GraphWriter as an evaluated program
whose nodes are the root's graph in topological order, with its labels and no source spans.
"""

import html
import json
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import Any, get_args

import numpy as np

from app.graph import GraphOptions, GraphWriter, build_graph, gradcheck_section, run_backward
from app.language import Program
from app.language.reference import reference
from app.layout import lay_out_view
from app.offline_page import offline_page
from app.schemas import Mode
from app.view import ViewBuilder, group_number
from engine import MODES as ENGINE_MODES
from engine import Tensor, topological_order
from engine.paths import top_paths

PAGE_MAX_PATHS = 16
"""Paths per leaf, as many as the page asks for (static/api.js)."""

MAX_EMBEDDED_VIEWS = 32
"""Views of a graph with groups embedded per mode (each open set the page may ask for is one view):
every combination when there are no more, else the opening view, each step of closing it level by
level (as the page does to fit the window), and the views one group away from the opening one."""

DEFAULT_HEIGHT = 720
PROGRAM_MODES = get_args(Mode)  # the API's modes; a Tensor gets the engine's (the others need a program)
TENSOR_SOURCE = ("# show(L): a Tensor built in Python.\n"
                 "# To edit the program here, show its text:\n"
                 "# show(\"a = 2.0\\nL = a*a + a\")\n")
NOTE = ("Made by show() in a notebook: stepping, the inspector, the bug modes and the gradient check work "
        "offline; running an edited program needs the server (python -m app serve).")


@dataclass(frozen=True)
class NotebookPage:
    """What show() returns. Jupyter, JupyterLab and VS Code display it through `_repr_html_`;
    `save(path)` writes the page as a file to open in a browser."""

    document: str
    height: int
    summary: str

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.document, quote=True)}" '
                f'title="chainrule: {html.escape(self.summary)}" '
                f'style="width: 100%; height: {self.height}px; border: 1px solid #8884; border-radius: 4px;" '
                'allow="fullscreen; clipboard-write"></iframe>')

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.document, encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"<chainrule page: {self.summary}>"


def show(what: Tensor | str, root: str | None = None, height: int = DEFAULT_HEIGHT) -> NotebookPage:
    """The interactive page for a root Tensor, or for a program's text (`root`: the variable to
    backpropagate from, as in the API). Raises ExpressionError for a program with an error."""
    if isinstance(what, Tensor):
        source = TENSOR_SOURCE
        graphs, gradcheck = tensor_records(what)
    elif isinstance(what, str):
        source = what
        graphs, gradcheck = program_records(what, root)
    else:
        raise TypeError(f"show() takes an engine Tensor or a program's text, not {type(what).__name__}")
    answers = page_answers(source, graphs, gradcheck)
    correct = graphs["correct"]
    summary = f"{len(correct['nodes'])} nodes, {len(correct['backward_steps'])} backward steps"
    return NotebookPage(offline_page(answers), height, summary)


def program_records(source: str, root: str | None) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """The record of a program in every mode the API offers, and its gradient check (the same in every mode)."""
    graphs = {}
    for mode in PROGRAM_MODES:
        graphs[mode] = build_graph(source, root, GraphOptions(mode=mode, max_paths=PAGE_MAX_PATHS,
                                                              gradcheck=mode == "correct"))
    return graphs, without_gradcheck(graphs["correct"])


def tensor_program(root: Tensor) -> Program:
    """A Tensor's graph as GraphWriter reads an evaluated program: the nodes in topological order
    (which numbers their ids), the leaves among them, no variables, source spans, groups or output."""
    nodes = topological_order(root)
    return Program(root=root, root_name=root.label, variables={}, leaves=[t for t in nodes if t.op is None],
                   spans={}, nodes=nodes)


def tensor_records(root: Tensor) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """The record of a Tensor's graph in every engine mode, and its gradient check; as the API's
    build_graph writes a program's. The Tensors' own `.grad` are left as they were."""
    program = tensor_program(root)
    nodes = program.nodes
    ids = {t: f"n{i}" for i, t in enumerate(nodes)}
    grads_before = [t.grad for t in nodes]
    graphs = {}
    try:
        with np.errstate(all="ignore"):
            correct = run_backward(program, nodes, "correct")
            correct_grads = {t: t.grad for t in nodes}
            paths = top_paths(root, correct.seed, k=PAGE_MAX_PATHS)
            check = gradcheck_section(root, correct.seed, nodes, ids)
            for mode in ENGINE_MODES:
                record = correct if mode == "correct" else run_backward(program, nodes, mode)
                graphs[mode] = GraphWriter(program, nodes, ids, record, mode).write(correct_grads, paths, None)
    finally:
        for t, grad in zip(nodes, grads_before, strict=True):
            t.grad = grad
    return graphs, check


def without_gradcheck(graph: dict[str, Any]) -> dict[str, Any] | None:
    """Take the gradient check out of a record: the page asks for it separately."""
    check = graph["gradcheck"]
    graph["gradcheck"] = None
    return check


def page_answers(source: str, graphs: dict[str, dict[str, Any]], gradcheck: dict[str, Any] | None) -> dict[str, Any]:
    """What static/embedded.js answers the page from. Views and layouts are stored once in `parts`
    and named by index: the bug modes share the layouts, and often the views."""
    parts: list[Any] = []
    index: dict[str, int] = {}

    def part(value: Any) -> int:
        key = json.dumps(value, sort_keys=True)
        if key not in index:
            index[key] = len(parts)
            parts.append(value)
        return index[key]

    views = {mode: {key: {"view": part(view), "layout": part(layout), "layout_reason": reason}
                    for key, (view, layout, reason) in embedded_views(graph).items()}
             for mode, graph in graphs.items()}
    return {
        "source": source,
        "examples": [{"id": "notebook", "title": "show()", "source": source, "note": NOTE}],
        "language": reference(),
        "graphs": graphs,
        "gradcheck": gradcheck,
        "views": views,
        "parts": parts,
        "missing": {mode: f"The {mode} bug needs a program's text: call show() with the program."
                    for mode in PROGRAM_MODES if mode not in graphs},
    }


View = tuple[dict[str, Any], dict[str, Any] | None, str | None]


def embedded_views(graph: dict[str, Any]) -> dict[str, View]:
    """The answers to /api/view (view, layout, layout_reason) for the open sets the page may ask for,
    by static/embedded.js's key: "*" for the view the server chooses, else the open groups by number."""
    views = {"*": lay_out_view(graph, None)}
    builder = ViewBuilder(graph)
    for open_set in candidate_open_sets(graph, builder, views["*"][0]["open"]):
        shown = builder.visible_open(open_set)
        key = ",".join(sorted(shown, key=group_number))
        if key not in views:
            views[key] = lay_out_view(graph, shown)
    return views


def candidate_open_sets(graph: dict[str, Any], builder: ViewBuilder, opening: list[str]) -> list[set[str]]:
    """Every set of open groups the page can show (a group shows open only inside open ancestors),
    when there are at most MAX_EMBEDDED_VIEWS; else the opening set closed level by level, then the
    sets one group away from the opening one, up to MAX_EMBEDDED_VIEWS."""
    groups = [g["id"] for g in graph.get("groups") or []]
    if not groups:
        return []
    children: dict[str | None, list[str]] = {None: [], **{g: [] for g in groups}}
    for g in groups:
        chain = builder.chain[g]
        children[chain[-2] if len(chain) > 1 else None].append(g)

    def count(g: str) -> int:  # the open sets of g's subtree: g closed, or g open and any of its children's
        return 1 + prod(min(count(c), MAX_EMBEDDED_VIEWS + 1) for c in children[g])

    def every(tops: list[str]) -> list[set[str]]:
        sets: list[set[str]] = [set()]
        for g in tops:
            sets = [s | t for s in sets for t in [set(), *({g} | u for u in every(children[g]))]]
        return sets

    if prod(min(count(g), MAX_EMBEDDED_VIEWS + 1) for g in children[None]) <= MAX_EMBEDDED_VIEWS:
        return every(children[None])
    depth = {g: len(builder.chain[g]) for g in groups}
    sets = []
    level = set(opening)
    while level:
        deepest = max(depth[g] for g in level)
        level = {g for g in level if depth[g] < deepest}
        sets.append(level)
    sets += [set(opening) ^ {g} for g in groups]
    return sets[:MAX_EMBEDDED_VIEWS - 1]

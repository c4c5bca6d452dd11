"""The request pipeline: evaluate in a sandbox worker, then build the view and lay it out here (cached).

The evaluated graph record is cached on its own, keyed by what evaluation depends on, so asking for
another view of the same program (opening a function call) does not run the program again.
"""

import json
from typing import Any

from app.graph import GraphOptions, build_graph
from app.layout import lay_out_view
from app.render import render
from app.response_cache import ResponseCache
from app.sandbox import Sandbox
from app.schemas import GraphRequest, ProgramRequest, RenderRequest, ViewRequest
from app.step_table import step_table_csv, step_table_markdown
from app.view import build_view

responses = ResponseCache()


def to_json(data: Any) -> bytes:
    """Compact and deterministic: the same request gives byte-identical JSON."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()


def cache_key(kind: str, request: ProgramRequest) -> str:
    """ASCII-escaped JSON (lone surrogates are fine); the open set sorted, as order does not matter."""
    fields = request.model_dump()
    if fields.get("open") is not None:
        fields["open"] = sorted(set(fields["open"]))
    return kind + " " + json.dumps(fields, sort_keys=True)


def evaluated_graph(sandbox: Sandbox, request: ProgramRequest) -> dict[str, Any]:
    """The evaluated graph record (no view, no layout): run in the sandbox, or read back from the cache,
    where it is kept as JSON under a key of what evaluation depends on."""
    program = ProgramRequest(**request.model_dump(include=set(ProgramRequest.model_fields)))
    options = GraphOptions(mode=program.mode, max_paths=program.max_paths, gradcheck=program.gradcheck,
                           call=program.call)
    fresh: list[dict[str, Any]] = []

    def evaluate() -> bytes:
        fresh.append(sandbox.run(build_graph, program.source, program.root, options))
        return to_json(fresh[0])

    body = responses.get_or_compute(cache_key("record", program), evaluate)
    return fresh[0] if fresh else json.loads(body)  # just made: no need to parse it back


def open_set(request: GraphRequest | ViewRequest) -> set[str] | None:
    return None if request.open is None else set(request.open)


def compute_graph(sandbox: Sandbox, request: GraphRequest) -> dict[str, Any]:
    """The full graph record for a request; user-facing errors propagate as ExpressionError."""
    graph = evaluated_graph(sandbox, request)
    if request.layout:
        graph["view"], graph["layout"], graph["layout_reason"] = lay_out_view(graph, open_set(request))
    else:
        graph["view"] = build_view(graph, open_set(request))
    return graph


def graph_json(sandbox: Sandbox, request: GraphRequest) -> bytes:
    """The response body for a request, from the cache when the same request was answered before."""
    return responses.get_or_compute(cache_key("graph", request), lambda: to_json(compute_graph(sandbox, request)))


def compute_view(sandbox: Sandbox, request: ViewRequest) -> dict[str, Any]:
    """Another view of a program's graph, with its layout."""
    graph = evaluated_graph(sandbox, request)
    view, layout, reason = lay_out_view(graph, open_set(request))
    return {"view": view, "layout": layout, "layout_reason": reason}


def view_json(sandbox: Sandbox, request: ViewRequest) -> bytes:
    return responses.get_or_compute(cache_key("view", request), lambda: to_json(compute_view(sandbox, request)))


def drawing(sandbox: Sandbox, request: RenderRequest) -> bytes:
    """A static drawing of the view asked for, or the step table; raises LayoutUnavailable when
    Graphviz cannot make the drawing."""
    if request.format == "csv":
        return step_table_csv(evaluated_graph(sandbox, request))
    if request.format == "md":
        return step_table_markdown(evaluated_graph(sandbox, request))
    return render(evaluated_graph(sandbox, request), open_set(request), request.format)

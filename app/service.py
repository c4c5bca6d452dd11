"""The request pipeline: evaluate in a sandbox worker, then build the view and lay it out here (cached).

The evaluated graph record is cached on its own, as the JSON the worker wrote, keyed by what evaluation
depends on, so asking for another view of the same program (opening a function call) does not run the
program again; the graph response is that JSON with the view and layout written after it.
"""

import json
from typing import Any

from app.admission import cheap_shape
from app.animation import MEDIA_TYPES as ANIMATION_TYPES
from app.animation import animate
from app.encode import from_json, to_json
from app.graph import GraphOptions, record_json
from app.layout import lay_out_view
from app.render import render
from app.response_cache import ResponseCache
from app.sandbox import Sandbox
from app.schemas import GraphRequest, ProgramRequest, RenderRequest, ViewRequest
from app.step_table import step_table_csv, step_table_markdown
from app.view import build_view

responses = ResponseCache()
UNLAID = b'"layout":null,"layout_reason":null}'  # how a record's JSON ends (app.graph writes these last)


def cache_key(kind: str, request: ProgramRequest) -> str:
    """ASCII-escaped JSON (lone surrogates are fine); the open set sorted, as order does not matter."""
    fields = request.model_dump()
    if fields.get("open") is not None:
        fields["open"] = sorted(set(fields["open"]))
    return kind + " " + json.dumps(fields, sort_keys=True)


def evaluated_json(sandbox: Sandbox, request: ProgramRequest) -> bytes:
    """The evaluated graph record's JSON (no view, no layout), written in a sandbox worker (a program that
    looks cheap runs in the cheap lane), or from the cache, under a key of what evaluation depends on."""
    program = ProgramRequest(**request.model_dump(include=set(ProgramRequest.model_fields)))
    options = GraphOptions(mode=program.mode, max_paths=program.max_paths, gradcheck=program.gradcheck,
                           call=program.call)
    return responses.get_or_compute(cache_key("record", program), lambda: sandbox.run(
        record_json, program.source, program.root, options, cheap=cheap_shape(program.source)))


def evaluated_graph(sandbox: Sandbox, request: ProgramRequest) -> dict[str, Any]:
    """The evaluated graph record, parsed back from its JSON."""
    return from_json(evaluated_json(sandbox, request))


def open_set(request: GraphRequest | ViewRequest) -> set[str] | None:
    return None if request.open is None else set(request.open)


def view_fields(graph: dict[str, Any], request: GraphRequest) -> dict[str, Any]:
    """The last fields of a graph response: the view asked for and, when asked, its layout."""
    if not request.layout:
        return {"layout": None, "layout_reason": None, "view": build_view(graph, open_set(request))}
    view, layout, reason = lay_out_view(graph, open_set(request), request.direction)
    return {"layout": layout, "layout_reason": reason, "view": view}


def compute_graph(sandbox: Sandbox, request: GraphRequest) -> dict[str, Any]:
    """The full graph record for a request; user-facing errors propagate as ExpressionError."""
    graph = evaluated_graph(sandbox, request)
    graph.update(view_fields(graph, request))
    return graph


def graph_json(sandbox: Sandbox, request: GraphRequest) -> bytes:
    """The response body for a request, from the cache when the same request was answered before: the
    worker's JSON of the record, its last fields replaced, so the server writes only the view and layout
    (the same bytes as to_json(compute_graph(...)))."""
    def compute() -> bytes:
        record = evaluated_json(sandbox, request)
        assert record.endswith(UNLAID), "a graph record's JSON ends with its layout fields"
        return record[:-len(UNLAID)] + to_json(view_fields(from_json(record), request))[1:]

    return responses.get_or_compute(cache_key("graph", request), compute)


def compute_view(sandbox: Sandbox, request: ViewRequest) -> dict[str, Any]:
    """Another view of a program's graph, with its layout."""
    graph = evaluated_graph(sandbox, request)
    view, layout, reason = lay_out_view(graph, open_set(request), request.direction)
    return {"view": view, "layout": layout, "layout_reason": reason}


def view_json(sandbox: Sandbox, request: ViewRequest) -> bytes:
    return responses.get_or_compute(cache_key("view", request), lambda: to_json(compute_view(sandbox, request)))


def drawing(sandbox: Sandbox, request: RenderRequest) -> bytes:
    """A static drawing of the view asked for, its backward pass as an animation, or the step table;
    raises LayoutUnavailable when Graphviz cannot make the drawing or the animation is past its bounds."""
    if request.format == "csv":
        return step_table_csv(evaluated_graph(sandbox, request))
    if request.format == "md":
        return step_table_markdown(evaluated_graph(sandbox, request))
    if request.format in ANIMATION_TYPES:
        return animate(evaluated_graph(sandbox, request), open_set(request), request.format, request.source,
                       request.direction)
    return render(evaluated_graph(sandbox, request), open_set(request), request.format, request.direction)

"""The request pipeline: evaluate in a sandbox worker, then build the view and lay it out here (cached).

The evaluated graph record is cached on its own, as the JSON the worker wrote, keyed by what evaluation
depends on, so asking for another view of the same program (opening a function call) does not run the
program again; the graph response is that JSON with the view and layout written after it.
"""

import json
from contextlib import suppress
from typing import Any

from starlette.concurrency import run_in_threadpool

from app.admission import cheap_shape
from app.animation import MEDIA_TYPES as ANIMATION_TYPES
from app.animation import animate
from app.encode import from_json, to_json
from app.first_view import ViewPlan, record_and_view, view_fields_json
from app.graph import GraphOptions, record_json
from app.layout import DotRefused, LayoutUnavailable, Structure, lay_out_view, without_dot
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


def evaluation(request: ProgramRequest) -> tuple[ProgramRequest, GraphOptions]:
    """What evaluation depends on, alone (the record's cache key), and as the worker takes it."""
    program = ProgramRequest(**request.model_dump(include=set(ProgramRequest.model_fields)))
    return program, GraphOptions(mode=program.mode, max_paths=program.max_paths, gradcheck=program.gradcheck,
                                 call=program.call)


def evaluated_json(sandbox: Sandbox, request: ProgramRequest) -> bytes:
    """The evaluated graph record's JSON (no view, no layout), written in a sandbox worker (a program that
    looks cheap runs in the cheap lane), or from the cache, under a key of what evaluation depends on."""
    program, options = evaluation(request)
    return responses.get_or_compute(cache_key("record", program), lambda: sandbox.run(
        record_json, program.source, program.root, options, cheap=cheap_shape(program.source)))


def evaluated_graph(sandbox: Sandbox, request: ProgramRequest) -> dict[str, Any]:
    """The evaluated graph record, parsed back from its JSON."""
    return from_json(evaluated_json(sandbox, request))


def open_set(request: GraphRequest | ViewRequest) -> set[str] | None:
    return None if request.open is None else set(request.open)


def view_fields(graph: dict[str, Any], request: GraphRequest,
                failed: tuple[Structure, LayoutUnavailable] | None = None) -> dict[str, Any]:
    """The last fields of a graph response: the view asked for and, when asked, its layout (`failed`: see
    app.layout.layout_view)."""
    if not request.layout:
        return {"layout": None, "layout_reason": None, "view": build_view(graph, open_set(request))}
    view, layout, reason = lay_out_view(graph, open_set(request), request.direction, failed)
    return {"layout": layout, "layout_reason": reason, "view": view}


def compute_graph(sandbox: Sandbox, request: GraphRequest) -> dict[str, Any]:
    """The full graph record for a request; user-facing errors propagate as ExpressionError."""
    graph = evaluated_graph(sandbox, request)
    graph.update(view_fields(graph, request))
    return graph


async def graph_json(sandbox: Sandbox, request: GraphRequest) -> bytes:
    """The response body for a request, from the cache when the same request was answered before: the
    worker's JSON of the record, its last fields replaced, so the server writes only the view and layout
    (the same bytes as to_json(compute_graph(...))). A program not evaluated yet comes back from the worker
    with the view planned there (app.first_view); the record is cached as evaluated_json caches it.

    Computed on the event loop, which awaits the worker (app.sandbox.Sandbox.run_from_loop) and writes the
    last fields when their layout is cached; the rest (a layout for dot to make, a view of a record read
    back) is done in a thread."""
    async def compute() -> bytes:
        program, options = evaluation(request)
        plans: list[ViewPlan] = []

        async def evaluate() -> bytes:
            record, plan = await sandbox.run_from_loop(record_and_view, program.source, program.root, options,
                                                       open_set(request), request.layout,
                                                       cheap=cheap_shape(program.source))
            plans.append(plan)
            return record

        record = await responses.get_or_compute_from_loop(cache_key("record", program), evaluate)
        assert record.endswith(UNLAID), "a graph record's JSON ends with its layout fields"
        plan = plans[0] if plans else None
        fields = None
        if plan is not None:  # (else the view is made from the record read back: too long for the loop)
            with suppress(DotRefused), without_dot():
                fields = last_fields(record, plan, request)
        if fields is None:
            fields = await run_in_threadpool(last_fields, record, plan, request)
        return record[:-len(UNLAID)] + fields[1:]

    return await responses.get_or_compute_from_loop(cache_key("graph", request), compute)


def last_fields(record: bytes, plan: ViewPlan | None, request: GraphRequest) -> bytes:
    """The view and layout fields' JSON: from the worker's plan when this request evaluated the program;
    else (the record was cached, or dot failed on the planned view) from the record read back."""
    failed = None
    if plan is not None:
        try:
            return view_fields_json(plan, request.direction)
        except LayoutUnavailable as e:
            assert plan.structure is not None  # only laying a structure out can fail
            failed = (plan.structure, e)
    return to_json(view_fields(from_json(record), request, failed))


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

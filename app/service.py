"""The request pipeline: evaluate in a sandbox worker, then lay out in this process (cached)."""

import json
from typing import Any

from app.graph import GraphOptions, build_graph
from app.layout import LayoutUnavailable, layout_graph
from app.response_cache import ResponseCache
from app.sandbox import Sandbox
from app.schemas import GraphRequest

responses = ResponseCache()


def compute_graph(sandbox: Sandbox, request: GraphRequest) -> dict[str, Any]:
    """The full graph record for a request; user-facing errors propagate as ExpressionError."""
    options = GraphOptions(mode=request.mode, max_paths=request.max_paths, gradcheck=request.gradcheck)
    graph = sandbox.run(build_graph, request.source, request.root, options)
    if request.layout:
        try:
            graph["layout"] = layout_graph(graph)
        except LayoutUnavailable as e:
            graph["layout_reason"] = str(e)
    return graph


def to_json(data: Any) -> bytes:
    """Compact and deterministic: the same request gives byte-identical JSON."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()


def graph_json(sandbox: Sandbox, request: GraphRequest) -> bytes:
    """The response body for a request, from the cache when the same request was answered before."""
    key = json.dumps(request.model_dump(), sort_keys=True)  # ASCII-escaped: lone surrogates are fine
    return responses.get_or_compute(key, lambda: to_json(compute_graph(sandbox, request)))

"""The request pipeline: evaluate in a sandbox worker, then lay out in this process (cached)."""

import json
from typing import Any

from app.graph import GraphOptions, build_graph
from app.layout import LayoutUnavailable, layout_graph
from app.sandbox import Sandbox
from app.schemas import GraphRequest


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

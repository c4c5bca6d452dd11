"""The view planned in the sandbox worker (app.first_view) answers the bytes of the view built from the record
read back, whatever happens to the layout: laid out, collapsed past Graphviz's limits, refused, not asked
for, or failed in dot."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import layout as layout_module
from app.encode import from_json, to_json
from app.first_view import plan_view, plans, record_and_view
from app.graph import GraphOptions, build_graph, record_json
from app.layout import LayoutUnavailable, layout_structure
from app.schemas import GraphRequest
from app.service import last_fields, view_fields
from tests.micrograd_programs import mlp_program

FUNCTIONS = "def f(u, v):\n    return tanh(u * v + 1)\n\na = 2\nb = -3\nL = f(a, b) * f(b, a)"
MLP = mlp_program(2, [2, 1], [[2.0, 3.0]], [1.0], seed=3)
CHAIN = "w=0.5\nx=1\n" + "x=x*w+0.1\n" * 200  # w feeds every line: long edges, refused before dot runs
LAID_OUT = b'"layout":{"width":'
CASES = [  # (name, source, open groups, layout asked, direction, what the fields hold)
    ("diamond", "a = 2\nb = 3\nc = 4\nL = (a*b + c) * (a - c)", None, True, "LR", LAID_OUT),
    ("functions, opening view", FUNCTIONS, None, True, "TB", LAID_OUT),
    ("functions, all closed", FUNCTIONS, [], True, "LR", LAID_OUT),
    ("mlp, every group open", MLP, [f"g{i}" for i in range(40)], True, "LR", b'"clusters":{"g0":'),
    ("mlp, no layout", MLP, ["g0"], False, "LR", b'"layout":null,"layout_reason":null'),
    ("long edges", CHAIN, None, True, "LR", b'"layout":null,"layout_reason":"the view has long edges'),
]


def both_ways(source: str, open: list[str] | None, layout: bool, direction: str) -> tuple[bytes, bytes]:
    """The last fields from the worker's plan, and from the record read back."""
    request = GraphRequest(source=source, open=open, layout=layout, direction=direction)
    record, plan = record_and_view(source, None, GraphOptions(), None if open is None else set(open), layout)
    assert record == record_json(source)
    return last_fields(record, plan, request), to_json(view_fields(from_json(record), request))


@pytest.mark.parametrize("name,source,open,layout,direction,holds", CASES, ids=[c[0] for c in CASES])
def test_the_planned_view_is_the_view_of_the_record_read_back(name, source, open, layout, direction, holds):
    planned, read_back = both_ways(source, open, layout, direction)
    assert planned == read_back
    assert holds in planned


def test_a_view_past_the_box_limit_is_planned_collapsed_with_its_reason(monkeypatch):
    monkeypatch.setattr(layout_module, "MAX_LAYOUT_BOXES", 12)
    planned, read_back = both_ways(MLP, [f"g{i}" for i in range(40)], True, "LR")
    assert planned == read_back
    assert b"Graphviz lays out up to 12" in planned


def test_when_dot_fails_on_the_planned_view_it_is_not_run_again_on_it(monkeypatch):
    layout_structure.cache_clear()
    calls = []

    def run_dot(source, fmt, timeout_s=layout_module.LAYOUT_TIMEOUT_S):
        calls.append(source)
        raise LayoutUnavailable("Graphviz took longer than 1.5 s on this view")

    monkeypatch.setattr(layout_module, "run_dot", run_dot)
    request = GraphRequest(source=MLP, open=[f"g{i}" for i in range(40)])
    record, plan = record_and_view(MLP, None, GraphOptions(), set(request.open or []), True)
    planned = last_fields(record, plan, request)
    assert len(calls) == len(set(calls)) == 3  # the planned view, its shallower groups, every group closed
    assert planned == to_json(view_fields(from_json(record), request))
    assert b'"layout":null,"layout_reason":"Graphviz took longer' in planned


SHAPES = {  # N0, N1, N2: three numbers; inf and nan among the values make "inf"/"nan" contributions
    "diamond": "a = N0\nb = N1\nc = N2\nL = (a*b + c) * (a - c)",
    "functions": "def f(u, v):\n    return tanh(u * v + N2)\n\na = N0\nb = N1\nL = f(a, b) * f(b, a)",
    "grouped mlp": mlp_program(2, [3, 1], [["N0", "N1"]], [1.0], seed=2).replace("'", ""),
    "vectors": "w = [N0, N1]\nx = [1.0, N2]\ndef f(u):\n    return sum(u * w)\nL = f(x) + f(w) * N0",
}


def shaped(name: str, numbers: list) -> str:
    source = SHAPES[name]
    for i, x in enumerate(numbers):
        source = source.replace(f"N{i}", str(x))
    return source


NUMBERS = st.floats(min_value=-5, max_value=5, allow_nan=False).map(lambda x: round(x, 2)) | st.sampled_from(
    ["1e308", "-1e308", "0.0"])


@pytest.mark.parametrize("name", SHAPES)
@pytest.mark.parametrize("open", [None, [], ["g0"], ["g0", "g1", "g2"]])
@settings(max_examples=15, deadline=None)
@given(numbers=st.lists(NUMBERS, min_size=3, max_size=3))
def test_a_view_planned_from_a_kept_shape_is_the_view_planned_afresh(name, open, numbers):
    seen = build_graph(shaped(name, [7.5, -6.5, 9.0]))
    graph = build_graph(shaped(name, numbers))
    wanted = None if open is None else set(open)
    plans.clear()
    fresh = plan_view(graph, wanted)
    plans.clear()
    plan_view(seen, wanted)
    assert plan_view(graph, wanted) == fresh

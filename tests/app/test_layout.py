"""Graphviz on views: frames around open calls, a cache by structure that never keeps a failure, and
more collapsed views when Graphviz cannot lay one out."""

import pytest

from app import layout as layout_module
from app.layout import LayoutUnavailable, lay_out_view, layout_view, run_dot
from app.view import build_view
from tests.app.grouped_records import Tape, all_groups, assert_frames_hold_their_boxes, mlp


def test_dot_failures_become_layout_unavailable():
    with pytest.raises(LayoutUnavailable, match="Graphviz failed"):
        run_dot("digraph { this is not dot", "svg")


def test_dot_draws_valid_input():
    assert run_dot("digraph { n0 -> n1 }", "svg").startswith(b"<?xml")


@pytest.fixture(autouse=True)
def fresh_layout_cache():
    layout_module.layout_structure.cache_clear()
    yield
    layout_module.layout_structure.cache_clear()


def test_open_groups_are_frames_around_their_boxes():
    graph = mlp([3, 2, 1])
    view = build_view(graph, {"g0", "g1", "g2", "g4", "g5"})
    laid_out = layout_view(graph, view)
    assert set(laid_out["nodes"]) == {b["id"] for b in view["boxes"]}
    assert set(laid_out["edges"]) == {e["id"] for e in view["edges"]}
    assert set(laid_out["clusters"]) == {"g0", "g1", "g2", "g4", "g5"}
    assert_frames_hold_their_boxes(graph, view, laid_out)


def test_layout_is_cached_by_structure_not_by_numbers_or_ids():
    first = mlp([2, 1])
    second = mlp([2, 1])
    for n in second["nodes"]:
        n["value"] = -n["value"]
    assert layout_view(first, build_view(first, {"g0"})) == layout_view(second, build_view(second, {"g0"}))
    assert layout_module.layout_structure.cache_info().hits == 1


def test_without_dot_a_cached_layout_is_read_and_an_uncached_one_refused_before_dot_runs(monkeypatch):
    graph = mlp([2, 1])
    view = build_view(graph, {"g0"})
    runs = []
    monkeypatch.setattr(layout_module.subprocess, "run", lambda *a, **kw: runs.append(a) or pytest.fail("dot ran"))
    with layout_module.without_dot(), pytest.raises(layout_module.DotRefused):
        layout_view(graph, view)
    monkeypatch.undo()
    laid_out = layout_view(graph, view)  # outside the block: dot runs
    with layout_module.without_dot():
        assert layout_view(graph, view) == laid_out
    assert runs == [] and not layout_module.dot_refused.get()


def failing_dot(when):
    real = layout_module.run_dot
    calls = []

    def run_dot(source, fmt, timeout_s=layout_module.LAYOUT_TIMEOUT_S):
        calls.append(source)
        if when(source):
            raise LayoutUnavailable("Graphviz took longer than 1.5 s on this view")
        return real(source, fmt, timeout_s)
    return run_dot, calls


def test_a_graphviz_failure_closes_the_deepest_groups_and_is_not_cached(monkeypatch):
    graph = mlp([2, 2, 1])
    everything = all_groups(graph)
    run_dot, calls = failing_dot(lambda source: source.count("subgraph") > 3)  # nested frames are "too slow"
    monkeypatch.setattr(layout_module, "run_dot", run_dot)
    view, laid_out, reason = lay_out_view(graph, everything)
    assert reason is None and laid_out is not None and len(calls) == 2
    assert view["open"] == ["g0", "g3", "g6"]  # the layers; their neurons closed
    assert view["reason"].startswith("Graphviz took longer than 1.5 s on this view; the deepest open groups (g1, g2")
    assert set(laid_out["nodes"]) == {b["id"] for b in view["boxes"]}

    monkeypatch.undo()  # Graphviz is quick again: the failure was not remembered
    view, laid_out, reason = lay_out_view(graph, everything)
    assert view["open"] == sorted(everything, key=lambda g: int(g[1:])) and view["reason"] is None
    assert set(laid_out["clusters"]) == everything


def test_when_frames_fail_every_group_is_closed(monkeypatch):
    graph = mlp([2, 2, 1])
    run_dot, calls = failing_dot(lambda source: "subgraph" in source)
    monkeypatch.setattr(layout_module, "run_dot", run_dot)
    view, laid_out, reason = lay_out_view(graph, None)
    assert view["open"] == [] and laid_out["clusters"] == {} and reason is None
    assert view["reason"].endswith("every group is shown closed")


def test_when_every_view_fails_there_is_no_layout_and_a_reason(monkeypatch):
    graph = mlp([2, 1])
    run_dot, calls = failing_dot(lambda source: True)
    monkeypatch.setattr(layout_module, "run_dot", run_dot)
    view, laid_out, reason = lay_out_view(graph, {"g0"})
    assert laid_out is None and reason.startswith("Graphviz took longer")
    assert view["open"] == [] and len(calls) == 2
    no_groups = mlp([2])
    del no_groups["groups"]
    view, laid_out, reason = lay_out_view(no_groups, None)
    assert laid_out is None and reason and view["reason"] is None


def test_long_edges_are_refused_before_graphviz_runs(monkeypatch):
    tape = Tape()
    w, x = tape.leaf(0.5), tape.leaf(1.0)
    for _ in range(200):
        x = tape.add(tape.mul(x, w), tape.leaf(0.1))
    graph = tape.record(x)
    run_dot, calls = failing_dot(lambda source: False)
    monkeypatch.setattr(layout_module, "run_dot", run_dot)
    view, laid_out, reason = lay_out_view(graph, None)
    assert laid_out is None and "long edges" in reason and calls == []


@pytest.mark.parametrize("direction,axis", [("LR", "x"), ("TB", "y")])
def test_a_view_is_laid_out_in_the_direction_asked_for(client, direction, axis):
    """Ranks run along x (LR, the default) or along y (TB, for a portrait pane): the root after every input."""
    source = "a = 2\nb = 3\nc = 4\nL = (a*b + c) * (a - c)"
    answer = client.post("/api/view", json={"source": source, "direction": direction})
    assert answer.status_code == 200, answer.text
    graph = client.post("/api/graph", json={"source": source, "layout": False}).json()
    labels = {n["id"]: n["label"] for n in graph["nodes"]}
    at = {labels[box]: pos[axis] for box, pos in answer.json()["layout"]["nodes"].items() if labels.get(box)}
    assert all(at["L"] > at[leaf] for leaf in "abc"), at
    assert layout_module.layout_structure.cache_info().currsize == 1


def test_the_two_directions_are_cached_apart_and_a_third_is_refused(client):
    source = "a = 2\nb = 3\nL = a * b"
    lr, tb = (client.post("/api/view", json={"source": source, "direction": d}).json()["layout"] for d in ("LR", "TB"))
    assert lr != tb and layout_module.layout_structure.cache_info().currsize == 2
    bad = client.post("/api/view", json={"source": source, "direction": "RL"})
    assert bad.status_code == 422 and bad.json()["error"]["kind"] == "request"
    assert "direction" in client.get("/openapi.json").json()["components"]["schemas"]["GraphRequest"]["properties"]

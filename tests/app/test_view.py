"""Views of a grouped graph: which boxes, which edges carrying which sums, which steps; drawings and HTTP."""

import pytest

from app.limits import FOLD_CONSTS_OVER_NODES, OPENING_VIEW_MAX_BOXES
from app.render import render
from app.schemas import GraphResponse, View, ViewResponse
from app.view import ViewBuilder, build_view, sum_contributions
from tests.app.grouped_records import (
    all_groups,
    assert_frames_hold_their_boxes,
    assert_steps_fire_in_reverse_topological_order,
    mlp,
)

# ---- which boxes ---------------------------------------------------------------------------------

def test_a_record_without_groups_shows_every_node():
    graph = mlp([2])
    del graph["groups"]
    for n in graph["nodes"]:
        del n["group"]
    view = build_view(graph, None)
    assert [b["id"] for b in view["boxes"]] == [n["id"] for n in graph["nodes"]]
    assert view["box_of"] == {n["id"]: n["id"] for n in graph["nodes"]}
    assert view["open"] == [] and view["folded"] == {} and view["reason"] is None
    assert [e["edges"] for e in view["edges"]] == [[e["id"]] for e in graph["edges"]]
    assert [(s["box"], s["count"]) for s in view["steps"]] == [(s["node"], 1) for s in graph["backward_steps"]]
    View.model_validate(view)


def test_box_of_is_the_outermost_closed_group():
    graph = mlp([2, 1])  # g0 layer ⊃ g1, g2 neurons; g3 layer ⊃ g4 neuron
    group_of = {n["id"]: n["group"] for n in graph["nodes"]}
    parent = {g["id"]: g["parent"] for g in graph["groups"]}
    assert parent == {"g0": None, "g1": "g0", "g2": "g0", "g3": None, "g4": "g3"}

    closed = build_view(graph, set())
    for nid, g in group_of.items():
        outermost = g if g is None or parent[g] is None else parent[g]
        assert closed["box_of"][nid] == (outermost or nid)
    assert [b["id"] for b in closed["boxes"] if b["kind"] == "group"] == ["g0", "g3"]

    half = build_view(graph, {"g0"})
    assert {half["box_of"][n] for n, g in group_of.items() if g in ("g1", "g2")} == {"g1", "g2"}
    assert {b["id"]: b["parent"] for b in half["boxes"] if b["kind"] == "group"} == {"g1": "g0", "g2": "g0", "g3": None}
    everything = build_view(graph, all_groups(graph))
    assert everything["box_of"] == {n: n for n in group_of}
    assert {b["id"]: b["parent"] for b in everything["boxes"]} == group_of
    assert everything["open"] == ["g0", "g1", "g2", "g3", "g4"]


def test_group_boxes_carry_their_name_outputs_and_size():
    graph = mlp([2, 1])
    view = build_view(graph, {"g0"})
    boxes = {b["id"]: b for b in view["boxes"]}
    members = [n["id"] for n in graph["nodes"] if n["group"] == "g1"]
    assert boxes["g1"] == {"id": "g1", "kind": "group", "parent": "g0", "label": "neuron", "index": 1,
                           "outputs": [members[-1]], "members": len(members)}  # its tanh
    assert boxes["g2"]["index"] == 2
    closed = {b["id"]: b for b in build_view(graph, set())["boxes"]}
    assert closed["g0"]["members"] == sum(n["group"] in ("g0", "g1", "g2") for n in graph["nodes"])
    assert closed["g0"]["outputs"] == [boxes["g1"]["outputs"][0], boxes["g2"]["outputs"][0]]
    root_group = build_view(graph | {"root": closed["g3"]["outputs"][0]}, set())
    assert {b["id"]: b["outputs"] for b in root_group["boxes"] if b["id"] == "g3"} == {"g3": closed["g3"]["outputs"]}


def test_unknown_ids_are_ignored_and_a_hidden_group_waits_for_its_parent():
    graph = mlp([2, 1])
    assert build_view(graph, {"g99", "g1"}) == build_view(graph, set())
    view = build_view(graph, {"g0", "g1", "g99"})
    assert view["open"] == ["g0", "g1"]


# ---- which edges, carrying what ------------------------------------------------------------------

@pytest.mark.parametrize("open", [set(), {"g0"}, {"g0", "g1"}, {"g0", "g1", "g2", "g3", "g4"}])
def test_view_edges_carry_the_sums_of_the_contributions_they_stand_for(open):
    graph = mlp([2, 1])
    edges = {e["id"]: e for e in graph["edges"]}
    view = build_view(graph, open)
    pairs = set()
    for ve in view["edges"]:
        assert ve["source"] != ve["target"]
        assert (ve["source"], ve["target"]) not in pairs  # one per pair of boxes
        pairs.add((ve["source"], ve["target"]))
        for eid in ve["edges"]:
            ends = (view["box_of"][edges[eid]["source"]], view["box_of"][edges[eid]["target"]])
            assert ends == (ve["source"], ve["target"])
        fired = [edges[e]["contribution"] for e in ve["edges"] if edges[e]["contribution"] is not None]
        if fired:
            assert ve["contribution"] == pytest.approx(sum(fired))
        else:
            assert ve["contribution"] is None
    shown = {eid for ve in view["edges"] for eid in ve["edges"]}
    internal = {e["id"] for e in graph["edges"] if view["box_of"][e["source"]] == view["box_of"][e["target"]]}
    assert shown | internal == set(edges) and not shown & internal


def test_a_leaf_used_only_inside_a_closed_call_receives_its_grad_along_one_edge():
    graph = mlp([2])
    view = build_view(graph, set())
    node = {n["id"]: n for n in graph["nodes"]}
    into_layer = [ve for ve in view["edges"] if ve["target"] == "g0" and node[ve["source"]]["kind"] == "leaf"]
    assert into_layer
    for ve in into_layer:
        assert ve["contribution"] == pytest.approx(node[ve["source"]]["grad"])


@pytest.mark.parametrize("contributions, total", [
    ([1.0, 2.5], 3.5),
    ([None, 2.0], 2.0),
    ([None, None], None),
    ([[1.0, 2.0], [3.0, "inf"]], [4.0, "inf"]),
    (["nan", 1.0], "nan"),
    ([[1.0, 2.0], 3.0], None),  # shapes differ: not one gradient
    ([[1.0], [[1.0]]], None),
    ([[1.0, [2.0]]], None),  # ragged
    ([{"summary": True, "shape": [5000]}, 1.0], None),
])
def test_contributions_are_summed_only_when_they_are_one_array_shape(contributions, total):
    assert sum_contributions(contributions) == total


# ---- steps ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("open", [set(), {"g0"}, {"g0", "g2"}, {"g3", "g4"}, None])
def test_view_steps_are_a_reverse_topological_order_of_the_view(open):
    graph = mlp([2, 2, 1])
    assert_steps_fire_in_reverse_topological_order(graph, build_view(graph, open))


# ---- the opening view ----------------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [[2], [4, 4, 1], [8, 8, 1], [16, 16, 16, 1], [40, 1]])
def test_the_opening_view_opens_outermost_first_while_it_stays_small(sizes):
    graph = mlp(sizes, inputs=3, weights_statement=True)
    view = build_view(graph, None)
    assert len(view["boxes"]) <= OPENING_VIEW_MAX_BOXES
    opened = set(view["open"])
    for box in view["boxes"]:  # each group still closed would not fit
        if box["kind"] == "group":
            assert len(build_view(graph, opened | {box["id"]})["boxes"]) > OPENING_VIEW_MAX_BOXES
    assert build_view(graph, opened) == view


def test_calls_that_only_make_leaves_open_after_the_calls_that_compute():
    graph = mlp([8, 8, 1], inputs=3, weights_in_calls=True)
    view = build_view(graph, None)
    label = {g["id"]: g["label"] for g in graph["groups"]}
    opened = {label[g] for g in view["open"]}
    closed = {label[b["id"]] for b in view["boxes"] if b["kind"] == "group"}
    assert "layer" in opened and "init" in closed and "layer" not in closed
    assert len(view["boxes"]) <= OPENING_VIEW_MAX_BOXES
    small = mlp([2], weights_in_calls=True)  # room for everything: the init calls open too
    assert build_view(small, None)["open"] == sorted(all_groups(small), key=lambda g: int(g[1:]))


def test_a_crowded_top_level_opens_no_group():
    graph = mlp([20, 1], inputs=3)  # 101 weights made at the top level: each is a box
    view = build_view(graph, None)
    assert view["open"] == []
    assert len(view["boxes"]) == sum(n["group"] is None for n in graph["nodes"]) + 2


def test_large_graphs_draw_single_use_constants_inside_their_consumer():
    small = mlp([2], const_bias=True)
    assert build_view(small, None)["folded"] == {}
    graph = mlp([30, 1], inputs=2, const_bias=True)
    assert len(graph["nodes"]) > FOLD_CONSTS_OVER_NODES
    view = build_view(graph, all_groups(graph))
    consts = [n["id"] for n in graph["nodes"] if n["kind"] == "const"]
    assert set(view["folded"]) == set(consts)
    consumer = {e["source"]: e["target"] for e in graph["edges"]}
    assert all(view["folded"][c] == consumer[c] == view["box_of"][c] for c in consts)
    assert not {c for c in consts} & {b["id"] for b in view["boxes"]}
    assert not any(ve["source"] in consts for ve in view["edges"])
    closed = build_view(graph, set())
    assert closed["folded"] == {} and all(closed["box_of"][c] in ("g0", "g31") for c in consts)


# ---- drawings ------------------------------------------------------------------------------------

def test_drawings_show_closed_calls_as_boxes_and_open_ones_as_frames():
    graph = mlp([2, 1])
    source = render(graph, {"g0"}, "dot").decode()
    assert "subgraph cluster_g0" in source and 'label="layer #1"' in source
    assert "neuron #2" in source and "layer #2" in source and "cluster_g3" not in source
    assert render(graph, {"g0"}, "svg").startswith(b"<?xml")


def test_a_thousand_node_program_draws_as_its_opening_view():
    graph = mlp([40, 40, 1], inputs=4, weights_statement=True)
    assert len(graph["nodes"]) > 1000
    view = ViewBuilder(graph).view(None)
    assert len(view["boxes"]) <= OPENING_VIEW_MAX_BOXES
    assert render(graph, None, "svg").startswith(b"<?xml")


# ---- through HTTP --------------------------------------------------------------------------------

@pytest.fixture
def sandbox_runs(client, monkeypatch):
    """How many times the program was evaluated."""
    sandbox = client.app.state.sandbox
    runs = []
    real, real_from_loop = sandbox.run, sandbox.run_from_loop

    def run(*args, **kwargs):
        runs.append(args)
        return real(*args, **kwargs)

    async def run_from_loop(*args, **kwargs):  # (it runs `run` itself only where it cannot call from the loop)
        runs.append(args)
        return await real_from_loop(*args, **kwargs)
    monkeypatch.setattr(sandbox, "run", run)
    monkeypatch.setattr(sandbox, "run_from_loop", run_from_loop)
    return runs


def test_another_view_does_not_run_the_program_again(client, sandbox_runs):
    source = "a = 2\nb = 3\nc = a * b + a\nL = c * c - 1.25"  # unique to this test: not cached yet
    body = {"source": source, "max_paths": 16, "gradcheck": False}
    graph = client.post("/api/graph", json=body).json()
    assert len(sandbox_runs) == 1
    answer = client.post("/api/view", json={**body, "open": ["g0"]})
    assert answer.status_code == 200, answer.text
    assert len(sandbox_runs) == 1
    ViewResponse.model_validate(answer.json())
    assert answer.json() == {"view": graph["view"], "layout": graph["layout"], "layout_reason": None}
    other = client.post("/api/graph", json={**body, "open": ["g3"], "layout": False}).json()
    assert other["view"] == graph["view"] and other["layout"] is None and len(sandbox_runs) == 1
    client.post("/api/view", json={**body, "mode": "overwrite"})
    assert len(sandbox_runs) == 2  # another backward pass: evaluated again


def test_the_graph_response_has_its_view(client):
    graph = client.post("/api/graph", json={"source": "a = 2\nb = a * a\nL = b + a"}).json()
    GraphResponse.model_validate(graph)
    view = graph["view"]
    assert view["box_of"] == {n["id"]: n["id"] for n in graph["nodes"]} and view["open"] == []
    a, b = (n["id"] for n in graph["nodes"] if n["label"] in ("a", "b"))
    a_times_a = [ve for ve in view["edges"] if (ve["source"], ve["target"]) == (a, b)]
    assert [len(ve["edges"]) for ve in a_times_a] == [1, 1]  # x * x keeps its two edges
    assert [ve["contribution"] for ve in a_times_a] == [2.0, 2.0]  # b = a*a sends 2 and 2 to a
    assert graph["layout"]["clusters"] == {}


@pytest.mark.parametrize("open", [["n1"], ["g"], ["g1", "G2"], ["g1"] * 2001, "g1"])
def test_open_must_be_a_short_list_of_group_ids(client, open):
    for url in ("/api/graph", "/api/view"):
        answer = client.post(url, json={"source": "a = 1", "open": open})
        assert answer.status_code == 422 and answer.json()["error"]["kind"] == "request"


# ---- real programs -------------------------------------------------------------------------------

LAYER_PROGRAM = """\
def neuron(xs, ws, b):
    act = sum((w*x for w, x in zip(ws, xs)), b)
    return act.tanh()
def layer(xs, W, B):
    return [neuron(xs, ws, b) for ws, b in zip(W, B)]
x = [Value(1.0), Value(-2.0)]
W = [[Value(0.5), Value(-0.3)], [Value(0.2), Value(0.1)]]
B = [Value(0.0), Value(0.1)]
h = layer(x, W, B)
L = sum(h)
L.backward()
"""

# micrograd's MLP written with functions: a 3-16-16-1 net on one input, ~1,000 nodes
MLP_PROGRAM = """\
import random
random.seed(1)
def neuron(nin):
    return [Value(random.uniform(-1, 1)) for _ in range(nin)], Value(0.0)
def layer(nin, nout):
    return [neuron(nin) for _ in range(nout)]
def fire(n, x):
    w, b = n
    return sum((wi * xi for wi, xi in zip(w, x)), b).tanh()
def forward(model, x):
    for lay in model:
        x = [fire(n, x) for n in lay]
    return x[0]
model = [layer(3, 16), layer(16, 16), layer(16, 1)]
y = forward(model, [Value(2.0), Value(3.0), Value(-1.0)])
L = (y - 1.0) ** 2
L.backward()
"""


def post(client, url, **body):
    answer = client.post(url, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_each_call_is_a_group_and_a_small_program_opens_whole(client):
    graph = post(client, "/api/graph", source=LAYER_PROGRAM)
    GraphResponse.model_validate(graph)
    assert [(g["id"], g["label"], g["kind"], g["parent"], g["index"]) for g in graph["groups"]] == [
        ("g0", "layer", "call", None, 1), ("g1", "neuron", "call", "g0", 1), ("g2", "neuron", "call", "g0", 2)]
    view, layout = graph["view"], graph["layout"]
    assert view["open"] == ["g0", "g1", "g2"] and len(view["boxes"]) == len(graph["nodes"])
    assert {b["id"]: b["parent"] for b in view["boxes"]} == {n["id"]: n["group"] for n in graph["nodes"]}
    assert set(layout["clusters"]) == {"g0", "g1", "g2"}
    assert_frames_hold_their_boxes(graph, view, layout)
    assert_steps_fire_in_reverse_topological_order(graph, view)


def test_a_closed_layer_is_one_box_that_passes_each_input_its_whole_gradient(client):
    graph = post(client, "/api/graph", source=LAYER_PROGRAM, layout=False)
    answer = post(client, "/api/view", source=LAYER_PROGRAM, open=[])
    ViewResponse.model_validate(answer)
    view = answer["view"]
    layer = next(b for b in view["boxes"] if b["id"] == "g0")
    tanhs = [n["id"] for n in graph["nodes"] if n["op"] == "tanh"]
    assert layer["outputs"] == tanhs and layer["members"] == sum(n["group"] is not None for n in graph["nodes"])
    assert answer["layout"]["clusters"] == {} and set(answer["layout"]["nodes"]) == {b["id"] for b in view["boxes"]}
    grads = {n["id"]: n["grad"] for n in graph["nodes"]}
    leaves = [n["id"] for n in graph["nodes"] if n["kind"] == "leaf"]
    into_layer = {ve["source"]: ve["contribution"] for ve in view["edges"] if ve["target"] == "g0"}
    assert set(into_layer) == set(leaves)
    for leaf, total in into_layer.items():
        assert total == pytest.approx(grads[leaf])  # every use of the leaf is inside the call
    assert_steps_fire_in_reverse_topological_order(graph, view)
    assert [s["box"] for s in view["steps"]][-1] == "g0"  # the leaves do not fire: the layer is last


def test_a_thousand_node_program_opens_small_and_is_laid_out_with_frames(client):
    graph = post(client, "/api/graph", source=MLP_PROGRAM)
    assert len(graph["nodes"]) > 1000 and len(graph["groups"]) > 50
    view, layout = graph["view"], graph["layout"]
    assert len(view["boxes"]) <= OPENING_VIEW_MAX_BOXES and view["open"]
    assert layout is not None and graph["layout_reason"] is None and view["reason"] is None
    assert set(layout["clusters"]) <= set(view["open"])
    assert_frames_hold_their_boxes(graph, view, layout)
    everything = [g["id"] for g in graph["groups"]]
    for open in ([], view["open"], everything):
        assert_steps_fire_in_reverse_topological_order(graph, build_view(graph, set(open)))
    drawing = client.post("/api/render", json={"source": MLP_PROGRAM, "format": "svg"})
    assert drawing.status_code == 200 and drawing.content.startswith(b"<?xml")

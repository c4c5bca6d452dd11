"""Views of a grouped graph: which boxes, which edges carrying which sums, which steps; drawings and HTTP."""

import pytest

from app.limits import FOLD_CONSTS_OVER_NODES, OPENING_VIEW_MAX_BOXES
from app.render import render
from app.schemas import GraphResponse, View, ViewResponse
from app.view import ViewBuilder, build_view, sum_contributions
from tests.app.grouped_records import all_groups, mlp, step_index

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
    view = build_view(graph, open)
    order = step_index(view)
    assert len(order) == len(view["steps"])  # every box fires once, as one step
    for ve in view["edges"]:
        if ve["source"] in order and ve["target"] in order:
            assert order[ve["target"]] < order[ve["source"]], ve
    covered = [i for s in view["steps"] for i in range(s["first"], s["first"] + s["count"])]
    assert covered == list(range(len(graph["backward_steps"])))
    for s in view["steps"]:
        fired = graph["backward_steps"][s["first"]:s["first"] + s["count"]]
        assert {view["box_of"][f["node"]] for f in fired} == {s["box"]}


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
    real = sandbox.run

    def run(*args, **kwargs):
        runs.append(args)
        return real(*args, **kwargs)
    monkeypatch.setattr(sandbox, "run", run)
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
    a_times_a = [ve for ve in view["edges"] if len(ve["edges"]) == 2]
    assert len(a_times_a) == 1 and a_times_a[0]["contribution"] == 4.0  # b = a*a sends 2 + 2 to a
    assert graph["layout"]["clusters"] == {}


@pytest.mark.parametrize("open", [["n1"], ["g"], ["g1", "G2"], ["g1"] * 2001, "g1"])
def test_open_must_be_a_short_list_of_group_ids(client, open):
    for url in ("/api/graph", "/api/view"):
        answer = client.post(url, json={"source": "a = 1", "open": open})
        assert answer.status_code == 422 and answer.json()["error"]["kind"] == "request"

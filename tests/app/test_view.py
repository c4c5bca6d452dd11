"""Views of a grouped graph: which boxes, which edges with which sums, which steps, and their layout."""

import math
from contextlib import contextmanager

import pytest

from app import layout as layout_module
from app.layout import LayoutUnavailable, lay_out_view, layout_view
from app.limits import FOLD_CONSTS_OVER_NODES, OPENING_VIEW_MAX_BOXES
from app.render import render
from app.schemas import View
from app.view import ViewBuilder, build_view, sum_contributions


class Tape:
    """A graph record built by hand in the response's shape: scalar add/mul/tanh with real values,
    gradients and contributions, nodes in creation order, backward in reverse creation order."""

    def __init__(self) -> None:
        self.nodes: list[dict] = []
        self.edges: list[dict] = []
        self.groups: list[dict] = []
        self.stack: list[str | None] = [None]
        self.calls: dict[str, int] = {}

    @contextmanager
    def call(self, label: str, kind: str = "call"):
        self.calls[label] = self.calls.get(label, 0) + 1
        gid = f"g{len(self.groups)}"
        self.groups.append({"id": gid, "label": label, "kind": kind, "parent": self.stack[-1],
                            "index": self.calls[label] if kind == "call" else 1, "span": [1, 0, 1]})
        self.stack.append(gid)
        yield gid
        self.stack.pop()

    def node(self, kind: str, value: float, op: str | None = None, inputs: tuple[str, ...] = ()) -> str:
        nid = f"n{len(self.nodes)}"
        self.nodes.append({"id": nid, "label": None, "kind": kind, "op": op, "params": {}, "shape": [],
                           "value": value, "grad": None, "fan_out": 0, "flags": [], "rule": None, "span": None,
                           "group": self.stack[-1]})
        for arg, source in enumerate(inputs):
            self.edges.append({"id": f"e{len(self.edges)}", "source": source, "target": nid, "arg": arg,
                               "contribution": None, "contribution_raw": None})
        return nid

    def leaf(self, value: float) -> str:
        return self.node("leaf", value)

    def const(self, value: float) -> str:
        return self.node("const", value)

    def value(self, nid: str) -> float:
        return self.nodes[int(nid[1:])]["value"]

    def add(self, a: str, b: str) -> str:
        return self.node("op", self.value(a) + self.value(b), "add", (a, b))

    def mul(self, a: str, b: str) -> str:
        return self.node("op", self.value(a) * self.value(b), "mul", (a, b))

    def tanh(self, a: str) -> str:
        return self.node("op", math.tanh(self.value(a)), "tanh", (a,))

    def record(self, root: str) -> dict:
        """Backpropagate from `root` and write the record."""
        node = {n["id"]: n for n in self.nodes}
        inputs: dict[str, list[dict]] = {n["id"]: [] for n in self.nodes}
        for e in self.edges:
            inputs[e["target"]].append(e)
        node[root]["grad"] = 1.0
        steps = []
        for n in reversed(self.nodes):
            if n["grad"] is None or not inputs[n["id"]]:
                continue
            events = []
            for e in inputs[n["id"]]:
                source = node[e["source"]]
                if source["kind"] == "const":
                    continue
                if n["op"] == "add":
                    local = 1.0
                elif n["op"] == "mul":
                    local = node[inputs[n["id"]][1 - e["arg"]]["source"]]["value"]
                else:
                    local = 1 - n["value"] ** 2
                e["contribution"] = n["grad"] * local
                source["grad"] = (source["grad"] or 0.0) + e["contribution"]
                events.append({"edge": e["id"], "to": source["id"], "contribution": e["contribution"],
                               "contribution_raw": None, "grad_before": None, "grad_after": source["grad"],
                               "accumulated": False})
            steps.append({"node": n["id"], "grad": n["grad"], "events": events})
        return {"root": root, "nodes": self.nodes, "edges": self.edges, "backward_steps": steps,
                "groups": self.groups, "output": []}


def mlp(sizes: list[int], inputs: int = 2, const_bias: bool = False, weights_statement: bool = False) -> dict:
    """The lead's example, generalized: layers of tanh neurons, then L = sum of the outputs.

    With `weights_statement`, the weights are made by one statement (`W = [[Value(...) ...]]`), a group.
    """
    tape = Tape()
    xs = [tape.leaf(0.5 - 0.25 * i) for i in range(inputs)]

    def make_weights():
        return [[[tape.leaf(0.1 * ((i + j + k) % 7) - 0.3) for k in range(n_in)] for j in range(n_out)]
                for i, (n_in, n_out) in enumerate(zip([inputs, *sizes], sizes))]
    if weights_statement:
        with tape.call("W", "statement"):
            weights = make_weights()
    else:
        weights = make_weights()
    for W in weights:
        with tape.call("layer"):
            outs = []
            for ws in W:
                with tape.call("neuron"):
                    act = tape.const(0.1) if const_bias else tape.leaf(0.0)
                    for w, x in zip(ws, xs):
                        act = tape.add(act, tape.mul(w, x))
                    outs.append(tape.tanh(act))
            xs = outs
    total = xs[0]
    for x in xs[1:]:
        total = tape.add(total, x)
    return tape.record(total)


def step_index(view: dict) -> dict[str, int]:
    return {s["box"]: i for i, s in enumerate(view["steps"])}


def all_groups(graph: dict) -> set[str]:
    return {g["id"] for g in graph["groups"]}


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


# ---- layout --------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def fresh_layout_cache():
    layout_module.layout_structure.cache_clear()
    yield
    layout_module.layout_structure.cache_clear()


def contains(frame: dict, box: dict) -> bool:
    return (frame["x"] - frame["width"] / 2 <= box["x"] - box["width"] / 2
            and box["x"] + box["width"] / 2 <= frame["x"] + frame["width"] / 2
            and frame["y"] - frame["height"] / 2 <= box["y"] - box["height"] / 2
            and box["y"] + box["height"] / 2 <= frame["y"] + frame["height"] / 2)


def test_open_groups_are_frames_around_their_boxes():
    graph = mlp([3, 2, 1])
    view = build_view(graph, {"g0", "g1", "g2", "g4", "g5"})
    laid_out = layout_view(graph, view)
    assert set(laid_out["nodes"]) == {b["id"] for b in view["boxes"]}
    assert set(laid_out["edges"]) == {e["id"] for e in view["edges"]}
    assert set(laid_out["clusters"]) == {"g0", "g1", "g2", "g4", "g5"}
    parent = {g["id"]: g["parent"] for g in graph["groups"]}
    for box in view["boxes"]:
        g = box["parent"]
        while g is not None:  # inside its own frame and every frame around that
            assert contains(laid_out["clusters"][g], laid_out["nodes"][box["id"]]), (box, g)
            g = parent[g]
    for g, frame in laid_out["clusters"].items():
        assert 0 <= frame["x"] - frame["width"] / 2 and frame["y"] + frame["height"] / 2 <= laid_out["height"]
        if parent[g] in laid_out["clusters"]:
            assert contains(laid_out["clusters"][parent[g]], frame)


def test_layout_is_cached_by_structure_not_by_numbers_or_ids():
    first = mlp([2, 1])
    second = mlp([2, 1])
    for n in second["nodes"]:
        n["value"] = -n["value"]
    assert layout_view(first, build_view(first, {"g0"})) == layout_view(second, build_view(second, {"g0"}))
    assert layout_module.layout_structure.cache_info().hits == 1


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

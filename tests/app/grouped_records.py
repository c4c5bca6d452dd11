"""Graph records with groups, built by hand in the response's shape, for tests of views and layout."""

import math
from contextlib import contextmanager


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


def mlp(sizes: list[int], inputs: int = 2, const_bias: bool = False, weights_statement: bool = False,
        weights_in_calls: bool = False) -> dict:
    """The lead's example, generalized: layers of tanh neurons, then L = sum of the outputs.

    With `weights_statement`, the weights are made by one statement (`W = [[Value(...) ...]]`), a group;
    with `weights_in_calls`, each layer's weights by a call `init(n_in, n_out)`.
    """
    tape = Tape()
    xs = [tape.leaf(0.5 - 0.25 * i) for i in range(inputs)]

    def make_weights():
        shapes = zip([inputs, *sizes], sizes, strict=False)
        return [make_layer(i, n_in, n_out) for i, (n_in, n_out) in enumerate(shapes)]

    def make_layer(i, n_in, n_out):
        if weights_in_calls:
            with tape.call("init"):
                return [[tape.leaf(0.1 * ((i + j + k) % 7) - 0.3) for k in range(n_in)] for j in range(n_out)]
        return [[tape.leaf(0.1 * ((i + j + k) % 7) - 0.3) for k in range(n_in)] for j in range(n_out)]
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
                    for w, x in zip(ws, xs, strict=True):
                        act = tape.add(act, tape.mul(w, x))
                    outs.append(tape.tanh(act))
            xs = outs
    total = xs[0]
    for x in xs[1:]:
        total = tape.add(total, x)
    return tape.record(total)


def assert_steps_fire_in_reverse_topological_order(graph: dict, view: dict) -> None:
    """Each box fires as one step, after every box it receives gradient from, and the steps cover the
    backward steps in order, each run inside its box."""
    order = {s["box"]: i for i, s in enumerate(view["steps"])}
    assert len(order) == len(view["steps"])
    for ve in view["edges"]:
        if ve["source"] in order and ve["target"] in order:
            assert order[ve["target"]] < order[ve["source"]], ve
    covered = [i for s in view["steps"] for i in range(s["first"], s["first"] + s["count"])]
    assert covered == list(range(len(graph["backward_steps"])))
    for s in view["steps"]:
        fired = graph["backward_steps"][s["first"]:s["first"] + s["count"]]
        assert {view["box_of"][f["node"]] for f in fired} == {s["box"]}


def contains(frame: dict, box: dict) -> bool:
    return (frame["x"] - frame["width"] / 2 <= box["x"] - box["width"] / 2
            and box["x"] + box["width"] / 2 <= frame["x"] + frame["width"] / 2
            and frame["y"] - frame["height"] / 2 <= box["y"] - box["height"] / 2
            and box["y"] + box["height"] / 2 <= frame["y"] + frame["height"] / 2)


def assert_frames_hold_their_boxes(graph: dict, view: dict, layout: dict) -> None:
    """Every box lies inside the frame of each open group around it, and frames inside their parents'."""
    parent = {g["id"]: g["parent"] for g in graph["groups"]}
    for box in view["boxes"]:
        g = box["parent"]
        while g is not None:
            assert contains(layout["clusters"][g], layout["nodes"][box["id"]]), (box, g)
            g = parent[g]
    for g, frame in layout["clusters"].items():
        assert 0 <= frame["x"] - frame["width"] / 2 and frame["y"] + frame["height"] / 2 <= layout["height"]
        if parent[g] is not None:
            assert contains(layout["clusters"][parent[g]], frame)


def all_groups(graph: dict) -> set[str]:
    return {g["id"] for g in graph["groups"]}

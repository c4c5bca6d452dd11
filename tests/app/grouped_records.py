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

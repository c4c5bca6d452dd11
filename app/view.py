"""What the page shows of a graph record: boxes (nodes, or a whole function call as one box), the
edges between boxes with the gradient each carries, and the backward steps box by box.

Node ids are numbered in creation order and a call creates its nodes together, so a group's nodes
are contiguous in `nodes` and fire contiguously in `backward_steps`. A collapsed group is therefore
one box that fires as one step, and collapsing never makes a cycle: every node outside a group was
created before all of it or after all of it.
"""

from collections import deque
from typing import Any

import numpy as np

from app.encode import encode_array
from app.limits import FOLD_CONSTS_OVER_NODES, OPENING_VIEW_MAX_BOXES


def group_number(group_id: str) -> int:
    return int(group_id[1:])


def sum_contributions(contributions: list[Any]) -> Any:
    """The summed gradient a bundle of edges carries, encoded like any value; None when it cannot be
    summed honestly (a summarized array, or shapes that differ).

    An edge that never fired (its target got no gradient) contributed nothing and is left out.
    """
    fired = [c for c in contributions if c is not None]
    if not fired:
        return None
    if len(fired) == 1 and isinstance(fired[0], float):  # the most common case: an edge between two nodes
        return fired[0] + 0.0  # what NumPy's sum gives: it starts from 0.0, so -0.0 sums to 0.0
    if all(isinstance(c, float) for c in fired):  # scalars
        return encode_array(np.asarray(fired).sum())
    if any(isinstance(c, dict) for c in fired):
        return None
    try:  # "nan", "inf" and "-inf" are how JSON spells those floats; float() reads them back
        arrays = [np.asarray(c, dtype=float) for c in fired]
    except ValueError:  # ragged lists: not an array
        return None
    if any(a.shape != arrays[0].shape for a in arrays):
        return None
    with np.errstate(all="ignore"):
        return encode_array(np.add.reduce(np.stack(arrays)))


class ViewBuilder:
    """The facts about one graph record that every view of it shares, computed once."""

    def __init__(self, graph: dict[str, Any]) -> None:
        self.graph = graph
        self.groups = {g["id"]: g for g in graph.get("groups") or []}
        # chain[g]: g's ancestors outermost first, then g. Parents are listed before children; a
        # parent that is not listed makes the group a top-level one.
        self.chain: dict[str | None, tuple[str, ...]] = {None: ()}
        for g in graph.get("groups") or []:
            parent = g["parent"] if g["parent"] in self.chain else None
            self.chain[g["id"]] = self.chain[parent] + (g["id"],)
        nodes = graph["nodes"]
        self.order = {n["id"]: i for i, n in enumerate(nodes)}
        self.node_chain = {n["id"]: self.chain.get(n.get("group"), ()) for n in nodes}
        self.folded_into = self.foldable_consts()

        self.members = dict.fromkeys(self.groups, 0)
        for node_chain in self.node_chain.values():
            for g in node_chain:
                self.members[g] += 1
        self.outputs = self.group_outputs()

        # What opening a group adds: its own nodes and its child groups, counting only what is drawn
        # as a box (folded constants are drawn inside their consumer).
        self.has_boxes: set[str] = set()
        for n, node_chain in self.node_chain.items():
            if n not in self.folded_into:
                self.has_boxes.update(node_chain)
        self.computing: set[str] = set()  # groups holding an op node
        for n in nodes:
            if n["kind"] == "op":
                self.computing.update(self.node_chain[n["id"]])
        self.child_groups: dict[str | None, list[str]] = {None: [], **{g: [] for g in self.groups}}
        for g in self.groups:
            if g in self.has_boxes:
                self.child_groups[self.chain[g][-2] if len(self.chain[g]) > 1 else None].append(g)
        self.own_boxes = {g: len(children) for g, children in self.child_groups.items()}
        for n, node_chain in self.node_chain.items():
            if n not in self.folded_into:
                self.own_boxes[node_chain[-1] if node_chain else None] += 1

    def foldable_consts(self) -> dict[str, str]:
        """const -> its one consumer, for scalar constants in graphs large enough to need the room."""
        if len(self.graph["nodes"]) <= FOLD_CONSTS_OVER_NODES:
            return {}
        consumers: dict[str, set[str]] = {}
        for e in self.graph["edges"]:
            consumers.setdefault(e["source"], set()).add(e["target"])
        return {n["id"]: next(iter(consumers[n["id"]])) for n in self.graph["nodes"]
                if n["kind"] == "const" and not n["shape"] and len(consumers.get(n["id"], ())) == 1
                and n["id"] != self.graph["root"]}

    def group_outputs(self) -> dict[str, list[str]]:
        """For each group, its members used outside it (and the root, if inside), in node order."""
        outputs: dict[str, set[str]] = {g: set() for g in self.groups}
        for e in self.graph["edges"]:
            source, target = self.node_chain[e["source"]], self.node_chain[e["target"]]
            if source is target:  # the same group (chains are shared tuples)
                continue
            shared = 0
            while shared < min(len(source), len(target)) and source[shared] == target[shared]:
                shared += 1
            for g in source[shared:]:
                outputs[g].add(e["source"])
        root = self.graph["root"]
        for g in self.node_chain.get(root, ()):
            outputs[g].add(root)
        return {g: sorted(out, key=self.order.__getitem__) for g, out in outputs.items()}

    def opening(self) -> set[str]:
        """Breadth-first over groups, outermost first: open each one that keeps the view small.

        Calls that only make leaves (a network's weights) come after every call that computes, so a
        program's forward pass opens before the calls that made its parameters.
        """
        boxes = self.own_boxes[None]
        opened: set[str] = set()
        later: list[str] = []
        for first_pass in (True, False):
            queue = deque(self.child_groups[None] if first_pass else later)
            while queue:
                g = queue.popleft()
                if first_pass and g not in self.computing:
                    later.append(g)
                elif boxes - 1 + self.own_boxes[g] <= OPENING_VIEW_MAX_BOXES:
                    boxes += self.own_boxes[g] - 1
                    opened.add(g)
                    queue.extend(self.child_groups[g])
        return opened

    def visible_open(self, requested: set[str]) -> set[str]:
        """The requested groups that exist and whose ancestors are all open too."""
        known = requested & self.groups.keys()
        return {g for g in known if all(a in known for a in self.chain[g])}

    def view(self, requested: set[str] | None) -> dict[str, Any]:
        opened = self.opening() if requested is None else self.visible_open(requested)
        box_of: dict[str, str] = {}
        boxes: list[dict[str, Any]] = []
        shown_groups: set[str] = set()
        for n in self.graph["nodes"]:
            node_id = n["id"]
            if node_id in self.folded_into:
                continue
            node_chain = self.node_chain[node_id]
            box = next((g for g in node_chain if g not in opened), node_id)
            box_of[node_id] = box
            if box == node_id:
                boxes.append({"id": node_id, "kind": "node", "parent": node_chain[-1] if node_chain else None})
            elif box not in shown_groups:
                shown_groups.add(box)
                boxes.append(self.group_box(box))
        folded = {}
        for const, consumer in self.folded_into.items():
            box_of[const] = box_of[consumer]
            if box_of[consumer] == consumer:
                folded[const] = consumer
        box_of = {n["id"]: box_of[n["id"]] for n in self.graph["nodes"]}  # in node order
        return {
            "open": sorted(opened, key=group_number),
            "boxes": boxes,
            "box_of": box_of,
            "folded": folded,
            "edges": self.view_edges(box_of),
            "steps": self.view_steps(box_of),
            "reason": None,
        }

    def group_box(self, g: str) -> dict[str, Any]:
        chain = self.chain[g]
        group = self.groups[g]
        return {"id": g, "kind": "group", "parent": chain[-2] if len(chain) > 1 else None,
                "label": group["label"], "index": group["index"], "outputs": self.outputs[g],
                "members": self.members[g]}

    def view_edges(self, box_of: dict[str, str]) -> list[dict[str, Any]]:
        """One edge per (source box, target box) where a closed call is involved, carrying the sum of
        what its edges carried; between two nodes every edge stays its own, so x * x keeps two."""
        bundles: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for e in self.graph["edges"]:
            source, target = box_of[e["source"]], box_of[e["target"]]
            if source == target:
                continue
            between_nodes = source == e["source"] and target == e["target"]
            bundles.setdefault((source, target, e["id"] if between_nodes else ""), []).append(e)
        return [{"id": f"v{i}", "source": source, "target": target, "edges": [e["id"] for e in edges],
                 "contribution": sum_contributions([e["contribution"] for e in edges])}
                for i, ((source, target, _), edges) in enumerate(bundles.items())]

    def view_steps(self, box_of: dict[str, str]) -> list[dict[str, Any]]:
        """Runs of consecutive backward steps in one box fire as one view step."""
        steps: list[dict[str, Any]] = []
        for i, step in enumerate(self.graph["backward_steps"]):
            box = box_of[step["node"]]
            if steps and steps[-1]["box"] == box:
                steps[-1]["count"] += 1
            else:
                steps.append({"box": box, "first": i, "count": 1})
        return steps


def build_view(graph: dict[str, Any], open: set[str] | None = None) -> dict[str, Any]:
    """The view of `graph` with the groups in `open` open (None: the opening view).

    Ids in `open` that name no group are ignored (a page keeps its open set across edits of the
    program), and a group whose ancestor is closed stays hidden until the ancestor opens.
    """
    return ViewBuilder(graph).view(open)

"""Groups: the program's own structure (its function calls and its long statements) as boxes of nodes.

Every call of a user function is a group; in a program without functions, each statement that
makes several op nodes is one. Nodes are made in order and calls nest, so the nodes of a group
are contiguous in creation order: the backward pass in reverse creation order fires each group's
nodes one after another, and collapsing a group never makes a cycle.
"""

from dataclasses import dataclass

from app.language.errors import Span
from engine import Tensor


@dataclass(eq=False)
class Group:
    label: str
    kind: str  # "call" or "statement"
    parent: "Group | None"
    index: int  # the k-th call of this function (statements: the k-th with this label), from 1
    span: Span


class GroupTracker:
    """Which group is open while the program runs, and which group each new tensor belongs to."""

    def __init__(self) -> None:
        self.current: Group | None = None
        self.groups: list[Group] = []
        self.of: dict[int, Group | None] = {}  # id(tensor) -> innermost group
        self.counts: dict[tuple[str, str], int] = {}

    def open(self, label: str, kind: str, span: Span) -> Group:
        key = (kind, label)
        self.counts[key] = self.counts.get(key, 0) + 1
        group = Group(label, kind, self.current, self.counts[key], span)
        self.groups.append(group)
        self.current = group
        return group

    def close(self, group: Group) -> None:
        self.current = group.parent

    def discard(self, group: Group, made: list[Tensor]) -> None:
        """Forget a statement group that turned out small; its nodes belong to its parent."""
        self.close(group)
        self.groups.remove(group)
        self.counts[(group.kind, group.label)] -= 1
        for t in made:
            if self.of.get(id(t)) is group:
                self.of[id(t)] = group.parent

    def note(self, tensor: Tensor) -> None:
        self.of[id(tensor)] = self.current


def reverse_creation_order(root: Tensor, nodes: list[Tensor]) -> list[Tensor]:
    """The root's graph, newest node first: a reverse topological order (a node is made after its
    inputs) in which every group's nodes are contiguous. `nodes` is every tensor in creation order."""
    reached = {root}
    order = []
    for t in reversed(nodes):
        if t in reached:
            order.append(t)
            reached.update(t.inputs)
    return order

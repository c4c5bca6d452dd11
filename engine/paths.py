"""The chain rule as a sum over paths.

A leaf's gradient is the sum, over every path from the leaf up to the root, of the seed pushed
back along that path: at each edge (consumer `source`, its input `target`, argument `arg`) the
consumer's VJP is applied and only argument `arg`'s contribution is kept (summed back over
broadcast axes). On a scalar graph that is the product of the local derivatives on the path.
Counting paths and listing the largest ones both run as dynamic programmes over the reverse
topological order, so 60 doublings `x = x + x` (2**60 paths) take 60 steps, not 2**60.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.backward import reverse_topological_order
from engine.broadcast import unbroadcast
from engine.tensor import Tensor, as_array

# A partial path's value: a float while every node so far is 0-d, else an array shaped like the node.
Value = float | np.ndarray


@dataclass(frozen=True)
class Edge:
    """One use of `target` by `source`: `source.inputs[arg] is target`.

    Named as in `record.Event`: gradient flows from `source` (the consumer) to `target` (its input).
    """

    source: Tensor
    target: Tensor
    arg: int


@dataclass
class Path:
    """One path from a leaf to the root and what it contributes to the leaf's gradient.

    `nodes` run leaf -> root; `edges[i]` joins `nodes[i]` (its target) to `nodes[i + 1]` (its
    source). `factors[i]` is the local derivative d nodes[i+1] / d nodes[i] when every node on the
    path is 0-d, else `factors` is None (a tensor edge is a linear map, not a number).
    `value` is shaped like the leaf; `magnitude` is |value| (Frobenius norm for tensors).
    """

    nodes: tuple[Tensor, ...]
    edges: tuple[Edge, ...]
    factors: tuple[float, ...] | None
    value: np.ndarray
    magnitude: float

    @property
    def args(self) -> tuple[int, ...]:
        return tuple(e.arg for e in self.edges)


@dataclass
class PathList:
    """The largest paths from one leaf to the root, largest first.

    `total` counts every path; `left_out = total - len(paths)`. `exact` is True when the ranking
    is guaranteed (scalar paths), False when it came from a beam over tensor paths.
    When `left_out == 0` the values sum to the leaf's gradient.
    """

    leaf: Tensor
    paths: list[Path]
    total: int
    left_out: int
    exact: bool


def count_paths(root: Tensor) -> dict[Tensor, int]:
    """For the root and every node that requires grad under it: how many paths lead from it to the root.

    paths(root) = 1 and paths(n) = sum over n's uses (edges) of paths(consumer); each consumer is
    final before its inputs are reached in reverse topological order. Python ints, so exact.
    """
    order = [n for n in reverse_topological_order(root) if n.requires_grad or n is root]
    counts: dict[Tensor, int] = {n: 0 for n in order}
    counts[root] = 1
    for node in order:
        for target in node.inputs:
            if target.requires_grad:
                counts[target] += counts[node]
    return counts


@dataclass
class _Partial:
    """A path from the root down to some node, as a back-pointer chain (shared, never copied)."""

    value: Value
    magnitude: float
    edge: Edge | None  # the edge just taken (None at the root)
    factor: float | None  # that edge's local derivative when it joins two 0-d nodes
    parent: "_Partial | None"


def top_paths(root: Tensor, seed: Any = None, k: int = 64) -> dict[Tensor, PathList]:
    """For every leaf under `root` (requires_grad, no op): its `k` largest paths to the root.

    A K-best dynamic programme from the root downwards: every node keeps the `k` largest partial
    paths root -> node, and extends each of them along each of the node's input edges.
    On scalar paths a magnitude is a product of |local derivatives|, so a path among a leaf's
    top k has a prefix among its node's top k and the listing is exact (ties keep discovery
    order). On tensor paths magnitudes (Frobenius norms) do not multiply, so the same procedure
    is a beam search: the listed paths are large ones but possibly not the largest, and
    `PathList.exact` is False. Either way the values are exact and, with nothing left out,
    they sum to the gradient (by linearity of each VJP).

    `seed` defaults to ones shaped like the root (1.0 for a scalar root).
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if not root.requires_grad:
        return {}
    counts = count_paths(root)
    order = [n for n in reverse_topological_order(root) if n.requires_grad]
    seed_value = np.ones(root.data.shape) if seed is None else as_array(seed)
    if seed_value.shape != root.data.shape:
        raise ValueError(f"seed of shape {seed_value.shape} does not match the root's shape {root.data.shape}")
    start = float(seed_value) if seed_value.ndim == 0 else seed_value
    pending: dict[Tensor, list[_Partial]] = {root: [_Partial(start, _magnitude(start), None, None, None)]}
    beams: dict[Tensor, list[_Partial]] = {}
    # all_scalar[n]: every path root -> n joins 0-d nodes only, so n's ranking is exact
    all_scalar: dict[Tensor, bool] = {root: root.data.ndim == 0}
    for node in order:
        candidates = pending.pop(node, [])
        # stable sort: equal magnitudes keep the (deterministic) order in which they arrived
        candidates.sort(key=lambda p: -p.magnitude)
        beam = beams[node] = candidates[:k]
        if node.op is None or not beam:
            continue
        targets = [(arg, t) for arg, t in enumerate(node.inputs) if t.requires_grad]
        if not targets:
            continue
        if node.data.ndim == 0 and all(t.data.ndim == 0 for _, t in targets):
            factors = _local_factors(node)
            for arg, target in targets:
                all_scalar[target] = all_scalar.get(target, True) and all_scalar[node]
                f = factors[arg]
                edge = Edge(node, target, arg)
                into = pending.setdefault(target, [])
                into.extend(_Partial(p.value * f, p.magnitude * abs(f), edge, f, p) for p in beam)
            continue
        inputs = [t.data for t in node.inputs]
        per_partial = [node.op.vjp(np.asarray(p.value), node.data, *inputs, **node.params) for p in beam]
        for arg, target in targets:
            all_scalar[target] = False
            edge = Edge(node, target, arg)
            into = pending.setdefault(target, [])
            for p, contributions in zip(beam, per_partial):
                c = _edge_value(contributions[arg], target)
                into.append(_Partial(c, _magnitude(c), edge, None, p))
    leaves = [n for n in reversed(order) if n.op is None]
    return {leaf: _path_list(leaf, beams.get(leaf, []), counts[leaf], all_scalar.get(leaf, True)) for leaf in leaves}


def _local_factors(node: Tensor) -> list[float]:
    """d node / d input for each argument of a 0-d node with 0-d inputs: its VJP applied to 1."""
    contributions = node.op.vjp(np.ones(()), node.data, *[t.data for t in node.inputs], **node.params)
    return [0.0 if c is None else float(c) for c in contributions]


def _edge_value(contribution: np.ndarray | None, target: Tensor) -> Value:
    """One argument's VJP contribution summed back to the input's shape (zero when the op sends none)."""
    if contribution is None:
        c = np.zeros(target.data.shape)
    else:
        c = unbroadcast(as_array(contribution), target.data.shape)
    return float(c) if c.ndim == 0 else c


def _magnitude(value: Value) -> float:
    if isinstance(value, float):
        return abs(value)
    return float(np.sqrt(np.sum(value * value)))


def _path_list(leaf: Tensor, beam: list[_Partial], total: int, exact: bool) -> PathList:
    paths = []
    for partial in beam:
        nodes, edges, factors = [leaf], [], []
        p = partial
        while p.edge is not None:
            edges.append(p.edge)
            factors.append(p.factor)
            nodes.append(p.edge.source)
            p = p.parent
        paths.append(Path(
            tuple(nodes), tuple(edges),
            None if any(f is None for f in factors) else tuple(factors),
            as_array(partial.value), partial.magnitude))
    return PathList(leaf, paths, total, total - len(paths), exact)

"""The chain rule as a sum over paths.

A leaf's gradient is the sum, over every path from the leaf up to the root, of the seed pushed
back along that path: at each edge (consumer `source`, its input `target`, argument `arg`) the
consumer's VJP is applied and only argument `arg`'s contribution is kept (summed back over
broadcast axes). On a scalar graph that is the product of the local derivatives on the path.
Counting paths and listing the largest ones run together as one dynamic programme over the
reverse topological order, so 60 doublings `x = x + x` (2**60 paths) take 60 steps, not 2**60.
"""

import math
from dataclasses import dataclass
from itertools import chain
from typing import Any, cast

import numpy as np

from engine.arrays import as_array
from engine.backward import call_vjp, reverse_topological_order
from engine.broadcast import unbroadcast
from engine.ops import Computed, Contributions
from engine.tensor import Tensor


@dataclass(frozen=True)
class Edge:
    """One use of `target` by `source`: `source.inputs[arg] is target`.

    Named as in `record.Event`: gradient flows from `source` (the consumer) to `target` (its input).
    """

    source: Tensor
    target: Tensor
    arg: int


class Path:
    """One path from a leaf to the root and what it contributes to the leaf's gradient.

    `nodes` run leaf -> root; `edges[i]` joins `nodes[i]` (its target) to `nodes[i + 1]` (its
    source). `factors[i]` is the local derivative d nodes[i+1] / d nodes[i] when every node on the
    path is 0-d, else `factors` is None (a tensor edge is a linear map, not a number).
    `value` is shaped like the leaf; `magnitude` is |value| (Frobenius norm for tensors);
    `length` counts the edges.

    `nodes`, `edges` and `factors` are read back from the search's pointers when asked for (the
    path's edges are followed once): 2**300 paths listed 64 per leaf hold millions of nodes, and a
    caller usually shows a few of them, and of those the nodes and factors, not the edges.
    """

    __slots__ = ("leaf", "value", "magnitude", "length", "_pointers", "_row", "_taken")

    def __init__(self, leaf: Tensor, value: np.ndarray, magnitude: float, length: int,
                 pointers: "_Pointers", row: int) -> None:
        self.leaf = leaf
        self.value = value
        self.magnitude = magnitude
        self.length = length
        self._pointers = pointers
        self._row = row
        self._taken: list[int] | None = None

    @property
    def edge_numbers(self) -> list[int]:
        """This path's edges, leaf -> root, as numbers into `search_edges`, which every path of one
        top_paths call shares: a writer of many paths can name each edge once and look paths up by these."""
        if self._taken is None:
            self._taken = self._pointers.taken(self.leaf, self._row)
        return self._taken

    @property
    def search_edges(self) -> "SearchEdges":
        return self._pointers.edges

    @property
    def nodes(self) -> tuple[Tensor, ...]:
        return (self.leaf, *map(self.search_edges.sources.__getitem__, self.edge_numbers))

    @property
    def edges(self) -> tuple[Edge, ...]:
        return tuple(map(self._pointers.edge, self.edge_numbers))

    @property
    def factors(self) -> tuple[float, ...] | None:
        local = list(map(self.search_edges.factors.__getitem__, self.edge_numbers))
        return None if None in local else tuple(cast(list[float], local))

    @property
    def args(self) -> tuple[int, ...]:
        return tuple(e.arg for e in self.edges)

    def __repr__(self) -> str:
        return f"Path(length={self.length}, magnitude={self.magnitude:.4g}, factors={self.factors})"


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
    (`top_paths` counts the same way, in its own pass.)
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
class _Beam:
    """Partial paths root -> one node, as parallel arrays (one row per path), largest first.

    `values[i]` is path i's gradient contribution at the node, shaped like the node; `edges[i]`
    indexes the edge it arrived by (-1 at the root) and `parents[i]` is its row in the beam of
    that edge's source, so a path is read back by following (edge, parent) pointers to the root;
    `lengths[i]` counts its edges. Arrays rather than objects: a 5,000-node scalar graph holds
    hundreds of thousands of partial paths. `ordered` says the rows are already largest first
    (a kept beam, or one scaled by a finite non-zero factor), so no sort is needed to merge it alone.
    """

    magnitudes: np.ndarray
    values: np.ndarray
    edges: np.ndarray
    parents: np.ndarray
    lengths: np.ndarray
    ordered: bool = True


# Beams of up to this many rows are faster as lists of floats (1.8x at 1-4 rows, 1.2x at 16); wider ones
# as arrays (lists are 1.1x slower at 32 rows and 1.6x at 64), measured on chains of doublings.
FLOAT_BEAM_ROWS = 16


@dataclass
class _FloatBeam:
    """A `_Beam` on a graph of 0-d nodes, as lists of Python numbers: there a beam holds a few rows, and
    NumPy calls on arrays of a few numbers cost far more than the arithmetic."""

    magnitudes: list[float]
    values: list[float]
    edges: list[int]
    parents: list[int]
    lengths: list[int]
    ordered: bool = True


def top_paths(root: Tensor, seed: Any = None, k: int = 64) -> dict[Tensor, PathList]:
    """For every leaf under `root` (requires_grad, no op): its `k` largest paths to the root.

    One pass over the graph in reverse topological order, a K-best dynamic programme: when a node
    is reached every consumer is done, so all its candidates (its consumers' kept paths, each
    extended by one edge) are known; it keeps the `k` largest, extends them along each of its
    input edges, and adds its path count to each input's. On scalar paths a magnitude is a
    product of |local derivatives|, so a path among a leaf's top k has a prefix among its node's
    top k and the listing is exact (ties keep discovery order). On tensor paths magnitudes
    (Frobenius norms) do not multiply, so the same procedure is a beam search: the listed paths
    are large ones but possibly not the largest, and `PathList.exact` is False. Either way the
    values are exact and, with nothing left out, they sum to the gradient (by linearity of each VJP).

    Each scalar edge's local derivative is computed once (its VJP applied to 1) and then
    multiplies whole beams; a tensor edge applies the VJP once per path in the beam.
    `seed` defaults to ones shaped like the root (1.0 for a scalar root). `k = 0` counts the
    paths and lists none. A graph of 0-d nodes whose beams stay narrow runs the same programme on
    Python floats (`float_top_paths`), with the same numbers and the same ranking.
    """
    if k < 0:
        raise ValueError("k must be at least 0")
    if not root.requires_grad:
        return {}
    start = np.ones(root.shape) if seed is None else as_array(seed)
    if start.shape != root.shape:
        raise ValueError(f"seed of shape {start.shape} does not match the root's shape {root.shape}")
    order = [n for n in reverse_topological_order(root) if n.requires_grad]
    if all(n.shape == () for n in order) and widest_beam(order, k) <= FLOAT_BEAM_ROWS:
        return float_top_paths(float(start), order, k)
    return array_top_paths(start, order, k)


def widest_beam(order: list[Tensor], k: int) -> int:
    """The most rows any node's beam holds: min(k, its paths to the root), counted as in count_paths
    (`order`: the nodes that require grad, root first, in reverse topological order)."""
    counts = {order[0]: 1}
    for node in order:
        paths = counts[node]
        for target in node.inputs:
            if target.requires_grad:
                counts[target] = counts.get(target, 0) + paths
    return min(k, max(counts.values()))


def array_top_paths(start: np.ndarray, order: list[Tensor], k: int) -> dict[Tensor, PathList]:
    """top_paths on arrays, for any graph: `order` is the nodes that require grad, root first, in
    reverse topological order; `start` is the seed."""
    root = order[0]
    edges = SearchEdges()
    counts: dict[Tensor, int] = {root: 1}
    pending: dict[Tensor, list[_Beam]] = {root: [_Beam(
        np.array([_norm(start)]), start[None], np.array([-1]), np.array([0]), np.array([0]))]}
    beams: dict[Tensor, _Beam] = {}
    # all_scalar[n]: every path root -> n joins 0-d nodes only, so n's ranking is exact
    all_scalar: dict[Tensor, bool] = {root: root.shape == ()}
    one = np.float64(1.0)
    for node in order:
        beam = beams[node] = _largest(pending.pop(node), k)
        targets = [(arg, t) for arg, t in enumerate(node.inputs) if t.requires_grad]
        if node.op is None or not targets:
            continue
        scalar = node.shape == () and all(t.shape == () for _, t in targets)
        if scalar:
            local = [0.0 if c is None else float(c) for c in call_vjp(node, one)]
        else:
            per_path = [call_vjp(node, v) for v in beam.values]
        rows = np.arange(len(beam.magnitudes))
        lengths = beam.lengths + 1
        for arg, target in targets:
            counts[target] = counts.get(target, 0) + counts[node]
            all_scalar[target] = scalar and all_scalar[node] and all_scalar.get(target, True)
            if scalar:
                f = local[arg]
                edges.add(node, target, arg, f)
                values, magnitudes = beam.values * f, beam.magnitudes * abs(f)
                # |f| times a descending column is still descending, unless 0 * inf or a NaN appears
                ordered = f != 0.0 and np.isfinite(f)
            else:
                edges.add(node, target, arg, None)
                values = np.array([_edge_value(c[arg], target) for c in per_path]).reshape(-1, *target.shape)
                # the row size spelled out: NumPy cannot infer a -1 from an empty beam (k = 0)
                magnitudes = np.sqrt(np.sum(values.reshape(len(rows), math.prod(target.shape)) ** 2, axis=1))
                ordered = False
            pending.setdefault(target, []).append(
                _Beam(magnitudes, values, np.full(len(rows), len(edges.factors) - 1), rows, lengths, bool(ordered)))
    pointers = _Pointers(edges, {node: (beam.edges.tolist(), beam.parents.tolist()) for node, beam in beams.items()})
    return {
        leaf: _path_list(leaf, list(beams[leaf].values), beams[leaf].magnitudes.tolist(),
                         beams[leaf].lengths.tolist(), pointers, counts[leaf], all_scalar[leaf])
        for leaf in reversed(order) if leaf.op is None
    }


def float_top_paths(start: float, order: list[Tensor], k: int) -> dict[Tensor, PathList]:
    """array_top_paths on a graph of 0-d nodes only, with beams of Python floats: the same local
    derivatives (one VJP call per node, at a NumPy 1.0), the same IEEE products and the same stable
    ranking, so the same paths, values and order (tests/app/test_scalar_fast_paths.py compares them).

    Its loop is the hot one of a scalar graph's record (~4 us a node): a node whose beam is one
    consumer's, already largest first and short enough, takes it without a call to _largest_floats,
    and the VJP is called, and the beam's rows and lengths made, only once an input needs them."""
    root = order[0]
    edges = SearchEdges()
    counts: dict[Tensor, int] = {root: 1}
    # the seed's magnitude as _norm computes it, sqrt(s * s) (not |s|, which differs where s * s overflows)
    pending = {root: [_FloatBeam([math.sqrt(start * start)], [start], [-1], [0], [0])]}
    beams: dict[Tensor, _FloatBeam] = {}
    one = np.float64(1.0)
    for node in order:
        candidates = pending.pop(node)
        beam = candidates[0]
        if len(candidates) > 1 or not beam.ordered or len(beam.magnitudes) > k:
            beam = _largest_floats(candidates, k)
        beams[node] = beam
        if node.op is None:
            continue
        local: Contributions | None = None
        for arg, target in enumerate(node.inputs):
            if not target.requires_grad:
                continue
            if local is None:
                local = call_vjp(node, one)
                rows = list(range(len(beam.magnitudes)))
                lengths = [length + 1 for length in beam.lengths]
            counts[target] = counts.get(target, 0) + counts[node]
            c = local[arg]
            f = 0.0 if c is None else float(c)
            edges.add(node, target, arg, f)
            # map(f.__mul__, ...): the products of a list comprehension, without its bytecode per row; as in
            # array_top_paths, scaling by a finite non-zero factor keeps the rows largest first
            scaled = _FloatBeam(list(map(abs(f).__mul__, beam.magnitudes)), list(map(f.__mul__, beam.values)),
                                [len(edges.factors) - 1] * len(rows), rows, lengths, f != 0.0 and math.isfinite(f))
            if target in pending:
                pending[target].append(scaled)
            else:
                pending[target] = [scaled]
    pointers = _Pointers(edges, {node: (beam.edges, beam.parents) for node, beam in beams.items()})
    return {
        leaf: _path_list(leaf, [np.float64(v) for v in beams[leaf].values], beams[leaf].magnitudes,
                         beams[leaf].lengths, pointers, counts[leaf], True)
        for leaf in reversed(order) if leaf.op is None
    }


def _largest(candidates: list[_Beam], k: int) -> _Beam:
    """The k largest rows of several beams, largest first; a stable sort keeps ties in arrival order."""
    if len(candidates) == 1:
        merged = candidates[0]
        if merged.ordered and len(merged.magnitudes) <= k:
            return merged
    else:
        magnitudes, values, edges, parents, lengths = (np.concatenate(parts) for parts in zip(*(
            (b.magnitudes, b.values, b.edges, b.parents, b.lengths) for b in candidates), strict=True))
        merged = _Beam(magnitudes, values, edges, parents, lengths, ordered=False)
    keep = np.argsort(-merged.magnitudes, kind="stable")[:k]
    return _Beam(merged.magnitudes[keep], merged.values[keep], merged.edges[keep], merged.parents[keep],
                 merged.lengths[keep])


def _largest_floats(candidates: list[_FloatBeam], k: int) -> _FloatBeam:
    """_largest on lists: Python's sort is stable too, and NumPy's sort puts NaN last, so does the key."""
    if len(candidates) == 1:
        merged = candidates[0]
        if merged.ordered and len(merged.magnitudes) <= k:
            return merged
    else:
        magnitudes, values, edges, parents, lengths = (list(chain.from_iterable(parts)) for parts in zip(*(
            (b.magnitudes, b.values, b.edges, b.parents, b.lengths) for b in candidates), strict=True))
        merged = _FloatBeam(magnitudes, values, edges, parents, lengths, ordered=False)
    magnitude = merged.magnitudes
    rows = range(len(magnitude))
    if math.isnan(sum(magnitude)):  # magnitudes are >= 0, so only a NaN among them makes the sum NaN
        keep = sorted(rows, key=lambda i: (True, 0.0) if math.isnan(magnitude[i]) else (False, -magnitude[i]))[:k]
    else:  # reverse=True keeps equal rows in their order, as a stable sort of -magnitude does
        keep = sorted(rows, key=magnitude.__getitem__, reverse=True)[:k]
    return _FloatBeam([magnitude[i] for i in keep], [merged.values[i] for i in keep],
                      [merged.edges[i] for i in keep], [merged.parents[i] for i in keep],
                      [merged.lengths[i] for i in keep])


def _edge_value(contribution: Computed | None, target: Tensor) -> np.ndarray:
    """One argument's VJP contribution summed back to the input's shape (zero when the op sends none)."""
    if contribution is None:
        return np.zeros(target.shape)
    return unbroadcast(as_array(contribution), target.shape)


def _norm(value: np.ndarray) -> float:
    return float(np.sqrt(np.sum(value * value)))


class SearchEdges:
    """The edges a search went along, numbered as it reached them, as parallel lists (cheaper to add to
    than an Edge each): edge e is Edge(sources[e], targets[e], args[e]); `factors[e]` its local derivative
    when it joins two 0-d nodes, else None. A path's `edge_numbers` index these lists."""

    def __init__(self) -> None:
        self.sources: list[Tensor] = []
        self.targets: list[Tensor] = []
        self.args: list[int] = []
        self.factors: list[float | None] = []

    def add(self, source: Tensor, target: Tensor, arg: int, factor: float | None) -> None:
        self.sources.append(source)
        self.targets.append(target)
        self.args.append(arg)
        self.factors.append(factor)


class _Pointers:
    """The beams' (edge, parent) pointers as lists, to read a path back from when it is asked for."""

    def __init__(self, edges: SearchEdges, rows: dict[Tensor, tuple[list[int], list[int]]]) -> None:
        self.edges = edges
        self.rows = rows  # per node: its beam's edge and parent of each row
        self.source_rows = [rows[s] for s in edges.sources]  # where a path arriving by edge e goes on

    def taken(self, leaf: Tensor, row: int) -> list[int]:
        """The edges of the path in row `row` of `leaf`'s beam, leaf -> root."""
        taken: list[int] = []
        take, source_rows = taken.append, self.source_rows  # locals: a 1,000-node graph's paths take ~35,000 steps
        edge_of, parent_of = self.rows[leaf]
        while (e := edge_of[row]) >= 0:
            take(e)
            row = parent_of[row]
            edge_of, parent_of = source_rows[e]
        return taken

    def edge(self, e: int) -> Edge:
        edges = self.edges
        return Edge(edges.sources[e], edges.targets[e], edges.args[e])


def _path_list(leaf: Tensor, values: list[Any], magnitudes: list[float], lengths: list[int], pointers: _Pointers,
               total: int, exact: bool) -> PathList:
    paths = [Path(leaf, value, magnitude, length, pointers, row) for row, (value, magnitude, length) in enumerate(
        zip(values, magnitudes, lengths, strict=True))]
    return PathList(leaf, paths, total, total - len(paths), exact)

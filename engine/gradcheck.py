"""Checking backward against centered finite differences, the way HIPS/autograd ships its checker.

For a leaf entry x_i, (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) approximates df/dx_i with a
truncation error of order eps^2 (f''' terms) and a rounding error of order ulp(f) / eps; the
epsilon sweep shows both, a V on a log-log plot with its bottom near eps = 1e-5 ... 1e-6.
f is `sum(seed * root)`, recomputed by replaying the recorded graph's forward functions on
copies of the data; the graph itself is never modified.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.arrays import as_array
from engine.backward import backward, topological_order
from engine.ops import OPS
from engine.tensor import Tensor, apply

# An entry passes when its relative error is within RTOL or its absolute error within ATOL.
# At eps = 1e-6 a correct rule leaves relative errors around 1e-10 ... 1e-8 (rounding: ulp(f)/eps);
# a wrong rule leaves errors of order 1. ATOL covers entries whose true derivative is ~0, where
# the relative error of two tiny numbers is meaningless.
RTOL = 1e-5
ATOL = 1e-7
SWEEP_EPSILONS = tuple(10.0 ** -p for p in range(1, 11))


@dataclass
class LeafCheck:
    """The comparison for one leaf.

    `numeric` holds the finite difference at the `checked` flat indices and NaN elsewhere (the
    element budget may leave entries unchecked). `analytic` is None when backward sent the leaf
    no gradient; it is then compared as zeros. `sweep` pairs each epsilon with the largest
    relative error over at most `sweep_elements` entries.
    """

    leaf: Tensor
    analytic: np.ndarray | None
    numeric: np.ndarray
    checked: np.ndarray
    max_rel_error: float
    max_abs_error: float
    passed: bool
    sweep: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class GradCheck:
    """Every leaf's check; `sweep` is the worst relative error over all leaves per epsilon."""

    leaves: list[LeafCheck]
    eps: float
    rtol: float
    atol: float
    passed: bool
    elements_checked: int
    elements_total: int
    sweep: list[tuple[float, float]]


def replay(order: list[Tensor], overrides: dict[Tensor, np.ndarray]) -> dict[Tensor, np.ndarray]:
    """Recompute the graph forward with some values replaced, without touching any Tensor.

    `order` is a topological order. Nodes none of whose inputs changed keep their recorded data;
    the rest run `op.forward` again. Returns the value of every node in `order`.
    """
    values: dict[Tensor, np.ndarray] = {}
    changed: set[Tensor] = set()
    for node in order:
        if node in overrides:
            values[node] = overrides[node]
            changed.add(node)
        elif node.op is not None and any(t in changed for t in node.inputs):
            value = node.op.forward(*[values[t] for t in node.inputs], **node.params)
            values[node] = as_array(value[0] if node.op.saves else value)  # without what it saves for the VJP
            changed.add(node)
        else:
            values[node] = node.data
    return values


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """|a - n| / (|a| + |n|), with 0 where both are 0."""
    diff = np.abs(analytic - numeric)
    relative: np.ndarray = diff / np.maximum(np.abs(analytic) + np.abs(numeric), np.finfo(np.float64).tiny)
    return relative


def gradcheck(root: Tensor, seed: Any = None, eps: float = 1e-6, max_elements: int = 10_000,
              sweep_elements: int = 16, rtol: float = RTOL, atol: float = ATOL,
              mode: str = "correct") -> GradCheck:
    """Compare the gradients backward (in `mode`) computes for every leaf against finite differences.

    `seed` weights the root (ones by default, so f = sum(root)); use a random seed for ops like
    softmax whose plain sum is constant. At most `max_elements` entries are perturbed, shared
    fairly between leaves and chosen evenly spaced, so an API can bound the work (each entry
    costs two partial forward replays); the sweep perturbs at most `sweep_elements` entries per
    epsilon in all, shared between the leaves the same way. `.grad` of every node is left as it was found.
    """
    order = topological_order(root)
    leaves = [n for n in order if n.requires_grad and n.op is None]
    weights = np.ones(root.data.shape) if seed is None else as_array(seed)
    if weights.shape != root.data.shape:
        raise ValueError(f"seed of shape {weights.shape} does not match the root's shape {root.data.shape}")
    analytic = _analytic_gradients(root, weights, order, mode)

    def f(leaf: Tensor, data: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            return float(np.sum(weights * replay(order, {leaf: data})[root]))

    def numeric_at(leaf: Tensor, index: int, h: float) -> float:
        up, down = leaf.data.copy(), leaf.data.copy()
        up.flat[index] += h
        down.flat[index] -= h
        return (f(leaf, up) - f(leaf, down)) / (2 * h)

    checks = []
    budget, sweep_budget, remaining_leaves = max_elements, sweep_elements, len(leaves)
    for leaf in leaves:
        share = budget // remaining_leaves
        sweep_share = -(-sweep_budget // remaining_leaves)  # rounded up: a small budget still sweeps the first leaves
        remaining_leaves -= 1
        indices = _spread(leaf.data.size, share)
        budget -= len(indices)
        a = analytic.get(leaf)
        numeric = np.full(leaf.data.shape, np.nan)
        for i in indices:
            numeric.flat[i] = numeric_at(leaf, i, eps)
        rel, abs_err, ok = _compare(a, numeric, leaf, indices, rtol, atol)
        sweep = []
        sample = _spread(leaf.data.size, sweep_share)
        sweep_budget -= len(sample)
        for h in SWEEP_EPSILONS:
            n = np.full(leaf.data.shape, np.nan)
            for i in sample:
                n.flat[i] = numeric_at(leaf, i, h)
            sweep.append((h, _compare(a, n, leaf, sample, rtol, atol)[0]))
        checks.append(LeafCheck(leaf, a, numeric, indices, rel, abs_err, ok, sweep))
    worst = [(h, max((c.sweep[j][1] for c in checks), default=0.0)) for j, h in enumerate(SWEEP_EPSILONS)]
    return GradCheck(checks, eps, rtol, atol, all(c.passed for c in checks),
                     sum(len(c.checked) for c in checks), sum(leaf.data.size for leaf in leaves), worst)


def _analytic_gradients(root: Tensor, seed: np.ndarray, order: list[Tensor], mode: str) -> dict[Tensor, np.ndarray]:
    """Run backward and read the leaves' gradients, restoring every `.grad` afterwards."""
    saved = {n: n.grad for n in order}
    for n in order:
        n.grad = None
    try:
        backward(root, seed.copy(), mode=mode)
        return {n: as_array(n.grad) for n in order if n.op is None and n.grad is not None}
    finally:
        for n, g in saved.items():
            n.grad = g


def _spread(size: int, limit: int) -> np.ndarray:
    """At most `limit` flat indices of 0..size-1, evenly spaced and always the same."""
    if limit >= size:
        return np.arange(size)
    if limit <= 0:
        return np.arange(0)
    return np.unique(np.linspace(0, size - 1, limit).round().astype(np.intp))


def _compare(analytic: np.ndarray | None, numeric: np.ndarray, leaf: Tensor, indices: np.ndarray,
             rtol: float, atol: float) -> tuple[float, float, bool]:
    """(max relative error, max absolute error, passed) over the checked entries."""
    if analytic is None:
        # no gradient reached the leaf: correct only if the function does not depend on it
        analytic = np.zeros(leaf.data.shape)
    if analytic.shape != leaf.data.shape:
        return np.inf, np.inf, False  # e.g. the no_unbroadcast bug: the gradient has the wrong shape
    if len(indices) == 0:
        return 0.0, 0.0, True
    a, n = analytic.flat[indices], numeric.flat[indices]
    rel = relative_error(a, n)
    diff = np.abs(a - n)
    ok = bool(np.all((rel <= rtol) | (diff <= atol)))  # NaN fails both comparisons
    return float(np.max(rel)), float(np.max(diff)), ok


# ---- checking single ops -------------------------------------------------------------------------


def sample_input(domain: str, shape: tuple[int, ...], rng: np.random.Generator, classes: int = 2) -> np.ndarray:
    """Values valid by construction for one of the op table's input domains."""
    if domain == "real":
        return rng.uniform(-2.0, 2.0, shape)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "nonzero":
        signed: np.ndarray = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
        return signed
    if domain == "targets":
        return rng.integers(0, classes, shape).astype(np.float64)
    raise ValueError(f"unknown input domain {domain!r}")


def op_inputs(name: str, shapes: list[tuple[int, ...]], rng: np.random.Generator) -> list[Tensor]:
    """Tensors for op `name`, one per shape, valid for its domain; class targets are constants."""
    op = OPS[name]
    classes = shapes[0][-1] if shapes and shapes[0] else 2
    return [Tensor(sample_input(d, s, rng, classes), requires_grad=d != "targets", label=f"x{i}")
            for i, (d, s) in enumerate(zip(op.domain, shapes, strict=True))]


def check_op(name: str, shapes: list[tuple[int, ...]], params: dict[str, Any] | None = None,
             seed: int = 0, **options: Any) -> GradCheck:
    """Gradcheck one op on random valid inputs, weighting its output with random values.

    Random weights matter: softmax's outputs sum to 1, so with ones every gradient would be 0.
    """
    rng = np.random.default_rng(seed)
    out = apply(name, *op_inputs(name, shapes, rng), **(params or {}))
    return gradcheck(out, rng.normal(size=out.data.shape), **options)

"""Random expressions over the whole op table agree with PyTorch, gradients to 1e-9 relative.

Expressions are drawn top-down for a target shape, so every op gets inputs of shapes it accepts;
inputs are valid by construction (a "positive" argument is a positive leaf or sigmoid(e) + 0.5,
exp only sees tanh(e)), so nothing is filtered out or caught. Leaves are sometimes reused, which
makes the expression a DAG with fan-out (and `x * x`-style double edges).
"""

from math import prod

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import OPS, Tensor, apply, topological_order
from engine.gradcheck import sample_input

SIZES = st.integers(1, 3)
SHAPES = st.lists(SIZES, max_size=3).map(tuple)
EXPONENTS = [2.0, 3.0, 0.5, -1.0, -1.5]

# An expression: ("leaf", index) | ("const", array) | ("op", name, params, children)


class Draft:
    """The leaves of one expression being drawn: (shape, domain) per leaf, reused at random."""

    def __init__(self, draw):
        self.draw = draw
        self.leaves: list[tuple[tuple[int, ...], str]] = []

    def leaf(self, shape, domain="real"):
        same = [i for i, spec in enumerate(self.leaves) if spec == (shape, domain)]
        if same and self.draw(st.booleans()):
            return ("leaf", self.draw(st.sampled_from(same)))
        self.leaves.append((shape, domain))
        return ("leaf", len(self.leaves) - 1)

    def expr(self, shape, depth):
        # Hypothesis leans towards small draws, so the rarer outcome (a leaf) is the large one
        if depth == 0 or self.draw(st.integers(0, 3)) == 3:
            return self.leaf(shape)
        name = self.draw(st.sampled_from(sorted(BUILDERS)))
        return BUILDERS[name](self, shape, depth - 1) or self.leaf(shape)

    def operand(self, shape, domain, depth):
        """An argument valid for `domain`, by construction."""
        if domain == "real":
            return self.expr(shape, depth)
        if self.draw(st.booleans()):
            inner = self.leaf(shape, "positive")
        else:  # sigmoid(e) + 0.5 lies in (0.5, 1.5)
            inner = ("op", "add", {}, [("op", "sigmoid", {}, [self.expr(shape, depth)]), ("const", np.array(0.5))])
        if domain == "nonzero" and self.draw(st.booleans()):
            return ("op", "neg", {}, [inner])
        return inner


def elementwise(name):
    def build(d, shape, depth):
        if name == "exp":  # keep e^x finite and well scaled: its argument is a tanh
            return ("op", "exp", {}, [("op", "tanh", {}, [d.expr(shape, depth)])])
        return ("op", name, {}, [d.operand(shape, OPS[name].domain[0], depth)])
    return build


def smaller(d, shape):
    """A shape that broadcasts up to `shape`: leading axes dropped, some axes set to 1."""
    kept = shape[d.draw(st.integers(0, len(shape))):]
    return tuple(1 if d.draw(st.booleans()) else n for n in kept)


def broadcasting(name):
    def build(d, shape, depth):
        shapes = [shape, smaller(d, shape)]
        if d.draw(st.booleans()):
            shapes.reverse()
        return ("op", name, {}, [d.operand(s, dom, depth) for s, dom in zip(shapes, OPS[name].domain, strict=True)])
    return build


def build_matmul(d, shape, depth):
    k = d.draw(SIZES)
    if len(shape) == 0:
        a, b = (k,), (k,)
    elif len(shape) == 1:
        a, b = d.draw(st.sampled_from([((k,), (k, shape[0])), ((shape[0], k), (k,))]))
    else:
        batch, (m, n) = shape[:-2], shape[-2:]
        a, b = batch + (m, k), d.draw(st.sampled_from([(k, n), batch + (k, n)]))
    return ("op", "matmul", {}, [d.expr(a, depth), d.expr(b, depth)])


def reduction(name):
    def build(d, shape, depth):
        ones = [i for i, n in enumerate(shape) if n == 1]
        if not shape and d.draw(st.booleans()):
            full, params = d.draw(SHAPES), {}
        elif ones and d.draw(st.booleans()):
            axes = d.draw(st.lists(st.sampled_from(ones), min_size=1, unique=True))
            full = tuple(d.draw(SIZES) if i in axes else n for i, n in enumerate(shape))
            params = {"axis": tuple(axes), "keepdims": True}
        elif len(shape) < 3:
            at = d.draw(st.integers(0, len(shape)))
            full = shape[:at] + (d.draw(SIZES),) + shape[at:]
            params = {"axis": d.draw(st.sampled_from([at, at - len(full)]))}
        else:
            return None
        return ("op", name, params, [d.expr(full, depth)])
    return build


def build_reshape(d, shape, depth):
    size = prod(shape)
    full = d.draw(st.sampled_from([(size,), tuple(reversed(shape)), shape[:2] + (1,)]))
    if prod(full) != size:
        full = (size,)
    target = shape
    if shape and d.draw(st.booleans()):
        i = d.draw(st.integers(0, len(shape) - 1))
        target = shape[:i] + (-1,) + shape[i + 1:]
    return ("op", "reshape", {"shape": target}, [d.expr(full, depth)])


def build_transpose(d, shape, depth):
    if d.draw(st.booleans()):
        return ("op", "transpose", {"axes": None}, [d.expr(tuple(reversed(shape)), depth)])
    axes = tuple(d.draw(st.permutations(range(len(shape)))))
    full = [0] * len(shape)
    for i, a in enumerate(axes):  # out.shape[i] = x.shape[axes[i]]
        full[a] = shape[i]
    return ("op", "transpose", {"axes": axes}, [d.expr(tuple(full), depth)])


def along_axis(name):
    def build(d, shape, depth):
        if not shape:
            return None
        return ("op", name, {"axis": d.draw(st.integers(-len(shape), len(shape) - 1))}, [d.expr(shape, depth)])
    return build


def build_cross_entropy(d, shape, depth):
    if shape:
        return None
    batch, classes = d.draw(SIZES), d.draw(st.integers(2, 3))
    targets = d.draw(st.lists(st.integers(0, classes - 1), min_size=batch, max_size=batch))
    return ("op", "cross_entropy", {}, [d.expr((batch, classes), depth), ("const", np.array(targets, dtype=float))])


def build_pow(d, shape, depth):
    return ("op", "pow", {"exponent": d.draw(st.sampled_from(EXPONENTS))}, [d.operand(shape, "positive", depth)])


BUILDERS = {
    **{name: elementwise(name) for name in ("neg", "exp", "log", "tanh", "relu", "sigmoid", "sqrt", "abs")},
    **{name: broadcasting(name) for name in ("add", "sub", "mul", "div")},
    **{name: reduction(name) for name in ("sum", "mean", "max")},
    **{name: along_axis(name) for name in ("softmax", "log_softmax")},
    "matmul": build_matmul, "reshape": build_reshape, "transpose": build_transpose,
    "cross_entropy": build_cross_entropy, "pow": build_pow,
}


@st.composite
def graphs(draw, root_op):
    """An expression whose root is `root_op`, its leaves' (shape, domain) and a seed for their values."""
    d = Draft(draw)
    for shape in (draw(SHAPES), (2,), ()):  # the fallbacks suit ops that need 1 or 0 dimensions
        root = BUILDERS[root_op](d, shape, 3)
        if root is not None:
            return root, d.leaves, draw(st.integers(0, 2**32 - 1))
    raise AssertionError(f"no root shape suits {root_op}")


def evaluate(expr, leaves, constant, call):
    kind = expr[0]
    if kind == "leaf":
        return leaves[expr[1]]
    if kind == "const":
        return constant(expr[1])
    _, name, params, children = expr
    return call(name, *[evaluate(c, leaves, constant, call) for c in children], **params)


def test_every_op_can_be_drawn():
    assert set(BUILDERS) == set(OPS)


# every op at the root of 20 expressions: Hypothesis favours the first of a list, so drawing the
# root op too would leave ops late in the table barely tested
@pytest.mark.parametrize("root_op", sorted(OPS))
@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_graphs_match_torch(root_op, data, torch_ops, close_to_torch):
    expr, specs, value_seed = data.draw(graphs(root_op))
    rng = np.random.default_rng(value_seed)
    values = [sample_input(domain, shape, rng) for shape, domain in specs]
    ours = [Tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    out = evaluate(expr, ours, Tensor, apply)
    expected = evaluate(expr, theirs, torch.tensor, lambda name, *a, **p: torch_ops[name](*a, **p))
    close_to_torch(out.data, expected)
    weights = rng.normal(size=out.shape)
    out.backward(weights)
    expected.backward(torch.tensor(weights))
    for leaf, their in zip(ours, theirs, strict=True):
        close_to_torch(leaf.grad, their.grad)


@pytest.mark.parametrize("root_op", sorted(OPS))
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_fast_loop_leaves_the_general_loops_gradients(root_op, data):
    # backward without a record runs backward_correct, with one the general loop: every node's
    # gradient the same bits (any NaN as one NaN), after two calls (leaves accumulate), each an
    # array of its own
    expr, specs, value_seed = data.draw(graphs(root_op))
    runs = []
    for record in (False, True):
        rng = np.random.default_rng(value_seed)
        leaves = [Tensor(sample_input(domain, shape, rng), requires_grad=True) for shape, domain in specs]
        out = evaluate(expr, leaves, Tensor, apply)
        weights = rng.normal(size=out.shape)
        for _ in range(2):
            out.backward(weights, record=record)
        nodes = topological_order(out)
        grads = [t.grad for t in nodes]
        arrays = [g for g in grads if isinstance(g, np.ndarray)]
        assert len({id(g) for g in arrays}) == len(arrays) and all(g.base is None for g in arrays)
        nans_as_one = [None if g is None else np.where(np.isnan(g), np.nan, g) for g in grads]
        runs.append([(type(g), None if n is None else (n.shape, n.tobytes()))
                     for g, n in zip(grads, nans_as_one, strict=True)])
    assert runs[0] == runs[1]

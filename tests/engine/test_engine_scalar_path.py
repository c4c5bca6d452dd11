"""The scalar fast path (0-d values and gradients kept as Python floats) against the tensor path.

Random scalar programs are run twice: on numbers, where every value and gradient travels as a
Python float, and on the same numbers as arrays of shape (1,), where every op runs on arrays and
every contribution is checked and summed back like any tensor's. Values and gradients must agree
bit for bit, in every mode, including infinities and NaNs. `Tensor.data` stays an ndarray and
`.grad` a NumPy float or an array.

Except for three ops: on floats, tanh, exp and log are `math`'s (the C library's), which are
within a few ulps of NumPy's own vectorized versions but not always equal (on the machine this was
written on, 28% of tanh's results differ by one ulp, a few by 2 or 3, 4.5% of exp's by one). Chained, one ulp can grow
without bound (exp of a large number), so whole programs are compared bit for bit without these
three, and `test_every_node_of_the_fast_path_follows_the_tensor_rules` checks programs with all
ops node by node: each value within 4 ulps of the tensor path's op on the same inputs, and every
gradient contribution and sum exactly what the tensor path's rules give for the same numbers.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import MODES, OPS, Tensor, apply

ROUNDED_BY_MATH = {"tanh", "exp", "log"}  # on floats within a few ulps of NumPy's, not always equal
ALL_UNARY = [name for name, op in OPS.items() if op.arity == 1 and not op.params]
UNARY = [name for name in ALL_UNARY if name not in ROUNDED_BY_MATH]
BINARY = [name for name, op in OPS.items() if op.arity == 2 and op.broadcasts]
NUMBERS = st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.5, 1e-300, 1e300, 700.0, -750.0, np.inf, np.nan])


@st.composite
def programs(draw, unary=UNARY):
    """(leaf values, steps): a step is (op, input indices, a Python number operand or None, exponent)."""
    leaves = draw(st.lists(NUMBERS, min_size=1, max_size=4))
    steps = []
    for i in range(draw(st.integers(1, 15))):
        available = len(leaves) + i
        kind = draw(st.sampled_from(["unary", "binary", "number", "pow"]))
        pick = st.integers(0, available - 1)
        if kind == "unary":
            steps.append((draw(st.sampled_from(unary)), (draw(pick),), None, None))
        elif kind == "binary":
            steps.append((draw(st.sampled_from(BINARY)), (draw(pick), draw(pick)), None, None))
        elif kind == "number":  # `x * 2.0` or `2.0 - x`: a Python number becomes a constant
            steps.append((draw(st.sampled_from(BINARY)), (draw(pick),), draw(NUMBERS), draw(st.booleans())))
        else:
            steps.append(("pow", (draw(pick),), None, draw(st.sampled_from([2.0, 3.0, 0.5, -1.0, -1.5]))))
    return leaves, steps


def build(program, as_tensor: bool) -> list[Tensor]:
    """The program's nodes, leaves first; on numbers, or on arrays of shape (1,)."""
    leaves, steps = program
    nodes = [Tensor(np.array([v]) if as_tensor else v, requires_grad=True) for v in leaves]
    for name, picks, number, flag in steps:
        args = [nodes[i] for i in picks]
        if name == "pow":
            nodes.append(apply("pow", *args, exponent=flag))
        elif number is not None:
            constant = np.array([number]) if as_tensor else number
            nodes.append(apply(name, *((constant, args[0]) if flag else (args[0], constant))))
        else:
            nodes.append(apply(name, *args))
    return nodes


def run(program, as_tensor: bool, mode: str):
    """Build and backpropagate the program; values and gradients as plain arrays of shape ()."""
    nodes = build(program, as_tensor)
    root = nodes[-1]
    seed = np.ones(root.shape) if as_tensor or mode == "alias" else None
    root.backward(seed, mode=mode)
    shape = () if not as_tensor else (1,)
    grads = [None if t.grad is None else np.asarray(t.grad).reshape(()) for t in nodes]
    for t in nodes:
        assert type(t.data) is np.ndarray and t.data.shape == shape
        assert t.grad is None or type(t.grad) is (np.ndarray if as_tensor or mode == "alias" else np.float64)
    return [t.data.reshape(()) for t in nodes], grads


@settings(max_examples=300, deadline=None)
@given(programs(), st.sampled_from(MODES))
def test_scalar_fast_path_equals_the_tensor_path(program, mode):
    with np.errstate(all="ignore"):
        fast_values, fast_grads = run(program, as_tensor=False, mode=mode)
        values, grads = run(program, as_tensor=True, mode=mode)
    for a, b in zip(fast_values, values, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(fast_grads, grads, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)


def within_4_ulps(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 4 * np.spacing(max(abs(a), abs(b)))


@settings(max_examples=300, deadline=None)
@given(programs(unary=ALL_UNARY))
def test_every_node_of_the_fast_path_follows_the_tensor_rules(program):
    with np.errstate(all="ignore"):
        nodes = build(program, as_tensor=False)
        record = nodes[-1].backward(record=True)
        assert record is not None
        for node in nodes[len(program[0]):]:  # each op against the tensor path on the same inputs
            assert node.op is not None
            inputs = [Tensor(np.array([float(t.data)])) for t in node.inputs]
            on_arrays = float(apply(node.op.name, *inputs, **node.params).data[0])
            if node.op.name in ROUNDED_BY_MATH:
                assert within_4_ulps(float(node.data), on_arrays), (node.op.name, float(node.data), on_arrays)
            else:
                np.testing.assert_array_equal(node.data, on_arrays)
        for step in record.steps:  # each contribution: the VJP on arrays of the same numbers, summed by +
            node = step.node
            assert node.op is not None
            as_1 = [np.array([float(v)]) for v in (step.grad, node.data, *[t.data for t in node.inputs])]
            contributions = node.op.vjp(*as_1, **node.params)
            for event in step.events:
                np.testing.assert_array_equal(event.contribution, contributions[event.arg][0])
                expected = event.contribution if event.grad_before is None else event.grad_before + event.contribution
                np.testing.assert_array_equal(event.grad_after, expected)
        for node in nodes:
            if node in record.grads:
                np.testing.assert_array_equal(node.grad, record.grads[node])


def test_data_is_an_array_that_a_caller_may_change_in_place():
    x = Tensor(2.0, requires_grad=True)
    y = x * 3.0
    assert type(y.data) is np.ndarray and y.data.shape == () and float(y.data) == 6.0
    x.data[...] = 5.0  # from now on the array is x's value
    z = x * 3.0
    assert float(z.data) == 15.0
    x.data -= 1.0
    assert float((x * 3.0).data) == 12.0
    x.data = 7.0
    assert type(x.data) is np.ndarray and float((x + 0.0).data) == 7.0


def test_an_array_passed_in_is_the_value_itself():
    a = np.array(2.0)
    x = Tensor(a)
    assert x.data is a


@pytest.mark.parametrize("mode", MODES)
def test_record_holds_arrays_that_later_changes_do_not_reach(mode):
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(3.0, requires_grad=True)
    loss = ((a * b + a) * b).sum()
    record = loss.backward(mode=mode, record=True)
    assert record is not None
    saved = [(e.contribution.copy(), e.grad_after.copy()) for s in record.steps for e in s.events]
    for t in (a, b, loss):
        assert type(record.grads[t]) is np.ndarray
    for t in [record.root, *record.order]:
        if isinstance(t.grad, np.ndarray):
            t.grad *= 100.0  # a caller changing gradients in place, e.g. an optimizer
    if mode != "alias":  # the alias bug shares arrays on purpose
        now = [(e.contribution, e.grad_after) for s in record.steps for e in s.events]
        for (c0, g0), (c1, g1) in zip(saved, now, strict=True):
            np.testing.assert_array_equal(c0, c1)
            np.testing.assert_array_equal(g0, g1)


# ---- backward's loop for mode "correct" without a record, against the general loop -------------


def grads_of(program, record: bool, touched: list[int]) -> list:
    """Every node's .grad after two backward calls (leaves accumulate), and its type; the nodes
    numbered in `touched` have had their `.data` read first, so their value is a 0-d array."""
    nodes = build(program, as_tensor=False)
    for i in touched:
        nodes[i % len(nodes)].data  # noqa: B018 (reading it turns the Python float into an array)
    for _ in range(2):
        nodes[-1].backward(record=record)
    return [(type(t.grad), None if t.grad is None else bits(t.grad)) for t in nodes]


def bits(value) -> bytes:
    """The value's bytes, every NaN made one NaN: a NaN's sign bit is no part of what backward promises
    (Hypothesis found it differing between the two loops on one program, and not on every run)."""
    array = np.asarray(value)
    return np.where(np.isnan(array), np.nan, array).tobytes()


@settings(max_examples=300, deadline=None)
@given(programs(unary=ALL_UNARY), st.lists(st.integers(0, 30), max_size=3))
def test_the_fast_loop_leaves_the_general_loops_gradients(program, touched):
    # record=True runs the general loop, record=False backward_correct's; the same bits and types
    with np.errstate(all="ignore"):
        assert grads_of(program, False, touched) == grads_of(program, True, touched)

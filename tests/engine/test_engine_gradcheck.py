"""The gradient checker: it must catch wrong rules and bug modes, bound its work, and touch nothing.

(That it passes on every op is test_engine_ops.test_gradients_match_finite_differences.)
"""

import dataclasses

import numpy as np
import pytest

from engine import OPS, Tensor
from engine.backward import topological_order
from engine.gradcheck import check_op, gradcheck, relative_error, replay

# one small valid case per op: the first shapes its domain accepts
FIRST_CASE = {
    "matmul": ([(3, 4), (4, 2)], {}), "cross_entropy": ([(4, 3), (4,)], {}), "pow": ([(2, 3)], {"exponent": 2.5}),
    "reshape": ([(2, 3)], {"shape": (3, 2)}), "transpose": ([(2, 3)], {}), "sum": ([(2, 3)], {"axis": 0}),
    "mean": ([(2, 3)], {"axis": 1}), "max": ([(2, 3)], {"axis": 1}),
}


def first_case(name):
    return FIRST_CASE.get(name, ([(2, 3)] * OPS[name].arity, {}))


def scaled(vjp, by):
    """A deliberately wrong rule: every contribution off by a factor."""
    def wrong(*args, **params):
        return tuple(None if c is None else c * by for c in vjp(*args, **params))
    return wrong


@pytest.mark.parametrize("name", list(OPS))
def test_a_wrong_rule_is_caught(name, monkeypatch):
    shapes, params = first_case(name)
    assert check_op(name, shapes, params).passed
    monkeypatch.setitem(OPS, name, dataclasses.replace(OPS[name], vjp=scaled(OPS[name].vjp, 1.01)))
    check = check_op(name, shapes, params)
    assert not check.passed
    assert check.leaves[0].max_rel_error > 1e-3


def test_swapped_mul_rule_is_caught(monkeypatch):
    # the classic slip: each input gets the gradient times *itself*
    mul = OPS["mul"]
    monkeypatch.setitem(OPS, "mul", dataclasses.replace(mul, vjp=lambda g, out, x, y: (g * x, g * y)))
    check = check_op("mul", [(3,), (3,)])
    assert [c.passed for c in check.leaves] == [False, False]


def diamond():
    a, b, c = (Tensor(v, requires_grad=True) for v in (2.0, 3.0, 4.0))
    return (a * b + c) * (a - c)


def test_bug_modes_fail_and_correct_passes():
    assert gradcheck(diamond()).passed
    overwrite = gradcheck(diamond(), mode="overwrite")
    assert [c.passed for c in overwrite.leaves] == [False, True, False]  # b's one use is unaffected
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones((4, 3)), requires_grad=True)
    mismatched = gradcheck((a + b).sum(), mode="no_unbroadcast")
    assert not mismatched.passed and mismatched.leaves[0].max_rel_error == np.inf
    assert mismatched.leaves[1].passed


def test_epsilon_sweep_has_the_v_shape():
    x = Tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)
    check = gradcheck(((x * 1.5).tanh().exp() * x).sum())
    errors = dict(check.sweep)
    assert list(errors) == [10.0 ** -p for p in range(1, 11)]
    bottom = errors[1e-6]
    assert errors[1e-1] > 100 * bottom  # truncation error, order eps^2
    assert errors[1e-10] > 100 * bottom  # rounding error, order ulp / eps
    assert check.leaves[0].sweep == check.sweep


def test_element_budget_bounds_the_work():
    a = Tensor(np.random.default_rng(0).normal(size=(10, 10)), requires_grad=True)
    b = Tensor(np.random.default_rng(1).normal(size=(10,)), requires_grad=True)
    check = gradcheck((a * b).tanh().sum(), max_elements=12, sweep_elements=3)
    assert check.elements_checked == 12 and check.elements_total == 110
    for leaf in check.leaves:
        checked = np.zeros(leaf.leaf.data.size, bool)
        checked[leaf.checked] = True
        assert np.all(np.isnan(leaf.numeric.flat[~checked])) and not np.any(np.isnan(leaf.numeric.flat[checked]))
        assert leaf.passed
    again = gradcheck((a * b).tanh().sum(), max_elements=12, sweep_elements=3)
    assert [c.checked.tolist() for c in again.leaves] == [c.checked.tolist() for c in check.leaves]
    assert check.leaves[0].checked.tolist() == [0, 20, 40, 59, 79, 99]  # evenly spread, ends included


def test_nothing_is_modified():
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = (x * x).sum()
    data = x.data.copy()
    x.grad = np.array([7.0, 7.0])
    check = gradcheck(y)
    assert check.passed
    np.testing.assert_array_equal(x.data, data)
    np.testing.assert_array_equal(x.grad, [7.0, 7.0])
    assert y.grad is None
    np.testing.assert_array_equal(check.leaves[0].analytic, 2 * data)


def test_replay_recomputes_only_what_changed():
    x = Tensor(2.0, requires_grad=True)
    c = Tensor(3.0)
    y = (x * c).exp() + c
    order = topological_order(y)
    values = replay(order, {x: np.array(0.0)})
    assert float(values[y]) == 4.0 and float(y.data) == np.exp(6.0) + 3.0
    assert values[c] is c.data


def test_relative_error():
    errors = relative_error(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, -2.0]))
    np.testing.assert_array_equal(errors, [0.0, 0.0, 1.0])


def test_a_leaf_multiplied_by_zero_passes_with_zero_gradients():
    x = Tensor(1.0, requires_grad=True)
    unused = Tensor(1.0, requires_grad=True)
    y = x * 2.0 + (unused * 0.0)
    check = gradcheck(y)
    assert check.passed and float(check.leaves[1].numeric) == 0.0

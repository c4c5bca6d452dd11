"""Every op in the table, through the table: gradients vs finite differences and vs PyTorch float64.

Cases come from each op's metadata (arity, broadcasts, params, domain), so a new elementwise or
reduction op is tested as soon as it is registered; an op that needs special cases and has none
fails test_every_op_has_cases.
"""

import numpy as np
import pytest
import torch

from engine import OPS, Tensor, apply
from engine.gradcheck import gradcheck, op_inputs

BROADCAST_PAIRS = [
    ((), ()), ((), (2, 3)), ((2, 3), ()), ((3,), (4, 3)), ((4, 3), (3,)), ((3, 1), (3, 5)),
    ((2, 1, 4), (3, 1)), ((2, 3), (2, 3)),
]
ELEMENTWISE_SHAPES = [(), (5,), (2, 3)]
REDUCTIONS = [((), {})] + [
    ((2, 3, 4), {"axis": axis, "keepdims": keepdims})
    for axis in (None, 0, 1, -1, (0, 2)) for keepdims in (False, True)
] + [((4,), {"axis": 0})]
SPECIAL = {
    "pow": [([(2, 3)], {"exponent": p}) for p in (2.0, 3.0, 0.5, -1.5)] + [([()], {"exponent": 2.0})],
    "matmul": [([(3, 4), (4, 2)], {}), ([(4,), (4, 2)], {}), ([(3, 4), (4,)], {}), ([(4,), (4,)], {}),
               ([(2, 3, 4), (4, 5)], {}), ([(2, 3, 4), (2, 4, 5)], {}), ([(1, 3, 4), (2, 4, 2)], {})],
    "reshape": [([(2, 3)], {"shape": (3, 2)}), ([(2, 3)], {"shape": (6,)}), ([(6,)], {"shape": (2, -1)}),
                ([()], {"shape": (1, 1)})],
    "transpose": [([(2, 3)], {"axes": None}), ([(2, 3, 4)], {"axes": (1, 2, 0)}), ([(2, 3, 4)], {"axes": None})],
    "softmax": [([(5,)], {"axis": -1}), ([(2, 3)], {"axis": 0}), ([(2, 3)], {"axis": -1}), ([(2, 3, 4)], {"axis": 1})],
    "cross_entropy": [([(4, 3), (4,)], {}), ([(1, 5), (1,)], {})],
}
SPECIAL["log_softmax"] = SPECIAL["softmax"]


def cases_for(name: str) -> list[tuple[list[tuple[int, ...]], dict]]:
    op = OPS[name]
    if name in SPECIAL:
        return SPECIAL[name]
    if op.broadcasts and op.arity == 2:
        return [(list(pair), {}) for pair in BROADCAST_PAIRS]
    if op.arity == 1 and not op.params:
        return [([shape], {}) for shape in ELEMENTWISE_SHAPES]
    if op.arity == 1 and op.params == ("axis", "keepdims"):
        return [([shape], params) for shape, params in REDUCTIONS]
    return []


CASES = [pytest.param(name, shapes, params, id=f"{name}-{'-'.join(map(str, shapes))}-{params}")
         for name in OPS for shapes, params in cases_for(name)]


def build(name, shapes, params, seed=0):
    """Inputs valid for the op's domain, its output, and random weights for the output."""
    rng = np.random.default_rng(seed)
    inputs = op_inputs(name, shapes, rng)
    out = apply(name, *inputs, **params)
    return inputs, out, rng.normal(size=out.shape)


def test_every_op_has_cases():
    assert [name for name in OPS if not cases_for(name)] == []


def test_torch_covers_every_op(torch_ops):
    assert set(torch_ops) == set(OPS)


def test_every_op_has_one_domain_per_input():
    assert {name: op.domain for name, op in OPS.items() if len(op.domain) != op.arity} == {}


@pytest.mark.parametrize("name, shapes, params", CASES)
def test_gradients_match_finite_differences(name, shapes, params):
    inputs, out, weights = build(name, shapes, params)
    check = gradcheck(out, weights)
    assert check.passed, [(c.leaf.label, c.max_rel_error, c.max_abs_error) for c in check.leaves]
    assert check.elements_checked == sum(t.data.size for t in inputs if t.requires_grad)


@pytest.mark.parametrize("name, shapes, params", CASES)
def test_gradients_match_torch(name, shapes, params, torch_ops, close_to_torch):
    inputs, out, weights = build(name, shapes, params)
    out.backward(weights)
    theirs = [torch.tensor(t.data, requires_grad=t.requires_grad) for t in inputs]
    expected = torch_ops[name](*theirs, **params)
    close_to_torch(out.data, expected)
    expected.backward(torch.tensor(weights))
    for ours, their in zip(inputs, theirs, strict=True):
        if ours.requires_grad:
            close_to_torch(ours.grad, their.grad)
            assert ours.grad.shape == ours.data.shape


def test_broadcast_pairs_stretch_each_side():
    # unbroadcast only works when an input is smaller than the output: the pairs must stretch the
    # left input, the right input, and both at once ((2,1,4) with (3,1))
    stretched = [(np.broadcast_shapes(a, b) != a, np.broadcast_shapes(a, b) != b) for a, b in BROADCAST_PAIRS]
    assert {(True, False), (False, True), (True, True)} <= set(stretched)


def test_scalars_and_arrays_become_constants():
    x = Tensor(np.arange(3.0), requires_grad=True)
    y = (2.0 * x + np.ones(3)).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])
    assert [t.requires_grad for t in y.inputs[0].inputs] == [True, False]


def test_nodes_without_params_share_one_empty_dict_that_nothing_changes():
    x = Tensor(2.0, requires_grad=True)
    y = (x * 3.0).tanh()
    y.backward()
    apply("sum", Tensor([1.0, 2.0], requires_grad=True), axis=0).backward()
    assert x.params is y.params is y.inputs[0].params and x.params == {}
    assert apply("sum", Tensor([1.0, 2.0]), axis=0).params == {"axis": 0}

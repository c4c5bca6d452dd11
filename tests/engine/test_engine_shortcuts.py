"""Work the engine spares itself, each shortcut against the general definition, bit for bit.

- Op.saves: a VJP given what its forward kept returns what it returns computing that itself.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine import OPS, Tensor, apply
from engine.gradcheck import op_inputs

SAVING = [name for name, op in OPS.items() if op.saves]
SHAPES = {"cross_entropy": [(4, 3), (4,)]}


def test_every_saving_op_has_shapes():
    assert SAVING and set(SAVING) <= set(SHAPES)


def assert_same_contributions(ours: tuple, general: tuple) -> None:
    assert len(ours) == len(general)
    for a, b in zip(ours, general, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b, strict=True)


@pytest.mark.parametrize("name", SAVING)
@pytest.mark.parametrize("seed", range(5))
def test_a_saved_vjp_is_the_vjp_without(name, seed):
    rng = np.random.default_rng(seed)
    out = apply(name, *op_inputs(name, SHAPES[name], rng))
    g = rng.normal(size=out.shape)
    values = [t.data for t in out.inputs]
    assert out.saved is not None
    assert_same_contributions(OPS[name].vjp(g, out.data, *values, saved=out.saved),
                              OPS[name].vjp(g, out.data, *values))


@settings(max_examples=200, deadline=None)
@given(logits=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=6),
                         elements=st.floats(-1e3, 1e3)),
       picks=st.lists(st.integers(0, 5), min_size=6, max_size=6), g=st.floats(-10.0, 10.0))
def test_cross_entropy_backward_uses_the_saved_softmax_exactly(logits, picks, g):
    """Through backward (which passes `saved`) as through the rule alone (which computes it)."""
    rows, classes = logits.shape
    targets = np.array([p % classes for p in picks[:rows]], dtype=np.float64)
    x = Tensor(logits, requires_grad=True)
    loss = x.cross_entropy(targets)
    loss.backward(np.float64(g))
    (expected, none) = OPS["cross_entropy"].vjp(np.float64(g), loss.data, logits, targets)
    assert none is None
    np.testing.assert_array_equal(x.grad, expected, strict=True)

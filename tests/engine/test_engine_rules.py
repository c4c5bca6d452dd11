"""Backward refuses a wrong VJP rule: one contribution per input, each shaped to fit its input.

Each test swaps one row of the op table for a copy with a deliberately broken rule. Without the
checks, a missing contribution left a gradient silently None and an extra leading axis was summed
away into a doubled gradient.
"""

import dataclasses

import numpy as np
import pytest

from engine import MODES, OPS, Tensor, VJPRuleError, apply
from engine.ops import Op


@pytest.fixture
def broken(monkeypatch):
    """broken(name, vjp): op `name` now uses `vjp` (for this test only), a plain rule of g, out and
    the inputs (told nothing of which inputs need a contribution: Op.skips)."""

    def swap(name: str, vjp) -> Op:
        op = dataclasses.replace(OPS[name], vjp=vjp, skips=False)
        monkeypatch.setitem(OPS, name, op)
        return op

    return swap


def leaf(*shape: int) -> Tensor:
    return Tensor(np.arange(1.0, 1.0 + np.prod(shape, dtype=int)).reshape(shape), requires_grad=True)


def backward_ones(out: Tensor, mode: str = "correct") -> None:
    out.backward(np.ones(out.shape), mode=mode)


# ---- how many contributions -------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_one_contribution_too_few_is_refused(broken, mode):
    broken("mul", lambda g, out, x, y: (g * y,))
    with pytest.raises(VJPRuleError, match=r"VJP of mul returned 1 contribution for 2 inputs"):
        backward_ones(apply("mul", leaf(3), leaf(3)), mode)


def test_one_contribution_too_many_is_refused(broken):
    broken("neg", lambda g, out, x: (-g, -g))
    with pytest.raises(VJPRuleError, match=r"VJP of neg returned 2 contributions for 1 input$"):
        backward_ones(apply("neg", leaf(2)))


def test_a_bare_array_instead_of_a_tuple_is_refused(broken):
    # iterating a (2,)-array would have looked like two contributions
    broken("exp", lambda g, out, x: g * out)
    with pytest.raises(VJPRuleError, match=r"VJP of exp returned a ndarray instead of a tuple"):
        backward_ones(apply("exp", leaf(2)))


def test_none_still_means_no_gradient_for_that_input():
    logits, targets = leaf(2, 3), Tensor([0.0, 2.0])
    apply("cross_entropy", logits, targets).backward()
    assert logits.grad.shape == (2, 3) and targets.grad is None


# ---- the shape of each contribution -----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_an_extra_leading_axis_is_refused_not_summed_into_a_doubled_gradient(broken, mode):
    broken("add", lambda g, out, x, y: (np.stack([g, g]), g))
    message = r"VJP of add returned a contribution of shape \(2,3\) for input 0 of shape \(3,\)"
    with pytest.raises(VJPRuleError, match=message):
        backward_ones(apply("add", leaf(3), leaf(3)), mode)


def test_a_broadcasting_op_may_not_exceed_its_output(broken):
    # (3,1) + (3,5) -> (3,5): a (3,5) contribution to the (3,1) input is right, (2,3,5) is not
    broken("mul", lambda g, out, x, y: (np.broadcast_to(g * y, (2, 3, 5)), g * x))
    with pytest.raises(VJPRuleError, match=r"VJP of mul .* shape \(2,3,5\) for input 0 of shape \(3,1\)"):
        backward_ones(apply("mul", leaf(3, 1), leaf(3, 5)))


def test_a_broadcasting_op_may_not_stretch_an_axis_its_input_has(broken):
    broken("sub", lambda g, out, x, y: (g, -g[:, :1]))
    with pytest.raises(VJPRuleError, match=r"VJP of sub .* shape \(3,1\) for input 1 of shape \(3,5\)"):
        backward_ones(apply("sub", leaf(3, 5), leaf(3, 5)))


def test_a_non_broadcasting_op_must_give_its_input_shape(broken):
    # sum's gradient must be spread back over x; handing back g itself is the classic slip
    broken("sum", lambda g, out, x, axis=None, keepdims=False: (g,))
    with pytest.raises(VJPRuleError, match=r"VJP of sum .* shape \(\) for input 0 of shape \(4,\)"):
        apply("sum", leaf(4)).backward()


def test_an_output_shaped_contribution_is_refused_where_the_op_does_not_broadcast(broken):
    # reshape (2,3) -> (6,): g of shape (6,) must be reshaped back, not handed on
    broken("reshape", lambda g, out, x, shape=(): (g,))
    with pytest.raises(VJPRuleError, match=r"VJP of reshape .* shape \(6,\) for input 0 of shape \(2,3\)"):
        backward_ones(apply("reshape", leaf(2, 3), shape=(6,)))


def test_matmul_batch_axes_are_summed_back():
    a, b = leaf(1, 3, 4), leaf(2, 4, 2)
    backward_ones(a @ b)
    assert a.grad.shape == (1, 3, 4) and b.grad.shape == (2, 4, 2)
    np.testing.assert_allclose(a.grad, (np.ones((2, 3, 2)) @ np.swapaxes(b.data, -1, -2)).sum(axis=0, keepdims=True))
    v, m = leaf(4), leaf(2, 4, 5)
    backward_ones(v @ m)  # the vector's contribution has shape (2, 4): a batch axis over its one core axis
    assert v.grad.shape == (4,)


def test_matmul_core_axes_must_match_exactly(broken):
    broken("matmul", lambda g, out, a, b: ((g @ b.T).T, a.T @ g))
    with pytest.raises(VJPRuleError, match=r"VJP of matmul .* shape \(4,3\) for input 0 of shape \(3,4\)"):
        backward_ones(leaf(3, 4) @ leaf(4, 2))


def test_matmul_batch_axes_may_not_exceed_the_inputs_batch(broken):
    broken("matmul", lambda g, out, a, b: (np.stack([g @ b.T] * 2), a.T @ g))
    with pytest.raises(VJPRuleError, match=r"VJP of matmul .* shape \(2,3,4\) for input 0 of shape \(3,4\)"):
        backward_ones(leaf(3, 4) @ leaf(4, 2))


def test_the_count_is_checked_even_where_an_input_is_a_constant(broken):
    broken("mul", lambda g, out, x, y: (g * y,))
    with pytest.raises(VJPRuleError, match=r"VJP of mul returned 1 contribution for 2 inputs"):
        backward_ones(apply("mul", leaf(3), Tensor(np.ones(3))))


# ---- the bug modes keep their recorded behaviour -----------------------------------------------


def test_no_unbroadcast_still_records_its_shape_mismatch():
    a, b = leaf(3), leaf(4, 3)
    record = apply("add", a, b).sum().backward(mode="no_unbroadcast", record=True)
    assert record.shape_mismatches == [a] and a.grad.shape == (4, 3)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", [name for name, op in OPS.items() if op.broadcasts])
def test_every_broadcasting_op_passes_its_own_check_in_every_mode(name, mode):
    x, y = leaf(3, 1), leaf(2, 1, 5)
    y.data += 1.0  # keep div and friends away from zero
    backward_ones(apply(name, x, y), mode)
    assert y.grad is not None


# ---- the same refusals on Python floats, where backward's scalar fast path calls rules directly ----


def number_leaf(value: float) -> Tensor:
    return Tensor(value, requires_grad=True)  # a 0-d value kept as a Python float (see Tensor.data)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("name", "vjp", "message"), [
    ("mul", lambda g, out, x, y: (g * y,), r"VJP of mul returned 1 contribution for 2 inputs"),
    ("mul", lambda g, out, x, y: (g * y, g * x, g), r"VJP of mul returned 3 contributions for 2 inputs"),
    ("mul", lambda g, out, x, y: [g * y, g * x], r"VJP of mul returned a list instead of a tuple"),
    ("neg", lambda g, out, x: (-g, -g), r"VJP of neg returned 2 contributions for 1 input$"),
    ("exp", lambda g, out, x: g * out, r"VJP of exp returned a float(64)? instead of a tuple"),
    ("exp", lambda g, out, x: (), r"VJP of exp returned 0 contributions for 1 input$"),
])
def test_a_wrong_count_is_refused_on_floats(broken, mode, name, vjp, message):
    broken(name, vjp)
    x, y = number_leaf(2.0), number_leaf(3.0)
    out = apply(name, x, y) if OPS[name].arity == 2 else apply(name, x)
    with pytest.raises(VJPRuleError, match=message):
        out.backward(np.ones(()) if mode == "alias" else None, mode=mode)


def test_a_contribution_that_is_not_a_number_is_checked_on_floats(broken):
    broken("mul", lambda g, out, x, y: (np.full(2, g * y), g * x))
    with pytest.raises(VJPRuleError, match=r"VJP of mul .* shape \(2,\) for input 0 of shape \(\)"):
        apply("mul", number_leaf(2.0), number_leaf(3.0)).backward()


@pytest.mark.parametrize("value", [2.0, np.array([2.0, -1.0])])
def test_a_refused_rule_leaves_the_leaves_gradients_as_they_were(broken, value):
    broken("neg", lambda g, out, x: (-g, -g))
    x, w = Tensor(value, requires_grad=True), Tensor(3.0, requires_grad=True)
    y = -(x * w)
    c = Tensor(value, requires_grad=True)  # made after the neg, so it comes before it in the order
    (c * w).sum().backward()
    before = np.copy(c.grad), np.copy(w.grad)
    with pytest.raises(VJPRuleError):
        (y * c).sum().backward()  # c and w receive contributions before the neg fires and fails
    np.testing.assert_array_equal(c.grad, before[0])
    np.testing.assert_array_equal(w.grad, before[1])
    assert x.grad is None

"""Work the engine spares itself, each shortcut against the general definition, bit for bit.

- Op.saves: a VJP given what its forward kept returns what it returns computing that itself.
- Copy on read: backward leaves arrays shared between nodes as they are; `.grad` copies them when
  first read, so that no two gradients share memory, and the numbers are the general loop's.
- Op.skips: a VJP told an input needs no contribution returns None for it and the others unchanged.
- Cross-entropy's one-hot targets: one comparison checks them, and the loss and gradient are the
  definition's, written with class indices.
- Cross-entropy's row max and row sums: over a column-major copy when the rows are many and short,
  NumPy's max and sum.
- A bias's gradient: backward sums it over the batch axis itself, not through fitted().
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine import OPS, DomainError, Tensor, apply
from engine.gradcheck import op_inputs
from engine.ops import _by_rows

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
    """Through backward (which passes `saved`) as through the rule alone (which computes it); a
    second backward over the same graph finds `saved` as the first left it."""
    rows, classes = logits.shape
    targets = np.array([p % classes for p in picks[:rows]], dtype=np.float64)
    x = Tensor(logits, requires_grad=True)
    loss = x.cross_entropy(targets)
    loss.backward(np.float64(g))
    (expected, none) = OPS["cross_entropy"].vjp(np.float64(g), loss.data, logits, targets)
    assert none is None
    np.testing.assert_array_equal(x.grad, expected, strict=True)
    loss.backward(np.float64(g), record=True)  # the general loop, which a leaf adds to
    np.testing.assert_array_equal(x.grad, expected + expected, strict=True)


def shared_graph() -> tuple[list[Tensor], Tensor]:
    """Nodes whose gradients backward passes on as the same array (add) or a view of it (reshape)."""
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    h = x + b
    r = h.reshape(3, 2)
    s = r - 1.0
    return [x, b, h, r, s], s


@pytest.mark.parametrize("record", [False, True])  # backward_correct, and the general loop's store_gradients
def test_no_two_gradients_share_memory_after_backward(record):
    nodes, root = shared_graph()
    root.backward(np.ones(root.shape), record=record)
    grads = [t.grad for t in nodes]
    for i, g in enumerate(grads):
        assert type(g) is np.ndarray and g.flags.owndata
        for other in grads[i + 1:]:
            assert not np.shares_memory(g, other)
    before = [g.copy() for g in grads]
    grads[2][...] = 7.0  # in place on one gradient: none of the others changes
    for i, (g, kept) in enumerate(zip(grads, before, strict=True)):
        if i != 2:
            np.testing.assert_array_equal(g, kept)


@pytest.mark.parametrize("record", [False, True])
def test_a_gradient_read_twice_is_one_array(record):
    nodes, root = shared_graph()
    root.backward(np.ones(root.shape), record=record)
    for t in nodes:
        assert t.grad is t.grad


def test_gradients_copied_on_read_are_the_general_loops():
    nodes, root = shared_graph()
    root.backward(np.ones(root.shape))
    fast = [t.grad for t in nodes]
    for t in nodes:
        t.zero_grad()
    root.backward(np.ones(root.shape), record=True)
    for g, general in zip(fast, [t.grad for t in nodes], strict=True):
        np.testing.assert_array_equal(g, general, strict=True)


def test_the_alias_bug_adds_in_place_only_to_the_leafs_own_array():
    """A leaf keeps the array a correct pass left, shared with its consumer; a later alias-mode pass
    adds to the leaf's gradient in place, which must not change the consumer's."""
    a = Tensor(np.ones(3), requires_grad=True)
    first, second = a + 1.0, a * 2.0
    first.backward(np.ones(3))
    second.backward(np.ones(3), mode="alias")
    np.testing.assert_array_equal(a.grad, np.full(3, 3.0))
    np.testing.assert_array_equal(first.grad, np.ones(3))


NOT_CLASSES = st.sampled_from([-1.0, 3.0, 0.5, 2.0000000000000004, 1e300, -np.inf, np.inf, np.nan])


@settings(max_examples=300, deadline=None)
@given(logits=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.just(3)), elements=st.floats(-1e3, 1e3)),
       targets=st.lists(st.sampled_from([0.0, 1.0, 2.0, -0.0]), min_size=6, max_size=6),
       bad=st.none() | st.tuples(st.integers(0, 5), NOT_CLASSES), g=st.floats(-10.0, 10.0))
def test_cross_entropy_by_onehot_is_the_definition(logits, targets, bad, g):
    """The one-hot check refuses exactly what is not a class index, and the loss and gradient are
    the definition's, written with the class indices, bit for bit."""
    rows, classes = logits.shape
    if bad is not None:
        targets[bad[0]] = bad[1]
    t = np.array(targets[:rows])
    x = Tensor(logits, requires_grad=True)
    if not all(v in range(classes) for v in t.tolist()):
        with pytest.raises(DomainError):
            x.cross_entropy(t)
        return
    indices = t.astype(np.intp)
    shifted = logits - logits.max(axis=1, keepdims=True)
    loss = (np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(rows), indices]).sum() / rows
    p = np.exp(shifted)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(rows), indices] -= 1.0
    p *= np.float64(g) / rows
    out = x.cross_entropy(t)
    out.backward(np.float64(g))
    np.testing.assert_array_equal(out.data, loss, strict=True)
    np.testing.assert_array_equal(x.grad, p, strict=True)


@settings(max_examples=300, deadline=None)
@given(x=hnp.arrays(np.float64, st.tuples(st.integers(1, 90), st.integers(1, 10)), elements=st.floats()))
def test_a_row_reduction_is_numpys(x):
    """Both ways (a copy for fewer than 8 columns and more than 8 rows per column), NaN and
    infinities included, bit for bit (NumPy sums 8 or more entries pairwise)."""
    for ufunc, numpys in ((np.maximum, x.max), (np.add, x.sum)):
        with np.errstate(over="ignore", invalid="ignore"):  # huge numbers add up to inf, inf - inf is NaN
            ours, expected = _by_rows(ufunc, x), numpys(axis=1, keepdims=True)
        np.testing.assert_array_equal(ours, expected, strict=True)
        bits = [np.where(np.isnan(a), np.nan, a).tobytes() for a in (ours, expected)]  # any NaN as one NaN
        assert bits[0] == bits[1]  # -0.0 too


@settings(max_examples=200, deadline=None)
@given(batch=st.integers(1, 4), shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
       name=st.sampled_from(["add", "sub", "mul", "div"]), bias_first=st.booleans(), seed=st.integers(0, 2**16))
def test_a_bias_summed_over_the_batch_is_the_general_loops(batch, shape, name, bias_first, seed):
    """backward without a record sums a contribution shaped like the output over the first axis,
    which the input lacks; the general loop goes through check_contribution_shape and unbroadcast.
    The same bits, for either argument order."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.5, 2.0, size=(batch, *shape)), rng.uniform(-2.0, -0.5, size=shape)
    weights = rng.normal(size=(batch, *shape))
    runs = []
    for record in (False, True):
        x, b = (Tensor(v, requires_grad=True) for v in values)
        out = apply(name, b, x) if bias_first else apply(name, x, b)
        out.backward(weights, record=record)
        runs.append((x.grad, b.grad))
    for fast, general in zip(*runs, strict=True):
        np.testing.assert_array_equal(fast, general, strict=True)


SKIPPING = [name for name, op in OPS.items() if op.skips]
MATMUL_SHAPES = [[(3, 4), (4, 2)], [(4,), (4, 2)], [(3, 4), (4,)], [(4,), (4,)], [(2, 3, 4), (4, 5)],
                 [(2, 3, 4), (2, 4, 5)], [(1, 3, 4), (2, 4, 2)]]


def test_every_skipping_op_is_tested():
    assert SKIPPING == ["matmul"]


def test_a_skipping_op_is_binary_without_params():
    """Backward calls a skipping op's VJP with `needs` alone, not with the node's params."""
    for name in SKIPPING:
        assert OPS[name].arity == 2 and OPS[name].params == ()


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True), (False, False)], ids=str)
def test_a_skipped_contribution_is_none_and_the_others_unchanged(shapes, needs):
    rng = np.random.default_rng(0)
    a, b = (rng.normal(size=s) for s in shapes)
    out = np.matmul(a, b)
    g = rng.normal(size=np.shape(out))
    ours, every = OPS["matmul"].vjp(g, out, a, b, needs=needs), OPS["matmul"].vjp(g, out, a, b)
    for need, c, full in zip(needs, ours, every, strict=True):
        if need:
            np.testing.assert_array_equal(c, full, strict=True)
        else:
            assert c is None


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@pytest.mark.parametrize("constant", [0, 1])
def test_a_constant_input_changes_no_gradient(shapes, constant):
    """x @ W with x data: W's gradient, bit for bit what it is when x needs one too."""
    rng = np.random.default_rng(1)
    values = [rng.normal(size=s) for s in shapes]
    grads = []
    for skip in (True, False):
        inputs = [Tensor(v, requires_grad=not (skip and i == constant)) for i, v in enumerate(values)]
        out = (inputs[0] @ inputs[1]).tanh()
        out.backward(np.ones(out.shape))
        grads.append(inputs[1 - constant].grad)
        assert (inputs[constant].grad is None) == skip
    np.testing.assert_array_equal(grads[0], grads[1], strict=True)

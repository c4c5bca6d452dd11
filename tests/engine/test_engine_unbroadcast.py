"""unbroadcast: summing a gradient back over the axes that forward broadcasting added or stretched."""

import numpy as np
import pytest

from engine import GradientShapeError, unbroadcast


def test_same_shape_is_returned_untouched():
    g = np.arange(6.0).reshape(2, 3)
    assert unbroadcast(g, (2, 3)) is g


@pytest.mark.parametrize("grad_shape, shape, axes", [
    ((4, 3), (3,), (0,)),               # a leading axis was added
    ((3, 5), (3, 1), (1,)),             # an axis of size 1 was stretched
    ((2, 3, 4), (3, 1), (0, 2)),        # both at once
    ((2, 3), (), (0, 1)),               # a scalar was broadcast everywhere
    ((2, 3, 4), (1, 3, 1), (0, 2)),     # stretched axes keep their size-1 place
    ((1, 3), (3,), (0,)),               # an added axis of size 1
])
def test_sums_over_broadcast_axes(grad_shape, shape, axes):
    g = np.arange(np.prod(grad_shape), dtype=np.float64).reshape(grad_shape)
    out = unbroadcast(g, shape)
    assert out.shape == shape
    np.testing.assert_array_equal(out, np.sum(g, axis=axes).reshape(shape))


def test_totals_are_preserved():
    # every copy made by broadcasting sends its gradient back: nothing is lost or duplicated
    g = np.random.default_rng(0).normal(size=(2, 3, 4))
    assert unbroadcast(g, (3, 1)).sum() == pytest.approx(g.sum())


@pytest.mark.parametrize("grad_shape, shape", [((3,), (4, 3)), ((3, 5), (3, 2)), ((4, 3), (4,)), ((2,), (3,))])
def test_incompatible_shapes_raise(grad_shape, shape):
    with pytest.raises(GradientShapeError, match="cannot be summed"):
        unbroadcast(np.ones(grad_shape), shape)

"""Axis parameters are checked by each op's own shape rule, through the op table (issue 10).

A 0-d value has no axes: `x.sum(axis=0)` on one used to pass the rule (NumPy's reductions accept
it) and fail later in the VJP. Every op that takes an axis is tried on 0-d and larger values with
out-of-range, negative, repeated and non-integer axes: `output_shape` (what the language asks
before evaluating) and `apply` (what engine users call) both raise a ShapeError naming the axis
and the number of dimensions, and every valid axis is accepted and differentiates.
"""

import numpy as np
import pytest

from engine import OPS, ShapeError, Tensor, apply, output_shape
from engine.gradcheck import gradcheck

AXIS_OPS = [name for name, op in OPS.items() if "axis" in op.params or "axes" in op.params]
REDUCTIONS = [name for name in AXIS_OPS if OPS[name].params == ("axis", "keepdims")]
SHAPES = [(), (3,), (2, 3), (2, 1, 3)]


def test_the_axis_ops_are_the_expected_ones():
    # a new op with an axis is tried here the moment it joins the table
    assert set(AXIS_OPS) == {"sum", "mean", "max", "softmax", "log_softmax", "transpose"}


def out_of_range(ndim: int) -> list[int]:
    return [ndim, ndim + 1, -ndim - 1, -ndim - 5] + ([0, -1] if ndim == 0 else [])


def bad_axes(name: str, ndim: int) -> list[object]:
    """Axes the op must refuse on a value with `ndim` dimensions, with the text the error must hold."""
    if name == "transpose":
        wrong = [tuple(range(ndim)) + (ndim,), (0,) * max(ndim, 1), tuple(range(ndim))[:-1] or (1,), (1.5,)]
        return [axes for axes in wrong if sorted(axes) != list(range(ndim))]
    single = out_of_range(ndim) + [True, 1.5, "0"]
    if name in REDUCTIONS:
        repeated = [(0, 0), (0, -ndim)] if ndim else [(0,), (0, 0)]
        return single + [(a,) for a in out_of_range(ndim)] + repeated
    return single + [(0,), [0]]  # softmax and log_softmax take one axis


def params_for(name: str, axis: object) -> dict:
    return {"axes": axis} if name == "transpose" else {"axis": axis}


CASES = [pytest.param(name, shape, axis, id=f"{name}-{shape}-{axis!r}")
         for name in AXIS_OPS for shape in SHAPES for axis in bad_axes(name, len(shape))]


@pytest.mark.parametrize("name, shape, axis", CASES)
def test_a_bad_axis_is_refused_by_the_shape_rule(name, shape, axis):
    params = params_for(name, axis)
    with pytest.raises(ShapeError) as by_rule:
        output_shape(name, shape, **params)
    message = str(by_rule.value)
    if isinstance(axis, int) and not isinstance(axis, bool) and name != "transpose":
        assert f"axis {axis} " in message and f"{len(shape)} dimension" in message
    if name == "transpose":
        assert f"permutation of {tuple(range(len(shape)))}" in message  # the axes there are
    x = Tensor(np.ones(shape), requires_grad=True)
    with pytest.raises(ShapeError, match="axis|axes"):
        apply(name, x, **params)  # refused before NumPy runs, so never in a VJP


@pytest.mark.parametrize("name", [n for n in AXIS_OPS if n != "transpose"])
@pytest.mark.parametrize("axis", [0, -1, (0,), (0, 0)])
def test_a_0d_value_has_no_axis(name, axis):
    x = Tensor(2.0, requires_grad=True)
    with pytest.raises(ShapeError, match="0 dimensions|whole number|repeats"):
        apply(name, x, **params_for(name, axis))
    with pytest.raises(ShapeError):
        output_shape(name, (), **params_for(name, axis))


def valid_axes(name: str, ndim: int) -> list[object]:
    if name == "transpose":
        return [None, tuple(range(ndim)), tuple(reversed(range(ndim))), tuple(a - ndim for a in range(ndim))]
    if ndim == 0:
        return [None, ()] if name in REDUCTIONS else []
    single = [0, ndim - 1, -1, -ndim]
    return single + ([None, (), (0, -1) if ndim > 1 else (0,), tuple(range(ndim))] if name in REDUCTIONS else [])


VALID = [pytest.param(name, shape, axis, id=f"{name}-{shape}-{axis!r}")
         for name in AXIS_OPS for shape in SHAPES for axis in valid_axes(name, len(shape))]


@pytest.mark.parametrize("name, shape, axis", VALID)
def test_every_valid_axis_is_accepted_and_differentiates(name, shape, axis):
    params = params_for(name, axis)
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=shape), requires_grad=True)
    out = apply(name, x, **params)
    assert out.shape == output_shape(name, shape, **params)
    check = gradcheck(out, rng.normal(size=out.shape))
    assert check.passed, [(c.max_rel_error, c.max_abs_error) for c in check.leaves]
    assert x.grad is None or x.grad.shape == shape

"""The op table: every op's forward, vector-Jacobian product (VJP) and shape rule, in one place.

A VJP is a pure function `vjp(g, out, *inputs, **params)` of the incoming gradient `g`
(shaped like the output), the output and the inputs; it returns one contribution per input
(None where an input takes no gradient). Contributions of broadcasting ops are shaped like the
*output*: the engine, not the rule, sums them back to each input's shape (`unbroadcast`).
Rules never mutate their arguments; the engine does all summing.

An op whose VJP needs what its forward computed on the way (cross-entropy's softmax) can keep it
instead of computing it again, like PyTorch's ctx.save_for_backward: its row says `saves=True`,
its forward returns `(value, saved)`, and the engine keeps `saved` on the node and passes it to
the VJP by keyword. `saved` is a function of the inputs like any other intermediate value, so the
VJP stays a pure function of g, out and the inputs: called without `saved` (as by code that calls
a rule directly), it computes it itself. Likewise an op whose row says `skips=True` is told which
inputs need a contribution (`needs`, one bool per input, PyTorch's ctx.needs_input_grad) and
returns None for the others: matmul spares a whole product for its data input (x in x @ W).

Values are float64 arrays, except that a 0-d value is usually a Python float: the scalar fast
path (see Tensor.data). Every VJP below works on both: add, sub, mul, div and neg are Python's
operators, which are NumPy's ufuncs on arrays and IEEE arithmetic on floats, with the same bits.
On floats an op runs `on_floats`, its forward written with Python's operators and `math`, ~10x
faster than NumPy's ufuncs on a single number. Where Python raises instead of returning inf or
nan (1.0 / 0.0, math.exp(1000.0), math.log(0.0)) the engine computes that one value with NumPy,
which follows IEEE (see tensor.apply and backward.call_vjp).
"""

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from math import prod
from typing import Any

import numpy as np

from engine.errors import DomainError, ShapeError

Shape = tuple[int, ...]
Value = np.ndarray | np.float64  # what a user sees: a float64 array, or a NumPy float for a 0-d gradient
Computed = np.ndarray | float  # what the engine computes with: a Python float for a 0-d value (see Tensor.data)
Contributions = tuple[Computed | None, ...]  # what a VJP returns: one entry per input


@dataclass(frozen=True)
class Op:
    """One row of the table.

    `arity` counts tensor inputs; `params` names the keyword metadata the op takes.
    `domain` tells test generators which inputs are valid by construction ("real", "positive",
    "nonzero", "targets"), one entry per input. `rule` is the local derivative in words for the
    inspector. `broadcasts` marks elementwise ops whose inputs are broadcast against each other;
    `batch_broadcasts` marks ops (matmul) that broadcast only the axes before the last two. For
    both, backward accepts contributions shaped like the broadcast result and sums them back to
    each input's shape; every other op's contributions must have their input's shape exactly.
    `on_floats` is the forward on Python floats, for 0-d values (None: NumPy's forward is used).
    `saves` marks an op whose forward returns `(value, saved)` for its VJP, `skips` a binary op whose
    VJP takes `needs` (see the module's docstring) and no params.
    """

    name: str
    arity: int
    forward: Callable[..., Any]  # a Computed, or (Computed, saved) when `saves`
    vjp: Callable[..., Contributions]
    shape: Callable[..., Shape]
    rule: str
    params: tuple[str, ...] = ()
    domain: tuple[str, ...] = ("real",)
    broadcasts: bool = False
    batch_broadcasts: bool = False
    on_floats: Callable[..., float] | None = None
    saves: bool = False
    skips: bool = False


def fmt_shape(shape: Shape) -> str:
    """Shapes as a user writes them: (2,3), (3,), ()."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ",".join(str(n) for n in shape) + ")"


# ---- shape rules -------------------------------------------------------------------------------


def broadcast_shape(*shapes: Shape) -> Shape:
    """NumPy's broadcasting rule, raising ShapeError with both shapes named."""
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(-ndim, 0):
        sizes = {s[i] for s in shapes if len(s) >= -i} - {1}
        if len(sizes) > 1:
            joined = " and ".join(fmt_shape(s) for s in shapes)
            raise ShapeError(f"shapes {joined} do not broadcast")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def same_shape(x: Shape) -> Shape:
    return x


def dimensions(ndim: int) -> str:
    return f"{ndim} dimension{'s' if ndim != 1 else ''}"


def is_whole(a: Any) -> bool:
    """An int or NumPy integer, not a bool (NumPy refuses True as an axis)."""
    return isinstance(a, (int, np.integer)) and not isinstance(a, bool)


def normalize_axis(axis: Any, ndim: int) -> tuple[int, ...] | None:
    """An axis argument (None, int or sequence of ints) as a sorted tuple of non-negative axes.

    Each axis must lie in -ndim..ndim-1, so a 0-d value has no axis at all (NumPy's reductions
    accept axis 0 of a 0-d value, but the gradient could not then be shaped like the input).
    """
    if axis is None:
        return None
    if is_whole(axis):
        axes: tuple[Any, ...] = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise ShapeError(f"axis must be a whole number or a tuple of them, got {axis!r}")
    out = []
    for a in axes:
        if not is_whole(a):
            raise ShapeError(f"axis must be a whole number or a tuple of them, got {a!r}")
        if not -ndim <= a < ndim:
            raise ShapeError(f"axis {a} is out of range for a value with {dimensions(ndim)}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ShapeError(f"axis {tuple(axes)} repeats an axis")
    return tuple(sorted(out))


def reduced_shape(x: Shape, axis: Any = None, keepdims: bool = False) -> Shape:
    axes = normalize_axis(axis, len(x))
    if axes is None:
        axes = tuple(range(len(x)))
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(x))
    return tuple(n for i, n in enumerate(x) if i not in axes)


def max_shape(x: Shape, axis: Any = None, keepdims: bool = False) -> Shape:
    if prod(x) == 0:
        raise ShapeError(f"max of an empty value of shape {fmt_shape(x)}")
    return reduced_shape(x, axis, keepdims)


def matmul_shape(a: Shape, b: Shape) -> Shape:
    if len(a) == 0 or len(b) == 0:
        raise ShapeError(f"matmul needs at least 1 dimension on each side, got {fmt_shape(a)} @ {fmt_shape(b)}")
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise ShapeError(f"matmul shapes {fmt_shape(a)} @ {fmt_shape(b)} do not align")
    try:
        batch = broadcast_shape(a2[:-2], b2[:-2])
    except ShapeError:
        raise ShapeError(f"matmul batch shapes {fmt_shape(a)} @ {fmt_shape(b)} do not broadcast") from None
    return batch + (a2[-2],) * (len(a) > 1) + (b2[-1],) * (len(b) > 1)


def reshape_shape(x: Shape, shape: Shape) -> Shape:
    shape = tuple(int(n) for n in shape)
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1 or any(n < -1 for n in shape):
        raise ShapeError(f"cannot reshape to {fmt_shape(shape)}: at most one -1 and no other negative sizes")
    known = prod(n for n in shape if n != -1)
    size = prod(x)
    if unknown:
        if known == 0 or size % known:
            raise ShapeError(f"cannot reshape {fmt_shape(x)} ({size} elements) to {fmt_shape(shape)}")
        shape = tuple(size // known if n == -1 else n for n in shape)
    if prod(shape) != size:
        raise ShapeError(f"cannot reshape {fmt_shape(x)} ({size} elements) to {fmt_shape(shape)}")
    return shape


def transpose_axes(ndim: int, axes: Any) -> tuple[int, ...]:
    if axes is None:
        return tuple(reversed(range(ndim)))
    given = tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)
    if not all(is_whole(a) and -ndim <= a < ndim for a in given) \
            or sorted(int(a) % ndim for a in given) != list(range(ndim)):
        raise ShapeError(f"transpose axes {given} are not a permutation of {tuple(range(ndim))}")
    return tuple(int(a) % ndim for a in given)


def transpose_shape(x: Shape, axes: Any = None) -> Shape:
    return tuple(x[a] for a in transpose_axes(len(x), axes))


def axis_shape(x: Shape, axis: int = -1) -> Shape:
    """softmax and log_softmax normalize along one axis, which a 0-d value does not have."""
    if not is_whole(axis):
        raise ShapeError(f"axis must be one whole number, got {axis!r}")
    if len(x) == 0:
        raise ShapeError(f"axis {axis} is out of range for a value with 0 dimensions: "
                         "softmax and log_softmax need at least 1")
    normalize_axis(axis, len(x))
    return x


def cross_entropy_shape(logits: Shape, targets: Shape) -> Shape:
    if len(logits) != 2:
        raise ShapeError(f"cross_entropy takes logits of shape (batch, classes), got {fmt_shape(logits)}")
    if targets != logits[:1]:
        raise ShapeError(f"cross_entropy targets must have shape ({logits[0]},) for logits {fmt_shape(logits)}, "
                         f"got {fmt_shape(targets)}")
    return ()


def pow_shape(x: Shape, exponent: float = 1.0) -> Shape:
    return x


# ---- forwards and VJPs -------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-x) computed without overflow for large |x|
    s: np.ndarray = np.exp(-np.logaddexp(0.0, -x))
    return s


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    # x - log(sum(e^x)), with the max subtracted first so e^x cannot overflow
    shifted = x - x.max(axis=axis, keepdims=True)
    log_s: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return log_s


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e: np.ndarray = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _expand_reduced(g: np.ndarray, x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    """Give a reduction's gradient back its reduced axes (size 1) so it broadcasts against x."""
    if keepdims or axis is None:
        return np.reshape(g, (1,) * x.ndim) if axis is None else g
    return np.expand_dims(g, normalize_axis(axis, x.ndim) or ())


def _sum_vjp(g: np.ndarray, out: np.ndarray, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> Contributions:
    # every element of x enters the sum once: d(sum)/dx = 1
    return (np.broadcast_to(_expand_reduced(g, x, axis, keepdims), x.shape).copy(),)


def _mean_vjp(g: np.ndarray, out: np.ndarray, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> Contributions:
    # d(mean)/dx = 1/n, n = number of elements averaged
    n = x.size // max(out.size, 1) if x.size else 1
    return (np.broadcast_to(_expand_reduced(g, x, axis, keepdims), x.shape) / n,)


def _max_vjp(g: np.ndarray, out: np.ndarray, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> Contributions:
    # the gradient goes to the maximal entries, split evenly between ties
    peak = _expand_reduced(out, x, axis, keepdims)
    mask = (x == peak).astype(np.float64)
    ties = np.sum(mask, axis=normalize_axis(axis, x.ndim), keepdims=True)
    return (mask / ties * _expand_reduced(g, x, axis, keepdims),)


def _matmul_vjp(g: np.ndarray, out: np.ndarray, a: np.ndarray, b: np.ndarray,
                needs: tuple[bool, bool] = (True, True)) -> Contributions:
    # dL/dA = G @ B^T, dL/dB = A^T @ G, each only if needed; 1-D operands are promoted to matrices and back
    if a.ndim == 2 and b.ndim == 2:  # the common case, without the promotions
        return g @ b.T if needs[0] else None, a.T @ g if needs[1] else None
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g
    if b.ndim == 1:  # first, so that vector @ vector (g of shape ()) becomes (1, 1)
        g2 = np.expand_dims(g2, -1)
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    ga = gb = None
    if needs[0]:
        ga = g2 @ np.swapaxes(b2, -1, -2)
        ga = np.squeeze(ga, -2) if a.ndim == 1 else ga
    if needs[1]:
        gb = np.swapaxes(a2, -1, -2) @ g2
        gb = np.squeeze(gb, -1) if b.ndim == 1 else gb
    return ga, gb


def _cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, Any]:
    # -mean_i log_softmax(logits)[i, t_i] = mean_i (log sum_j e^(x_ij - m_i) - (x_it_i - m_i)),
    # m_i the row's max (so e^x cannot overflow); the same numbers as negating log_softmax's mean.
    # Saved for the VJP (saves=True): e^(x - m), its row sums and onehot(targets).
    onehot = _onehot(targets, logits.shape[1])
    shifted = logits - _by_rows(np.maximum, logits)
    e = np.exp(shifted)
    sums = _by_rows(np.add, e)
    loss = (np.log(sums[:, 0]) - shifted[onehot]).sum() / len(targets)  # shifted[onehot]: x_it_i - m_i, row by row
    return np.asarray(loss), (e, sums, onehot)


def _by_rows(ufunc: np.ufunc, x: np.ndarray) -> np.ndarray:
    """ufunc.reduce(x, axis=1, keepdims=True): each row reduced to one number, as a column
    (x.max(axis=1, keepdims=True) for np.maximum, x.sum(axis=1, keepdims=True) for np.add).

    NumPy reduces a last axis one row at a time, and for short rows that per-row overhead is
    the whole cost (64 rows of 2 logits: a max 3.4 us, a sum 2.0 us; 1024 rows: a max 37 us).
    For many rows of a few columns, a column-major copy reduced across its rows takes one
    vectorized pass instead (1.6 us, 1.5 us; 2.7 us). The numbers are the same: a max is exact,
    and NumPy adds up fewer than 8 entries one after another, as that pass does.
    """
    rows, columns = x.shape
    if columns >= 8 or rows <= 8 * columns:
        reduced: np.ndarray = ufunc.reduce(x, axis=1, keepdims=True)
        return reduced
    column_major = x.T.copy()
    across: np.ndarray = ufunc.reduce(column_major, axis=0)
    return across[:, None]


def _cross_entropy_vjp(g: np.ndarray, out: np.ndarray, logits: np.ndarray, targets: np.ndarray,
                       saved: Any = None) -> Contributions:
    # d/dlogits of -mean(log_softmax[i, t_i]) = (softmax - onehot(t)) / batch
    e, sums, onehot = saved if saved is not None else _cross_entropy(logits, targets)[1]
    p = e / sums - onehot  # this rule's own new array
    p *= g / len(targets)
    return p, None


def _onehot(targets: np.ndarray, classes: int) -> np.ndarray:
    """onehot[i, j] = (targets[i] == j), checking that the targets are class indices.

    The j are distinct, so a row holds one True for a class index (a whole number in
    0..classes-1) and none for any other number: all the targets are class indices exactly when
    there are as many Trues as targets. One comparison and a count, where checking each property
    (whole, at least 0, under `classes`) took a pass over the targets each.
    """
    onehot: np.ndarray = targets[:, None] == _class_indices(classes)
    if np.count_nonzero(onehot) == len(targets):
        return onehot
    if not np.all(np.isfinite(targets)) or np.any(targets != np.round(targets)):
        raise DomainError("cross_entropy targets must be whole numbers (class indices)")
    raise DomainError(f"cross_entropy targets must lie in 0..{classes - 1}")


@cache
def _class_indices(classes: int) -> np.ndarray:
    """0.0, 1.0, ..., classes - 1, which _onehot compares the targets with: made once for each
    number of classes (~0.3 us a call), read-only since every cross-entropy shares it."""
    indices = np.arange(classes, dtype=np.float64)
    indices.flags.writeable = False
    return indices


def _pow_vjp(g: np.ndarray, out: np.ndarray, x: np.ndarray, exponent: float = 1.0) -> Contributions:
    # d(x^p)/dx = p x^(p-1)
    return (g * exponent * np.power(x, exponent - 1.0),)


def _transpose_vjp(g: np.ndarray, out: np.ndarray, x: np.ndarray, axes: Any = None) -> Contributions:
    return (np.transpose(g, np.argsort(transpose_axes(x.ndim, axes))),)


def _softmax_vjp(g: np.ndarray, out: np.ndarray, x: np.ndarray, axis: int = -1) -> Contributions:
    # Jacobian diag(s) - s s^T applied to g: s * (g - <g, s>)
    return (out * (g - np.sum(g * out, axis=axis, keepdims=True)),)


def _log_softmax_vjp(g: np.ndarray, out: np.ndarray, x: np.ndarray, axis: int = -1) -> Contributions:
    # Jacobian I - 1 s^T applied to g: g - s * sum(g)
    return (g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),)


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("add", 2, operator.add, lambda g, out, x, y: (g, g), broadcast_shape,
           "d(a+b)/da = 1, d(a+b)/db = 1: the gradient is copied to both inputs", domain=("real", "real"),
           broadcasts=True, on_floats=operator.add),
        Op("sub", 2, operator.sub, lambda g, out, x, y: (g, -g), broadcast_shape,
           "d(a-b)/da = 1, d(a-b)/db = -1", domain=("real", "real"), broadcasts=True, on_floats=operator.sub),
        Op("mul", 2, operator.mul, lambda g, out, x, y: (g * y, g * x), broadcast_shape,
           "d(a*b)/da = b, d(a*b)/db = a: each input gets the gradient times the other input",
           domain=("real", "real"), broadcasts=True, on_floats=operator.mul),
        Op("div", 2, operator.truediv, lambda g, out, x, y: (g / y, -g * out / y), broadcast_shape,
           "d(a/b)/da = 1/b, d(a/b)/db = -a/b^2", domain=("real", "nonzero"), broadcasts=True,
           on_floats=operator.truediv),
        Op("neg", 1, operator.neg, lambda g, out, x: (-g,), same_shape, "d(-a)/da = -1", on_floats=operator.neg),
        Op("pow", 1, lambda x, exponent=1.0: np.power(x, exponent), _pow_vjp, pow_shape,
           "d(a^p)/da = p * a^(p-1), for a constant exponent p", params=("exponent",), domain=("positive",)),
        Op("matmul", 2, np.matmul, _matmul_vjp, matmul_shape,
           "d(A@B): dA = G @ B^T, dB = A^T @ G", domain=("real", "real"), batch_broadcasts=True, skips=True),
        Op("exp", 1, np.exp, lambda g, out, x: (g * out,), same_shape, "d(e^a)/da = e^a", on_floats=math.exp),
        Op("log", 1, np.log, lambda g, out, x: (g / x,), same_shape, "d(log a)/da = 1/a",
           domain=("positive",), on_floats=math.log),
        Op("tanh", 1, np.tanh, lambda g, out, x: (g * (1.0 - out * out),), same_shape,
           "d(tanh a)/da = 1 - tanh(a)^2", on_floats=math.tanh),
        Op("relu", 1, lambda x: np.maximum(x, 0.0), lambda g, out, x: (g * (x > 0),), same_shape,
           "d(relu a)/da = 1 where a > 0, else 0",
           on_floats=lambda x: x if x > 0.0 or x != x else 0.0),  # NaN stays NaN, as in np.maximum
        Op("sigmoid", 1, _sigmoid, lambda g, out, x: (g * out * (1.0 - out),), same_shape,
           "d(sigmoid a)/da = s(a) * (1 - s(a))"),
        Op("sqrt", 1, np.sqrt, lambda g, out, x: (g * 0.5 / out,), same_shape,
           "d(sqrt a)/da = 1 / (2 sqrt(a))", domain=("positive",), on_floats=math.sqrt),
        Op("abs", 1, np.abs, lambda g, out, x: (g * np.sign(x),), same_shape,
           "d|a|/da = sign(a)", domain=("nonzero",), on_floats=abs),
        Op("sum", 1, lambda x, axis=None, keepdims=False: np.asarray(np.sum(x, axis=axis, keepdims=keepdims)),
           _sum_vjp, reduced_shape, "d(sum a)/da_i = 1: the gradient is copied to every summed entry",
           params=("axis", "keepdims")),
        Op("mean", 1, lambda x, axis=None, keepdims=False: np.asarray(np.mean(x, axis=axis, keepdims=keepdims)),
           _mean_vjp, reduced_shape, "d(mean a)/da_i = 1/n", params=("axis", "keepdims")),
        Op("max", 1, lambda x, axis=None, keepdims=False: np.asarray(np.max(x, axis=axis, keepdims=keepdims)),
           _max_vjp, max_shape, "d(max a)/da_i = 1 for the largest entry (split between ties), 0 elsewhere",
           params=("axis", "keepdims")),
        Op("reshape", 1, lambda x, shape=(): np.reshape(x, shape),
           lambda g, out, x, shape=(): (np.reshape(g, x.shape),), reshape_shape,
           "reshape moves no numbers: the gradient is reshaped back", params=("shape",)),
        Op("transpose", 1, lambda x, axes=None: np.transpose(x, axes), _transpose_vjp, transpose_shape,
           "transpose moves no numbers: the gradient is transposed back", params=("axes",)),
        Op("softmax", 1, lambda x, axis=-1: _softmax(x, axis), _softmax_vjp, axis_shape,
           "d(softmax)_i/da_j = s_i (delta_ij - s_j)", params=("axis",)),
        Op("log_softmax", 1, lambda x, axis=-1: _log_softmax(x, axis), _log_softmax_vjp, axis_shape,
           "d(log_softmax)_i/da_j = delta_ij - s_j", params=("axis",)),
        Op("cross_entropy", 2, _cross_entropy, _cross_entropy_vjp, cross_entropy_shape,
           "d(CE)/dlogits = (softmax(logits) - onehot(targets)) / batch; targets take no gradient",
           domain=("real", "targets"), saves=True),
    )
}


def output_shape(name: str, *shapes: Shape, **params: Any) -> Shape:
    """The shape `name` would produce, computed from shapes alone, before NumPy allocates anything."""
    return OPS[name].shape(*shapes, **params)

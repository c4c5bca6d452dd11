"""The value type: a float64 NumPy array that remembers the op and inputs that made it."""

from typing import TYPE_CHECKING, Any

import numpy as np

from engine.ops import OPS, Op, Value

if TYPE_CHECKING:
    from engine.record import BackwardRecord


FLOAT64 = np.dtype(np.float64)


def as_array(data: Any) -> np.ndarray:
    """float64 always: no Python big integers, no int64 wrap-around, no complex results."""
    return np.asarray(data, dtype=np.float64)


def copy_array(data: Any) -> np.ndarray:
    """A float64 array of its own."""
    return np.array(data, dtype=np.float64)


class Tensor:
    """A node of the computation graph.

    Scalar mode is tensor mode with shape (). `inputs` is an ordered tuple, so `x * x` has two
    edges (argument 0 and argument 1) and receives two contributions in backward.
    """

    __slots__ = ("_value", "grad", "requires_grad", "label", "op", "inputs", "params", "__weakref__")
    __array_priority__ = 1000  # so `ndarray * Tensor` defers to Tensor.__rmul__

    def __init__(self, data: Any, requires_grad: bool = False, label: str | None = None) -> None:
        # a number is kept as a NumPy float (see `data`); an array the caller passed is used as is
        self._value: Value = np.float64(data) if isinstance(data, (int, float)) else as_array(data)
        self.grad: Value | None = None
        self.requires_grad = requires_grad
        self.label = label
        self.op: Op | None = None
        self.inputs: tuple[Tensor, ...] = ()
        self.params: dict[str, Any] = {}

    @property
    def data(self) -> np.ndarray:
        """The value, a float64 array (0-d for a scalar).

        The scalar fast path: a 0-d value that nobody has asked for is kept as a NumPy float
        (np.float64), which computes ~10x faster than a 0-d array with the same bits, so scalar
        graphs run at the speed of float engines. Asking for `data` turns it into the array once,
        and from then on the array is the value (a caller may change it in place).
        """
        value = self._value
        if type(value) is not np.ndarray:
            value = self._value = np.array(value)
        return value

    @data.setter
    def data(self, data: Any) -> None:
        self._value = as_array(data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._value.shape

    def __repr__(self) -> str:
        name = f" {self.label!r}" if self.label else ""
        kind = self.op.name if self.op else ("leaf" if self.requires_grad else "const")
        return f"Tensor{name}({kind}, shape={self.shape}, data={np.array2string(np.asarray(self._value), precision=4)})"

    def backward(self, grad: Any = None, mode: str = "correct", record: bool = False) -> "BackwardRecord | None":
        """Backpropagate from this value; a non-scalar root needs an explicit `grad` (like `d.backward(ones)`)."""
        from engine.backward import backward

        return backward(self, grad, mode=mode, record=record)

    def zero_grad(self) -> None:
        """Forget this value's gradient (None: no gradient has reached it)."""
        self.grad = None

    # ---- operators -------------------------------------------------------------------------
    def __add__(self, other: Any) -> "Tensor":
        return apply("add", self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return apply("add", other, self)

    def __sub__(self, other: Any) -> "Tensor":
        return apply("sub", self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return apply("sub", other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return apply("mul", self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return apply("mul", other, self)

    def __truediv__(self, other: Any) -> "Tensor":
        return apply("div", self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return apply("div", other, self)

    def __matmul__(self, other: Any) -> "Tensor":
        return apply("matmul", self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return apply("matmul", other, self)

    def __neg__(self) -> "Tensor":
        return apply("neg", self)

    def __pow__(self, exponent: float) -> "Tensor":
        if isinstance(exponent, Tensor):
            raise TypeError("the exponent of ** must be a constant number; for a^x write exp(x * log(a))")
        return apply("pow", self, exponent=float(exponent))

    # ---- methods, micrograd style ----------------------------------------------------------
    def exp(self) -> "Tensor":
        return apply("exp", self)

    def log(self) -> "Tensor":
        return apply("log", self)

    def tanh(self) -> "Tensor":
        return apply("tanh", self)

    def relu(self) -> "Tensor":
        return apply("relu", self)

    def sigmoid(self) -> "Tensor":
        return apply("sigmoid", self)

    def sqrt(self) -> "Tensor":
        return apply("sqrt", self)

    def abs(self) -> "Tensor":
        return apply("abs", self)

    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return apply("sum", self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return apply("mean", self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return apply("max", self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply("reshape", self, shape=tuple(shape))

    def transpose(self, axes: Any = None) -> "Tensor":
        return apply("transpose", self, axes=None if axes is None else tuple(axes))

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def softmax(self, axis: int = -1) -> "Tensor":
        return apply("softmax", self, axis=axis)

    def log_softmax(self, axis: int = -1) -> "Tensor":
        return apply("log_softmax", self, axis=axis)

    def cross_entropy(self, targets: Any) -> "Tensor":
        return apply("cross_entropy", self, targets)


def apply(name: str, *args: Any, **params: Any) -> Tensor:
    """Run op `name` forward and record it in the graph; numbers and arrays become constants."""
    op = OPS[name]
    inputs = tuple([a if isinstance(a, Tensor) else Tensor(a) for a in args])
    if params:  # metadata (an axis, a shape) is checked by the op's own shape rule, not left to NumPy
        op.shape(*[t.shape for t in inputs], **params)
    value = op.forward(*[t._value for t in inputs], **params)
    out = Tensor.__new__(Tensor)
    # NumPy returns a NumPy float for 0-d results: kept as is, the scalar fast path (see Tensor.data)
    out._value = value if type(value) is np.float64 or (type(value) is np.ndarray and value.dtype is FLOAT64) \
        else as_array(value)
    out.grad = None
    out.requires_grad = any([t.requires_grad for t in inputs])
    out.label = None
    out.op = op
    out.inputs = inputs
    out.params = params
    return out

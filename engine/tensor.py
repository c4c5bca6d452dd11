"""The value type: a float64 NumPy array that remembers the op and inputs that made it."""

import itertools
from typing import Any

import numpy as np

from engine.arrays import FLOAT64, as_array
from engine.backward import backward
from engine.ops import OPS, Computed, Op, Value
from engine.record import BackwardRecord

# numbers tensors in the order they are made: a node is made after its inputs, so newest first is
# a reverse topological order (see backward.reverse_creation_order)
CREATED = itertools.count()
# the params of every node without any, one empty dict shared by all (nothing changes a node's
# params): a dict of its own per node cost ~0.1 us to make and free, a sixth of building a scalar
# node. A plain dict, unlike a read-only view, can be pickled and deep-copied with its tensor.
NO_PARAMS: dict[str, Any] = {}


class Tensor:
    """A node of the computation graph.

    Scalar mode is tensor mode with shape (). `inputs` is an ordered tuple, so `x * x` has two
    edges (argument 0 and argument 1) and receives two contributions in backward.
    """

    __slots__ = ("_value", "_grad", "_grad_shared", "requires_grad", "label", "op", "inputs", "params", "saved",
                 "created", "_pass_grad", "__weakref__")
    # NumPy's opt-out of its ufuncs: `ndarray * Tensor` returns NotImplemented at once, so Python calls
    # Tensor.__rmul__ (with __array_priority__ instead, NumPy first looked this up, failing, for every operator)
    __array_ufunc__ = None
    # the gradient the running backward pass has summed here so far: its scratch space, cheaper to
    # reach than a dict entry; set by backward.backward_correct for the nodes of its pass, and
    # emptied (None) as it stores them in .grad
    _pass_grad: "Computed | None"
    # whether _grad may be another tensor's array too (see `grad`): set with _grad whenever that is
    # an array, and unset (read as False) until then, which spares every new node a store (~1% of
    # a scalar node's cost)
    _grad_shared: bool
    # what the forward of a saving op kept for its VJP (see Op.saves): set on such nodes only
    saved: Any

    def __init__(self, data: Any, requires_grad: bool = False, label: str | None = None) -> None:
        # a number is kept as a Python float (see `data`); an array the caller passed is used as is
        self._value: Computed = float(data) if isinstance(data, (int, float)) else as_array(data)
        self._grad: Computed | None = None
        self.requires_grad = requires_grad
        self.label = label
        self.op: Op | None = None
        self.inputs: tuple[Tensor, ...] = ()
        self.params: dict[str, Any] = NO_PARAMS
        self.created = next(CREATED)  # this tensor's place in creation order

    @property
    def data(self) -> np.ndarray:
        """The value, a float64 array (0-d for a scalar).

        The scalar fast path: a 0-d value that nobody has asked for is kept as a Python float,
        which computes ~3x faster than a NumPy float and ~30x faster than a 0-d array, so scalar
        graphs run at the speed of float engines (see `on_floats`). Asking for `data` turns it into
        the array once, and from then on the array is the value (a caller may change it in place).
        """
        value = self._value
        if isinstance(value, np.ndarray):
            return value
        self._value = array = np.array(value)
        return array

    @data.setter
    def data(self, data: Any) -> None:
        self._value = as_array(data)

    @property
    def grad(self) -> Value | None:
        """The gradient backward left here (None: none has reached it), like `data` a float64 array
        or, for a 0-d value, a NumPy float. Backward leaves a 0-d gradient as a Python float (see
        `data`), turned into a NumPy float here, when asked for, rather than for every node.

        Backward also leaves its arrays as they are, though one array may be the gradient of several
        nodes (add passes its gradient on to both inputs, reshape a view of it): the first read of
        such a gradient copies it, so that changing one `.grad` in place changes no other. Copying
        on read, not in backward, costs nothing for the gradients nobody reads (most nodes').
        """
        g = self._grad
        if isinstance(g, np.ndarray):
            if getattr(self, "_grad_shared", False):
                self._grad = g = g.copy()
                self._grad_shared = False
            return g
        if g is None or isinstance(g, np.float64):
            return g
        self._grad = number = np.float64(g)
        return number

    @grad.setter
    def grad(self, g: Computed | None) -> None:
        self._grad = g
        self._grad_shared = False

    @property
    def shape(self) -> tuple[int, ...]:
        value = self._value
        return value.shape if isinstance(value, np.ndarray) else ()

    def __repr__(self) -> str:
        name = f" {self.label!r}" if self.label else ""
        kind = self.op.name if self.op else ("leaf" if self.requires_grad else "const")
        return f"Tensor{name}({kind}, shape={self.shape}, data={np.array2string(np.asarray(self._value), precision=4)})"

    def backward(self, grad: Any = None, mode: str = "correct", record: bool = False) -> BackwardRecord | None:
        """Backpropagate from this value; a non-scalar root needs an explicit `grad` (like `d.backward(ones)`)."""
        return backward(self, grad, mode=mode, record=record)

    def zero_grad(self) -> None:
        """Forget this value's gradient (None: no gradient has reached it)."""
        self.grad = None

    def __setstate__(self, state: tuple[None, dict[str, Any]]) -> None:
        """A copied or unpickled tensor is made now, so it takes a new creation number: one carried
        over from another process could be larger than its consumers', and newest first would then
        fire it too early. (A deep copy sets its inputs' state before its own: still inputs first.)"""
        for name, value in state[1].items():
            setattr(self, name, value)
        self.created = next(CREATED)

    # ---- operators -------------------------------------------------------------------------
    def __add__(self, other: Any) -> "Tensor":
        return binary("add", self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return binary("add", other, self)

    def __sub__(self, other: Any) -> "Tensor":
        return binary("sub", self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return binary("sub", other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return binary("mul", self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return binary("mul", other, self)

    def __truediv__(self, other: Any) -> "Tensor":
        return binary("div", self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return binary("div", other, self)

    def __matmul__(self, other: Any) -> "Tensor":
        return binary("matmul", self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return binary("matmul", other, self)

    def __neg__(self) -> "Tensor":
        return unary("neg", self)

    def __pow__(self, exponent: float) -> "Tensor":
        if isinstance(exponent, Tensor):
            raise TypeError("the exponent of ** must be a constant number; for a^x write exp(x * log(a))")
        return apply("pow", self, exponent=float(exponent))

    # ---- methods, micrograd style ----------------------------------------------------------
    def exp(self) -> "Tensor":
        return unary("exp", self)

    def log(self) -> "Tensor":
        return unary("log", self)

    def tanh(self) -> "Tensor":
        return unary("tanh", self)

    def relu(self) -> "Tensor":
        return unary("relu", self)

    def sigmoid(self) -> "Tensor":
        return unary("sigmoid", self)

    def sqrt(self) -> "Tensor":
        return unary("sqrt", self)

    def abs(self) -> "Tensor":
        return unary("abs", self)

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
        return binary("cross_entropy", self, targets)


# object.__new__, which node() makes a tensor with (filling its slots itself, not through __init__),
# looked up once: looking it up on the class for every node took ~1.6% of the instructions of
# building and backpropagating a 1,000-node scalar graph
new_tensor = Tensor.__new__


def apply(name: str, *args: Any, **params: Any) -> Tensor:
    """Run op `name` forward and record it in the graph; numbers and arrays become constants.

    On Python floats (0-d values, see Tensor.data) the op runs its `on_floats` version, the scalar
    fast path; where Python raises instead of giving IEEE's inf or nan (x / 0.0, exp(1000.0),
    log(0.0)), NumPy computes that value, as on arrays.
    """
    op = OPS[name]
    inputs = tuple([a if isinstance(a, Tensor) else Tensor(a) for a in args])
    if params:  # metadata (an axis, a shape) is checked by the op's own shape rule, not left to NumPy
        op.shape(*[t.shape for t in inputs], **params)
    values = [t._value for t in inputs]
    value: Computed
    if op.on_floats is not None and all([type(v) is float for v in values]):
        try:
            value = op.on_floats(*values, **params)
        except (ArithmeticError, ValueError):
            value = op.forward(*map(np.float64, values), **params)  # NumPy floats follow IEEE
    else:
        value = op.forward(*values, **params)
    return node(op, inputs, value, any([t.requires_grad for t in inputs]), params)


# unary() and binary() are apply() for the operators and the methods without parameters, the
# steps spelled out for one and two inputs: they make most nodes, and the generic argument
# handling (tuples, list comprehensions, **params) costs more than a scalar op itself.


def unary(name: str, x: Tensor) -> Tensor:
    op = OPS[name]
    v = x._value
    value: Computed
    if type(v) is float and op.on_floats is not None:
        try:
            value = op.on_floats(v)
        except (ArithmeticError, ValueError):
            value = op.forward(np.float64(v))  # NumPy floats follow IEEE
    else:
        value = op.forward(v)
    return node(op, (x,), value, x.requires_grad)


def binary(name: str, a: Any, b: Any) -> Tensor:
    op = OPS[name]
    if not isinstance(a, Tensor):
        a = Tensor(a)
    if not isinstance(b, Tensor):
        b = Tensor(b)
    x, y = a._value, b._value
    value: Computed
    if type(x) is float and type(y) is float and op.on_floats is not None:
        try:
            value = op.on_floats(x, y)
        except (ArithmeticError, ValueError):
            value = op.forward(np.float64(x), np.float64(y))  # NumPy floats follow IEEE
    else:
        value = op.forward(x, y)
    return node(op, (a, b), value, a.requires_grad or b.requires_grad)


def node(op: Op, inputs: tuple[Tensor, ...], value: Any, requires_grad: bool, params: dict[str, Any] | None = None
         ) -> Tensor:
    """The Tensor that op made from inputs: `value` is what op's forward returned."""
    out = new_tensor(Tensor)
    if op.saves:  # (value, what the VJP needs), see Op.saves
        value, out.saved = value
    # a float64 array or a Python float as is; a NumPy float becomes a Python float (the scalar
    # fast path, see Tensor.data); anything else (a bool or int result) a float64 array
    if type(value) is not float and not (type(value) is np.ndarray and value.dtype is FLOAT64):
        value = float(value) if type(value) is np.float64 else as_array(value)
    out._value = value
    out._grad = None
    out.requires_grad = requires_grad
    out.label = None
    out.op = op
    out.inputs = inputs
    out.params = params or NO_PARAMS
    out.created = next(CREATED)
    return out

"""What went wrong in a backward pass, read off its record: NaN/Inf, disconnected leaves, saturation, norms."""

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from engine.record import BackwardRecord
from engine.tensor import Tensor

# tanh'(a) = 1 - tanh(a)^2 and sigmoid'(a) = s (1 - s) both fall below 1e-3 once |a| > ~3.8 (tanh)
# or ~6.9 (sigmoid): gradients through such an entry shrink a thousandfold.
SATURATION_THRESHOLD = 1e-3

# the local derivative of each saturating op, written in terms of its output
LOCAL_DERIVATIVE = {
    "tanh": lambda out: 1.0 - out * out,
    "sigmoid": lambda out: out * (1.0 - out),
}


@dataclass
class Saturation:
    """A tanh or sigmoid node with at least one entry whose local derivative is below the threshold.

    `fraction` is the share of saturated entries; `saturated` is True when all entries are
    (then no gradient worth the name gets through the node). `min_derivative` is the smallest one.
    """

    node: Tensor
    op: str
    fraction: float
    saturated: bool
    min_derivative: float


@dataclass
class Diagnostics:
    """`first_nonfinite_value` in topological order (forward), `first_nonfinite_grad` in backward order.

    `disconnected` lists leaves that require grad yet received no gradient from this backward
    (grad None, which is not the same as a gradient of 0). `grad_norms` holds the Frobenius norm
    of every gradient the pass computed, in backward order.
    """

    first_nonfinite_value: Tensor | None
    first_nonfinite_grad: Tensor | None
    disconnected: list[Tensor]
    saturated: list[Saturation]
    grad_norms: dict[Tensor, float]


def diagnose(record: BackwardRecord, leaves: Iterable[Tensor] = (),
             threshold: float = SATURATION_THRESHOLD) -> Diagnostics:
    """Examine one recorded backward pass.

    `leaves` are candidate variables to check for a gradient, besides the leaves of the graph:
    a variable that the root does not use at all is not in the graph, so only the caller knows it.
    """
    forward_order = record.order[::-1]
    grads = record.grads
    first_value = next((n for n in forward_order if not all_finite(n.data)), None)
    first_grad = next((n for n in record.order if n in grads and not all_finite(grads[n])), None)
    candidates = list(dict.fromkeys([*leaves, *(n for n in forward_order if n.op is None)]))
    disconnected = [t for t in candidates if t.requires_grad and t not in grads]
    saturated = [s for n in forward_order if n.op is not None and n.op.name in LOCAL_DERIVATIVE
                 and (s := saturation(n, threshold)) is not None]  # a call only for the nodes that can saturate
    norms = {n: frobenius_norm(grads[n]) for n in record.order if n in grads}
    return Diagnostics(first_value, first_grad, disconnected, saturated, norms)


def all_finite(a: np.ndarray | np.float64) -> bool:
    """np.isfinite(a).all(), without NumPy calls for a 0-d value: on a scalar graph those calls, one
    per value and gradient, were most of the time of diagnosing it and of writing its record."""
    return math.isfinite(a) if a.ndim == 0 else bool(np.isfinite(a).all())


def frobenius_norm(a: np.ndarray | np.float64) -> float:
    """sqrt(sum(a**2)); a NaN/Inf gradient has a NaN/Inf norm. A 0-d value is squared and rooted as a
    Python float (the same IEEE operations as NumPy's, so the same number, overflow to inf included)."""
    if a.ndim == 0:
        x = float(a)
        return math.sqrt(x * x)
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt(np.sum(a ** 2)))


def saturation(node: Tensor, threshold: float = SATURATION_THRESHOLD) -> Saturation | None:
    """The saturation of a tanh/sigmoid node, or None if it is another op or has no saturated entry."""
    if node.op is None or node.op.name not in LOCAL_DERIVATIVE or node.data.size == 0:
        return None
    derivative = LOCAL_DERIVATIVE[node.op.name](node.data)
    below = derivative < threshold
    if not below.any():
        return None
    return Saturation(node, node.op.name, float(below.mean()), bool(below.all()), float(derivative.min()))

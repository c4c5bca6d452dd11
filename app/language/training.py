"""Training loops: several backward calls, zeroing and updating leaves, gradient clipping, and the
history of each call (the loss curve).

Semantics are micrograd's: leaves accumulate gradients across backward calls until the program
sets `p.grad = 0`; `p.data -= lr * p.grad` changes the leaf for later forward passes, never values
already computed. The graph shown is one call's (the last, or the one asked for): the leaves' data
and gradients are put back as they were when it ran, so the drawing agrees with itself.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from app.limits import MAX_HISTORY_CALLS, MAX_HISTORY_LEAVES
from engine import Tensor
from engine.ops import Value

PROGRAM_MODES = ("no_zero_grad",)
"""Bug modes of a training loop rather than of one backward pass: the program itself runs with the bug."""


class StopAtCall(Exception):
    """Raised to end the program right after the backward call it was asked to show."""


@dataclass
class Snapshot:
    """The leaves as one backward call found them: data, and gradients from earlier calls."""

    root: Tensor
    data: dict[Tensor, np.ndarray]
    grads: dict[Tensor, Value | None]

    def restore(self) -> None:
        for t, data in self.data.items():
            t.data = data
        for t, grad in self.grads.items():
            t.grad = grad


@dataclass
class History:
    """One entry per backward call, bounded: the first MAX_HISTORY_CALLS calls, the first
    MAX_HISTORY_LEAVES leaves of each."""

    calls: list[dict] = field(default_factory=list)
    leaves: list[Tensor] = field(default_factory=list)
    total_calls: int = 0
    total_leaves: int = 0

    def add(self, root: Tensor, line: int, leaves: list[Tensor], data: dict[Tensor, np.ndarray]) -> None:
        self.total_calls += 1
        self.total_leaves = len(leaves)
        if len(self.calls) >= MAX_HISTORY_CALLS:
            return
        if not self.leaves:
            self.leaves = leaves[:MAX_HISTORY_LEAVES]
        norm = grad_norm(leaves)
        self.calls.append({
            "call": self.total_calls,
            "root_value": float(root.data) if root.shape == () else float(np.sum(root.data)),
            "line": line,
            "grad_norm": norm,
            "grad_norm_clipped": norm,
            "values": [total(data.get(t, t.data)) for t in self.leaves],
            "grads": [0.0 if t.grad is None else total(t.grad) for t in self.leaves],
        })

    def clipped(self, leaves: list[Tensor]) -> None:
        """A clip after the latest call: its norm after clipping, and the gradients it left."""
        if self.calls and self.total_calls == self.calls[-1]["call"]:
            self.calls[-1]["grad_norm_clipped"] = grad_norm(leaves)
            self.calls[-1]["grads"] = [0.0 if t.grad is None else total(t.grad) for t in self.leaves]


def total(a: Value) -> float:
    """float(np.sum(a)); of a 0-d value without the NumPy call (one per leaf and call of a scalar program,
    most of the time of keeping its history). NumPy's sum starts from 0.0, so -0.0 sums to 0.0: + 0.0."""
    return float(a) + 0.0 if a.ndim == 0 else float(np.sum(a))


def squares(a: Value) -> float:
    """float(np.sum(np.square(a))); for a 0-d value x * x in Python floats, the same IEEE product."""
    if a.ndim == 0:
        x = float(a)
        return x * x
    return float(np.sum(np.square(a)))


def grad_norm(leaves: list[Tensor]) -> float:
    """The global 2-norm of the leaves' gradients, as clip_grad_norm measures it."""
    return math.sqrt(sum(squares(t.grad) for t in leaves if t.grad is not None))


def clip_grad_value(leaves: list[Tensor], clip: float) -> None:
    """Clamp every gradient component to [-clip, clip] (torch.nn.utils.clip_grad_value_)."""
    for t in leaves:
        if t.grad is not None:
            t.grad = np.clip(t.grad, -clip, clip)


def clip_grad_norm(leaves: list[Tensor], max_norm: float) -> float:
    """Scale all gradients together so their global norm is at most max_norm; the norm before
    (torch.nn.utils.clip_grad_norm_, with its 1e-6 guard against dividing by zero)."""
    norm = grad_norm(leaves)
    coefficient = min(max_norm / (norm + 1e-6), 1.0)
    for t in leaves:
        if t.grad is not None:
            t.grad = t.grad * coefficient
    return norm

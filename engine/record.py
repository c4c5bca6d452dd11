"""The recorded backward pass as plain data: what the visualizer animates, one event per edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # Tensor only in hints: tensor.py imports backward.py, which imports this module
    from engine.tensor import Tensor


@dataclass
class Event:
    """One contribution sent from a firing node (`source`) to one of its inputs (`target`).

    `accumulated` is True when the target already held a gradient from another use: this is the
    moment a node sums gradients from several children. `contribution_raw` is the contribution
    before it was summed back over broadcast axes, when that differs.
    """

    source: Tensor
    target: Tensor
    arg: int
    contribution: np.ndarray
    contribution_raw: np.ndarray | None
    grad_before: np.ndarray | None
    grad_after: np.ndarray
    accumulated: bool
    shape_mismatch: bool


@dataclass
class Step:
    """One node firing: its gradient at that moment and the contributions it sends, in argument order."""

    node: Tensor
    grad: np.ndarray
    events: list[Event] = field(default_factory=list)


@dataclass
class BackwardRecord:
    """Everything one backward call did, in the order it did it."""

    mode: str
    root: Tensor
    seed: np.ndarray
    order: list[Tensor]
    steps: list[Step]
    fan_out: dict[Tensor, int]
    grads: dict[Tensor, np.ndarray]
    shape_mismatches: list[Tensor]

"""Under the alias bug, which gradients are one piece of memory, and what each in-place add did to them.

The engine's alias mode stores a gradient by reference and adds to it in place (`before += c`), so every
gradient sharing memory with it changes too: the very same array (an add hands its incoming gradient to
both inputs, a sub to its first) or a view of it (reshape and transpose hand back a reshaped or transposed
view of theirs). The record copies arrays after each add, so its `grad_before` already holds the sum.

This module replays the pass over the memory itself. Each gradient's elements are given as addresses (what
`np.shares_memory` compares); one number is kept per address and written as the record says each event
left its target. At each in-place add it then knows the target's value before, the value added, and the
other gradients the add changed, each read in its own shape (a transposed view reads transposed).

A node's gradient array is fixed from its first contribution on (an in-place add returns the same array),
so the record's final arrays, all alive at the end of the pass, are the arrays each event worked on.
"""

from dataclasses import dataclass

import numpy as np

from engine import BackwardRecord, Tensor
from engine.broadcast import unbroadcast
from engine.record import Event


@dataclass(frozen=True)
class InPlaceAdd:
    """One `grad += contribution` under the alias bug, with the values as they were in memory."""

    before: np.ndarray
    contribution: np.ndarray
    views: dict[Tensor, np.ndarray]  # gradients over the same memory laid out otherwise, with their new values


@dataclass(frozen=True)
class SharedGradients:
    """The alias bug's facts: which gradients are one array (numbered), and what each in-place add did."""

    arrays: dict[Tensor, int]  # the gradients that share their memory with another, by the array's number
    adds: dict[tuple[int, int], InPlaceAdd]  # by (step, event) index


def element_addresses(a: np.ndarray) -> np.ndarray:
    """Where each element of `a` lives in memory, in `a`'s shape."""
    addresses = np.full(a.shape, a.__array_interface__["data"][0], dtype=np.int64)
    for axis, (n, stride) in enumerate(zip(a.shape, a.strides, strict=True)):
        along = [1] * a.ndim
        along[axis] = n
        addresses += (np.arange(n, dtype=np.int64) * stride).reshape(along)
    return addresses


def layout(a: np.ndarray) -> tuple:
    """Arrays with the same layout hold the same elements in the same order: one array to whoever reads it."""
    return a.__array_interface__["data"][0], a.shape, a.strides


def buffer(a: np.ndarray) -> int:
    """The memory an array is a view of (itself when it owns its memory); reshape and transpose hand back
    views of the whole array, so two gradients share memory exactly when they are over one buffer."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return id(a)


class Memory:
    """One number per address of the record's gradient arrays, as the pass has left it so far."""

    def __init__(self, grads: dict[Tensor, np.ndarray]) -> None:
        self.grads = grads
        addresses = {t: element_addresses(g) for t, g in grads.items()}
        self.every = np.unique(np.concatenate([a.ravel() for a in addresses.values()]))
        self.slots = {t: self.slots_of(a) for t, a in addresses.items()}
        self.numbers = np.zeros(len(self.every))

    def slots_of(self, addresses: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.every, addresses)

    def read(self, t: Tensor) -> np.ndarray:
        return self.numbers[self.slots[t]]

    def write(self, t: Tensor, value: np.ndarray) -> None:
        self.numbers[self.slots[t]] = value

    def contribution(self, step_node: Tensor, event: Event) -> np.ndarray:
        """What `event` added: the record's copy, unless the contribution was a view of the sender's
        gradient (an add's pass-through, a transpose's) over the target's memory, whose numbers the add
        itself changed. The VJP, run again on the live array, says which elements it was made of."""
        sender = self.grads.get(step_node)
        if sender is None or buffer(sender) != buffer(self.grads[event.target]):
            return event.contribution
        op = step_node.op
        assert op is not None
        raw = op.vjp(sender, step_node.data, *[t.data for t in step_node.inputs], **step_node.params)[event.arg]
        made = unbroadcast(np.asarray(raw), event.target.shape)
        if not np.shares_memory(made, sender):
            return event.contribution
        return self.numbers[self.slots_of(element_addresses(made))]


def shared_gradients(record: BackwardRecord) -> SharedGradients:
    """Replay an alias-mode record over memory (nothing for another mode)."""
    if record.mode != "alias":
        return SharedGradients({}, {})
    grads = {t: g for t, g in record.grads.items() if isinstance(g, np.ndarray)}
    if not grads:
        return SharedGradients({}, {})
    by_buffer: dict[int, list[Tensor]] = {}
    for t, g in grads.items():
        by_buffer.setdefault(buffer(g), []).append(t)
    arrays = {t: n for n, group in enumerate(g for g in by_buffer.values() if len(g) > 1) for t in group}
    memory = Memory(grads)
    # per buffer, per layout: the gradients made so far, in the order they were
    holding: dict[int, dict[tuple, list[Tensor]]] = {}

    def made(t: Tensor, value: np.ndarray) -> None:
        memory.write(t, value)
        holding.setdefault(buffer(grads[t]), {}).setdefault(layout(grads[t]), []).append(t)

    if record.steps and record.steps[0].node is record.root:
        made(record.root, record.steps[0].grad)
    adds: dict[tuple[int, int], InPlaceAdd] = {}
    for k, step in enumerate(record.steps):
        for i, event in enumerate(step.events):
            target = event.target
            if not event.accumulated:
                made(target, event.grad_after)
                continue
            before = memory.read(target)
            contribution = memory.contribution(step.node, event)
            memory.write(target, event.grad_after)
            others = holding.get(buffer(grads[target]), {})
            own = layout(grads[target])
            views = {t: memory.read(t) for key, ts in others.items() if key != own for t in ts}
            adds[(k, i)] = InPlaceAdd(before, contribution, views)
    return SharedGradients(arrays, adds)

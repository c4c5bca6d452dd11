"""Reverse-mode differentiation: a deterministic order, one VJP call per node, the engine sums.

Modes reproduce the three canonical autograd bugs so a class can see them:
- "overwrite": a later contribution replaces the gradient instead of adding to it;
- "no_unbroadcast": contributions are not summed back over broadcast axes;
- "alias": gradients are stored by reference and accumulated in place, so arrays that happen to
  be the same object (the seed, an add's pass-through gradient) all change together.

backward() is one loop over the nodes, general enough for every mode and for the record; read it
first. backward_correct() is the same loop for the common case (mode "correct", nothing
recorded) with its bookkeeping cut for speed; tests hold the two equal.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.arrays import as_array, copy_array
from engine.broadcast import Shape, sums_to, unbroadcast
from engine.errors import GradientShapeError, VJPRuleError
from engine.ops import Computed, Contributions, broadcast_shape, fmt_shape
from engine.record import BackwardRecord, Event, Step

if TYPE_CHECKING:  # Tensor only in hints: tensor.py imports this module (Tensor.backward calls it)
    from engine.tensor import Tensor

MODES = ("correct", "overwrite", "no_unbroadcast", "alias")


def topological_order(root: Tensor) -> list[Tensor]:
    """Every node reachable from `root`, inputs before consumers.

    Iterative DFS post-order visiting inputs in argument order (no recursion, so a 100,000-node
    chain works); the order is the same on every run for the same graph. Each stack entry holds
    a node and an iterator over its inputs, so a node is finished when its iterator runs out.
    """
    order: list[Tensor] = []
    visited: set[Tensor] = {root}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, inputs = stack[-1]
        for t in inputs:
            if t not in visited:
                visited.add(t)
                stack.append((t, iter(t.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def reverse_topological_order(root: Tensor) -> list[Tensor]:
    """The DFS order reversed: every consumer before its inputs."""
    return topological_order(root)[::-1]


def reverse_creation_order(root: Tensor) -> list[Tensor]:
    """Every node reachable from `root`, newest first: the order backward fires nodes in.

    A node is made after its inputs (Tensor.created), so newest first puts every consumer before
    its inputs, and it is the order the app passes (`order=`), so the nodes one function call made
    fire one after another. Finding the nodes is a plain walk and ordering them one sort, ~1.5x
    faster than the DFS, which keeps a stack of iterators.
    """
    found = [root]
    seen = {root}
    for node in found:  # the list grows while the walk reads it
        for t in node.inputs:
            if t not in seen:
                seen.add(t)
                found.append(t)
    found.sort(key=attrgetter("created"), reverse=True)
    return found


def fan_out(order: list[Tensor]) -> dict[Tensor, int]:
    """How many uses (edges) each node has among the given nodes; `x * x` uses x twice."""
    uses = dict.fromkeys(order, 0)
    for node in order:
        for t in node.inputs:
            uses[t] += 1
    return uses


def seed_gradient(root: Tensor, grad: Any, mode: str) -> Computed:
    """The gradient backward starts from; only the alias bug keeps the caller's array itself."""
    if grad is None:
        if root.shape != ():
            raise GradientShapeError(
                f"backward from a value of shape {root.shape} needs an explicit grad, e.g. ones of that shape")
        return np.ones(()) if mode == "alias" else 1.0  # the alias bug needs arrays to alias
    keep_callers = mode == "alias" and isinstance(grad, np.ndarray) and grad.dtype == np.float64
    seed = grad if keep_callers else np.array(grad, dtype=np.float64)
    if seed.shape != root.shape:
        raise GradientShapeError(f"grad of shape {seed.shape} does not match the root's shape {root.shape}")
    return seed


def check_order(root: Tensor, order: list[Tensor]) -> None:
    """Raise ValueError unless `order` holds the root's graph with every consumer before its inputs."""
    if order[:1] != [root]:
        raise ValueError("a backward order must start at the root")
    if order == reverse_creation_order(root):
        return  # the common case (the app passes it): one walk and a comparison, not a position per node
    position = {t: i for i, t in enumerate(order)}
    for node in order:
        for t in node.inputs:
            if position.get(t, -1) <= position[node]:
                raise ValueError("a backward order must hold every input of a node after the node")


def backward(root: Tensor, grad: Any = None, mode: str = "correct", record: bool = False,
             order: list[Tensor] | None = None) -> BackwardRecord | None:
    """Backpropagate from `root`, leaving each reached node's gradient in `.grad`.

    Leaves accumulate across calls (call zero_grad between steps); other nodes hold this call's
    gradient. With `record=True`, returns every event as a BackwardRecord. `order` is a reverse
    topological order of the root's graph to fire nodes in, instead of newest first
    (`reverse_creation_order`).
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if order is None:
        order = reverse_creation_order(root)
    else:
        check_order(root, order)
    seed = seed_gradient(root, grad, mode)
    if mode == "correct" and not record:
        backward_correct(order, seed)  # the common case: the loop below, with its bookkeeping cut
        return None
    grads: dict[Tensor, Computed] = {root: seed}
    steps: list[Step] = []
    mismatched: list[Tensor] = []
    skip_unbroadcast = mode == "no_unbroadcast"
    adding = mode == "correct"
    # The scalar fast path: a 0-d gradient travels as a Python float, like a 0-d value (see
    # Tensor.data), except under the alias bug, which needs arrays to alias.
    numbers = mode != "alias"
    # What the record keeps of an array: outside the alias bug the array itself, since the engine
    # never changes an array once made (.grad hands out copies); under it, a copy.
    kept = as_array if numbers else copy_array
    for node in order:
        g = grads.get(node)
        if g is None or node.op is None:
            continue
        if skip_unbroadcast and np.shape(g) != node.shape:
            continue  # a mis-shaped gradient is flagged where it arrived and goes no further: no VJP fits it
        inputs = node.inputs
        contributions = call_vjp(node, g)
        if type(contributions) is not tuple or len(contributions) != len(inputs):
            raise wrong_count(node, contributions)
        step = Step(node, kept(g)) if record else None
        for arg, target in enumerate(inputs):
            raw = contributions[arg]
            if raw is None or not target.requires_grad:
                continue  # a constant's contribution is never used, so never checked
            c: Computed
            value = target._value
            if numbers and type(value) is float and isinstance(raw, float):
                c, mismatch = raw, False  # a number for a number: nothing to check, nothing to sum back
            else:
                if type(raw) is not np.ndarray:
                    raw = as_array(raw)
                c = fitted(node, arg, raw, skip_unbroadcast)
                mismatch = skip_unbroadcast and c.shape != np.shape(value)
                if mismatch:
                    mismatched.append(target)
            before = grads.get(target)
            if before is None:
                after = c
            elif adding:
                after = before + c  # accumulate(before, c, "correct"), spelled out: the common case
            else:
                after = accumulate(before, c, mode)
            grads[target] = after
            if step is not None:
                step.events.append(Event(
                    node, target, arg, kept(c), None if raw is c else kept(raw),
                    None if before is None else kept(before), kept(after), before is not None, mismatch))
        if step is not None:
            steps.append(step)
    store_gradients(grads, mode)
    if not record:
        return None
    arrays = {t: as_array(g) for t, g in grads.items()}  # the record's own, as arrays: the same objects if arrays
    return BackwardRecord(mode, root, arrays[root], order, steps, fan_out(order), arrays, mismatched)


def backward_correct(order: list[Tensor], seed: Computed) -> None:
    """backward() in mode "correct" with nothing recorded, the common case: the same sums as the
    general loop in backward() (tests hold the two equal, bit for bit), with its bookkeeping cut.

    Each node sums its gradient in a slot of its own (`Tensor._pass_grad`) rather than in a dict
    entry, and stores it in `.grad` as it fires (leaves at the end), not in a second pass. A node
    whose inputs are Python floats (the scalar fast path, see Tensor.data) calls its rule and, if
    it returns floats, adds them at once: a float contribution to a float input cannot be
    mis-shaped, so there is nothing to check. Anything else (arrays, a rule that raises on
    floats, a contribution that is not a float, not a tuple of one per input) takes the checked
    way, which is the general loop's. The slots make one pass at a time over a graph the rule, as
    `.grad` already does: two threads backpropagating through shared nodes would mix their sums.
    """
    for t in order:
        t._pass_grad = None
    order[0]._pass_grad = seed
    leaves: list[Tensor] = []
    for node in order:
        g = node._pass_grad
        if g is None:
            continue
        op = node.op
        if op is None:
            leaves.append(node)
            continue
        # every consumer has fired, so g is complete: stored now, not in a second pass over the nodes;
        # as it is, though it may be another node's too (the first read copies it, see Tensor.grad)
        node._pass_grad = None
        node._grad, node._grad_shared = g, True
        inputs = node.inputs
        if not op.params:
            # the scalar fast path, spelled out for its two kinds of node, x op y and op(x): a loop
            # over the inputs and a call per contribution would cost more than the rule itself. The
            # contributions' types are checked, not g's: float inputs and a float g give floats
            if len(inputs) == 2:
                a, b = inputs
                x, y = a._value, b._value
                if type(x) is float and type(y) is float:
                    try:
                        ca, cb = contributions = op.vjp(g, node._value, x, y)
                    except (ArithmeticError, TypeError, ValueError):
                        pass  # Python raised where IEEE gives inf or nan, or a wrong rule: the checked way
                    else:
                        if type(contributions) is tuple and type(ca) is float and type(cb) is float:
                            if a.requires_grad:
                                before = a._pass_grad
                                a._pass_grad = ca if before is None else before + ca
                            if b.requires_grad:
                                before = b._pass_grad
                                b._pass_grad = cb if before is None else before + cb
                            continue
            elif len(inputs) == 1:
                (a,) = inputs
                x = a._value
                if type(x) is float:
                    try:
                        (ca,) = contributions = op.vjp(g, node._value, x)
                    except (ArithmeticError, TypeError, ValueError):
                        pass
                    else:
                        if type(contributions) is tuple and type(ca) is float:
                            if a.requires_grad:
                                before = a._pass_grad
                                a._pass_grad = ca if before is None else before + ca
                            continue
        # the checked way: the general loop's steps in mode "correct"
        contributions = call_vjp(node, g)
        if type(contributions) is not tuple or len(contributions) != len(inputs):
            raise wrong_count(node, contributions)
        for arg, target in enumerate(inputs):
            c = contributions[arg]
            if c is None or not target.requires_grad:
                continue
            value = target._value
            if type(c) is np.ndarray and type(value) is np.ndarray:
                shape, given = value.shape, c.shape
                if given == shape:
                    pass  # as is: an array shaped like its input, the common case
                elif op.broadcasts and shape and given[1:] == shape and given == node.shape:
                    # a bias added to a batch: shaped like the output, whose first axis the input lacks;
                    # fitted() would pass check_contribution_shape at once and unbroadcast sum that axis
                    # with this ufunc (ndarray.sum's), but its three calls cost as much as the sum
                    c = np.add.reduce(c, 0)
                else:
                    c = fitted(node, arg, c)
            elif not (type(value) is float and isinstance(c, float)):  # a number for a number: as is
                c = fitted(node, arg, c if type(c) is np.ndarray else as_array(c))
            before = target._pass_grad
            target._pass_grad = c if before is None else before + c
    for leaf in leaves:  # after every rule has run, so that a failing one leaves them as they were
        g = leaf._pass_grad
        assert g is not None
        leaf._pass_grad = None
        # a leaf adds this call's gradient to the last ones (a sum is a new array of its own)
        before = leaf._grad
        leaf._grad, leaf._grad_shared = (g, True) if before is None else (before + g, False)


def call_vjp(node: Tensor, g: Computed) -> Contributions:
    """The node's VJP at gradient g, with the values of its inputs.

    Spelled out for one and two inputs, the common cases: building the list of input values costs
    more than a VJP on floats. On floats, where Python raises instead of giving inf or nan
    (g / 0.0), the rule runs again with g as a NumPy float, which follows IEEE. Rules with
    parameters (reductions, reshape, pow) read .ndim, .shape or .size, which a Python float lacks:
    they see NumPy floats.
    """
    op, inputs, out = node.op, node.inputs, node._value
    assert op is not None
    if op.saves:  # what its forward kept for it (see Op.saves)
        return op.vjp(g, out, *[t._value for t in inputs], saved=node.saved, **node.params)
    if op.skips:  # which of its two inputs need a contribution; no params (see Op.skips), so no ** call
        a, b = inputs
        return op.vjp(g, out, a._value, b._value, needs=(a.requires_grad, b.requires_grad))
    if op.params:
        return op.vjp(numpy_float(g), numpy_float(out), *[numpy_float(t._value) for t in inputs], **node.params)
    try:
        if len(inputs) == 2:
            return op.vjp(g, out, inputs[0]._value, inputs[1]._value)
        if len(inputs) == 1:
            return op.vjp(g, out, inputs[0]._value)
        return op.vjp(g, out, *[t._value for t in inputs])
    except ArithmeticError:
        if type(g) is not float:
            raise
        return op.vjp(np.float64(g), out, *[t._value for t in inputs])


def numpy_float(value: Computed) -> np.ndarray | np.float64:
    """A Python float as a NumPy float; arrays as they are."""
    return value if isinstance(value, np.ndarray) else np.float64(value)


def fitted(node: Tensor, arg: int, raw: np.ndarray, skip_unbroadcast: bool = False) -> np.ndarray:
    """`raw`, a VJP's contribution to `node.inputs[arg]`, as backward adds it: checked against the
    input's shape and summed back over broadcast axes (unless the no_unbroadcast bug skips that)."""
    value = node.inputs[arg]._value
    shape = value.shape if type(value) is np.ndarray else ()  # the input's shape, without the property call
    if raw.shape == shape:
        return raw
    check_contribution_shape(node, arg, raw.shape)
    return raw if skip_unbroadcast else unbroadcast(raw, shape)


def wrong_count(node: Tensor, contributions: Any) -> VJPRuleError:
    """The error for a VJP that did not return a tuple of one contribution per input."""
    assert node.op is not None
    n = len(node.inputs)
    return VJPRuleError(f"the VJP of {node.op.name} returned {count_words(contributions)} "
                        f"for {n} input{'s' if n != 1 else ''}")


def count_words(contributions: Any) -> str:
    """What a VJP returned, counted for an error message."""
    if type(contributions) is not tuple:
        return f"a {type(contributions).__name__} instead of a tuple of contributions"
    return f"{len(contributions)} contribution{'s' if len(contributions) != 1 else ''}"


def check_contribution_shape(node: Tensor, arg: int, shape: Shape) -> None:
    """Raise VJPRuleError unless a contribution of `shape` can be the gradient of `node.inputs[arg]`.

    A contribution has its input's shape, or for a broadcasting op a shape that sums back to the
    input's (`unbroadcast`) and is no larger than the inputs broadcast together; for matmul that
    holds for the batch axes, and the last two (one for a vector) must match exactly. Anything
    larger would be silently summed into a wrong gradient (an extra leading axis: a doubled one).
    """
    op, inputs = node.op, node.inputs
    assert op is not None
    if op.broadcasts and shape == node.shape:
        return  # the common case: shaped like the output, which broadcasting made from every input
    target = inputs[arg].shape
    if op.broadcasts or op.batch_broadcasts:
        def split(s: Shape, like: Shape) -> tuple[Shape, Shape]:
            """(broadcast axes, core axes) of s, with as many core axes as the input `like` has."""
            core = min(len(like), 2) if op.batch_broadcasts else 0
            return s[:len(s) - core], s[len(s) - core:]

        batch, core = split(shape, target)
        target_batch, target_core = split(target, target)
        all_batch = broadcast_shape(*[split(t.shape, t.shape)[0] for t in inputs])
        if core == target_core and sums_to(batch, target_batch) and sums_to(all_batch, batch):
            return
    raise VJPRuleError(f"the VJP of {op.name} returned a contribution of shape {fmt_shape(shape)} "
                       f"for input {arg} of shape {fmt_shape(target)}")


def accumulate(before: Computed | None, c: Computed, mode: str) -> Computed:
    """The gradient after one more contribution arrives: the `+=` that beginners get wrong."""
    if before is None or mode == "overwrite":
        return c
    if mode == "alias":
        before += c  # in place on whatever array `before` happens to be: the bug
        return before
    try:
        total: Computed = before + c
    except ValueError:
        # only under no_unbroadcast, where the shapes already disagree and the node is flagged: add
        # when NumPy can, so the wrong numbers stay visible, else keep the latest contribution
        return c
    return total


def store_gradients(grads: dict[Tensor, Computed], mode: str) -> None:
    """Write `.grad`. Outside the alias bug an array is stored as it is, marked as possibly another
    tensor's, a view of one or a record's: the first read of `.grad` copies it (see Tensor.grad), so
    that changing one `.grad` in place changes no other and no record. Under the alias bug it is
    stored by reference, so arrays that are the same object stay the same: the bug. A 0-d gradient
    is a Python float (see Tensor.grad): it cannot change in place."""
    for t, g in grads.items():
        if t.op is None and t._grad is not None:  # a leaf adds this call's gradient to the last ones
            if mode == "alias":
                mine: Computed | None = t.grad  # not another tensor's array too (see Tensor.grad)
                assert mine is not None
                mine += g
                t.grad = mine
            else:
                t.grad = t._grad + g  # a new array
            continue
        t._grad, t._grad_shared = g, mode != "alias"

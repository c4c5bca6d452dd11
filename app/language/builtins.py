"""The functions a program calls by name besides ops: Python's (range, len, zip, sum...), micrograd's
(Value, draw_dot, v.backward()), the random and math modules, and the array constructors.

Anything that walks an iterable walks it here, one step of the budget per item, so
`sum(range(10**12))` stops at the step limit instead of running for hours.
"""

import ast
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from app.language.constructors import KEYWORDS
from app.language.constructors import construct as make_array
from app.language.errors import ExpressionError, name_span
from app.language.functions import BUILTIN_USAGE
from app.language.functions import FUNCTIONS as USAGE
from app.language.groups import reverse_creation_order
from app.language.printing import print_text
from app.language.training import Snapshot, StopAtCall, clip_grad_norm, clip_grad_value
from app.language.values import Builtin, MathModule, RandomModule, as_float, is_number, number, type_name
from engine import Tensor, backward

if TYPE_CHECKING:
    from app.language.statements import Interpreter

BUILTINS = {name: Builtin(name, usage) for name, usage in BUILTIN_USAGE.items()}
ADD = ast.Add()  # sum's operator, made once rather than per item

NEVER_ON_VALUES = ("{name}() of values of the graph is not defined here: use relu(x) for max(x, 0), or the tensor "
                   "op max(x, axis=...) on one tensor")
# max(a, b) of two tensors: what it would mean, and how to write it
OF_TENSORS = {
    "max": "max(a, b, ...) compares plain numbers, and a list is a tensor here: for the largest entry of one tensor "
           "write max(x) or max(x, axis=0); for the larger of two tensors entry by entry, relu(a - b) + b",
    "min": "min(a, b, ...) compares plain numbers, and a list is a tensor here: for the smallest entry of one tensor "
           "write -max(-x) or -max(-x, axis=0); for the smaller of two tensors entry by entry, b - relu(b - a)",
}


def call(ev: "Interpreter", name: str, node: ast.Call) -> Any:
    if name in ("sum", "max", "abs") and node.args:
        first = ev.value(node.args[0])
        if isinstance(first, Tensor) and (name != "max" or len(node.args) == 1):
            return ev.call_op(name, node, [(first, node.args[0])], node.args[1:])
        args = [first] + [ev.value(a) for a in node.args[1:]]
    else:
        args = [ev.value(a) for a in node.args]
    kwargs = keywords(ev, node)
    return FUNCTIONS[name](ev, node, args, kwargs)


def keywords(ev: "Interpreter", node: ast.Call) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for kw in node.keywords:
        if kw.arg in kwargs:
            raise ExpressionError.at("type", f"keyword '{kw.arg}' given twice", name_span(kw, str(kw.arg), ev.lines))
        kwargs[str(kw.arg)] = ev.value(kw.value)
    return kwargs


def expect(ev: "Interpreter", node: ast.Call, name: str, args: list, kwargs: dict, low: int, high: int,
           allowed: tuple[str, ...] = ()) -> None:
    """Check the argument count and keyword names against the builtin's usage."""
    if not low <= len(args) <= high or (kwargs and any(k not in allowed for k in kwargs)):
        raise ev.error("type", f"{name}() is called as {BUILTINS[name].usage}", node)


def plain_numbers(ev: "Interpreter", node: ast.Call, name: str, values: list) -> list:
    out = []
    for v in values:
        v = ev.plain(v)
        if not is_number(v):
            raise ev.error("type", f"{name}() takes plain numbers, not {type_name(v)}", node)
        out.append(v)
    return out


def whole_numbers(ev: "Interpreter", node: ast.Call, name: str, values: list) -> list[int]:
    out = []
    for v in plain_numbers(ev, node, name, values):
        if not isinstance(v, int):
            if not (math.isfinite(v) and float(v).is_integer()):
                raise ev.error("type", f"{name}() takes whole numbers, got {v:g}", node)
            raise ev.error("type", f"{name}() takes whole numbers (write {int(v)}, not {v:g})", node)
        out.append(int(v))
    return out


def items_of(ev: "Interpreter", node: ast.Call, value: Any) -> Iterator:
    """The items of an iterable argument, one budget step each."""
    where = ev.span(node)
    for item in ev.iterate(value, node):
        ev.steps.tick(where)
        yield item


def builtin_range(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "range", args, kwargs, 1, 3)
    bounds = whole_numbers(ev, node, "range", args)
    if len(bounds) == 3 and bounds[2] == 0:
        raise ev.error("domain", "range() step must not be 0", node)
    return range(*bounds)


def builtin_len(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "len", args, kwargs, 1, 1)
    value = ev.plain(args[0])
    if isinstance(value, (list, tuple, range, str)):
        return len(value)
    raise ev.error("type", f"len() of {type_name(value)}: len() takes a list, a tuple or a range", node)


def builtin_zip(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "zip", args, kwargs, 1, 16, ("strict",))
    return zip(*[ev.iterate(a, node) for a in args], strict=bool(kwargs.get("strict", False)))


def builtin_enumerate(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "enumerate", args, kwargs, 1, 2, ("start",))
    start = whole_numbers(ev, node, "enumerate", args[1:] + list(kwargs.values()))
    return enumerate(ev.iterate(args[0], node), *start)


def builtin_sum(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Python's sum: start + x0 + x1 + ..., one add at a time, so a value gets a chain of add nodes."""
    expect(ev, node, "sum", args, kwargs, 1, 2, ("start",))
    total = args[1] if len(args) == 2 else kwargs.get("start", 0)
    for item in items_of(ev, node, args[0]):
        total = ev.combine(ADD, total, item, node)
    return total


def extreme(pick: Callable) -> Callable:
    def builtin(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
        name = pick.__name__
        expect(ev, node, name, args, kwargs, 1, 1_000)
        values = list(items_of(ev, node, args[0])) if len(args) == 1 else args
        if not values:
            raise ev.error("type", f"{name}() of an empty list", node)
        values = [ev.plain(v) for v in values]
        if any(isinstance(v, Tensor) for v in values):
            raise ev.error("type", NEVER_ON_VALUES.format(name=name), node)
        if any(isinstance(v, list) for v in values):
            raise ev.error("type", OF_TENSORS[name], node)
        return number(pick(plain_numbers(ev, node, name, values)))
    return builtin


def builtin_abs(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "abs", args, kwargs, 1, 1)
    (x,) = plain_numbers(ev, node, "abs", args)
    return number(abs(x))


def builtin_print(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "print", args, kwargs, 0, 1_000, ("sep", "end"))
    sep, end = kwargs.get("sep", " "), kwargs.get("end", "\n")
    if not isinstance(sep, str) or not isinstance(end, str):
        raise ev.error("type", "print()'s sep and end must be strings", node)
    ev.output.write(print_text(args, sep, end, ev.span(node)))


def builtin_list(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "list", args, kwargs, 0, 1)
    out: list = []
    for item in items_of(ev, node, args[0]) if args else ():
        out.append(item)
        ev.steps.grow(1, len(out), ev.span(node))
    return out


def builtin_tuple(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    return tuple(builtin_list(ev, node, args, kwargs))


def builtin_float(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "float", args, kwargs, 1, 1)
    if isinstance(args[0], Tensor) and id(args[0]) not in ev.literal_leaves:
        raise ev.error("type", "float() of a value of the graph: read its number with x.data", node)
    return as_float(plain_numbers(ev, node, "float", args)[0])


def builtin_int(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "int", args, kwargs, 1, 1)
    (x,) = plain_numbers(ev, node, "int", args)
    if not math.isfinite(x):
        raise ev.error("domain", f"int() of {x}", node)
    return number(int(x))


def builtin_round(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "round", args, kwargs, 1, 2)
    x, *digits = plain_numbers(ev, node, "round", args)
    if digits:
        return as_float(round(float(x), int(digits[0])))
    return number(round(x)) if math.isfinite(x) else x


def builtin_value(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """micrograd's Value(x): a scalar leaf that takes a gradient, labelled by `label=` or its name."""
    expect(ev, node, "Value", args, kwargs, 1, 1, ("label",))
    (x,) = plain_numbers(ev, node, "Value", args)
    label = ev.label(kwargs["label"], node) if "label" in kwargs else None
    leaf = ev.new_tensor(as_float(x), node, requires_grad=True, label=label)
    ev.leaves.append(leaf)
    ev.note_literal(leaf, node.args[0])
    return leaf


def builtin_draw_dot(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "draw_dot", args, kwargs, 1, 1, ("format", "rankdir"))
    if not isinstance(args[0], Tensor):
        raise ev.error("type", f"draw_dot() shows a value of the graph, not {type_name(args[0])}", node)
    ev.shown = args[0]


def run_backward(ev: "Interpreter", root: Tensor, node: ast.Call) -> None:
    """`v.backward()`: v becomes the root; leaves add this call's gradients to what they hold (until the
    program sets p.grad = 0), and the call joins the history."""
    if node.args or node.keywords:
        raise ev.error("type", "backward() takes no arguments here: the gradient of the root is 1", node)
    leaves = [t for t in ev.leaves if t.requires_grad]
    grads = {t: t.grad for t in leaves}
    ev.backward_root = root
    seed = np.ones(root.shape) if root.shape else None
    # The first call from leaves the program has not changed is recorded: if the program then changes
    # nothing and calls backward no more, app.graph.run_backward's own run would record the same (Program.record)
    first = ev.history.total_calls == 0 and not ev.rewritten
    record = backward(root, seed, order=reverse_creation_order(root, ev.nodes), record=first)
    if first:
        ev.first_record = record
    # the data read after the call, which changes none: reading a 0-d leaf's data makes it an array (Tensor.data),
    # and backward runs its float fast path on the leaves that are still floats
    data = {t: t.data for t in leaves}
    ev.snapshot = Snapshot(root, data, grads)
    ev.history.add(root, node.lineno, leaves, data)
    if ev.stop_at_call == ev.history.total_calls:
        raise StopAtCall


def parameters(ev: "Interpreter", node: ast.Call, name: str, params: Any) -> list[Tensor]:
    leaves = list(items_of(ev, node, params))
    if not all(isinstance(t, Tensor) for t in leaves):
        raise ev.error("type", f"{name}() takes a list of values of the graph (the parameters)", node)
    return leaves


def builtin_clip_grad_value(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "clip_grad_value", args, kwargs, 2, 2)
    (clip,) = plain_numbers(ev, node, "clip_grad_value", args[1:])
    leaves = parameters(ev, node, "clip_grad_value", args[0])
    clip_grad_value(leaves, float(clip))
    ev.rewritten = True
    ev.history.clipped([t for t in ev.leaves if t.requires_grad])


def builtin_clip_grad_norm(ev: "Interpreter", node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    expect(ev, node, "clip_grad_norm", args, kwargs, 2, 2)
    (max_norm,) = plain_numbers(ev, node, "clip_grad_norm", args[1:])
    leaves = parameters(ev, node, "clip_grad_norm", args[0])
    norm = clip_grad_norm(leaves, float(max_norm))
    ev.rewritten = True
    ev.history.clipped([t for t in ev.leaves if t.requires_grad])
    return np.float64(norm)


def module_call(ev: "Interpreter", module: RandomModule | MathModule, name: str, node: ast.Call) -> Any:
    args = [ev.value(a) for a in node.args]
    kwargs = keywords(ev, node)
    if name not in module.FUNCTIONS or kwargs:
        prefix = "random" if isinstance(module, RandomModule) else "math"
        raise ev.error("type", f"{prefix}.{name}() is not available; these are: {', '.join(module.FUNCTIONS.values())}",
                       node)
    numbers = plain_numbers(ev, node, name, args)
    expected = module.FUNCTIONS[name].count(",") + 1 if "()" not in module.FUNCTIONS[name] else 0
    if len(numbers) != expected:
        raise ev.error("type", f"{module.FUNCTIONS[name]} takes {expected} argument{'s' * (expected != 1)}", node)
    if isinstance(module, MathModule):
        with np.errstate(all="ignore"):
            return np.float64(getattr(np, name)(as_float(numbers[0])))
    generator = module.generator
    if name == "seed":
        if not isinstance(numbers[0], int):
            raise ev.error("type", "random.seed() takes a whole number, e.g. random.seed(1337)", node)
        generator.seed(numbers[0])
        return None
    if name == "random":
        return np.float64(generator.random())
    if name == "uniform":
        return np.float64(generator.uniform(float(numbers[0]), float(numbers[1])))
    return np.float64(generator.gauss(float(numbers[0]), float(numbers[1])))


def construct(ev: "Interpreter", name: str, node: ast.Call) -> np.ndarray:
    args = node.args
    if name != "arange" and len(args) == 1 and isinstance(args[0], (ast.Tuple, ast.List)):
        args = args[0].elts  # zeros((2, 3)) as well as zeros(2, 3)
    numbers = [(as_float(ev.number(a, f"an argument of {name}()")), ev.span(a)) for a in args]
    given: dict[str, tuple[np.float64, Any]] = {}
    for kw in node.keywords:
        if kw.arg not in KEYWORDS[name]:
            raise ExpressionError.at("type", f"{name}() has no parameter '{kw.arg}': {USAGE[name]}",
                                     name_span(kw, str(kw.arg), ev.lines))
        if kw.arg in given:
            raise ExpressionError.at("type", f"{name}() got '{kw.arg}' twice", name_span(kw, kw.arg, ev.lines))
        given[kw.arg] = (as_float(ev.number(kw.value, kw.arg)), ev.span(kw.value))
    return make_array(name, numbers, given, ev.span(node), ev.budget)


FUNCTIONS: dict[str, Callable] = {
    "range": builtin_range, "len": builtin_len, "zip": builtin_zip, "enumerate": builtin_enumerate,
    "sum": builtin_sum, "max": extreme(max), "min": extreme(min), "abs": builtin_abs, "print": builtin_print,
    "list": builtin_list, "tuple": builtin_tuple, "float": builtin_float, "int": builtin_int,
    "round": builtin_round, "Value": builtin_value, "draw_dot": builtin_draw_dot,
    "clip_grad_value": builtin_clip_grad_value, "clip_grad_norm": builtin_clip_grad_norm,
}

"""What a program may call: every engine op as a function and a method, plus the constructors.

This is the one list the parser's whitelist, the evaluator and the README draw from. An op's
tensor inputs come first, positionally; its parameters (`op.params`) follow, positionally or by
keyword, each read by the reader its name selects in PARAMETER_KINDS.
"""

import ast
import inspect
from dataclasses import dataclass

from engine import OPS, Op

# How each engine parameter is written in a program:
# "axis": a whole number or a tuple of them; "flag": True or False; "number": any constant number;
# "sizes": whole numbers, given as the remaining positional arguments or as one tuple.
PARAMETER_KINDS = {
    "axis": "axis",
    "keepdims": "flag",
    "exponent": "number",
    "shape": "sizes",
    "axes": "sizes",
}

BINARY_OPERATORS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
                    ast.MatMult: "matmul"}
UNARY_OPERATORS = {ast.USub: "neg", ast.UAdd: None}  # unary plus is the identity: no node

ATTRIBUTES = ("T",)  # x.T is transpose(x)


@dataclass(frozen=True)
class OpFunction:
    """How `name(...)` and `x.name(...)` bind their arguments to an engine op."""

    name: str
    tensors: int
    params: tuple[str, ...]
    required: tuple[str, ...]  # parameters the op's shape rule has no default for (reshape's shape)

    @property
    def sizes_param(self) -> str | None:
        """The parameter that collects all positional numbers after the tensors (reshape's shape)."""
        return next((p for p in self.params if PARAMETER_KINDS.get(p) == "sizes"), None)

    @property
    def usage(self) -> str:
        inputs = ["x"] if self.tensors == 1 else [f"x{i + 1}" for i in range(self.tensors)]
        params = [f"*{p}" if p == self.sizes_param else f"{p}=..." for p in self.params]
        return f"{self.name}({', '.join(inputs + params)})"


def required_params(op: Op) -> tuple[str, ...]:
    signature = inspect.signature(op.shape).parameters
    return tuple(p for p in op.params if signature[p].default is inspect.Parameter.empty)


OP_FUNCTIONS = {name: OpFunction(name, op.arity, op.params, required_params(op)) for name, op in OPS.items()}

CONSTRUCTOR_USAGE = {
    "randn": "randn(*shape, seed=0)",  # standard normal numbers from np.random.default_rng(seed)
    "zeros": "zeros(*shape)",
    "ones": "ones(*shape)",
    "full": "full(*shape, value=...)",
    "arange": "arange([start,] stop[, step])",
    "const": "const(number, list or constructor)",  # an input that takes no gradient
}
CONSTRUCTORS = tuple(CONSTRUCTOR_USAGE)

BUILTIN_USAGE = {
    "range": "range(stop) or range(start, stop[, step])",
    "len": "len(xs)",
    "zip": "zip(xs, ys, ...)",
    "enumerate": "enumerate(xs, start=0)",
    "sum": "sum(xs, start=0): adds the values one by one; sum(x, axis=...) of a tensor is the reduction op",
    "max": "max(a, b, ...) or max(xs) of plain numbers; max(x, axis=...) of one tensor is the op",
    "min": "min(a, b, ...) or min(xs) of plain numbers",
    "abs": "abs(x): of a plain number, or the abs op of a value",
    "print": "print(*values, sep=' ', end='\\n'): the lines are shown under the editor",
    "list": "list(xs)",
    "tuple": "tuple(xs)",
    "float": "float(x) of a plain number",
    "int": "int(x) of a plain number",
    "round": "round(x[, digits]) of a plain number",
    "Value": "Value(number, label='a'): a scalar input that takes a gradient (micrograd)",
    "draw_dot": "draw_dot(v): show v's graph (as in micrograd's notebooks)",
    "clip_grad_value": "clip_grad_value(params, c): clamp every gradient to [-c, c]",
    "clip_grad_norm": "clip_grad_norm(params, max_norm): scale all gradients to a global norm of at most "
                      "max_norm; returns the norm before",
}
"""Python's and micrograd's functions the language provides, with a one-line usage each."""
BUILTIN_NAMES = tuple(BUILTIN_USAGE)

METHODS = tuple(OP_FUNCTIONS)
"""Names callable as methods, `x.tanh()`; the receiver is the first tensor input."""

FUNCTIONS = {**{name: f.usage for name, f in OP_FUNCTIONS.items()}, **CONSTRUCTOR_USAGE}
"""Every callable name with a one-line usage, for the README and error messages."""

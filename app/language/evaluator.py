"""Walks a checked syntax tree and builds the engine graph, one Tensor per value.

An expression evaluates to a Value: a Tensor, a constant number (np.float64, so `9**9**9` is inf,
never a Python big integer) or a literal array (a list or a constructor call). Numbers fold
together; numbers and arrays become constant tensors where they meet a tensor, and named leaves
where they are assigned to a name.
"""

import ast
import math

import numpy as np

from app.language.budget import Budget
from app.language.constructors import KEYWORDS, Number, construct
from app.language.errors import ExpressionError, Span, name_span, node_span
from app.language.functions import (BINARY_OPERATORS, CONSTRUCTORS, FUNCTIONS, OP_FUNCTIONS, PARAMETER_KINDS,
                                    UNARY_OPERATORS, OpFunction)
from app.limits import MAX_NDIM
from engine import OPS, DomainError, ShapeError, Tensor, apply, output_shape
from engine.ops import fmt_shape

Value = Tensor | np.float64 | np.ndarray

SEQUENCES = (ast.Tuple, ast.List)


def is_number(value: Value) -> bool:
    return isinstance(value, np.float64)


def as_number(value: int | float) -> np.float64:
    """A literal as float64; an integer too large for it is inf, as the same value written as a float."""
    try:
        return np.float64(value)
    except OverflowError:
        return np.float64(math.copysign(math.inf, value))


class Evaluator:
    """Evaluates statements in order; `variables`, `leaves`, `nodes` and `spans` grow as it goes."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.budget = Budget()
        self.variables: dict[str, Tensor] = {}
        self.leaves: list[Tensor] = []
        self.nodes: list[Tensor] = []
        self.spans: dict[int, Span] = {}

    def span(self, node: ast.AST) -> Span:
        return node_span(node, self.lines)

    def error(self, kind: str, message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError.at(kind, message, self.span(node))

    # ---- statements --------------------------------------------------------------------------

    def statement(self, stmt: ast.Assign | ast.Expr) -> Tensor:
        """Run one statement; its value as a tensor."""
        if isinstance(stmt, ast.Expr):
            return self.tensor(self.value(stmt.value), stmt.value)
        name = stmt.targets[0].id
        self.variables[name] = tensor = self.assigned(name, stmt.value)
        return tensor

    def assigned(self, name: str, node: ast.expr) -> Tensor:
        """`name = node`: a number, list or constructor makes a named leaf that requires grad,
        const(...) a named one that does not; any other value keeps its first name (`y = x` is x).
        """
        value = self.value(node)
        if not isinstance(value, Tensor):
            leaf = self.new_tensor(value, node, requires_grad=True, label=name)
            self.leaves.append(leaf)
            return leaf
        if is_const_call(node):
            self.leaves.append(value)
        if value.label is None:
            value.label = name
        return value

    # ---- expressions -------------------------------------------------------------------------

    def value(self, node: ast.expr) -> Value:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                raise self.error("syntax", "True and False are only allowed as keepdims=True or keepdims=False", node)
            return as_number(node.value)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        if isinstance(node, ast.List):
            return self.literal(node)
        assert isinstance(node, ast.Tuple), f"{type(node).__name__} passed the syntax check"
        raise self.error("syntax", "tuples are only allowed as argument values, e.g. axis=(0, 1)", node)

    def name(self, node: ast.Name) -> Tensor:
        if node.id in self.variables:
            return self.variables[node.id]
        if node.id in FUNCTIONS:
            raise self.error("type", f"'{node.id}' is a function: call it, e.g. {FUNCTIONS[node.id]}", node)
        raise self.error("name", f"name '{node.id}' is not defined", node)

    def binary(self, node: ast.BinOp) -> Value:
        op = BINARY_OPERATORS[type(node.op)]
        left, right = self.value(node.left), self.value(node.right)
        if op == "pow":
            if not is_number(right):
                raise self.error("type", "the exponent of ** must be a constant number; for a^x write exp(x*log(a))",
                                 node.right)
            if is_number(left):
                return np.float64(np.power(left, right))
            return self.apply(op, node, self.tensor(left, node.left), exponent=float(right))
        if op != "matmul" and is_number(left) and is_number(right):
            return np.float64(OPS[op].forward(left, right))
        return self.apply(op, node, self.tensor(left, node.left), self.tensor(right, node.right))

    def unary(self, node: ast.UnaryOp) -> Value:
        operand = self.value(node.operand)
        op = UNARY_OPERATORS[type(node.op)]
        if op is None:
            return operand
        if is_number(operand):
            return np.float64(OPS[op].forward(operand))
        return self.apply(op, node, self.tensor(operand, node.operand))

    def attribute(self, node: ast.Attribute) -> Value:
        if node.attr == "T":
            return self.apply("transpose", node, self.tensor(self.value(node.value), node.value))
        raise self.error("type", f"'{node.attr}' is a method: call it, e.g. x.{node.attr}()", node)

    def literal(self, node: ast.List) -> np.ndarray:
        """A nested list of numbers as an array; rows must agree in shape."""
        rows = [self.literal(e) if isinstance(e, ast.List) else self.number(e, "a list entry") for e in node.elts]
        shapes = list(dict.fromkeys(np.shape(r) for r in rows))
        if len(shapes) > 1:
            raise self.error("shape", f"the entries of this list have different shapes: "
                                      f"{' and '.join(fmt_shape(s) for s in shapes[:2])}", node)
        if shapes and len(shapes[0]) + 1 > MAX_NDIM:
            raise self.error("limit", f"lists nested more than {MAX_NDIM} deep: at most {MAX_NDIM} dimensions "
                                      "are allowed", node)
        return np.array(rows, dtype=np.float64)

    # ---- calls -------------------------------------------------------------------------------

    def call(self, node: ast.Call) -> Value:
        if isinstance(node.func, ast.Attribute):
            name, receiver = node.func.attr, [node.func.value]
            if name not in OP_FUNCTIONS:
                raise self.error("type", f"{name} is not a method: write x.{name}", node.func)
        else:
            name, receiver = node.func.id, []
        if name == "const":
            return self.const(node)
        if name in CONSTRUCTORS:
            return self.construct(name, node)
        return self.call_op(OP_FUNCTIONS[name], node, receiver + node.args)

    def call_op(self, fn: OpFunction, node: ast.Call, args: list[ast.expr]) -> Tensor:
        if len(args) < fn.tensors:
            raise self.error("type", f"{fn.name}() takes {fn.tensors} tensor argument{'s' * (fn.tensors > 1)}, "
                                     f"got {len(args)}: {fn.usage}", node)
        tensors = [self.tensor(self.value(a), a) for a in args[:fn.tensors]]
        given: dict[str, ast.expr | list[ast.expr]] = {}
        extra = args[fn.tensors:]
        if extra and fn.sizes_param:
            given[fn.sizes_param] = extra
        elif len(extra) > len(fn.params):
            raise self.error("type", f"too many arguments: {fn.usage}", extra[len(fn.params)])
        else:
            given.update(zip(fn.params, extra))
        for kw in node.keywords:
            if kw.arg not in fn.params:
                raise ExpressionError.at("type", f"{fn.name}() has no parameter '{kw.arg}': {fn.usage}",
                                         name_span(kw, kw.arg, self.lines))
            if kw.arg in given:
                raise ExpressionError.at("type", f"{fn.name}() got '{kw.arg}' twice", name_span(kw, kw.arg, self.lines))
            given[kw.arg] = kw.value
        missing = [p for p in fn.required if p not in given]
        if missing:
            raise self.error("type", f"{fn.name}() needs {missing[0]}: {fn.usage}", node)
        params = {p: self.parameter(p, given_node) for p, given_node in given.items()}
        return self.apply(fn.name, node, *tensors, **params)

    def parameter(self, param: str, node: ast.expr | list[ast.expr]) -> object:
        """An op parameter as the engine takes it: int, tuple of ints, bool or float."""
        kind = PARAMETER_KINDS[param]
        if kind == "sizes":
            nodes = node if isinstance(node, list) else [node]
            if len(nodes) == 1 and isinstance(nodes[0], SEQUENCES):
                nodes = nodes[0].elts
            return tuple(self.whole(n, param) for n in nodes)
        assert not isinstance(node, list)
        if kind == "flag":
            if not (isinstance(node, ast.Constant) and isinstance(node.value, bool)):
                raise self.error("type", f"{param} must be True or False", node)
            return node.value
        if kind == "axis":
            if isinstance(node, SEQUENCES):
                return tuple(self.whole(n, param) for n in node.elts)
            return self.whole(node, param)
        return float(self.number(node, param))

    def number(self, node: ast.expr, what: str) -> np.float64:
        value = self.value(node)
        if not is_number(value):
            raise self.error("type", f"{what} must be a number written in the program, not a value computed from "
                                     "variables", node)
        return value

    def whole(self, node: ast.expr, what: str) -> int:
        value = self.number(node, what)
        if not (math.isfinite(value) and value.is_integer()):
            raise self.error("type", f"{what} must be a whole number, got {value:g}", node)
        return int(value)

    def construct(self, name: str, node: ast.Call) -> np.ndarray:
        args = node.args
        if name != "arange" and len(args) == 1 and isinstance(args[0], SEQUENCES):
            args = args[0].elts  # zeros((2, 3)) as well as zeros(2, 3)
        numbers: list[Number] = [(self.number(a, f"an argument of {name}()"), self.span(a)) for a in args]
        keywords: dict[str, Number] = {}
        for kw in node.keywords:
            if kw.arg not in KEYWORDS[name]:
                raise ExpressionError.at("type", f"{name}() has no parameter '{kw.arg}': {FUNCTIONS[name]}",
                                         name_span(kw, kw.arg, self.lines))
            keywords[kw.arg] = (self.number(kw.value, kw.arg), self.span(kw.value))
        return construct(name, numbers, keywords, self.span(node), self.budget)

    def const(self, node: ast.Call) -> Tensor:
        """const(number, list or constructor): an input that takes no gradient."""
        if len(node.args) != 1 or node.keywords:
            raise self.error("type", "const() takes one argument: a number, a list or a constructor such as "
                                     "randn(2, 3)", node)
        value = self.value(node.args[0])
        if isinstance(value, Tensor):
            raise self.error("type", "const() takes a number, a list or a constructor such as randn(2, 3), "
                                     "not a computed value", node.args[0])
        return self.new_tensor(value, node, requires_grad=False, label=None)

    # ---- tensors -----------------------------------------------------------------------------

    def tensor(self, value: Value, node: ast.expr) -> Tensor:
        """A value as a tensor: numbers and arrays met in an expression are unnamed constants."""
        if isinstance(value, Tensor):
            return value
        return self.new_tensor(value, node, requires_grad=False, label=None)

    def new_tensor(self, data: np.float64 | np.ndarray, node: ast.AST, requires_grad: bool, label: str | None) -> Tensor:
        span = self.span(node)
        self.budget.spend(np.shape(data), span)
        return self.record(Tensor(data, requires_grad=requires_grad, label=label), span)

    def apply(self, op: str, node: ast.AST, *inputs: Tensor, **params: object) -> Tensor:
        """Run an engine op after its output shape and cost are known to fit."""
        span = self.span(node)
        shapes = [t.shape for t in inputs]
        try:
            shape = output_shape(op, *shapes, **params)
        except ShapeError as e:
            raise ExpressionError.at("shape", str(e), span) from None
        if op == "matmul":
            self.budget.check_matmul(*shapes, shape, span)
        self.budget.spend(shape, span)
        try:
            out = apply(op, *inputs, **params)
        except DomainError as e:
            raise ExpressionError.at("domain", str(e), span) from None
        except np.exceptions.AxisError as e:
            # the engine's transpose rule wraps axes around (axis 3 of a vector is 0); NumPy does not
            raise ExpressionError.at("shape", str(e), span) from None
        return self.record(out, span)

    def record(self, tensor: Tensor, span: Span) -> Tensor:
        self.nodes.append(tensor)
        self.spans[id(tensor)] = span
        return tensor


def is_const_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "const"

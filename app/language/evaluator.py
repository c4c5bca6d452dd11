"""Walks a checked syntax tree's expressions and builds the engine graph, one Tensor per value.

An expression evaluates to a Tensor, a plain number (values.py), a string, a list or tuple, a
generator, None, or a function. Numbers fold together; numbers and lists of numbers become
constant tensors where they meet a tensor. Statements, calls and groups live in statements.py.
"""

import ast
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from app.language.budget import Budget, Steps
from app.language.errors import ExpressionError, Span, name_span, node_span
from app.language.functions import BINARY_OPERATORS, FUNCTIONS, OP_FUNCTIONS, PARAMETER_KINDS, UNARY_OPERATORS
from app.language.groups import GroupTracker
from app.language.printing import format_value
from app.language.values import (
    COMPARISONS,
    NUMBER_OPERATORS,
    Builtin,
    Function,
    MathModule,
    RandomModule,
    Scope,
    array_of,
    as_float,
    is_number,
    number,
    type_name,
)
from app.limits import MAX_NDIM
from engine import DomainError, ShapeError, Tensor, apply, output_shape
from engine.ops import OPS, broadcast_shape, fmt_shape, same_shape
from engine.tensor import binary, unary

SEQUENCES = (ast.Tuple, ast.List)
ELEMENTWISE = frozenset(name for name, op in OPS.items() if op.shape in (broadcast_shape, same_shape))
"""Ops whose output has their inputs' broadcast shape."""
GRAPH_BRANCH = ("the graph would depend on a branch the page cannot show: compare plain numbers (loop indices, "
                "lengths, x.data), or use relu(x) for max(x, 0)")


class Evaluator:
    """Evaluates expressions in the current scope; `nodes`, `spans` and `groups` grow as it goes."""

    expressions: dict[type, Callable[..., Any]]
    """Each syntax node type's method (EXPRESSIONS), looked up once per class instead of by name at every node."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.expressions = {kind: getattr(cls, name) for kind, name in EXPRESSIONS.items()}

    def __init__(self, lines: list[str], micrograd: bool) -> None:
        self.lines = lines
        self.micrograd = micrograd  # Value(...) makes the leaves; plain numbers stay numbers
        self.budget = Budget()
        self.steps = Steps()
        self.globals = Scope()
        self.scope = self.globals
        self.nodes: list[Tensor] = []
        self.spans: dict[int, Span] = {}
        self.groups = GroupTracker()
        self.literal_leaves: dict[int, Any] = {}  # id(leaf) -> the number or list it was assigned
        self.literal_spans: dict[int, Span] = {}  # id(scalar leaf) -> where its number is written
        self.read_plainly: set[int] = set()
        self.modules: dict[str, Any] = {}
        self.node_spans: dict[ast.AST, Span] = {}
        self.constants: dict[ast.Constant, Any] = {}

    def span(self, node: ast.AST) -> Span:
        """node_span, worked out once per syntax node: loops and calls ask for the same nodes' spans
        again and again (every tensor made and every step counted has one)."""
        span = self.node_spans.get(node)
        if span is None:
            span = self.node_spans[node] = node_span(node, self.lines)
        return span

    def error(self, kind: str, message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError.at(kind, message, self.span(node))

    # ---- expressions -------------------------------------------------------------------------

    def value(self, node: ast.expr) -> Any:
        return self.expressions[type(node)](self, node)

    def constant(self, node: ast.Constant) -> Any:
        """A literal's value, worked out once per syntax node like its span: loops and calls read the same
        literals again and again (and a float would be a new float64 each time)."""
        if node in self.constants:
            return self.constants[node]
        value = node.value
        if not (isinstance(value, (bool, str)) or value is None):
            assert isinstance(value, (int, float)), "the syntax check admits no other constants"
            value = number(value)
        self.constants[node] = value
        return value

    def name(self, node: ast.Name) -> Any:
        found, value = self.scope.lookup(node.id)
        if found:
            return value
        if node.id in self.modules:
            return self.modules[node.id]
        if node.id in BUILTINS:
            return BUILTINS[node.id]
        if node.id in FUNCTIONS:
            raise self.error("type", f"'{node.id}' is a function: call it, e.g. {FUNCTIONS[node.id]}", node)
        raise self.error("name", f"name '{node.id}' is not defined", node)

    def binary(self, node: ast.BinOp) -> Any:
        left, right = self.value(node.left), self.value(node.right)
        return self.combine(node.op, left, right, node, node.left, node.right)

    def combine(self, op_node: ast.operator, left: Any, right: Any, node: ast.AST, left_node: ast.AST | None = None,
                right_node: ast.AST | None = None) -> Any:
        """`left op right` for any two values: numbers fold, sequences join, tensors make a node.
        A number becomes a constant at the place it was written (`left_node`, `right_node`)."""
        if type(left) is Tensor and type(right) is Tensor:  # the most common case, decided at once
            op = BINARY_OPERATORS.get(type(op_node))
            if op is not None and op != "pow":
                return self.apply(op, node, left, right)
        left_node, right_node = left_node or node, right_node or node
        if is_number(left) and is_number(right) and type(op_node) in NUMBER_OPERATORS:
            return NUMBER_OPERATORS[type(op_node)](left, right)
        if isinstance(op_node, (ast.Add, ast.Mult)) and (isinstance(left, (list, tuple, str))
                                                          or isinstance(right, (list, tuple, str))):
            return self.sequence_arithmetic(op_node, left, right, node)
        if type(op_node) not in BINARY_OPERATORS:
            symbol = "//" if isinstance(op_node, ast.FloorDiv) else "%"
            raise self.error("type", f"'{symbol}' works on plain numbers only, not on {type_name(left)} and "
                                     f"{type_name(right)}", node)
        op = BINARY_OPERATORS[type(op_node)]
        if op == "pow":
            exponent = right  # a named number is an input of the graph, not a constant exponent
            if not is_number(exponent):
                raise self.error("type", "the exponent of ** must be a constant number; for a^x write exp(x*log(a))",
                                 right_node)
            if not math.isfinite(exponent):
                raise self.error("domain", f"the exponent of ** must be a finite number, got {exponent:g}", right_node)
            return self.apply(op, node, self.tensor(left, left_node), exponent=float(exponent))
        return self.apply(op, node, self.tensor(left, left_node), self.tensor(right, right_node))

    def sequence_arithmetic(self, op_node: ast.operator, left: Any, right: Any, node: ast.AST) -> Any:
        """list + list, tuple + tuple, str + str, and list * n (Python's), within the length limits."""
        if isinstance(op_node, ast.Add):
            if type(left) is type(right):
                what = "a string" if isinstance(left, str) else "a list"
                self.steps.grow(len(left) + len(right), len(left) + len(right), self.span(node), what)
                return left + right
            raise self.error("type", f"cannot add {type_name(left)} and {type_name(right)}", node)
        sequence, times = (left, right) if isinstance(left, (list, tuple, str)) else (right, left)
        if not isinstance(times, int) or isinstance(times, bool):
            raise self.error("type", f"{type_name(sequence)} can only be repeated a whole number of times", node)
        length = len(sequence) * max(times, 0)
        self.steps.grow(length, length, self.span(node), "a string" if isinstance(sequence, str) else "a list")
        return sequence * times

    def unary(self, node: ast.UnaryOp) -> Any:
        operand = self.value(node.operand)
        if isinstance(node.op, ast.Not):
            return not self.truth(operand, node.operand)
        op = UNARY_OPERATORS[type(node.op)]
        if op is None:
            return operand
        if is_number(operand):
            return number(-operand) if isinstance(operand, int) else -operand
        return self.apply(op, node, self.tensor(operand, node.operand))

    def compare(self, node: ast.Compare) -> bool:
        left = self.comparable(self.value(node.left), node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.comparable(self.value(right_node), right_node)
            if not COMPARISONS[type(op)](left, right):
                return False
            left = right
        return True

    def comparable(self, value: Any, node: ast.expr) -> Any:
        value = self.plain(value)
        if isinstance(value, Tensor):
            raise self.error("type", f"comparing {type_name(value)}: {GRAPH_BRANCH}", node)
        return value

    def boolean(self, node: ast.BoolOp) -> Any:
        value = None
        for operand in node.values:
            value = self.value(operand)
            if self.truth(value, operand) == isinstance(node.op, ast.Or):
                return value
        return value

    def conditional(self, node: ast.IfExp) -> Any:
        return self.value(node.body) if self.truth(self.value(node.test), node.test) else self.value(node.orelse)

    def truth(self, value: Any, node: ast.expr) -> bool:
        value = self.plain(value)
        if isinstance(value, Tensor):
            raise self.error("type", f"a condition on {type_name(value)}: {GRAPH_BRANCH}", node)
        if isinstance(value, Iterator):
            raise self.error("type", "a generator has no truth value: make a list of it first", node)
        return bool(value)

    def attribute(self, node: ast.Attribute) -> Any:
        receiver = self.value(node.value)
        return self.read_attribute(receiver, node.attr, node)

    def read_attribute(self, receiver: Any, attr: str, node: ast.Attribute) -> Any:
        if isinstance(receiver, (RandomModule, MathModule)):
            if isinstance(receiver, MathModule) and attr in MathModule.CONSTANTS:
                return np.float64(MathModule.CONSTANTS[attr])
            raise self.error("type", f"'{attr}' is a function of the module: call it", node)
        if isinstance(receiver, Tensor):
            if attr == "T":
                return self.apply("transpose", node, receiver)
            if attr in ("data", "grad"):
                return self.scalar_field(receiver, attr, node)
            if attr == "label":
                return receiver.label
        if attr in OP_FUNCTIONS or attr in ("backward", "append"):
            raise self.error("type", f"'{attr}' is a method: call it, e.g. x.{attr}()", node)
        raise self.error("type", f"{type_name(receiver)} has no attribute '{attr}'", node)

    def scalar_field(self, t: Tensor, attr: str, node: ast.AST) -> Any:
        """`v.data` and `v.grad` as micrograd has them: plain numbers; a gradient not computed reads 0."""
        if t.shape != ():
            raise self.error("type", f"x.{attr} is a plain number only for a scalar value; this one has shape "
                                     f"{fmt_shape(t.shape)}", node)
        array = t.data if attr == "data" else t.grad
        return np.float64(0.0) if array is None else np.float64(array)

    def subscript(self, node: ast.Subscript) -> Any:
        container = self.plain(self.value(node.value))
        if isinstance(node.slice, ast.Slice):
            return self.sequence(container, node.value)[self.slice(node.slice)]
        index = self.index(node.slice)
        sequence = self.sequence(container, node.value)
        if not -len(sequence) <= index < len(sequence):
            raise self.error("type", f"index {index} is out of range for {type_name(sequence)} of length "
                                     f"{len(sequence)}", node)
        return sequence[index]

    def sequence(self, value: Any, node: ast.expr) -> list | tuple | str:
        if isinstance(value, (list, tuple, str)):
            return value
        if isinstance(value, Tensor):
            raise self.error("type", f"indexing {type_name(value)} is not supported: keep values in a list and "
                                     "index the list", node)
        raise self.error("type", f"{type_name(value)} cannot be indexed", node)

    def index(self, node: ast.expr) -> int:
        value = self.plain(self.value(node))
        if not isinstance(value, int):
            raise self.error("type", f"an index must be a whole number, not {type_name(value)}", node)
        return int(value)

    def slice(self, node: ast.Slice) -> slice:
        parts = [None if part is None else self.index(part) for part in (node.lower, node.upper, node.step)]
        if parts[2] == 0:
            raise self.error("domain", "a slice step must not be 0", node)
        return slice(*parts)

    def list_display(self, node: ast.List | ast.Tuple) -> list | tuple:
        self.steps.grow(len(node.elts), len(node.elts), self.span(node))
        items = [self.value(e) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)

    def formatted(self, node: ast.JoinedStr) -> str:
        parts: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
                continue
            assert isinstance(part, ast.FormattedValue)
            spec = ""
            if part.format_spec is not None:
                assert isinstance(part.format_spec, ast.JoinedStr)
                spec = self.formatted(part.format_spec)
            parts.append(format_value(self.value(part.value), spec, part.conversion, self.span(part)))
        text = "".join(parts)
        self.steps.grow(len(text), len(text), self.span(node), "a string")
        return text

    # ---- comprehensions ----------------------------------------------------------------------

    def list_comprehension(self, node: ast.ListComp) -> list:
        items: list = []
        where = self.span(node)
        for item in self.comprehension(node):
            items.append(item)
            self.steps.grow(1, len(items), where)
        return items

    def generator(self, node: ast.GeneratorExp) -> Iterator:
        return self.comprehension(node)

    def comprehension(self, node: ast.ListComp | ast.GeneratorExp) -> Iterator:
        """The items of `[elt for ... in ... if ...]`, made one at a time in their own scope.

        The first iterable is evaluated at once (as Python does); the rest as the items are asked
        for, so `sum((w*x for ...), b)` makes each product just before the add that uses it.
        """
        outer = self.scope
        first = self.iterate(self.value(node.generators[0].iter), node.generators[0].iter)
        scope = Scope(parent=outer)

        def items(level: int, iterable: Iterator) -> Iterator:
            generator = node.generators[level]
            where, ifs, deeper = self.span(generator.iter), generator.ifs, level + 1 < len(node.generators)
            for item in iterable:
                self.steps.tick(where)
                saved, self.scope = self.scope, scope
                try:
                    self.bind(generator.target, item)
                    if ifs and not all(self.truth(self.value(c), c) for c in ifs):
                        continue
                    if deeper:
                        inner = node.generators[level + 1]
                        nested = self.iterate(self.value(inner.iter), inner.iter)
                        self.scope = saved
                        yield from items(level + 1, nested)
                        continue
                    element = self.value(node.elt)
                finally:
                    self.scope = saved
                yield element

        return items(0, first)

    def iterate(self, value: Any, node: ast.expr) -> Iterator:
        value = self.plain(value)
        if isinstance(value, (list, tuple, range, str)):
            return iter(value)  # a live list, as in Python: appending while looping it runs into the limits
        if isinstance(value, Iterator):
            return value
        if isinstance(value, Tensor):
            raise self.error("type", f"cannot loop over {type_name(value)}: loop over a list, a tuple, range(...), "
                                     "zip(...) or enumerate(...)", node)
        raise self.error("type", f"cannot loop over {type_name(value)}", node)

    def bind(self, target: ast.expr, value: Any) -> None:
        """Assign to a name, a list item, or unpack into a tuple of targets (subclasses add labels)."""
        raise NotImplementedError

    # ---- plain values and tensors ------------------------------------------------------------

    def plain(self, value: Any) -> Any:
        """A leaf made from a number or list, where a plain value is needed, is that number or list."""
        if isinstance(value, Tensor) and id(value) in self.literal_leaves:
            self.read_plainly.add(id(value))
            return self.literal_leaves[id(value)]
        return value

    def number(self, node: ast.expr, what: str) -> Any:
        value = self.plain(self.value(node))
        if not is_number(value):
            raise self.error("type", f"{what} must be a plain number, not {type_name(value)}", node)
        return value

    def whole(self, node: ast.expr, what: str) -> int:
        value = self.number(node, what)
        if isinstance(value, int):
            return int(value)
        if not (math.isfinite(value) and value.is_integer()):
            raise self.error("type", f"{what} must be a whole number, got {value:g}", node)
        return int(value)

    def tensor(self, value: Any, node: ast.AST) -> Tensor:
        """A value as a tensor: numbers and lists of numbers met in an expression are unnamed constants."""
        if isinstance(value, Tensor):
            return value
        array = self.array(value, node)
        return self.new_tensor(array, node, requires_grad=False, label=None)

    def array(self, value: Any, node: ast.AST) -> np.ndarray:
        """A number or nested list of numbers as an array, with the old language's messages."""
        array = array_of(value)
        if array is not None:
            if array.ndim > MAX_NDIM:
                raise self.error("limit", f"lists nested more than {MAX_NDIM} deep: at most {MAX_NDIM} dimensions "
                                          "are allowed", node)
            return array
        if isinstance(value, (list, tuple)):
            shapes = list(dict.fromkeys(np.shape(a) for a in map(array_of, value) if a is not None))
            if len(shapes) > 1 and all(array_of(v) is not None for v in value):
                raise self.error("shape", f"the entries of this list have different shapes: "
                                          f"{' and '.join(fmt_shape(s) for s in shapes[:2])}", node)
            raise self.error("type", "a list that holds values of the graph is not a tensor: add them up with sum(...) "
                                     "or use its entries one by one", node)
        raise self.error("type", f"{type_name(value)} is not a number or a value of the graph", node)

    def new_tensor(self, data: np.ndarray | np.float64, node: ast.AST, requires_grad: bool,
                   label: str | None) -> Tensor:
        span = self.span(node)
        self.budget.spend(data.shape, span)
        return self.record(Tensor(data, requires_grad=requires_grad, label=label), span)

    def apply(self, op: str, node: ast.AST, *inputs: Tensor, **params: object) -> Tensor:
        """Run an engine op after its output shape and cost are known to fit."""
        span = self.span(node)
        shapes = [t.shape for t in inputs]
        if params or op not in ELEMENTWISE or any(shapes):  # () is the only shape that reads False
            try:
                shape = output_shape(op, *shapes, **params)
            except ShapeError as e:
                raise ExpressionError.at("shape", str(e), span) from None
            if op == "matmul":
                self.budget.check_matmul(shapes[0], shapes[1], shape, span)
        else:
            shape = ()  # an elementwise op of 0-d values (a micrograd graph's every op): no rule to ask
        self.budget.spend(shape, span)
        try:
            # most nodes (every one of a micrograd graph) are an operator or a method without parameters:
            # the engine's binary and unary are apply spelled out for them, without its generic argument handling
            if params or not 0 < len(inputs) < 3:
                out = apply(op, *inputs, **params)
            elif len(inputs) == 2:
                out = binary(op, *inputs)
            else:
                out = unary(op, *inputs)
        except DomainError as e:
            raise ExpressionError.at("domain", str(e), span) from None
        except np.exceptions.AxisError as e:
            # the engine's transpose rule wraps axes around (axis 3 of a vector is 0); NumPy does not
            raise ExpressionError.at("shape", str(e), span) from None
        return self.record(out, span)

    def note_literal(self, leaf: Tensor, node: ast.expr) -> None:
        """Remember where a scalar leaf's number is written (`2.0`, `-3`), so a slider can rewrite it."""
        inner = node.operand if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) else node
        if leaf.shape == () and isinstance(inner, ast.Constant) and not isinstance(inner.value, bool) \
                and node.lineno == node.end_lineno:
            self.literal_spans[id(leaf)] = self.span(node)

    def record(self, tensor: Tensor, span: Span) -> Tensor:
        self.nodes.append(tensor)
        self.spans[id(tensor)] = span
        self.groups.note(tensor)
        return tensor

    # ---- op calls ----------------------------------------------------------------------------

    def call_op(self, name: str, node: ast.Call, tensors: list[tuple[Any, ast.expr]], rest: list[ast.expr]) -> Tensor:
        """An engine op: its tensor inputs already evaluated, its parameters read from the syntax."""
        fn = OP_FUNCTIONS[name]
        args = tensors + [(None, a) for a in rest]
        if len(args) < fn.tensors:
            raise self.error("type", f"{fn.name}() takes {fn.tensors} tensor argument{'s' * (fn.tensors > 1)}, "
                                     f"got {len(args)}: {fn.usage}", node)
        inputs = [self.tensor(self.value(a) if v is None else v, a) for v, a in args[:fn.tensors]]
        given: dict[str, ast.expr | list[ast.expr]] = {}
        extra = [a for _, a in args[fn.tensors:]]
        if extra and fn.sizes_param:
            given[fn.sizes_param] = extra
        elif len(extra) > len(fn.params):
            raise self.error("type", f"too many arguments: {fn.usage}", extra[len(fn.params)])
        else:
            given.update(zip(fn.params, extra, strict=False))
        for kw in node.keywords:
            if kw.arg not in fn.params:
                raise ExpressionError.at("type", f"{fn.name}() has no parameter '{kw.arg}': {fn.usage}",
                                         name_span(kw, str(kw.arg), self.lines))
            if kw.arg in given:
                raise ExpressionError.at("type", f"{fn.name}() got '{kw.arg}' twice", name_span(kw, kw.arg, self.lines))
            given[kw.arg] = kw.value
        missing = [p for p in fn.required if p not in given]
        if missing:
            raise self.error("type", f"{fn.name}() needs {missing[0]}: {fn.usage}", node)
        params = {p: self.parameter(p, given_node) for p, given_node in given.items()}
        return self.apply(fn.name, node, *inputs, **params)

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
            flag = self.plain(self.value(node))
            if not isinstance(flag, bool):
                raise self.error("type", f"{param} must be True or False", node)
            return flag
        if kind == "axis":
            if isinstance(node, SEQUENCES):
                return tuple(self.whole(n, param) for n in node.elts)
            return self.whole(node, param)
        value = float(as_float(self.number(node, param)))
        if not math.isfinite(value):
            raise self.error("domain", f"{param} must be a finite number, got {value:g}", node)
        return value


def is_iterable(value: Any) -> bool:
    return isinstance(value, (list, tuple, range, str, Iterator)) and not isinstance(value, Tensor)


EXPRESSIONS = {
    ast.Constant: "constant", ast.Name: "name", ast.BinOp: "binary", ast.UnaryOp: "unary", ast.Compare: "compare",
    ast.BoolOp: "boolean", ast.IfExp: "conditional", ast.Attribute: "attribute", ast.Subscript: "subscript",
    ast.List: "list_display", ast.Tuple: "list_display", ast.ListComp: "list_comprehension",
    ast.GeneratorExp: "generator", ast.JoinedStr: "formatted", ast.Call: "call",
}

BUILTINS: dict[str, Builtin] = {}
"""Filled by app.language.builtins: the Python functions a program may call by name."""

__all__ = ["BUILTINS", "Evaluator", "Function", "Iterable", "is_iterable"]

"""Runs statements: assignments and their labels, loops and branches, the program's own functions
(each call a group), and the calls of ops, constructors and builtins.
"""

import ast
from collections.abc import Callable
from typing import Any

import numpy as np

from app.language import builtins
from app.language.errors import ExpressionError, name_span
from app.language.evaluator import BUILTINS, Evaluator
from app.language.functions import CONSTRUCTORS, OP_FUNCTIONS
from app.language.printing import Output
from app.language.training import History, Snapshot
from app.language.values import Builtin, Function, MathModule, RandomModule, Scope, array_of, is_number, type_name
from app.limits import MAX_LABEL_CHARS
from engine import BackwardRecord, Tensor


class Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class Break(Exception):
    pass


class Continue(Exception):
    pass


class Interpreter(Evaluator):
    """Evaluates a whole program; what it leaves behind is read by program.py."""

    def __init__(self, lines: list[str], micrograd: bool, statement_groups: bool, mode: str = "correct",
                 stop_at_call: int | None = None) -> None:
        super().__init__(lines, micrograd)
        self.statement_groups = statement_groups
        self.forget_zero_grad = mode == "no_zero_grad"  # the bug: p.grad = 0 and zero_grad() do nothing
        self.stop_at_call = stop_at_call
        self.history = History()
        self.snapshot: Snapshot | None = None
        self.first_record: BackwardRecord | None = None  # the first backward call's, if recorded (see run_backward)
        self.rewritten = False  # the program has assigned a .grad or .data, or clipped gradients
        self.variables: dict[str, Tensor] = {}  # top-level names bound to tensors, in first-assignment order
        self.leaves: list[Tensor] = []
        self.output = Output()
        self.last: Tensor | None = None  # the last tensor a top-level statement made
        self.shown: Tensor | None = None  # draw_dot(v)
        self.backward_root: Tensor | None = None
        self.top_loops = 0  # loops running at the top level, around the statement being run

    @property
    def top_level(self) -> bool:
        return self.scope is self.globals

    # ---- statements --------------------------------------------------------------------------

    def run(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            STATEMENTS[type(stmt)](self, stmt)

    def expression_statement(self, stmt: ast.Expr) -> None:
        """A value on a line of its own; at the top, a number or list of numbers there is a constant."""
        value = self.value(stmt.value)
        if self.top_level and numeric(value):
            value = self.tensor(value, stmt.value)
        if self.top_level and isinstance(value, Tensor):
            self.last = value

    def assign(self, stmt: ast.Assign) -> None:
        group = self.open_statement_group(stmt, stmt.targets[0])
        start = len(self.nodes)
        value = self.value(stmt.value)
        for target in stmt.targets:
            value = self.bind(target, value, stmt.value, leaf=True)
        self.close_statement_group(group, start)

    def augmented(self, stmt: ast.AugAssign) -> None:
        """`x += y` makes the same node `x = x + y` does (a list `+=` extends it, as in Python)."""
        group = self.open_statement_group(stmt, stmt.target)
        start = len(self.nodes)
        target = stmt.target
        current = self.value(target)
        right = self.value(stmt.value)
        if isinstance(current, list) and isinstance(stmt.op, ast.Add):
            extra = list(self.iterate(right, stmt.value))
            self.steps.grow(len(extra), len(current) + len(extra), self.span(stmt))
            current.extend(extra)
        else:
            self.bind(target, self.combine(stmt.op, current, right, stmt), stmt.value, leaf=True)
        self.close_statement_group(group, start)

    def open_statement_group(self, stmt: ast.stmt, target: ast.expr):
        if not (self.statement_groups and self.top_level and self.groups.current is None):
            return None
        label = target.id if isinstance(target, ast.Name) else ast.unparse(target)
        return self.groups.open(label[:MAX_LABEL_CHARS], "statement", self.span(stmt))

    def close_statement_group(self, group, start: int) -> None:
        if group is None:
            return
        made = self.nodes[start:]
        if sum(1 for t in made if t.op is not None) < 2:
            self.groups.discard(group, made)
        else:
            self.groups.close(group)

    def bind(self, target: ast.expr, value: Any, source: ast.expr | None = None, leaf: bool = False) -> Any:
        """Assign `value` to `target`; returns what was bound (a named number may have become a leaf).
        `leaf` marks an assignment statement: only those name values (loop variables do not)."""
        if isinstance(target, ast.Name):
            return self.bind_name(target.id, value, source if source is not None else target, leaf)
        if isinstance(target, (ast.Tuple, ast.List)):
            items = list(self.iterate(value, source or target))
            if len(items) != len(target.elts):
                raise self.error("type", f"cannot unpack {len(items)} values into {len(target.elts)} names",
                                 source or target)
            for element, item in zip(target.elts, items, strict=True):
                self.bind(element, item, source, leaf)
            return value
        elif isinstance(target, ast.Subscript):
            container = self.value(target.value)
            if not isinstance(container, list):
                raise self.error("type", f"only list entries can be assigned, not entries of {type_name(container)}",
                                 target.value)
            if isinstance(target.slice, ast.Slice):
                raise self.error("syntax", "assign to one list entry at a time, e.g. xs[0] = y", target)
            index = self.index(target.slice)
            if not -len(container) <= index < len(container):
                raise self.error("type", f"index {index} is out of range for a list of length {len(container)}",
                                 target)
            container[index] = value
        else:
            assert isinstance(target, ast.Attribute)
            self.set_attribute(target, value)
        return value

    def bind_name(self, name: str, value: Any, source: ast.expr, leaf: bool = False) -> Any:
        """`name = value`. With `leaf` (a plain `name = expr` at the top of a program without Value(...)),
        a number, a list of numbers or a constructor makes a named leaf, as in the tensor language.
        Any tensor keeps its first name."""
        top_level = self.top_level
        if leaf and top_level and not self.micrograd and not isinstance(value, bool):
            if numeric(value) or isinstance(value, np.ndarray):
                tensor = self.new_tensor(self.array(value, source), source, requires_grad=True, label=name)
                self.leaves.append(tensor)
                if not isinstance(value, np.ndarray):
                    self.literal_leaves[id(tensor)] = value
                self.note_literal(tensor, source)
                value = tensor
        if isinstance(value, Tensor):
            if value.label is None and leaf:
                value.label = name
            if top_level:
                self.variables[name] = value
                self.last = value
        elif top_level:
            self.variables.pop(name, None)
        self.scope.names[name] = value
        return value

    def set_attribute(self, target: ast.Attribute, value: Any) -> None:
        """`v.label = '...'`, and in a training loop `p.grad = 0` and `p.data -= lr * p.grad`."""
        receiver = self.value(target.value)
        if target.attr not in ("label", "grad", "data"):
            raise self.error("syntax", f"'{target.attr}' cannot be assigned: only v.label, v.grad and v.data can",
                             target)
        if not isinstance(receiver, Tensor):
            raise self.error("type", f"only values of the graph have .{target.attr}, not {type_name(receiver)}",
                             target.value)
        if target.attr == "label":
            receiver.label = self.label(value, target)
            return
        value = self.plain(value)
        if not is_number(value):
            raise self.error("type", f"v.{target.attr} takes a plain number, not {type_name(value)}", target)
        if target.attr == "grad":
            if not (self.forget_zero_grad and value == 0):
                receiver.grad = None if value == 0 else np.full(receiver.shape, float(value))
                self.rewritten = True
            return
        if receiver.op is not None:
            raise self.error("type", "only a leaf's data can be changed (a Value or a named input); this value is "
                                     f"computed by {receiver.op.name}", target.value)
        receiver.data = np.full(receiver.shape, float(value))
        self.rewritten = True

    def label(self, value: Any, node: ast.AST) -> str:
        if not isinstance(value, str):
            raise self.error("type", f"a label must be a string, not {type_name(value)}", node)
        if not 0 < len(value) <= MAX_LABEL_CHARS:
            raise self.error("limit", f"a label has 1 to {MAX_LABEL_CHARS} characters", node)
        return value

    def for_loop(self, stmt: ast.For) -> None:
        top = self.top_level
        self.top_loops += top
        for item in self.iterate(self.value(stmt.iter), stmt.iter):
            self.steps.tick(self.span(stmt.iter))
            self.bind(stmt.target, item, stmt.iter)
            try:
                self.run(stmt.body)
            except Break:
                break
            except Continue:
                continue
        self.top_loops -= top

    def if_statement(self, stmt: ast.If) -> None:
        self.run(stmt.body if self.truth(self.value(stmt.test), stmt.test) else stmt.orelse)

    def define(self, stmt: ast.FunctionDef) -> None:
        args = stmt.args
        positional = args.posonlyargs + args.args
        with_defaults = positional[len(positional) - len(args.defaults):]
        defaults = {a.arg: self.value(d) for a, d in zip(with_defaults, args.defaults, strict=True)}
        defaults.update({a.arg: self.value(d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                         if d is not None})
        self.scope.names[stmt.name] = Function(stmt.name, stmt, defaults, self.scope)

    def return_statement(self, stmt: ast.Return) -> None:
        if self.top_level:
            raise self.error("syntax", "'return' outside a function", stmt)
        raise Return(None if stmt.value is None else self.value(stmt.value))

    def break_statement(self, stmt: ast.Break) -> None:
        self.check_in_loop(stmt)
        raise Break

    def continue_statement(self, stmt: ast.Continue) -> None:
        self.check_in_loop(stmt)
        raise Continue

    def check_in_loop(self, stmt: ast.Break | ast.Continue) -> None:
        """At the top level, outside every loop, nothing would catch the Break (in a function, call_function
        says so at the call): Python refuses such a program before running it."""
        if self.top_level and not self.top_loops:
            raise self.error("syntax", "'break' and 'continue' belong inside a loop", stmt)

    def pass_statement(self, stmt: ast.Pass) -> None:
        pass

    def import_statement(self, stmt: ast.Import | ast.ImportFrom) -> None:
        """Only the imports a micrograd program starts with; the syntax check refused the others."""
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                module = RandomModule() if alias.name == "random" else MathModule()
                self.modules[alias.asname or alias.name] = self.modules.get(alias.name, module)

    # ---- calls -------------------------------------------------------------------------------

    def call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Attribute):
            return self.method_call(node, node.func)
        assert isinstance(node.func, ast.Name), "the syntax check admits only names and attributes as callees"
        name = node.func.id
        found, value = self.scope.lookup(name)
        if found:
            if isinstance(value, Function):
                return self.call_function(value, node)
            raise self.error("type", f"'{name}' is {type_name(value)}, not a function", node.func)
        if name in BUILTINS:
            return builtins.call(self, name, node)
        if name == "const":
            return self.const(node)
        if name in CONSTRUCTORS:
            return self.construct(name, node)
        if name in OP_FUNCTIONS:
            return self.call_op(name, node, [], node.args)
        raise self.error("name", f"unknown function '{name}'", node.func)

    def method_call(self, node: ast.Call, func: ast.Attribute) -> Any:
        receiver = self.value(func.value)
        name = func.attr
        if name == "append":
            receiver = self.plain(receiver)
        if name == "T":
            raise self.error("type", "T is not a method: write x.T", func)
        if isinstance(receiver, (RandomModule, MathModule)):
            return builtins.module_call(self, receiver, name, node)
        if isinstance(receiver, list) and name == "append":
            if len(node.args) != 1 or node.keywords:
                raise self.error("type", "append() takes one value: xs.append(x)", node)
            self.steps.grow(1, len(receiver) + 1, self.span(node))
            receiver.append(self.value(node.args[0]))
            return None
        if isinstance(receiver, Tensor) and name == "backward":
            return builtins.run_backward(self, receiver, node)
        if name in OP_FUNCTIONS and (isinstance(receiver, Tensor) or array_of(receiver) is not None):
            return self.call_op(name, node, [(receiver, func.value)], node.args)
        raise self.error("type", f"{type_name(receiver)} has no method '{name}'", func)

    def call_function(self, fn: Function, node: ast.Call) -> Any:
        """A call of the program's own function: a new scope, and a group for the nodes it makes."""
        if self.forget_zero_grad and fn.name == "zero_grad":
            return None
        args = [self.value(a) for a in node.args]
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            key = str(kw.arg)  # never None: the syntax check refuses **kwargs
            if key in kwargs:
                raise ExpressionError.at("type", f"{fn.name}() got '{key}' twice", name_span(kw, key, self.lines))
            kwargs[key] = self.value(kw.value)
        scope = Scope(self.bind_arguments(fn, args, kwargs, node), parent=fn.scope)
        span = self.span(node)
        self.steps.enter(span)
        group = self.groups.open(fn.name, "call", span)
        saved, self.scope = self.scope, scope
        try:
            self.run(fn.node.body)
            result = None
        except Return as r:
            result = r.value
        except (Break, Continue):
            raise self.error("syntax", "'break' and 'continue' belong inside a loop", node) from None
        except RecursionError:
            raise self.error("limit", "calls nest too deeply for the evaluator", node) from None
        finally:
            self.scope = saved
            self.groups.close(group)
            self.steps.leave()
        return result

    def bind_arguments(self, fn: Function, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> dict[str, Any]:
        positional, keyword_only = fn.parameters
        if len(args) > len(positional):
            raise self.error("type", f"{fn.name}() takes {len(positional)} positional arguments but {len(args)} "
                                     f"were given: {fn.usage}", node)
        names = dict(zip(positional, args, strict=False))
        for key, value in kwargs.items():
            if key not in positional and key not in keyword_only:
                raise self.error("type", f"{fn.name}() has no parameter '{key}': {fn.usage}", node)
            if key in names:
                raise self.error("type", f"{fn.name}() got '{key}' twice", node)
            names[key] = value
        if len(names) < len(positional) + len(keyword_only):
            for param in positional + keyword_only:
                if param not in names:
                    if param not in fn.defaults:
                        raise self.error("type", f"{fn.name}() needs {param}: {fn.usage}", node)
                    names[param] = fn.defaults[param]
        return names

    def const(self, node: ast.Call) -> Tensor:
        """const(number, list or constructor): an input that takes no gradient."""
        if len(node.args) != 1 or node.keywords:
            raise self.error("type", "const() takes one argument: a number, a list or a constructor such as "
                                     "randn(2, 3)", node)
        value = self.plain(self.value(node.args[0]))
        if isinstance(value, Tensor) or array_of(value) is None:
            raise self.error("type", "const() takes a number, a list or a constructor such as randn(2, 3), "
                                     "not a computed value", node.args[0])
        tensor = self.new_tensor(self.array(value, node), node, requires_grad=False, label=None)
        self.leaves.append(tensor)
        return tensor

    def construct(self, name: str, node: ast.Call) -> np.ndarray:
        return builtins.construct(self, name, node)


def numeric(value: Any) -> bool:
    """A number, or a non-empty list or tuple holding only numbers and such lists (ragged or not)."""
    if isinstance(value, (list, tuple)):
        return bool(value) and all(numeric(v) for v in value)
    return is_number(value) and not isinstance(value, bool)


STATEMENTS: dict[type, Callable[[Interpreter, Any], None]] = {
    ast.Expr: Interpreter.expression_statement, ast.Assign: Interpreter.assign, ast.AugAssign: Interpreter.augmented,
    ast.For: Interpreter.for_loop, ast.If: Interpreter.if_statement, ast.FunctionDef: Interpreter.define,
    ast.Return: Interpreter.return_statement, ast.Break: Interpreter.break_statement,
    ast.Continue: Interpreter.continue_statement, ast.Pass: Interpreter.pass_statement,
    ast.Import: Interpreter.import_statement, ast.ImportFrom: Interpreter.import_statement,
}

BUILTINS.update(builtins.BUILTINS)
__all__ = ["Builtin", "Interpreter"]

"""From text to a checked syntax tree: Python's parser, then a whitelist over every node.

Forbidden constructs are errors of kind "syntax" (unknown functions, kind "name"), reported at
the first one in source order. The walk is iterative and also bounds the tree's depth and size,
so the recursive evaluator only ever sees a small, shallow tree of allowed nodes.
"""

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.language.characters import check_characters, check_size, normalize_newlines
from app.language.errors import ExpressionError, Span, name_span, node_span
from app.language.functions import ATTRIBUTES, BINARY_OPERATORS, BUILTIN_NAMES, FUNCTIONS, METHODS, UNARY_OPERATORS
from app.limits import MAX_NESTING, MAX_SYNTAX_NODES

ALLOWED = (ast.Assign, ast.AugAssign, ast.Expr, ast.For, ast.If, ast.FunctionDef, ast.Return, ast.Break,
           ast.Continue, ast.Pass, ast.Import, ast.ImportFrom, ast.alias, ast.arguments, ast.arg,
           ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.keyword, ast.Attribute,
           ast.Subscript, ast.Slice, ast.Name, ast.Constant, ast.List, ast.Tuple, ast.ListComp, ast.GeneratorExp,
           ast.comprehension, ast.JoinedStr, ast.FormattedValue)

FORBIDDEN = {
    ast.Lambda: "lambda is not supported: write def name(x): return ...",
    ast.AsyncFunctionDef: "'async def' is not supported: write def",
    ast.ClassDef: "'class' is not supported: write functions that return lists or tuples of values "
                  "(e.g. def neuron(n): return [Value(random.uniform(-1, 1)) for _ in range(n)])",
    ast.Delete: "'del' is not supported: assign a new value instead",
    ast.AsyncFor: "'async for' is not supported: write for",
    ast.While: "'while' loops are not supported: write for i in range(n): so every loop has a bound",
    ast.With: "'with' is not supported: there are no files or contexts here; write the statements without it",
    ast.AsyncWith: "'with' is not supported: write the statements without it",
    ast.Match: "'match' is not supported: write if / elif / else",
    ast.Raise: "'raise' is not supported: print(...) a message instead",
    ast.Try: "'try' is not supported: errors stop the program and are shown where they happen",
    ast.TryStar: "'try' is not supported: errors stop the program and are shown where they happen",
    ast.Assert: "'assert' is not supported: use print(...) to check a number",
    ast.Global: "'global' is not supported: pass values to functions and return results",
    ast.Nonlocal: "'nonlocal' is not supported: pass values to functions and return results",
    ast.AnnAssign: "annotations (x: ...) are not supported: write x = ...",
    ast.SetComp: "set comprehensions are not supported: write a list comprehension [...]",
    ast.DictComp: "dict comprehensions are not supported: use lists",
    ast.Await: "'await' is not supported: call functions directly",
    ast.Yield: "'yield' is not supported: return a list, or use a generator expression (x for x in xs)",
    ast.YieldFrom: "'yield' is not supported: return a list",
    ast.NamedExpr: "':=' is not supported: assign on a line of its own",
    ast.Dict: "dicts are not supported: use lists or tuples",
    ast.Set: "sets are not supported: use lists",
    ast.Starred: "unpacking with * is not supported: pass the items one by one or index the list",
}

IMPORTS = {"micrograd.engine": ("Value",)}
"""`from module import name` lines a micrograd program may start with; `import random` and `import math` too."""
MODULES = ("random", "math")
ALLOWED_IMPORTS = "from micrograd.engine import Value, import random, import math"

NUMBER_ONLY = (ast.FloorDiv, ast.Mod)  # operators on plain numbers only

# attributes a program may read or call, besides the op methods
PLAIN_ATTRIBUTES = ("T", "data", "grad", "label", "backward", "append")
MODULE_ATTRIBUTES = ("seed", "random", "uniform", "gauss", "exp", "log", "tanh", "sqrt", "pi", "e")
KNOWN_ATTRIBUTES = frozenset(METHODS + ATTRIBUTES + PLAIN_ATTRIBUTES + MODULE_ATTRIBUTES)

OPERATOR_SYMBOLS = {ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|",
                    ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~"}


@dataclass(frozen=True)
class Outline:
    """What the evaluator needs to know of a program before running it, gathered in the same walk
    that finds the names it binds: whether it calls Value(...) (micrograd style: only Value makes
    leaves) and whether it defines functions (then its calls are the groups, not its statements)."""

    bound: frozenset[str]
    micrograd: bool
    functions: bool


def parse(source: str) -> tuple[ast.Module, list[str], Outline]:
    """The checked syntax tree of `source`, its lines (split on "\\n" after normalizing newlines) and
    its outline."""
    text, lines = checked_text(source)
    tree, outline = checked_tree(text, lines)
    return tree, lines, outline


def checked_text(source: str) -> tuple[str, list[str]]:
    """The text with its newlines normalized, and its lines, once its size and characters are checked."""
    check_size(source)
    text = normalize_newlines(source)
    lines = text.split("\n")
    check_characters(lines)
    return text, lines


def checked_tree(text: str, lines: list[str]) -> tuple[ast.Module, Outline]:
    """Python's parse of checked text, then the whitelist over it."""
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as e:
        raise syntax_error(e, lines) from None
    except (RecursionError, MemoryError):
        # the parser's own depth guards; check_characters keeps most programs from reaching them
        raise ExpressionError("limit", "the program is nested too deeply for the parser") from None
    return tree, check_tree(tree, lines)


def syntax_error(e: SyntaxError, lines: list[str]) -> ExpressionError:
    """Python's SyntaxError at its place, clamped to the text (offsets can point past the end)."""
    line = min(max(e.lineno or 1, 1), len(lines))
    width = len(lines[line - 1].rstrip())
    col = min(max(e.offset or 1, 1), width + 1)
    if e.end_lineno is not None and e.end_lineno > line:
        end_col = width + 1
    else:
        end_col = e.end_offset or 0
    return ExpressionError("syntax", e.msg, line, col, min(max(end_col, col + 1), max(width + 1, col + 1)))


UNPLACED = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
"""Nodes that only mark what their parent does (Load, Add, ...): nothing to check, no position."""
# The walk runs for every node of every program, so it asks `type(node) in` a set rather than isinstance
# of a tuple: the parser makes nodes of these exact classes, never of subclasses.
UNPLACED_TYPES = frozenset(kind for base in UNPLACED for kind in base.__subclasses__())
ALLOWED_TYPES = frozenset(ALLOWED)


def check_tree(tree: ast.Module, lines: list[str]) -> Outline:
    """Depth, size and the whitelist, in one iterative pre-order walk (source order) over every node,
    which also gathers the program's outline; the first problem in source order is raised.

    A node without a position of its own (parameters, a comprehension's `for`) is placed at its
    parent; a place becomes a span only for the error (most programs have none). A call of a name
    the program binds anywhere, even further down, is not an unknown function, so calls of names
    that are neither functions nor builtins are judged once the walk knows every bound name.
    """
    gathered = OutlineGatherer()
    unknown_calls: list[tuple[int, ast.Name]] = []  # (position in the walk, function name) of calls not known yet
    problem: tuple[int, str, str, Span | None, ast.AST] | None = None
    count = 0
    stack: list[tuple[ast.AST, int, ast.AST]] = [(child, 1, child) for child in reversed(tree.body)]
    while stack:
        node, depth, placed = stack.pop()
        count += 1
        if depth > MAX_NESTING:
            problem = (count, "limit", f"the program is nested more than {MAX_NESTING} levels deep", None, placed)
            break
        if count > MAX_SYNTAX_NODES:
            problem = (count, "limit", f"the program has more than {MAX_SYNTAX_NODES:,} parts "
                                       "(numbers, names, operators, calls)", None, placed)
            break
        found = forbidden(node, lines)
        if found is not None:
            problem = (count, *found, placed)
            break
        gathered.add(node)
        if type(node) is ast.Call and type(node.func) is ast.Name and node.func.id not in FUNCTIONS \
                and node.func.id not in BUILTIN_NAMES:
            unknown_calls.append((count, node.func))
        stack.extend((child, depth + 1, child if hasattr(child, "lineno") else placed)
                     for child in reversed(children_of(node)))
    # stopped early, the walk has not seen every name yet: the whole tree's names decide
    outline = gathered.outline() if problem is None else outline_of(tree)
    unknown = next(((at, name) for at, name in unknown_calls if name.id not in outline.bound), None)
    if unknown is not None and (problem is None or unknown[0] < problem[0]):
        name = unknown[1]
        raise ExpressionError.at("name", f"unknown function '{name.id}'", node_span(name, lines))
    if problem is not None:
        _, kind, message, where, placed = problem
        raise ExpressionError.at(kind, message, where or node_span(placed, lines))
    return outline


def children_of(node: ast.AST) -> list[ast.AST]:
    """The node's children in source order, without the markers of UNPLACED (ast.iter_child_nodes
    without its generator: this runs for every node of every program)."""
    children: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            if type(value) not in UNPLACED_TYPES:
                children.append(value)
        elif isinstance(value, list):
            children.extend(v for v in value if isinstance(v, ast.AST) and type(v) not in UNPLACED_TYPES)
    return children


class OutlineGatherer:
    """Every name the program binds somewhere, whether it calls Value(...), whether it defines functions:
    fed each node of a walk."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.micrograd = self.functions = False

    def add(self, node: ast.AST) -> None:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            self.names.add(node.id)
        elif isinstance(node, ast.FunctionDef):
            self.names.add(node.name)
            self.functions = True
        elif isinstance(node, ast.arg):
            self.names.add(node.arg)
        elif isinstance(node, ast.ImportFrom) or (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Value"):
            self.micrograd = True

    def outline(self) -> Outline:
        return Outline(frozenset(self.names), self.micrograd, self.functions)


def outline_of(tree: ast.Module) -> Outline:
    """The outline of a whole tree, forbidden nodes and all."""
    gathered = OutlineGatherer()
    for node in ast.walk(tree):
        gathered.add(node)
    return gathered.outline()


Problem = tuple[str, str, Span | None]
"""(kind, message, span) of a node outside the language; a span of None is the node's place."""


def forbidden(node: ast.AST, lines: list[str]) -> Problem | None:
    """The problem of `node` if it is outside the language, else None. Calls of unknown names are
    check_tree's to find."""
    kind = type(node)
    if kind not in ALLOWED_TYPES:
        return "syntax", FORBIDDEN.get(kind, f"{kind.__name__} is not part of the language"), None
    check = NODE_CHECKS.get(kind)
    return None if check is None else check(node, lines)


def function_problem(node: ast.FunctionDef, lines: list[str]) -> Problem | None:
    args = node.args
    if node.returns is not None:
        return "syntax", "annotations are not supported: write def name(x):", None
    if node.decorator_list:
        return "syntax", "decorators are not supported", node_span(node.decorator_list[0], lines)
    if args.vararg or args.kwarg:
        return "syntax", "*args and **kwargs are not supported: name each parameter", None
    if node.name.startswith("__"):
        return "syntax", f"name '{node.name}' is not allowed", None
    return None


def parameter_problem(node: ast.arg, lines: list[str]) -> Problem | None:
    if node.arg.startswith("__"):
        return "syntax", f"name '{node.arg}' is not allowed", None
    if node.annotation is not None:
        return "syntax", "annotations are not supported: write the parameter's name alone", None
    return None


def assign_problem(node: ast.Assign, lines: list[str]) -> Problem | None:
    for target in node.targets:
        problem = target_problem(target, lines)
        if problem is not None:
            return problem
    return None


def binary_problem(node: ast.BinOp, lines: list[str]) -> Problem | None:
    if type(node.op) in BINARY_OPERATORS or type(node.op) in NUMBER_ONLY:
        return None
    return "syntax", f"operator '{OPERATOR_SYMBOLS[type(node.op)]}' is not supported", None


def unary_problem(node: ast.UnaryOp, lines: list[str]) -> Problem | None:
    if type(node.op) in UNARY_OPERATORS or isinstance(node.op, ast.Not):
        return None
    return "syntax", f"operator '{OPERATOR_SYMBOLS[type(node.op)]}' is not supported", None


def attribute_problem(node: ast.Attribute, lines: list[str]) -> Problem | None:
    if node.attr in KNOWN_ATTRIBUTES:
        return None
    return "syntax", (f"attribute '{node.attr}' is not part of the language: use x.data, x.grad, x.label or an "
                      "op method such as x.tanh()"), name_span(node, node.attr, lines)


def call_problem(node: ast.Call, lines: list[str]) -> Problem | None:
    if isinstance(node.func, (ast.Name, ast.Attribute)):
        return None
    return "syntax", "only functions and methods can be called, e.g. tanh(x) or x.tanh()", None


# what is checked of each kind of node beyond its being allowed (the others need nothing more)
NODE_CHECKS: dict[type, Callable[[Any, list[str]], Problem | None]] = {
    ast.Import: lambda node, lines: import_problem(node),
    ast.ImportFrom: lambda node, lines: import_problem(node),
    ast.FunctionDef: function_problem,
    ast.arg: parameter_problem,
    ast.For: lambda node, lines: ("syntax", "for ... else is not supported", None) if node.orelse else None,
    ast.Assign: assign_problem,
    ast.AugAssign: lambda node, lines: target_problem(node.target, lines),
    ast.BinOp: binary_problem,
    ast.UnaryOp: unary_problem,
    ast.Constant: lambda node, lines: constant_problem(node.value),
    ast.Name: lambda node, lines: ("syntax", f"name '{node.id}' is not allowed", None) if node.id.startswith("__")
    else None,
    ast.Attribute: attribute_problem,
    ast.keyword: lambda node, lines: ("syntax", "unpacking with ** is not supported: pass each keyword", None)
    if node.arg is None else None,
    ast.Call: call_problem,
}


def target_problem(target: ast.expr, lines: list[str]) -> Problem | None:
    if isinstance(target, (ast.Name, ast.Subscript)):
        return None
    if isinstance(target, ast.Attribute):
        return None  # which attributes may be assigned is the evaluator's to say
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            problem = target_problem(element, lines)
            if problem is not None:
                return problem
        return None
    return "syntax", "assign to a name, a list entry or several names (w, b = ...)", node_span(target, lines)


def import_problem(node: ast.Import | ast.ImportFrom) -> Problem | None:
    if isinstance(node, ast.ImportFrom):
        names = IMPORTS.get(node.module or "")
        if names is not None and node.level == 0 and all(a.name in names and a.asname is None for a in node.names):
            return None
    elif all(a.name in MODULES for a in node.names):
        return None
    return "syntax", f"this import is not available: the only imports are {ALLOWED_IMPORTS}", None


def constant_problem(value: object) -> Problem | None:
    """Numbers, strings (for print and labels), True, False and None."""
    if isinstance(value, bytes):
        return "syntax", "bytes are not supported: write a string", None
    if isinstance(value, complex):
        return "syntax", "complex numbers are not supported", None
    if value is Ellipsis:
        return "syntax", "'...' is not allowed", None
    return None

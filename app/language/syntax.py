"""From text to a checked syntax tree: Python's parser, then a whitelist over every node.

Forbidden constructs are errors of kind "syntax" (unknown functions, kind "name"), reported at
the first one in source order. The walk is iterative and also bounds the tree's depth and size,
so the recursive evaluator only ever sees a small, shallow tree of allowed nodes.
"""

import ast
from dataclasses import dataclass

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
    check_size(source)
    text = normalize_newlines(source)
    lines = text.split("\n")
    check_characters(lines)
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as e:
        raise syntax_error(e, lines) from None
    except (RecursionError, MemoryError):
        # the parser's own depth guards; check_characters keeps most programs from reaching them
        raise ExpressionError("limit", "the program is nested too deeply for the parser") from None
    outline = outline_of(tree)
    check_tree(tree, lines, outline.bound)
    return tree, lines, outline


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


def check_tree(tree: ast.Module, lines: list[str], bound: frozenset[str]) -> None:
    """Depth, size and the whitelist, in one iterative pre-order walk (source order) over every node;
    a node without a position of its own (parameters, a comprehension's `for`) is placed at its
    parent. A call of a name in `bound` is not an unknown function."""
    count = 0
    stack: list[tuple[ast.AST, int, Span]] = [(child, 1, node_span(child, lines)) for child in reversed(tree.body)]
    while stack:
        node, depth, span = stack.pop()
        count += 1
        if depth > MAX_NESTING:
            raise ExpressionError.at("limit", f"the program is nested more than {MAX_NESTING} levels deep", span)
        if count > MAX_SYNTAX_NODES:
            raise ExpressionError.at("limit", f"the program has more than {MAX_SYNTAX_NODES:,} parts "
                                              "(numbers, names, operators, calls)", span)
        problem = forbidden(node, lines, bound, span)
        if problem is not None:
            kind, message, where = problem
            raise ExpressionError.at(kind, message, where)
        children = [c for c in ast.iter_child_nodes(node) if not isinstance(c, UNPLACED)]
        stack.extend((c, depth + 1, node_span(c, lines) if hasattr(c, "lineno") else span)
                     for c in reversed(children))


def outline_of(tree: ast.Module) -> Outline:
    """Every name the program binds somewhere, whether it calls Value(...), whether it defines functions."""
    names: set[str] = set()
    micrograd = functions = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef):
            names.add(node.name)
            functions = True
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ImportFrom) or (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Value"):
            micrograd = True
    return Outline(frozenset(names), micrograd, functions)


def forbidden(node: ast.AST, lines: list[str], bound: frozenset[str], span: Span) -> tuple[str, str, Span] | None:
    """(kind, message, span) if `node` is outside the language, else None."""
    if not isinstance(node, ALLOWED):
        return "syntax", FORBIDDEN.get(type(node), f"{type(node).__name__} is not part of the language"), span
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return import_problem(node, span)
    if isinstance(node, ast.FunctionDef):
        args = node.args
        if node.returns is not None:
            return "syntax", "annotations are not supported: write def name(x):", span
        if node.decorator_list:
            return "syntax", "decorators are not supported", node_span(node.decorator_list[0], lines)
        if args.vararg or args.kwarg:
            return "syntax", "*args and **kwargs are not supported: name each parameter", span
        if node.name.startswith("_") and node.name.startswith("__"):
            return "syntax", f"name '{node.name}' is not allowed", span
    elif isinstance(node, ast.arg):
        if node.arg.startswith("__"):
            return "syntax", f"name '{node.arg}' is not allowed", span
        if node.annotation is not None:
            return "syntax", "annotations are not supported: write the parameter's name alone", span
    elif isinstance(node, ast.For) and node.orelse:
        return "syntax", "for ... else is not supported", span
    elif isinstance(node, ast.Assign):
        for target in node.targets:
            problem = target_problem(target, lines)
            if problem is not None:
                return problem
    elif isinstance(node, ast.AugAssign):
        return target_problem(node.target, lines)
    elif isinstance(node, ast.BinOp) and type(node.op) not in BINARY_OPERATORS and type(node.op) not in NUMBER_ONLY:
        return "syntax", f"operator '{OPERATOR_SYMBOLS[type(node.op)]}' is not supported", span
    elif isinstance(node, ast.UnaryOp) and type(node.op) not in UNARY_OPERATORS and not isinstance(node.op, ast.Not):
        return "syntax", f"operator '{OPERATOR_SYMBOLS[type(node.op)]}' is not supported", span
    elif isinstance(node, ast.Constant):
        return constant_problem(node.value, span)
    elif isinstance(node, ast.Name) and node.id.startswith("__"):
        return "syntax", f"name '{node.id}' is not allowed", span
    elif isinstance(node, ast.Attribute) and node.attr not in KNOWN_ATTRIBUTES:
        return "syntax", (f"attribute '{node.attr}' is not part of the language: use x.data, x.grad, x.label or an "
                          "op method such as x.tanh()"), name_span(node, node.attr, lines)
    elif isinstance(node, ast.keyword) and node.arg is None:
        return "syntax", "unpacking with ** is not supported: pass each keyword", span
    elif isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id not in FUNCTIONS and node.func.id not in bound \
                and node.func.id not in BUILTIN_NAMES:
            return "name", f"unknown function '{node.func.id}'", node_span(node.func, lines)
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            return "syntax", "only functions and methods can be called, e.g. tanh(x) or x.tanh()", span
    return None


def target_problem(target: ast.expr, lines: list[str]) -> tuple[str, str, Span] | None:
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


def import_problem(node: ast.Import | ast.ImportFrom, span: Span) -> tuple[str, str, Span] | None:
    if isinstance(node, ast.ImportFrom):
        names = IMPORTS.get(node.module or "")
        if names is not None and node.level == 0 and all(a.name in names and a.asname is None for a in node.names):
            return None
    elif all(a.name in MODULES for a in node.names):
        return None
    return "syntax", f"this import is not available: the only imports are {ALLOWED_IMPORTS}", span


def constant_problem(value: object, span: Span) -> tuple[str, str, Span] | None:
    """Numbers, strings (for print and labels), True, False and None."""
    if isinstance(value, bytes):
        return "syntax", "bytes are not supported: write a string", span
    if isinstance(value, complex):
        return "syntax", "complex numbers are not supported", span
    if value is Ellipsis:
        return "syntax", "'...' is not allowed", span
    return None

"""From text to a checked syntax tree: Python's parser, then a whitelist over every node.

Forbidden constructs are errors of kind "syntax" (unknown functions, kind "name"), reported at
the first one in source order. The walk is iterative and also bounds the tree's depth and size,
so the recursive evaluator only ever sees a small, shallow tree of allowed nodes.
"""

import ast

from app.language.characters import check_characters, check_size, normalize_newlines
from app.language.errors import ExpressionError, Span, name_span, node_span
from app.language.functions import ATTRIBUTES, BINARY_OPERATORS, FUNCTIONS, METHODS, UNARY_OPERATORS
from app.limits import MAX_NESTING, MAX_SYNTAX_NODES

ALLOWED = (ast.Assign, ast.Expr, ast.BinOp, ast.UnaryOp, ast.Call, ast.keyword, ast.Attribute,
           ast.Name, ast.Constant, ast.List, ast.Tuple)

FORBIDDEN = {
    ast.Import: "'import' is not allowed",
    ast.ImportFrom: "'import' is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.FunctionDef: "'def' is not allowed",
    ast.AsyncFunctionDef: "'def' is not allowed",
    ast.ClassDef: "'class' is not allowed",
    ast.Return: "'return' is not allowed",
    ast.Delete: "'del' is not allowed",
    ast.For: "loops are not allowed",
    ast.AsyncFor: "loops are not allowed",
    ast.While: "loops are not allowed",
    ast.Break: "'break' is not allowed",
    ast.Continue: "'continue' is not allowed",
    ast.If: "'if' is not allowed",
    ast.IfExp: "conditional expressions (a if c else b) are not allowed",
    ast.With: "'with' is not allowed",
    ast.AsyncWith: "'with' is not allowed",
    ast.Match: "'match' is not allowed",
    ast.Raise: "'raise' is not allowed",
    ast.Try: "'try' is not allowed",
    ast.TryStar: "'try' is not allowed",
    ast.Assert: "'assert' is not allowed",
    ast.Global: "'global' is not allowed",
    ast.Nonlocal: "'nonlocal' is not allowed",
    ast.Pass: "'pass' is not allowed",
    ast.AugAssign: "augmented assignment is not supported: write x = x + ... instead of x += ...",
    ast.AnnAssign: "annotations (x: ...) are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.BoolOp: "'and' and 'or' are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.FormattedValue: "strings are not allowed",
    ast.Subscript: "indexing and slicing (x[...]) are not supported",
    ast.Slice: "indexing and slicing (x[...]) are not supported",
    ast.Starred: "unpacking with * is not allowed",
}

OPERATOR_SYMBOLS = {ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|",
                    ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~"}


def parse(source: str) -> tuple[ast.Module, list[str]]:
    """The checked syntax tree of `source` and its lines (split on "\\n" after normalizing newlines)."""
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
    check_tree(tree, lines)
    return tree, lines


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


def check_tree(tree: ast.Module, lines: list[str]) -> None:
    """Depth, size and the whitelist, in one iterative pre-order walk (source order)."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(child, 1) for child in reversed(tree.body)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_NESTING:
            raise ExpressionError.at("limit", f"the program is nested more than {MAX_NESTING} levels deep",
                                     node_span(node, lines))
        if count > MAX_SYNTAX_NODES:
            raise ExpressionError.at("limit", f"the program has more than {MAX_SYNTAX_NODES:,} parts "
                                              "(numbers, names, operators, calls)", node_span(node, lines))
        problem = forbidden(node, lines)
        if problem is not None:
            kind, message, span = problem
            raise ExpressionError.at(kind, message, span)
        # operators and Load/Store markers carry no position and need no check of their own
        children = [c for c in ast.iter_child_nodes(node) if hasattr(c, "lineno")]
        stack.extend((c, depth + 1) for c in reversed(children))


def forbidden(node: ast.AST, lines: list[str]) -> tuple[str, str, Span] | None:
    """(kind, message, span) if `node` is outside the language, else None."""
    span = node_span(node, lines)
    if not isinstance(node, ALLOWED):
        return "syntax", FORBIDDEN.get(type(node), f"{type(node).__name__} is not part of the language"), span
    if isinstance(node, ast.Assign):
        target = node.targets[0]
        if len(node.targets) > 1 or not isinstance(target, ast.Name):
            return "syntax", "assign to one name at a time, e.g. y = x * 2", node_span(target, lines)
    elif isinstance(node, ast.BinOp) and type(node.op) not in BINARY_OPERATORS:
        return "syntax", f"operator '{OPERATOR_SYMBOLS[type(node.op)]}' is not supported", span
    elif isinstance(node, ast.UnaryOp) and type(node.op) not in UNARY_OPERATORS:
        return "syntax", f"operator '{OPERATOR_SYMBOLS[type(node.op)]}' is not supported", span
    elif isinstance(node, ast.Constant):
        return constant_problem(node.value, span)
    elif isinstance(node, ast.Name) and node.id.startswith("__"):
        return "syntax", f"name '{node.id}' is not allowed", span
    elif isinstance(node, ast.Attribute) and node.attr not in METHODS + ATTRIBUTES:
        return "syntax", f"attribute '{node.attr}' is not allowed", name_span(node, node.attr, lines)
    elif isinstance(node, ast.keyword) and node.arg is None:
        return "syntax", "unpacking with ** is not allowed", span
    elif isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id not in FUNCTIONS:
            return "name", f"unknown function '{node.func.id}'", node_span(node.func, lines)
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            return "syntax", "only functions and methods can be called, e.g. tanh(x) or x.tanh()", span
    return None


def constant_problem(value: object, span: Span) -> tuple[str, str, Span] | None:
    """Numbers are the language's only literals; True/False are checked where they are used."""
    if isinstance(value, (str, bytes)):
        return "syntax", "strings are not allowed", span
    if isinstance(value, complex):
        return "syntax", "complex numbers are not supported", span
    if value is None:
        return "syntax", "None is not allowed", span
    if value is Ellipsis:
        return "syntax", "'...' is not allowed", span
    return None

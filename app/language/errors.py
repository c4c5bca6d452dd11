"""The one error a program can cause, and where in the source it points.

Kinds, one rule each:
- "syntax": text outside the language: Python syntax errors, forbidden constructs (import,
  lambda, loops, strings, indexing, dunder names, unknown attributes...), non-ASCII characters;
- "name": a variable used before it is assigned, an unknown function, an unknown root;
- "type": a construct of the language given the wrong kind of value or arguments (a tensor
  where a number is needed, a missing or unknown argument, a function used as a value);
- "shape": shapes an op cannot combine (the engine's ShapeError), ragged lists, bad sizes;
- "domain": values an op does not accept (the engine's DomainError, a negative seed);
- "limit": a bound of app.limits or of the sandbox (status 413 for the source size, else 422);
- "request": a request parameter the program cannot honour (a backward call it never makes).

Positions are 1-based: the page underlines `source_line[col - 1:end_col - 1]` of line `line`.
An error with no place in the source (an empty program, an unknown root) has them all None.
"""

import ast
from typing import Any, cast

Span = tuple[int, int, int]

KINDS = ("syntax", "name", "type", "shape", "domain", "limit", "request")


class ExpressionError(Exception):
    """A problem with the user's program, in the user's words, with the place it points at."""

    def __init__(self, kind: str, message: str, line: int | None = None, col: int | None = None,
                 end_col: int | None = None, status: int = 422) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown error kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.col = col
        self.end_col = end_col
        self.status = status

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from all fields when it crosses the sandbox's process boundary
        return (type(self), (self.kind, self.message, self.line, self.col, self.end_col, self.status))

    def __str__(self) -> str:
        where = f" at {self.line}:{self.col}" if self.line is not None else ""
        return f"{self.kind} error{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "line": self.line, "col": self.col,
                "end_col": self.end_col}

    @classmethod
    def at(cls, kind: str, message: str, span: Span | None, status: int = 422) -> "ExpressionError":
        line, col, end_col = span if span is not None else (None, None, None)
        return cls(kind, message, line, col, end_col, status)


def node_span(node: ast.AST, lines: list[str]) -> Span:
    """(line, col, end_col) of a syntax-tree node; a node spanning lines ends with its first line.

    Columns are characters; the AST counts UTF-8 bytes, which agree here because every character
    before a comment is ASCII (see characters.py).
    """
    placed = cast(ast.expr, node)  # every node given a place here (statements, expressions, args) has these
    line, col = placed.lineno, placed.col_offset + 1
    if placed.end_lineno == line and placed.end_col_offset is not None:
        return line, col, placed.end_col_offset + 1
    return line, col, len(lines[line - 1].rstrip()) + 1


def name_span(node: ast.Attribute | ast.keyword, name: str, lines: list[str]) -> Span:
    """The span of just the name in `x.name` (it ends the node) or in `name=value` (it starts it)."""
    if isinstance(node, ast.keyword):
        return node.lineno, node.col_offset + 1, node.col_offset + 1 + len(name)
    end = (node.end_col_offset or 0) + 1
    return node.end_lineno or node.lineno, end - len(name), end

"""parse_program: a program's text in, its evaluated engine graph out."""

import ast
from dataclasses import dataclass

import numpy as np

from app.language.errors import ExpressionError, Span
from app.language.evaluator import Evaluator
from app.language.syntax import parse
from engine import Tensor


@dataclass
class Program:
    """An evaluated program.

    `variables` holds each name's latest value, in order of first assignment; `leaves` every
    named leaf and const() made from a number, list or constructor, in creation order (also those
    the root does not use); `spans` maps id(tensor) to the (line, col, end_col) of the expression
    that created it, for every tensor in `nodes` (all tensors created, in creation order; keeping
    them here keeps their ids unique while the Program lives).
    """

    root: Tensor
    root_name: str | None
    variables: dict[str, Tensor]
    leaves: list[Tensor]
    spans: dict[int, Span]
    nodes: list[Tensor]


def parse_program(source: str, root: str | None = None) -> Program:
    """Parse, check and evaluate `source`; the root is `root` if given, else the last statement.

    Raises ExpressionError for anything wrong with the program. NaN and inf results are not errors.
    """
    tree, lines = parse(source)
    if not tree.body:
        raise ExpressionError("syntax", "the program is empty: write statements such as x = 2 and y = x * x")
    evaluator = Evaluator(lines)
    with np.errstate(all="ignore"):
        for stmt in tree.body:
            value = evaluator.statement(stmt)
    last = tree.body[-1]
    root_name = last.targets[0].id if isinstance(last, ast.Assign) else None
    if root is not None:
        if root not in evaluator.variables:
            raise ExpressionError("name", f"root '{root}' is not a variable of the program")
        value, root_name = evaluator.variables[root], root
    return Program(value, root_name, evaluator.variables, evaluator.leaves, evaluator.spans, evaluator.nodes)

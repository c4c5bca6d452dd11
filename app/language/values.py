"""What a program's expressions evaluate to, apart from tensors, and the checked arithmetic on it.

Plain numbers are Python ints (loop counts, indices, lengths) or float64 (so `9**9**9` is inf and
`1/0` is inf, never a Python big integer or an exception); an int that would pass 2**53 becomes a
float. Lists and tuples are Python's, strings only for print and labels. A number or a list of
numbers becomes a constant tensor where it meets a tensor.
"""

import ast
import math
import operator
import random
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from engine import Tensor

MAX_EXACT_INT = 2**53

Number = int | np.float64


def is_number(value: object) -> bool:
    """A plain number: int (bool included) or float64, never a tensor."""
    return isinstance(value, (int, float, np.floating)) and not isinstance(value, Tensor)


def as_float(value: int | float) -> np.float64:
    """A number as float64; an integer too large for it is inf, as the same value written as a float."""
    try:
        return np.float64(value)
    except OverflowError:
        return np.float64(math.inf if value > 0 else -math.inf)


def number(value: int | float) -> Number:
    """An int while it is exact in float64, else a float64."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and -MAX_EXACT_INT <= value <= MAX_EXACT_INT:
        return value
    return as_float(value)


def power(base: Number, exponent: Number) -> Number:
    """`base ** exponent` without building a big integer: ints only while the result stays exact."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent >= 0:
        if base in (0, 1, -1) or exponent * math.log2(abs(base)) < 53:
            return number(base ** exponent)
    return np.float64(np.power(as_float(base), as_float(exponent)))


def floor_divide(a: Number, b: Number) -> Number:
    if isinstance(a, int) and isinstance(b, int) and b != 0:
        return a // b
    return np.float64(np.floor_divide(as_float(a), as_float(b)))


def modulo(a: Number, b: Number) -> Number:
    if isinstance(a, int) and isinstance(b, int) and b != 0:
        return a % b
    return np.float64(np.mod(as_float(a), as_float(b)))


NUMBER_OPERATORS = {
    ast.Add: lambda a, b: number(a + b) if isinstance(a, int) and isinstance(b, int) else as_float(a) + as_float(b),
    ast.Sub: lambda a, b: number(a - b) if isinstance(a, int) and isinstance(b, int) else as_float(a) - as_float(b),
    ast.Mult: lambda a, b: number(a * b) if isinstance(a, int) and isinstance(b, int) else as_float(a) * as_float(b),
    ast.Div: lambda a, b: as_float(a) / as_float(b),
    ast.Pow: power,
    ast.FloorDiv: floor_divide,
    ast.Mod: modulo,
}
"""Arithmetic on two plain numbers, as Python computes it but bounded (floats follow IEEE: 1/0 is inf)."""

COMPARISONS = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
               ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
               ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}


NUMBER_TYPES = {int, float, bool, np.float64}


def array_of(value: object) -> np.ndarray | None:
    """A number or a rectangular nested list/tuple of numbers as a float64 array, else None."""
    if is_number(value):
        return np.array(as_float(value))  # type: ignore[arg-type]
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)) and value and set(map(type, value)) <= NUMBER_TYPES:
        return np.array([as_float(v) for v in value] if len(value) < 64 else value, dtype=np.float64)
    if isinstance(value, (list, tuple)):
        rows = [array_of(v) for v in value]
        if any(r is None for r in rows):
            return None
        if len({r.shape for r in rows}) > 1:  # type: ignore[union-attr]
            return None
        return np.array(rows, dtype=np.float64)
    return None


def type_name(value: object) -> str:
    """How an error message names the kind of a value."""
    if isinstance(value, Tensor):
        return "a value of the graph" if value.shape == () else f"a value of the graph of shape {value.shape}"
    if isinstance(value, bool):
        return "True/False"
    if is_number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, tuple):
        return "a tuple"
    if isinstance(value, np.ndarray):
        return "an array of numbers"
    if value is None:
        return "None"
    if isinstance(value, Function):
        return f"the function {value.name}"
    return "a function"


@dataclass
class Function:
    """A `def` of the program: its syntax, the defaults computed when it was defined, and its scope."""

    name: str
    node: ast.FunctionDef
    defaults: dict[str, Any]
    scope: "Scope"

    @cached_property
    def parameters(self) -> tuple[list[str], list[str]]:
        """The names of the positional and the keyword-only parameters (read at every call: worked out once)."""
        spec = self.node.args
        return [a.arg for a in spec.posonlyargs + spec.args], [a.arg for a in spec.kwonlyargs]

    @property
    def usage(self) -> str:
        positional, keyword_only = self.parameters
        return f"{self.name}({', '.join(positional + keyword_only)})"


@dataclass
class Scope:
    """Names of one call (or of the program); reads fall back to the enclosing scope."""

    names: dict[str, Any] = field(default_factory=dict)
    parent: "Scope | None" = None

    def lookup(self, name: str) -> tuple[bool, Any]:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return True, scope.names[name]
            scope = scope.parent
        return False, None


@dataclass
class Builtin:
    """A callable the language provides: Python's range, len, sum..., random's functions, Value."""

    name: str
    usage: str


class RandomModule:
    """`import random`: one generator per program, seeded 0 until the program seeds it, so the same
    program gives the same numbers on every run, and CPython's numbers for the same seed."""

    FUNCTIONS = {"seed": "random.seed(n)", "random": "random.random()", "uniform": "random.uniform(a, b)",
                 "gauss": "random.gauss(mu, sigma)"}

    def __init__(self) -> None:
        self.generator = random.Random(0)


class MathModule:
    """`import math`: a few functions of plain numbers, for notebook cells that import it."""

    FUNCTIONS = {"exp": "math.exp(x)", "log": "math.log(x)", "tanh": "math.tanh(x)", "sqrt": "math.sqrt(x)"}
    CONSTANTS = {"pi": math.pi, "e": math.e}

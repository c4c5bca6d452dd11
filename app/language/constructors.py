"""The constructors randn, zeros, ones, full and arange: arrays checked against the budget first.

Their arguments are constant numbers of the program, each with the span it was written at.
"""

import math

import numpy as np

from app.language.budget import Budget
from app.language.errors import ExpressionError, Span
from app.limits import MAX_TENSOR_ELEMENTS

Number = tuple[np.float64, Span]

KEYWORDS = {"randn": ("seed",), "zeros": (), "ones": (), "full": ("value",), "arange": ()}
"""The keyword arguments each constructor takes; every other argument is a positional number."""

MAX_SEED = 2**63 - 1


def construct(name: str, args: list[Number], keywords: dict[str, Number], span: Span, budget: Budget) -> np.ndarray:
    """The array `name(*args, **keywords)` builds; raises before allocating if it would not fit."""
    if name == "arange":
        return arange(args, span, budget)
    shape = sizes(args, span, budget)
    if name == "randn":
        seed, where = keywords.get("seed", (np.float64(0), span))
        if not (math.isfinite(seed) and seed.is_integer() and 0 <= seed <= MAX_SEED):
            raise ExpressionError.at("domain", f"seed must be a whole number from 0 to 2**63 - 1, got {seed:g}", where)
        return np.random.default_rng(int(seed)).standard_normal(shape)
    if name == "full":
        if "value" not in keywords:
            raise ExpressionError.at("type", "full() needs value=..., e.g. full(2, 3, value=0.5)", span)
        return np.full(shape, keywords["value"][0], dtype=np.float64)
    return np.ones(shape) if name == "ones" else np.zeros(shape)


def sizes(args: list[Number], span: Span, budget: Budget) -> tuple[int, ...]:
    """A shape from whole, non-negative numbers, checked against the budget."""
    for value, where in args:
        if not (math.isfinite(value) and value.is_integer()):
            raise ExpressionError.at("shape", f"size {value:g} is not a whole number", where)
        if value < 0:
            raise ExpressionError.at("shape", f"size {value:g} is negative", where)
        if value > MAX_TENSOR_ELEMENTS:
            raise ExpressionError.at("limit", f"size {value:g} is more than the {MAX_TENSOR_ELEMENTS:,} elements "
                                              "one value may hold", where)
    shape = tuple(int(value) for value, _ in args)
    budget.check(shape, span)
    return shape


def arange(args: list[Number], span: Span, budget: Budget) -> np.ndarray:
    """start, start + step, ... up to but excluding stop, as NumPy's arange."""
    if not 1 <= len(args) <= 3:
        raise ExpressionError.at("type", "arange takes 1 to 3 numbers: arange(stop), arange(start, stop) "
                                         "or arange(start, stop, step)", span)
    for value, where in args:
        if not math.isfinite(value):
            raise ExpressionError.at("domain", f"arange needs finite numbers, got {value:g}", where)
    values = [value for value, _ in args]
    start, stop, step = (np.float64(0), values[0], np.float64(1)) if len(values) == 1 else (*values, np.float64(1))[:3]
    if step == 0:
        raise ExpressionError.at("domain", "arange step must not be 0", args[2][1])
    length = (stop - start) / step
    if not math.isfinite(length):
        raise ExpressionError.at("limit", f"arange from {start:g} to {stop:g} in steps of {step:g} is too long", span)
    n = math.ceil(length) if length > 0 else 0
    budget.check((n,), span)
    return start + step * np.arange(n, dtype=np.float64)

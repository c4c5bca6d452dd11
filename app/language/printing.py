"""print() and f-strings: values as Python would write them, with format specs kept small.

A value of the graph prints as its data (a scalar as a Python float does). Format specs are
checked before use, so `f"{x:>999999999}"` is an error, not a gigabyte of spaces.
"""

import re
from typing import Any

import numpy as np

from app.language.errors import ExpressionError, Span
from app.language.values import is_number
from app.limits import MAX_OUTPUT_LINE_CHARS, MAX_OUTPUT_LINES, MAX_STRING_CHARS
from engine import Tensor

# [[fill]align][sign][#][0][width][grouping][.precision][type], as Python's format mini-language
SPEC = (r"(?:.?[<>=^])?[+\- ]?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?[bcdeEfFgGnosxX%]?")
MAX_WIDTH = 100
MAX_PRECISION = 50


def plain_form(value: Any) -> Any:
    """What print shows for a value: numbers as Python numbers, values of the graph as their data."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        if value.shape == ():
            return float(value)
        return np.array2string(value, precision=4, threshold=20, edgeitems=3)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (list, tuple)):
        items = [plain_form(v) for v in value[:20]]
        return type(value)(items) if len(value) <= 20 else items + ["..."]
    if is_number(value) or isinstance(value, str) or value is None:
        return value
    return f"<{type(value).__name__}>"


def format_value(value: Any, spec: str, conversion: int, span: Span) -> str:
    """`f"{value!conversion:spec}"` for the language's values."""
    match = re.fullmatch(SPEC, spec)
    if match is None:
        raise ExpressionError.at("type", f"format spec '{spec}' is not one this language knows", span)
    if int(match["width"] or 0) > MAX_WIDTH or int(match["precision"] or 0) > MAX_PRECISION:
        raise ExpressionError.at("limit", f"format spec '{spec}': widths up to {MAX_WIDTH} and precisions up to "
                                          f"{MAX_PRECISION} are allowed", span)
    shown = plain_form(value)
    if conversion == ord("r"):
        shown = repr(shown)
    elif conversion == ord("s") or (spec and not isinstance(shown, (int, float, str))):
        shown = str(shown)
    try:
        return format(shown, spec)
    except (ValueError, TypeError) as e:
        raise ExpressionError.at("type", f"cannot format {type(shown).__name__} with '{spec}': {e}", span) from None


class Output:
    """The lines print() wrote, bounded in count and length."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.dropped = 0
        self.partial = ""

    def write(self, text: str) -> None:
        text = self.partial + text
        *complete, self.partial = text.split("\n")
        for line in complete:
            self.add(line)

    def add(self, line: str) -> None:
        if len(self.lines) >= MAX_OUTPUT_LINES:
            self.dropped += 1
            return
        if len(line) > MAX_OUTPUT_LINE_CHARS:
            line = line[:MAX_OUTPUT_LINE_CHARS - 1] + "\u2026"
        self.lines.append(line)

    def result(self) -> list[str]:
        """Every kept line, the unfinished last one, and how many were left out."""
        if self.partial:
            self.add(self.partial)
            self.partial = ""
        if self.dropped:
            return [*self.lines, f"[{self.dropped:,} more lines not shown: print() keeps {MAX_OUTPUT_LINES}]"]
        return list(self.lines)


def print_text(values: list[Any], sep: str, end: str, span: Span) -> str:
    text = sep.join(str(plain_form(v)) for v in values) + end
    if len(text) > MAX_STRING_CHARS:
        raise ExpressionError.at("limit", f"print() of {len(text):,} characters; at most {MAX_STRING_CHARS:,}", span)
    return text

"""Numbers as the page writes them, for what Python draws: the same text as `static/format.js`.

A slide exported as SVG, PNG, GIF or APNG, and a step table, must read the very numbers the page shows, so
each function here is the twin of the function of the same name in format.js (formatNumber,
formatValue, ...) and tests/web/test_number_format.py runs both on the same values in Chromium.

Values are what the API sends: a number, a nested list of numbers, the strings "nan", "inf", "-inf", or
for an array too large to inline a summary `{"summary": True, "shape", "size", "min", "max", "mean",
"head"}`. JavaScript rounds a tie away from zero (`(1.0625).toPrecision(4)` is "1.063") where Python's
`format()` rounds it to even, so the rounding is done here on the exact decimal value of the double.
"""

from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

NONFINITE = ("nan", "inf", "-inf")
SIGNIFICANT = Context(prec=4, rounding=ROUND_HALF_UP)
PREVIEW_ENTRIES = 3


def format_number(x: float | int | str) -> str:
    """A scalar with up to 4 significant digits: 4, -6, 0.3333, 1.235e5, 1e-5, nan, inf."""
    if isinstance(x, str):
        return x
    if not isinstance(x, (int, float)):
        return str(x)
    x = float(x)
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"  # also -0
    rounded = SIGNIFICANT.plus(Decimal(x))
    if 1e-3 <= abs(float(rounded)) < 1e5:  # plain when the rounded number is (99999 rounds to 1e5, which is not)
        return js_string(float(rounded))
    sign, digits, exponent = rounded.as_tuple()
    assert isinstance(exponent, int)  # finite
    shown = "".join(map(str, digits)).rstrip("0") or "0"
    power = exponent + len(digits) - 1
    mantissa = shown[0] + (f".{shown[1:]}" if len(shown) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{power}"


def js_string(x: float) -> str:
    """A finite double as JavaScript's String(x) writes it: the shortest digits that read back as the same
    double (Python's repr finds the same ones), plain from 1e-6 up to 1e21 and `1.5e+21`, `1e-7` beyond."""
    if x == 0:
        return "0"
    sign, digit_tuple, exponent = Decimal(repr(x)).as_tuple()
    assert isinstance(exponent, int)  # finite
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent += len(digit_tuple) - len(digits)
    k = len(digits)
    n = k + exponent  # the value is 0.<digits> × 10^n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = f"0.{'0' * -n}{digits}"
    else:
        power = f"{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
        text = digits[0] + (f".{digits[1:]}" if k > 1 else "") + f"e{power}"
    return ("-" if sign else "") + text


def format_full(x: float | int | str) -> str:
    """Full precision, as the inspector shows it: the shortest text that reads back as the same double."""
    if isinstance(x, (int, float)) and abs(float(x)) != float("inf") and x == x:
        return js_string(float(x))
    return format_number(x)


def is_summary(v: Any) -> bool:
    """An array the API summarised instead of sending whole."""
    return isinstance(v, dict) and v.get("summary") is True


def flatten(v: Any) -> list[Any]:
    """Every entry of a nested list, row-major (of a summary: the entries it sends)."""
    if is_summary(v):
        return list(v["head"])
    if not isinstance(v, list):
        return [v]
    out: list[Any] = []
    stack = [v]
    while stack:  # iterative, row-major: children pushed in reverse so that the first is popped first
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def format_shape(shape: list[int] | tuple[int, ...]) -> str:
    """A shape as a user writes it: (), (3,), (2,3)."""
    if not shape:
        return "()"
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ",".join(map(str, shape)) + ")"


def nested(v: Any) -> str:
    if not isinstance(v, list):
        return format_number(v)
    return "[" + ", ".join(nested(x) for x in v) + "]"


def format_value(v: Any) -> str:
    """A value or gradient as it appears on a node: a scalar as format_number; a tensor of up to 3 entries
    whole ([1, 2, 3], [[1], [2]]); a larger one by its first two entries ([1, 2, …]). None is "None"."""
    if v is None:
        return "None"
    if is_summary(v):
        return "[" + ", ".join(format_number(x) for x in v["head"][:PREVIEW_ENTRIES - 1]) + ", …]"
    if not isinstance(v, list):
        return format_number(v)
    entries = flatten(v)
    if len(entries) <= PREVIEW_ENTRIES:
        return nested(v)
    return "[" + ", ".join(format_number(x) for x in entries[:PREVIEW_ENTRIES - 1]) + ", …]"


def format_compact(v: Any) -> str:
    """A value in few characters, for labels on edges: 4, [1, 2], [1, …]."""
    if v is None:
        return "None"
    if not isinstance(v, list) and not is_summary(v):
        return format_number(v)
    entries = flatten(v)
    if not is_summary(v) and len(entries) <= 2:
        return nested(v)
    return f"[{format_number(entries[0])}, …]"


def format_term(v: Any) -> str:
    """A signed term inside a sum: "4", "(-6)"."""
    text = format_value(v)
    return f"({text})" if text.startswith("-") else text


def format_value_full(v: Any) -> str:
    """Full-precision nested text, as the inspector shows it (a summary said with its statistics)."""
    if v is None:
        return "None"
    if is_summary(v):
        return (f"{v['size']} entries, shape {format_shape(v['shape'])}: min {format_full(v['min'])}, "
                f"max {format_full(v['max'])}, mean {format_full(v['mean'])}; first {len(v['head'])}: "
                f"[{', '.join(format_full(x) for x in v['head'])}, …]")
    if not isinstance(v, list):
        return format_full(v)
    return "[" + ", ".join(format_value_full(x) for x in v) + "]"

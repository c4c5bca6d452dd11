"""Python's drawings (render.py, animation.py, step_table.py) write numbers with app/number_format.py, the
page with static/format.js: the two must give the same text for the same value. Both run here on the same
tricky values, the JavaScript in the real Chromium the page runs in."""

import math

import pytest

from app import number_format

# Rounding at the edges of the plain range, ties (exact in binary: JavaScript rounds them away from zero,
# Python's format() to even), -0, carries into a new digit, the API's "nan"/"inf" strings, and JSON's ints.
NUMBERS = [
    0.0, -0.0, 1e-3, -1e-3, 9.9995e-4, 9.9994e-4, 0.00999949, 99999.0, 99994.0, 99995.0, -99999.0, 123456.0,
    0.33333, 1 / 3, 2 / 3, -6.0, 1.2345e-7, -2.5e-7, 2.5, 10.5, 0.00012345, 1e21, 1.5e21, 1e-21, 1e300,
    -1e-300, 5e-324, 1.7976931348623157e308, 1.0625, -1.0625, 0.03125, 12.3125, 1234.5, 0.1 + 0.2, 1e5,
    1e-5, 4.0, 1.0000001, 999.95, 0.0009765625, 65536.5, -0.5, 3, -7, 100000,
]
SPECIAL = ["nan", "inf", "-inf", math.nan, math.inf, -math.inf]
VALUES = [
    [1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], [[1.0], [2.0]], [[1.0, 2.0], [3.0, 4.0]], [], [[]], [-6.0, 2.5],
    [-6.0], [["nan", 1.0625], ["-inf", 1e-7]], [0.1 + 0.2, -0.0],
    None, -2.0, "inf",
    {"summary": True, "shape": [64, 64], "size": 4096, "min": -1.0625, "max": "inf", "mean": 0.1 + 0.2,
     "head": [0.25, -1e-9, 123456.0, 7.0]},
]
SHAPES = [[], [3], [2, 3], [1, 1, 1]]

JS = """async ([numbers, values, shapes]) => {
  const f = await import('/static/format.js');
  const n = (x) => (x === '__nan__' ? NaN : x === '__inf__' ? Infinity : x === '__-inf__' ? -Infinity
    : x === '__-0__' ? -0 : x);
  const ns = numbers.map(n);
  return {
    number: ns.map(f.formatNumber), full: ns.map(f.formatFull), value: values.map(f.formatValue),
    compact: values.map(f.formatCompact), term: values.map(f.formatTerm), value_full: values.map(f.formatValueFull),
    shape: shapes.map(f.formatShape),
  };
}"""


def for_js(x: float | int | str) -> float | int | str:
    """JSON has no NaN, infinities or -0: they cross to the page as tokens it turns back into numbers."""
    if isinstance(x, float) and math.isnan(x):
        return "__nan__"
    if isinstance(x, float) and math.isinf(x):
        return "__inf__" if x > 0 else "__-inf__"
    if x == 0 and math.copysign(1, x) < 0:
        return "__-0__"
    return x


@pytest.fixture(scope="module")
def from_js(chromium, server) -> dict[str, list[str]]:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(server + "/static/format.js")  # the page's origin, so that the module imports
    texts = page.evaluate(JS, [[for_js(x) for x in NUMBERS + SPECIAL], VALUES, SHAPES])
    context.close()
    return texts


@pytest.mark.parametrize("which", ["number", "full"])
def test_numbers_read_the_same_in_python_and_on_the_page(from_js, which):
    python = getattr(number_format, f"format_{which}")
    got = [(repr(x), python(x)) for x in NUMBERS + SPECIAL]
    want = list(zip([r for r, _ in got], from_js[which], strict=True))
    assert got == want


@pytest.mark.parametrize("which", ["value", "compact", "term", "value_full"])
def test_values_read_the_same_in_python_and_on_the_page(from_js, which):
    python = getattr(number_format, f"format_{which}")
    got = [python(v) for v in VALUES]
    assert got == from_js[which]


def test_shapes_read_the_same_in_python_and_on_the_page(from_js):
    assert [number_format.format_shape(s) for s in SHAPES] == from_js["shape"]


def test_the_cases_that_differ_from_pythons_own_formatting_are_among_them(from_js):
    """The reason for a module of its own: ties and exponents that format() writes otherwise."""
    texts = dict(zip(map(repr, NUMBERS), from_js["number"], strict=False))
    assert texts["1.0625"] == "1.063" and f"{1.0625:.4g}" == "1.062"
    assert texts["123456.0"] == "1.235e5" and f"{123456.0:.4g}" == "1.235e+05"
    assert texts["-0.0"] == "0"

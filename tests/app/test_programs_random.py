"""Random micrograd-style programs, generated as text, run through our API and with real micrograd, compared.

A program makes a few `Value`s, defines one or two functions over the scalar ops (+ - * / ** relu and
unary minus; the second function calls the first) and then updates an accumulator in a few statements:
a for loop with +=, -= or *=, `sum` over a generator with a start value, a list comprehension, a direct
call. Divisions are by `e**2 + c` with c > 0 and powers have whole exponents, so micrograd (plain Python
floats) and our evaluator compute the same operations; programs whose numbers leave [-1e100, 1e100] are
set aside.
"""

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.oracles import IMPORT_VALUE, Run, differences, run_through_api, run_with_micrograd

LEAF_DATA = st.integers(-24, 24).map(lambda k: k / 8)  # exact binary fractions, zero and the relu kink included
CONSTANTS = st.sampled_from(["0.5", "1.5", "2.0", "-1.0", "3", "0.25", "-0.75"])
AUGMENTED = st.sampled_from(["+=", "-=", "*="])
LARGEST = 1e100


@st.composite
def expressions(draw, names: tuple[str, ...], depth: int) -> tuple[str, bool]:
    """An expression over `names` (Values) and constants, and whether it holds a Value (so `.relu()` applies)."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.integers(0, 4)) == 0:
            return draw(CONSTANTS), False
        return draw(st.sampled_from(names)), True
    a, a_value = draw(expressions(names, depth - 1))
    form = draw(st.sampled_from(["+", "-", "*", "/", "**", "relu", "neg"]))
    if form == "relu" and a_value:
        return f"({a}).relu()", True
    if form == "neg":
        return f"(-{a})", a_value
    if form == "**":
        return f"({a}) ** {draw(st.sampled_from([2, 3]))}", a_value
    b, b_value = draw(expressions(names, depth - 1))
    if form == "/":
        return f"({a}) / (({b}) ** 2 + {draw(st.sampled_from(['0.5', '1', '2.5']))})", a_value or b_value
    op = form if form in "+-*" else "+"
    return f"({a} {op} {b})", a_value or b_value


def with_a_value(expression: tuple[str, bool]) -> str:
    """A function's body holds a Value, so its result takes `.relu()` and `.backward()` as micrograd's would."""
    text, holds_value = expression
    return text if holds_value else f"({text}) * a"


@st.composite
def programs(draw) -> str:
    n = draw(st.integers(2, 4))
    lines = [IMPORT_VALUE, "", f"xs = [{', '.join(f'Value({draw(LEAF_DATA)!r})' for _ in range(n))}]", ""]
    body = with_a_value(draw(expressions(("a", "b"), draw(st.integers(1, 3)))))
    lines += ["def f(a, b):", f"    return {body}", ""]
    each = "f(x, x)"
    if draw(st.booleans()):
        inner = with_a_value(draw(expressions(("a", "f(a, c * a)"), 2)))
        lines += [f"def g(a, c={draw(CONSTANTS)}):", f"    return {inner}", ""]
        each = "g(x)"
    lines.append(f"acc = {draw(st.sampled_from(['Value(0.5)', 'xs[0]', 'xs[-1] * 2']))}")
    for _ in range(draw(st.integers(1, 4))):
        lines += draw(st.sampled_from([
            ["for i in range(len(xs) - 1):", f"    acc {draw(AUGMENTED)} f(xs[i], xs[i + 1])"],
            ["acc = sum((f(x, y) for x, y in zip(xs, xs[1:])), acc)"],
            ["ys = [f(x, acc) for x in xs]", "acc += sum(ys)"],
            ["for k, x in enumerate(xs):", "    if k > 0:", "        acc = f(acc, x)"],
            ["acc = acc.relu() + xs[1]"],
            [f"acc = sum(({each} for x in xs), acc)"],
        ]))
    lines += ["acc.backward()", "print(acc.data, xs[0].grad)", "print(f'{len(xs)} values, root {acc.data}')"]
    return "\n".join(lines) + "\n"


def micrograd_run_in_range(source: str) -> Run | None:
    """micrograd's run, or None when it overflows (Python floats raise on `**` past 1e308) or its numbers
    leave the range where both implementations still compute the same operations to 1e-12."""
    try:
        run = run_with_micrograd(source)
    except OverflowError:
        return None
    numbers = [run.root] + [x for leaf in run.leaves for x in leaf]
    return run if all(math.isfinite(x) and abs(x) < LARGEST for x in numbers) else None


@settings(max_examples=150, deadline=None)
@given(source=programs())
def test_random_program_matches_micrograd(client, source):
    theirs = micrograd_run_in_range(source)
    assume(theirs is not None)
    ours, _ = run_through_api(client, source)
    assert differences(ours, theirs) == [], source

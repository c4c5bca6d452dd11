"""A program parsed from a cached tree of its shape (app/language/templates.py) must get what parsing it
afresh gives: the same tree, places and all, the same lines and outline, or the same error."""

import ast
import re
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.examples import EXAMPLES
from app.graph import record_json
from app.language import ExpressionError, syntax, templates
from tests.hostile_inputs import HOSTILE_INPUTS
from tests.micrograd_programs import MLP_FUNCTIONS, MLP_LOOPS, NEURON_LOOP, TEST_MORE_OPS

EDGE_CASES = [
    "x = 10\ny = x * 2.50 + 1e-3 * x ** 2\nz = 1.e5 + 007.5 + 0",  # leading zeros: a float may have them
    "x1 = 1\nx2 = [x1 * 2, 3]  # 45 in a comment\nprint('7 in a string', f'{x1:10}', f'{x1 + 1}')",
    "a = 1_000 + 0x1F + 0o17 + 0b11\nb = a * 3\nc = b if 1 else 2",
    "a = 2\nb = (a\n     * 3)\nc = a + b",
    "a = 0\nb = 1 + a\n",
]
SHIFTED = str.maketrans("0123456789", "3456789012")
PROGRAMS = ([e.source for e in EXAMPLES] + [MLP_FUNCTIONS, MLP_LOOPS, NEURON_LOOP, TEST_MORE_OPS] + EDGE_CASES
            + [source for source, _, _ in HOSTILE_INPUTS if len(source) < 2_000])


Parse = Callable[[str], tuple[ast.Module, list[str], syntax.Outline]]
# (the tree dumped, the lines, the outline), or the error's (kind, message, line, col)
Outcome = tuple[str, list[str], syntax.Outline] | tuple[str, str, int | None, int | None]


def parsed(parse: Parse, source: str) -> Outcome:
    """What `parse` gives, comparable: the tree dumped with its places, the lines and outline; or the error."""
    try:
        tree, lines, outline = parse(source)
    except ExpressionError as e:
        return e.kind, e.message, e.line, e.col
    return ast.dump(tree, include_attributes=True), lines, outline


def fresh(source: str) -> Outcome:
    return parsed(syntax.parse, source)


def reused(source: str) -> Outcome:
    return parsed(templates.parse, source)


def redigit(source: str, digits: list[int]) -> str:
    """Every digit of the text replaced, in order, by the next of `digits` (cycling): numbers, and digits in
    names, strings and comments, so a program of the same key (every digit 0) that is not a renumbering is met."""
    if not digits:
        return source
    count = iter(range(len(source)))
    return re.sub(r"[0-9]", lambda m: str(digits[next(count) % len(digits)]), source)


@pytest.mark.parametrize("source", PROGRAMS, ids=range(len(PROGRAMS)))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(digits=st.lists(st.integers(0, 9), max_size=12), cached_first=st.booleans())
def test_a_renumbered_program_parses_as_it_does_afresh(source: str, digits: list[int], cached_first: bool) -> None:
    if cached_first and isinstance(fresh(source)[1], list):  # it parses: its tree is cached
        templates.parse(source)
    other = redigit(source, digits)
    assert reused(other) == fresh(other)
    assert reused(source) == fresh(source)  # the template's tree is written back


def test_a_program_of_the_same_shape_reuses_the_tree() -> None:
    first, _, _ = templates.parse("a = 2.5\nb = a * 3\n")
    second, lines, _ = templates.parse("a = 7.0\nb = a * 9\n")
    assert second is first
    assert ast.dump(second, include_attributes=True) == ast.dump(syntax.parse("a = 7.0\nb = a * 9\n")[0],
                                                                  include_attributes=True)
    assert lines == ["a = 7.0", "b = a * 9", ""]


@pytest.mark.parametrize("source", [MLP_FUNCTIONS, MLP_LOOPS, NEURON_LOOP, TEST_MORE_OPS])
def test_a_record_from_a_reused_tree_is_the_record_made_afresh(source: str) -> None:
    other = re.sub(r"(?<=[0-9]\.)[0-9]+", lambda m: m.group().translate(SHIFTED), source)  # other fractions
    assert other != source
    record_json(source)
    reused_record = record_json(other)
    templates.kept.templates.clear()
    assert reused_record == record_json(other)

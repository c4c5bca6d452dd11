"""The evaluator's shortcuts (two values of the graph combined by an operator; an elementwise op of 0-d values,
whose output shape needs no rule; an op without parameters made by the engine's binary or unary rather than
apply) give what the general path gives: the same record, byte for byte, or the same error at the same place."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.examples import EXAMPLES
from app.graph import record_json
from app.language import ExpressionError, evaluator
from engine import apply
from tests.hostile_inputs import HOSTILE_INPUTS
from tests.micrograd_programs import MLP_FUNCTIONS, MLP_LOOPS, NEURON_LOOP, TEST_MORE_OPS


class NoShortcut(dict):
    """BINARY_OPERATORS as the general path reads it (`in`, `[]`), with nothing for the shortcut's `get`."""

    def get(self, key, default=None):
        return default


def answer(source: str) -> bytes | tuple:
    try:
        return record_json(source)
    except ExpressionError as e:
        return e.kind, e.message, e.line, e.col, e.end_col


def general_answer(source: str) -> bytes | tuple:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(evaluator, "ELEMENTWISE", frozenset())
        patch.setattr(evaluator, "BINARY_OPERATORS", NoShortcut(evaluator.BINARY_OPERATORS))
        patch.setattr(evaluator, "binary", apply)  # the engine's op call spelled out for two inputs, and for one
        patch.setattr(evaluator, "unary", apply)
        return answer(source)


CORPUS = ([e.source for e in EXAMPLES] + [MLP_FUNCTIONS, MLP_LOOPS, NEURON_LOOP, TEST_MORE_OPS]
          + [source for source, _, _ in HOSTILE_INPUTS])


@pytest.mark.parametrize("source", CORPUS, ids=range(len(CORPUS)))
def test_the_corpus_is_answered_as_by_the_general_path(source: str) -> None:
    assert answer(source) == general_answer(source)


OPERANDS = st.sampled_from(["a", "b", "v", "m", "2.0", "-0.5", "0", "[1.0, -2.0]", "const(3.0)", "c"])
OPERATORS = st.sampled_from(["+", "-", "*", "/", "**", "//", "%", "@"])
CALLS = st.sampled_from(["relu", "tanh", "exp", "log", "sqrt", "sigmoid", "abs", "sum", "-"])


@st.composite
def expressions(draw, depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(OPERANDS)
    if draw(st.booleans()):
        call = draw(CALLS)
        inner = draw(expressions(depth - 1))
        return f"(-{inner})" if call == "-" else f"{call}({inner})"
    return f"({draw(expressions(depth - 1))} {draw(OPERATORS)} {draw(expressions(depth - 1))})"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(expressions(), min_size=1, max_size=4))
def test_random_programs_are_answered_as_by_the_general_path(lines: list[str]) -> None:
    """Scalars, vectors and a matrix, so shortcuts and rules meet: broadcasting, shape and domain errors,
    `**` by a value, `//` of values."""
    source = "a = 1.5\nb = -2.0\nv = [0.5, 2.0]\nm = [[1.0, 2.0], [3.0, 4.0]]\nc = a * b\n" + "".join(
        f"y{i} = {line}\n" for i, line in enumerate(lines))
    assert answer(source) == general_answer(source)


def test_past_the_node_limit_the_shortcut_says_what_the_general_path_says() -> None:
    source = "x = 1.0\nfor i in range(6000):\n    x = x * x\n"
    assert answer(source) == general_answer(source)
    assert answer(source)[0] == "limit"

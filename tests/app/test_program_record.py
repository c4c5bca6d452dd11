"""A program's own backward call stands in for the record's run (Program.record) only where that run would
record the same: the answer is the general path's (every record run again from the snapshot), byte for byte,
for random programs that call backward once or more, change .grad and .data, clip, and show other roots."""

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import graph
from app.examples import EXAMPLES
from app.graph import GraphOptions, record_json
from app.language import ExpressionError, Program, parse_program
from tests.micrograd_programs import MLP_FUNCTIONS, MLP_LOOPS, NEURON_LOOP, TEST_MORE_OPS, mlp_program

OPTIONS = [GraphOptions(), GraphOptions(mode="no_zero_grad"), GraphOptions(mode="alias", gradcheck=True),
           GraphOptions(call=1), GraphOptions(mode="no_zero_grad", call=2)]


def answer(source: str, options: GraphOptions) -> bytes | tuple:
    try:
        return record_json(source, None, options)
    except ExpressionError as e:
        return e.kind, e.message, e.line, e.col, e.end_col


def general_answer(source: str, options: GraphOptions) -> bytes | tuple:
    def without_record(source: str, root: str | None, mode: str, call: int | None) -> Program:
        return dataclasses.replace(parse_program(source, root, mode, call), record=None)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph, "parse_program", without_record)
        return answer(source, options)


CORPUS = ([e.source for e in EXAMPLES] + [MLP_FUNCTIONS, MLP_LOOPS, NEURON_LOOP, TEST_MORE_OPS]
          + [mlp_program(2, [4, 4, 1], [[2.0, 3.0]], [1.0], seed=k) for k in range(2)])


@pytest.mark.parametrize("options", OPTIONS, ids=range(len(OPTIONS)))
@pytest.mark.parametrize("source", CORPUS, ids=range(len(CORPUS)))
def test_the_corpus_is_answered_as_by_the_general_path(source: str, options: GraphOptions) -> None:
    assert answer(source, options) == general_answer(source, options)


def test_the_program_record_is_kept_for_one_call_and_no_changes_only() -> None:
    assert parse_program(mlp_program(2, [4, 4, 1], [[2.0, 3.0]], [1.0], seed=0)).record is not None
    one_call = "a = Value(2.0)\nb = Value(3.0)\nL = a * b + a\nL.backward()\n"
    assert parse_program(one_call + "print(a.grad)\n").record is not None
    for after in ("L.backward()\n", "a.grad = 0\n", "a.data -= 0.1 * a.grad\n", "clip_grad_value([a], 0.5)\n",
                  "M = L * a\nM.backward()\n", "M = L * a\ndraw_dot(M)\n"):
        assert parse_program(one_call + after).record is None, after


LINES = st.sampled_from([
    "L.backward()\n", "M = L * a + b\n", "M.backward()\n", "draw_dot(L)\n", "a.data -= 0.1 * a.grad\n",
    "a.grad = 0\n", "b.grad = 1.5\n", "c.data = -1.0\n", "print(a.grad, b.grad)\n", "n = clip_grad_norm([a, b], 1.0)\n",
    "clip_grad_value([a, c], 0.5)\n", "L = (a * b + c) ** 2\n", "L = (a * b + c).tanh() ** 3 + a.exp()\n",
    "print(L.data)\n",  # reading a value makes it an array (Tensor.data): a rerun's rules see arrays, not floats
    "for p in [a, b, c]:\n    p.grad = 0\n",
    "for i in range(2):\n    L = (a * b + c).relu() * a\n    L.backward()\n    a.data -= 0.1 * a.grad\n",
    "for i in range(2):\n    L = a * b - c\n    L.backward()\n",
])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=5), st.sampled_from(OPTIONS))
def test_random_programs_are_answered_as_by_the_general_path(lines: list[str], options: GraphOptions) -> None:
    source = "a = Value(2.0)\nb = Value(-3.0)\nc = Value(0.5)\nL = a * b + c\n" + "".join(lines)
    assert answer(source, options) == general_answer(source, options)

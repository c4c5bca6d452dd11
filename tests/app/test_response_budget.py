"""Every answer is costed before it is written: small programs asking for huge answers get less detail
(said in `reduced`) or a 422, never tens of megabytes."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.graph import graph_order, run_backward
from app.language import parse_program
from app.limits import MAX_RESPONSE_BYTES
from app.response_budget import (
    BYTES_PER_NUMBER,
    FULL_DETAIL,
    OBJECT_BYTES,
    SMALL_INLINE,
    Detail,
    estimate,
    numbers,
    numbers_of,
)
from engine.paths import top_paths
from tests.micrograd_programs import mlp_program

HUGE_ANSWERS = {
    "negated 240 times": "x = randn(64, 64)\n" + "x = -x\n" * 240,
    "tanh 240 times": "x = randn(64, 64)\n" + "x = tanh(x)\n" * 240,
    "many paths": "\n".join(f"a{i} = {i % 7 - 3}" for i in range(60)) + "\ny = a0\n"
                  + "".join(f"y = y * a{i % 60} + y\n" for i in range(300)),
    "wide sums": "x = randn(60, 60)\n" + "".join(f"y{i} = x * {i}\nx = x + y{i}\n" for i in range(100))
                 + "L = sum(x)",
}


@pytest.mark.parametrize("name", HUGE_ANSWERS)
def test_huge_answers_are_reduced_or_refused(client, name):
    response = client.post("/api/graph", json={"source": HUGE_ANSWERS[name]})
    assert len(response.content) <= MAX_RESPONSE_BYTES
    if response.status_code == 200:
        assert response.json()["reduced"], "a reduced answer says what was left out"
    else:
        error = response.json()["error"]
        assert response.status_code == 422 and error["kind"] == "limit" and "MB" in error["message"]


def test_ordinary_answers_are_whole(client):
    graph = client.post("/api/graph", json={"source": "a = randn(8, 8)\nL = sum(tanh(a @ a))"}).json()
    assert graph["reduced"] == [] and all(not isinstance(n["value"], dict) for n in graph["nodes"])


def test_reduced_paths_keep_their_exact_count(client):
    graph = client.post("/api/graph", json={"source": HUGE_ANSWERS["many paths"]}).json()
    assert any("path" in r for r in graph["reduced"])
    for leaf in graph["paths"].values():
        assert int(leaf["count"]) == len(leaf["shown"]) + int(leaf["left_out"])


def reference_estimate(nodes, record, paths, detail, compare: bool) -> int:
    """estimate() written one array at a time, with numbers() for each: what its sums in C must equal."""
    inline, node_inline = detail.event_inline, detail.node_inline
    total = sum(OBJECT_BYTES["node"] + BYTES_PER_NUMBER * (
        numbers(t.data, node_inline) + numbers(t.grad, node_inline) * (2 if compare else 1)) for t in nodes)
    total += OBJECT_BYTES["edge"] * sum(len(t.inputs) for t in nodes) + OBJECT_BYTES["step"] * len(record.steps)
    total += BYTES_PER_NUMBER * sum(numbers(step.grad, inline) for step in record.steps)
    events = [ev for step in record.steps for ev in step.events]
    total += sum(OBJECT_BYTES["event"] + BYTES_PER_NUMBER * (
        2 * numbers(ev.contribution, inline) + numbers(ev.contribution_raw, inline)
        + numbers(ev.grad_before, inline) + numbers(ev.grad_after, inline)) for ev in events)
    if record.mode == "alias":
        total += sum(2 * BYTES_PER_NUMBER * numbers(ev.grad_after, inline) for ev in events if ev.accumulated)
    return total + sum(OBJECT_BYTES["path"] + OBJECT_BYTES["path_node"] * (path.length + 1)
                       + BYTES_PER_NUMBER * (path.length + numbers(path.value))
                       for p in paths.values() for path in p.paths[:detail.max_paths])


@pytest.mark.parametrize("mode", ["correct", "alias", "no_unbroadcast"])
@pytest.mark.parametrize("source", [*HUGE_ANSWERS.values(), mlp_program(2, [4, 4, 1], [[2.0, 3.0]], [1.0], seed=1),
                                    "a = randn(3, 4)\nb = randn(4)\nL = sum(tanh(a * b) @ b)\nz = Value(2.0)"])
def test_the_estimate_sums_what_each_array_gives(source: str, mode: str) -> None:
    program = parse_program(source)
    nodes = graph_order(program)
    with np.errstate(all="ignore"):  # as graph_and_sources runs them: the huge answers overflow
        record = run_backward(program, nodes, mode)
        paths = top_paths(program.root, record.seed, k=64)
    details = [FULL_DETAIL, Detail(SMALL_INLINE, 8), Detail(SMALL_INLINE, 0, SMALL_INLINE)]
    for detail, compare in itertools.product(details, (False, True)):
        assert estimate(nodes, record, paths, detail, compare) == reference_estimate(nodes, record, paths, detail,
                                                                                     compare)


@given(st.lists(st.one_of(st.none(), st.integers(0, 40)), max_size=12), st.integers(0, 30))
def test_numbers_of_is_the_sum_of_numbers(sizes: list[int | None], inline: int) -> None:
    arrays = [None if n is None else np.zeros(n) if n != 1 else np.float64(0.0) for n in sizes]
    assert numbers_of(arrays, inline) == sum(numbers(a, inline) for a in arrays)

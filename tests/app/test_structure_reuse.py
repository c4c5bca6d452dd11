"""A request whose structure was seen before (only its numbers changed) reuses what depends only on the
structure (the layout, and the views built only when needed) and must answer the same bytes as a fresh
request: the server answered with everything computed anew, its caches empty."""

import asyncio
import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import service
from app.encode import encode_array
from app.layout import layout_structure, placed_texts
from app.response_cache import ResponseCache
from app.sandbox import Sandbox
from app.schemas import GraphRequest
from app.view import sum_contributions
from tests.micrograd_programs import mlp_program

# Each program is formatted with three numbers; `{n[1]}` appears twice where a number feeds two nodes.
PROGRAMS = {
    "diamond": "a = {n[0]}\nb = {n[1]}\nc = {n[2]}\nL = (a*b + c) * (a - c)",
    "shared": "x = {n[0]}\ny = x * x + x * {n[1]}\nz = tanh(y) * {n[2]} + relu(y - {n[1]})",
    "functions": "def f(u, v):\n    return tanh(u * v + {n[2]})\n\na = {n[0]}\nb = {n[1]}\nL = f(a, b) * f(b, a)",
}
NUMBER = st.floats(min_value=-4, max_value=4, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 3))


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=2) as pool:
        yield pool


@contextmanager
def empty_caches() -> Iterator[None]:
    """No answer and no layout remembered: every request inside is evaluated, viewed and laid out."""
    kept = service.responses
    service.responses = ResponseCache()
    layout_structure.cache_clear()
    placed_texts.clear()
    try:
        yield
    finally:
        service.responses = kept


def reused_and_fresh(sandbox: Sandbox, seen: GraphRequest, request: GraphRequest) -> tuple[bytes, bytes]:
    """`request` answered just after `seen` (same structure, other numbers), and answered alone."""
    with empty_caches():
        asyncio.run(service.graph_json(sandbox, seen))
        written = dict(placed_texts)
        assert len(written) == 1  # the first request wrote its layout's JSON
        reused = asyncio.run(service.graph_json(sandbox, request))
        assert layout_structure.cache_info().hits == 1  # the layout was the structure's, not laid out again
        assert placed_texts == written  # and its JSON was the one written for the first request
    with empty_caches():
        return reused, asyncio.run(service.graph_json(sandbox, request))


@pytest.mark.parametrize("name", PROGRAMS)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(numbers=st.lists(NUMBER, min_size=3, max_size=3))
def test_new_numbers_in_a_known_structure_answer_the_bytes_of_a_fresh_request(sandbox, name, numbers):
    template = PROGRAMS[name]
    seen = GraphRequest(source=template.format(n=[7.5, -6.5, 9.0]))  # outside NUMBER: never the same request
    reused, fresh = reused_and_fresh(sandbox, seen, GraphRequest(source=template.format(n=numbers)))
    assert reused == fresh


def test_a_grouped_mlp_with_new_weights_answers_the_bytes_of_a_fresh_request(sandbox):
    """Open calls drawn as frames, a summed bundle per closed call: the view's sums and the layout's frames."""
    def request(seed: int) -> GraphRequest:
        return GraphRequest(source=mlp_program(2, [3, 1], [[2.0, -1.0]], [1.0], seed=seed))

    reused, fresh = reused_and_fresh(sandbox, request(1), request(2))
    assert reused == fresh
    assert b'"clusters":{"g' in reused  # frames were laid out: the view has open groups


@given(st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([0.0, -0.0, 5e-324, -1e308]))
def test_one_scalar_contribution_sums_to_what_numpy_sums_it_to(x):
    summed, by_numpy = sum_contributions([x, None]), encode_array(np.asarray([x]).sum())
    assert summed == by_numpy and math.copysign(1, summed) == math.copysign(1, by_numpy)

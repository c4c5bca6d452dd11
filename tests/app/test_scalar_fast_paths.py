"""The graph record's shortcuts for 0-d values give what the general NumPy path gives, number for number:
a record written with them must be byte-identical to one written without."""

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.encode import encode_array, encode_scalar, to_json
from app.graph import GraphOptions, graph_and_sources
from app.language.training import squares, total
from engine import Tensor
from engine.backward import reverse_topological_order
from engine.diagnostics import all_finite, frobenius_norm
from engine.paths import array_top_paths, float_top_paths
from tests.micrograd_programs import mlp_program

# every kind of float: huge ones whose square overflows, tiny ones whose square underflows, NaN, +-inf, -0.0
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


@given(ANY_FLOAT)
@example(-0.0)
def test_a_scalars_finiteness_is_numpys(x: float) -> None:
    for value in (np.array(x), np.float64(x)):
        assert all_finite(value) is bool(np.isfinite(value).all())


@given(ANY_FLOAT)
@example(-0.0)
@example(1e200)  # squares to inf: the norm is inf, not 1e200
def test_a_scalars_norm_is_numpys_bit_for_bit(x: float) -> None:
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        expected = float(np.sqrt(np.sum(np.array(x) ** 2)))
    for value in (np.array(x), np.float64(x)):
        norm = frobenius_norm(value)
        assert type(norm) is float
        assert (math.isnan(norm) and math.isnan(expected)) or norm.hex() == expected.hex()


@st.composite
def scalar_graphs(draw) -> Tensor:
    """A random graph of 0-d nodes whose numbers reach the edges of float64: factors of 0, huge and tiny
    ones (products overflow to inf, 0 * inf gives NaN magnitudes), and ties (the same leaf used twice)."""
    numbers = st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 1e200, -1e-200, math.inf])
    nodes = [Tensor(draw(numbers), requires_grad=True, label=f"x{i}") for i in range(draw(st.integers(1, 4)))]
    for _ in range(draw(st.integers(1, 14))):
        a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        kind = draw(st.sampled_from(["mul", "add", "sub", "relu", "tanh", "neg", "scale"]))
        nodes.append(a * b if kind == "mul" else a + b if kind == "add" else a - b if kind == "sub"
                     else a.relu() if kind == "relu" else a.tanh() if kind == "tanh" else -a if kind == "neg"
                     else a * draw(numbers))
    return nodes[-1]


@settings(max_examples=300, deadline=None)
@given(scalar_graphs(), st.integers(0, 5), st.sampled_from([1.0, -2.5, 1e300]))
def test_top_paths_on_floats_are_those_on_arrays(root: Tensor, k: int, seed: float) -> None:
    if not root.requires_grad:
        return
    order = [n for n in reverse_topological_order(root) if n.requires_grad]
    with np.errstate(all="ignore"):
        on_floats = float_top_paths(seed, order, k)
        on_arrays = array_top_paths(np.array(seed), order, k)
    assert list(on_floats) == list(on_arrays)
    for leaf, listed in on_floats.items():
        general = on_arrays[leaf]
        assert (listed.total, listed.left_out, listed.exact) == (general.total, general.left_out, general.exact)
        assert len(listed.paths) == len(general.paths)
        for path, same in zip(listed.paths, general.paths, strict=True):
            assert type(path.value) is type(same.value) and same_bits(path.value, same.value)
            assert same_bits(path.magnitude, same.magnitude) and path.length == same.length
            assert path.nodes == same.nodes and path.edges == same.edges
            assert path.factors is not None and same.factors is not None
            assert all(same_bits(f, g) for f, g in zip(path.factors, same.factors, strict=True))


def same_bits(a: float, b: float) -> bool:
    """Equal as the JSON writer sees them: the same float (-0.0 apart from 0.0), or both NaN."""
    return (math.isnan(a) and math.isnan(b)) or float(a).hex() == float(b).hex()


@given(ANY_FLOAT)
@example(-0.0)
def test_a_scalars_history_numbers_are_numpys_bit_for_bit(x: float) -> None:
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        expected_total, expected_squares = float(np.sum(np.array(x))), float(np.sum(np.square(np.array(x))))
    for value in (np.array(x), np.float64(x)):
        assert same_bits(total(value), expected_total)  # -0.0 sums to 0.0
        assert same_bits(squares(value), expected_squares)


PATH_PROGRAMS = [
    mlp_program(2, [4, 4, 1], [[2.0, 3.0]], [1.0], seed=1),
    "a = Value(1e200)\nb = Value(-1e200)\nc = a * b\nd = c * a + b * 0.0\nL = d * d - a",  # inf, nan, -0.0
    "x = Value(0.5)\ny = x * x\nfor i in range(6):\n    y = y * x + y\nL = y",
    "W = randn(3, 4)\nx = randn(4)\nc = Value(2.0)\nL = sum(tanh(W @ x) * c) * c",  # a path on tensors: no factors
]


@pytest.mark.parametrize("max_paths", [64, 2])
@pytest.mark.parametrize("source", PATH_PROGRAMS)
def test_paths_are_written_as_their_nodes_and_factors_one_by_one(source: str, max_paths: int) -> None:
    """The writer names each edge of the search once and looks paths up by their edge numbers: the same
    JSON as each path's nodes and factors read back and encoded one by one."""
    graph, (writer, paths, _) = graph_and_sources(source, None, GraphOptions(max_paths=max_paths))
    for leaf, listed in paths.items():
        written = graph["paths"][writer.ids[leaf]]["shown"]
        expected = [{"nodes": [writer.ids[n] for n in path.nodes],
                     "factors": None if path.factors is None else [encode_scalar(f) for f in path.factors],
                     "value": encode_array(path.value)} for path in listed.paths[:max_paths]]
        assert to_json(written) == to_json(expected)

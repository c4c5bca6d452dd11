"""The gradient as a sum over paths: exact counts, the largest paths, and their values summing to .grad."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Tensor
from engine.paths import count_paths, top_paths


def doublings(n):
    x = Tensor(1.0, requires_grad=True, label="x")
    y = x
    for _ in range(n):
        y = y + y
    return x, y


def all_paths(root, leaf):
    """Brute force, for small graphs only: every path leaf -> root as (args, product of factors)."""
    found = []

    def walk(node, args, factor):
        if node is leaf:
            found.append((tuple(reversed(args)), factor))
        for arg, t in enumerate(node.inputs):
            if t.requires_grad:
                local = node.op.vjp(np.ones(()), node.data, *[i.data for i in node.inputs], **node.params)[arg]
                walk(t, args + [arg], factor * float(local))

    walk(root, [], 1.0)
    return found


def random_scalar_graph(n_nodes, seed):
    rng = np.random.default_rng(seed)
    nodes = [Tensor(rng.uniform(0.5, 1.5), requires_grad=True, label=f"x{i}") for i in range(8)]
    while len(nodes) < n_nodes:
        i, j = rng.integers(max(0, len(nodes) - 30), len(nodes), 2)  # recent nodes: most stay reachable
        kind = rng.integers(0, 3)
        nodes.append(nodes[i] * nodes[j] if kind == 0 else nodes[i] + nodes[j] if kind == 1
                     else (0.5 * nodes[i]).tanh())
    root = nodes[-1]
    for n in nodes[-20:-1]:
        root = root + n
    return nodes[:8], root


def test_sixty_doublings_have_two_to_the_sixty_paths_counted_not_enumerated():
    # enumerating 2^60 paths would never finish: that this test ends is the check
    x, y = doublings(60)
    counts = count_paths(y)
    listed = top_paths(y)
    assert counts[x] == 2**60 and type(counts[x]) is int
    assert counts[y] == 1
    (paths,) = listed.values()
    assert paths.total == 2**60 and len(paths.paths) == 64 and paths.left_out == 2**60 - 64
    assert all(p.factors == (1.0,) * 60 and float(p.value) == 1.0 for p in paths.paths)


def test_x_times_x_has_two_paths():
    x = Tensor(3.0, requires_grad=True)
    y = x * x
    (listed,) = top_paths(y).values()
    assert count_paths(y)[x] == 2
    assert [p.args for p in listed.paths] == [(0,), (1,)]
    assert [p.factors for p in listed.paths] == [(3.0,), (3.0,)]
    assert [p.nodes for p in listed.paths] == [(x, y), (x, y)]
    assert [(e.source, e.target, e.arg) for p in listed.paths for e in p.edges] == [(y, x, 0), (y, x, 1)]


def test_diamond_paths_are_the_chain_rule_spelled_out():
    a, b, c = (Tensor(v, requires_grad=True, label=n) for v, n in ((2.0, "a"), (3.0, "b"), (4.0, "c")))
    loss = (a * b + c) * (a - c)
    loss.backward()
    listed = top_paths(loss)
    assert list(listed) == [a, b, c]
    # a: via a*b (b=3, then +1, then times (a-c)=-2) = -6, and via a-c (1, then times ab+c=10) = 10
    assert sorted(float(p.value) for p in listed[a].paths) == [-6.0, 10.0]
    assert [float(p.value) for p in listed[a].paths] == [10.0, -6.0]  # largest magnitude first
    for leaf, paths in listed.items():
        assert paths.exact and paths.left_out == 0
        assert sum(float(p.value) for p in paths.paths) == float(leaf.grad)
        for p in paths.paths:
            assert np.prod(p.factors) == pytest.approx(float(p.value))
            assert p.nodes[0] is leaf and p.nodes[-1] is loss and len(p.edges) == len(p.nodes) - 1


@pytest.mark.parametrize("tensors", [False, True])
def test_a_path_is_its_edge_numbers_into_the_search_edges(tensors):
    """What a writer of many paths reads them by: nodes, edges and factors are the search's edge lists
    looked up at the path's edge numbers, one search shared by every listed path."""
    if tensors:
        a = Tensor(np.array([1.0, -2.0]), requires_grad=True, label="a")
        c = Tensor(3.0, requires_grad=True, label="c")
        root = ((a * c).tanh() * c).sum() * c
    else:
        _, root = random_scalar_graph(30, 0)
    listed = top_paths(root, k=4)
    searches = {id(p.search_edges) for paths in listed.values() for p in paths.paths}
    assert len(searches) == 1
    for leaf, paths in listed.items():
        for p in paths.paths:
            edges, numbers = p.search_edges, p.edge_numbers
            assert len(numbers) == p.length and p.nodes == (leaf, *[edges.sources[e] for e in numbers])
            assert [(e.source, e.target, e.arg) for e in p.edges] == [
                (edges.sources[n], edges.targets[n], edges.args[n]) for n in numbers]
            local = [edges.factors[n] for n in numbers]
            assert p.factors == (None if None in local else tuple(local))
    if tensors:
        assert any(p.factors is None for paths in listed.values() for p in paths.paths)


@pytest.mark.parametrize("seed", range(3))
def test_scalar_top_k_is_exact(seed):
    leaves, root = random_scalar_graph(40, seed)
    for leaf, listed in top_paths(root, k=5).items():
        every = all_paths(root, leaf)
        assert listed.total == len(every) == count_paths(root)[leaf]
        assert listed.left_out == max(len(every) - 5, 0)
        best = sorted((abs(v) for _, v in every), reverse=True)[:5]
        np.testing.assert_allclose([p.magnitude for p in listed.paths], best, rtol=1e-12)
        assert all(p.args in {args for args, _ in every} for p in listed.paths)


@pytest.mark.parametrize("seed", range(3))
def test_scalar_paths_sum_to_the_gradient(seed):
    leaves, root = random_scalar_graph(30, seed)
    root.backward()
    counts = count_paths(root)
    k = max(counts.get(leaf, 0) for leaf in leaves)
    for leaf, listed in top_paths(root, k=k).items():
        assert listed.left_out == 0
        assert sum(float(p.value) for p in listed.paths) == pytest.approx(float(leaf.grad), rel=1e-12)


def test_tensor_paths_sum_to_the_gradient_with_broadcasting():
    rng = np.random.default_rng(0)
    a = Tensor(rng.normal(size=3), requires_grad=True, label="a")
    w = Tensor(rng.normal(size=(4, 3)), requires_grad=True, label="w")
    h = (a * w + a).tanh() * w + a
    root = h.sum(axis=1)
    seed = rng.normal(size=4)
    root.backward(seed)
    listed = top_paths(root, seed=seed)
    assert listed[a].total == 3 and listed[w].total == 2  # a: a*w, +a, and the last +a; w: a*w, *w
    for leaf, paths in listed.items():
        assert not paths.exact and paths.left_out == 0
        assert all(p.factors is None and p.value.shape == leaf.shape for p in paths.paths)
        magnitudes = [p.magnitude for p in paths.paths]
        assert magnitudes == sorted(magnitudes, reverse=True)
        np.testing.assert_allclose(magnitudes, [np.linalg.norm(p.value) for p in paths.paths])
        np.testing.assert_allclose(sum(p.value for p in paths.paths), leaf.grad, rtol=1e-12)


def test_truncation_reports_what_was_left_out():
    x, y = doublings(5)
    y = y * y
    (listed,) = top_paths(y, k=7).values()
    assert listed.total == 2 * 2**5 == count_paths(y)[x]
    assert (len(listed.paths), listed.left_out) == (7, 57)


def test_counts_skip_constants_and_leaves_not_requiring_grad():
    x = Tensor(2.0, requires_grad=True)
    c = Tensor(5.0)
    y = (x * c + c) * x
    counts = count_paths(y)
    assert c not in counts
    assert counts[x] == 2
    assert list(top_paths(y)) == [x]
    assert top_paths(c * c) == {}


def test_five_thousand_node_graph_lists_its_top_paths():
    leaves, root = random_scalar_graph(5000, seed=7)
    listed = top_paths(root, k=64)
    assert set(listed) <= set(leaves) and listed
    assert all(len(p.paths) == min(64, p.total) for p in listed.values())


def test_seed_must_match_the_root():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="seed"):
        top_paths(x * 2.0, seed=np.ones(2))


def test_k_zero_counts_paths_and_lists_none():
    x, y = doublings(8)
    (listed,) = top_paths(y, k=0).values()
    assert (listed.paths, listed.total, listed.left_out) == ([], 2**8, 2**8)
    with pytest.raises(ValueError, match="k"):
        top_paths(y, k=-1)


def test_two_to_the_three_hundred_paths_over_three_hundred_leaves():
    # the hostile program of issue 10: a few lines, many leaves, 2**300 paths, 64 listed per leaf
    y = x = Tensor(1.0, requires_grad=True, label="x")
    ws = []
    for i in range(300):
        ws.append(Tensor(1.0 + 0.001 * i, requires_grad=True))
        y = (y + y) * ws[-1]
    listed = top_paths(y, k=64)
    assert listed[x].total == 2**300 and listed[ws[0]].total == 2**299 and listed[ws[-1]].total == 1
    assert all(len(p.paths) == min(64, p.total) for p in listed.values())
    first = listed[x].paths[0]
    assert first.length == len(first.edges) == 600 and first.nodes[0] is x and first.nodes[-1] is y
    assert first.magnitude == pytest.approx(2**0 * np.prod([w.data for w in ws]))


@st.composite
def scalar_programs(draw):
    """Small scalar DAGs with fan-out, x*x double edges, relu (zero factors) and ties (repeated values)."""
    n_leaves = draw(st.integers(1, 4))
    values = st.sampled_from([0.5, 1.0, -1.0, 2.0, -0.25, 0.0, 3.0])
    nodes = [Tensor(draw(values), requires_grad=True, label=f"x{i}") for i in range(n_leaves)]
    nodes.append(Tensor(draw(values)))  # a constant: takes no path
    for _ in range(draw(st.integers(1, 12))):
        a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        kind = draw(st.sampled_from(["mul", "add", "sub", "relu", "tanh", "neg"]))
        nodes.append(a * b if kind == "mul" else a + b if kind == "add" else a - b if kind == "sub"
                     else a.relu() if kind == "relu" else a.tanh() if kind == "tanh" else -a)
    root = nodes[-1]
    for n in nodes[-4:-1]:
        root = root * 0.5 + n
    return root


@settings(max_examples=150, deadline=None)
@given(scalar_programs(), st.integers(0, 6))
def test_scalar_listing_is_exact_on_random_programs(root, k):
    if not root.requires_grad:
        assert top_paths(root, k=k) == {}
        return
    counts = count_paths(root)
    for leaf, listed in top_paths(root, k=k).items():
        every = all_paths(root, leaf)
        assert listed.exact and listed.total == len(every) == counts[leaf]
        assert len(listed.paths) == min(k, len(every)) and listed.left_out == len(every) - len(listed.paths)
        best = sorted((abs(v) for _, v in every), reverse=True)[:k]
        np.testing.assert_allclose([p.magnitude for p in listed.paths], best, rtol=1e-12)
        by_args = dict(every)
        for p in listed.paths:
            assert p.length == len(p.edges) == len(p.nodes) - 1 == len(p.factors)
            assert p.nodes[0] is leaf and p.nodes[-1] is root
            assert all(e.target is a and e.source is b and e.source.inputs[e.arg] is e.target
                       for e, a, b in zip(p.edges, p.nodes, p.nodes[1:], strict=False))
            assert float(p.value) == pytest.approx(by_args[p.args], rel=1e-12, abs=1e-300)
            assert float(p.value) == pytest.approx(float(np.prod(p.factors)), rel=1e-12, abs=1e-300)

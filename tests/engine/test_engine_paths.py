"""The gradient as a sum over paths: exact counts, the largest paths, and their values summing to .grad."""

import numpy as np
import pytest

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

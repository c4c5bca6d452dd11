"""Backward: worked examples, the three bug modes with exact numbers, and the recorded pass as data."""

import copy
import pickle

import numpy as np
import pytest

from engine import Tensor, backward, reverse_topological_order, topological_order
from engine.backward import reverse_creation_order
from engine.nn import MLP


def leaves(*values):
    return [Tensor(v, requires_grad=True, label=name) for v, name in zip(values, "abcdefgh", strict=False)]


# ---- worked examples --------------------------------------------------------------------------


def test_affine_squared():
    x, w, b = leaves(2.0, 3.0, 1.0)
    y = (x * w + b) ** 2
    y.backward()
    assert float(y.data) == 49.0
    assert (float(x.grad), float(w.grad), float(b.grad)) == (42.0, 28.0, 14.0)


def test_x_times_x_plus_x_has_three_edges_to_x():
    (x,) = leaves(3.0)
    y = x * x + x
    y.backward()
    assert (float(y.data), float(x.grad)) == (12.0, 7.0)


def test_a_plus_a_times_a():
    (a,) = leaves(2.0)
    y = (a + a) * a
    y.backward()
    assert (float(y.data), float(a.grad)) == (8.0, 8.0)


# ---- bug modes --------------------------------------------------------------------------------


def diamond():
    a, b, c = leaves(2.0, 3.0, 4.0)
    return (a * b + c) * (a - c), (a, b, c)


@pytest.mark.parametrize("mode, expected", [("correct", (4.0, -4.0, -12.0)), ("overwrite", (-6.0, -4.0, -2.0))])
def test_diamond(mode, expected):
    loss, (a, b, c) = diamond()
    loss.backward(mode=mode)
    assert float(loss.data) == -20.0
    assert (float(a.grad), float(b.grad), float(c.grad)) == expected


@pytest.mark.parametrize("mode, expected", [
    ("correct", {"a": [1, 1, 1], "b": [2, 2, 2], "c": [1, 1, 1], "d": [1, 1, 1]}),
    ("alias", {"a": [2, 2, 2], "b": [2, 2, 2], "c": [2, 2, 2], "d": [2, 2, 2]}),
])
def test_alias(mode, expected):
    a, b = leaves([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    c = a + b
    d = b + c
    d.backward(np.ones(3), mode=mode)
    got = {"a": a.grad, "b": b.grad, "c": c.grad, "d": d.grad}
    assert {k: v.tolist() for k, v in got.items()} == expected


def test_unbroadcast_row_vector():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones((4, 3)), requires_grad=True)
    record = (a + b).sum().backward(record=True)
    assert a.grad.tolist() == [4.0, 4.0, 4.0]
    assert record.shape_mismatches == []


def test_no_unbroadcast_row_vector_is_a_shape_mismatch_not_a_crash():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones((4, 3)), requires_grad=True)
    record = (a + b).sum().backward(mode="no_unbroadcast", record=True)
    assert a in record.shape_mismatches
    assert a.grad.shape != a.data.shape
    assert b.grad.shape == b.data.shape
    flagged = [e for s in record.steps for e in s.events if e.shape_mismatch]
    assert [e.target for e in flagged] == [a]


def test_no_unbroadcast_column_gives_wrong_numbers():
    a = Tensor(np.ones((3, 1)), requires_grad=True)
    b = Tensor(np.ones((3, 5)), requires_grad=True)
    weights = np.arange(15.0).reshape(3, 5)
    ((a + b) * weights).sum().backward()
    assert a.grad.tolist() == [[10.0], [35.0], [60.0]]
    a.zero_grad()
    record = ((a + b) * weights).sum().backward(mode="no_unbroadcast", record=True)
    # every broadcast copy keeps its own gradient (its weight) instead of the row sums 10, 35, 60
    assert a in record.shape_mismatches
    np.testing.assert_array_equal(a.grad, weights)


def test_unknown_mode_is_rejected():
    (x,) = leaves(1.0)
    with pytest.raises(ValueError, match="unknown mode"):
        (x * x).backward(mode="sloppy")


def test_leaves_accumulate_across_calls():
    (x,) = leaves(3.0)
    (x * x).backward()
    (x * x).backward()
    assert float(x.grad) == 12.0


# ---- the recorded pass ------------------------------------------------------------------------


def scalar_graph():
    a, b, c = leaves(2.0, -3.0, 0.5)
    e = a * b
    f = (e + c).tanh() * a + e * e
    return f, None


def broadcast_graph():
    a = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True, label="a")
    w = Tensor(np.arange(12.0).reshape(4, 3) / 10, requires_grad=True, label="w")
    h = (a * w + a).exp()
    return (h / (w + 2.0)).sum(axis=0), np.array([1.0, -1.0, 2.0])


def mlp_graph():
    model = MLP((2, 4, 3), seed=3)
    x = np.random.default_rng(0).normal(size=(5, 2))
    w = model.layers[0].W  # used twice: by the first layer and by the weight penalty
    return model(x).cross_entropy(np.array([0.0, 1.0, 2.0, 1.0, 0.0])) + 0.01 * (w * w).sum(), None


GRAPHS = [scalar_graph, broadcast_graph, mlp_graph]


@pytest.mark.parametrize("make", GRAPHS)
def test_steps_fire_newest_first_a_reverse_topological_order(make):
    root, seed = make()
    record = backward(root, seed, record=True)
    order = reverse_creation_order(root)
    assert record.order == order
    assert set(order) == set(topological_order(root))
    assert [t.created for t in order] == sorted((t.created for t in order), reverse=True)
    position = {n: i for i, n in enumerate(order)}
    assert all(position[t] > position[n] for n in order for t in n.inputs)
    fired = [position[s.node] for s in record.steps]
    assert fired == sorted(fired)
    assert fired == [position[n] for n in order if n.op is not None and n.requires_grad]
    for step in record.steps:
        assert [e.arg for e in step.events] == sorted(e.arg for e in step.events)
        assert all(e.source is step.node and step.node.inputs[e.arg] is e.target for e in step.events)


@pytest.mark.parametrize("make", GRAPHS)
def test_a_callers_order_is_used_when_it_is_a_reverse_topological_order(make):
    root, seed = make()
    newest_first = backward(root, seed, record=True)
    dfs = reverse_topological_order(root)  # not newest first in scalar_graph and mlp_graph
    record = backward(root, seed, record=True, order=dfs)
    assert record.order == dfs
    position = {n: i for i, n in enumerate(dfs)}
    assert [position[s.node] for s in record.steps] == sorted(position[s.node] for s in record.steps)
    for t, g in newest_first.grads.items():
        np.testing.assert_allclose(record.grads[t], g, rtol=1e-12)


@pytest.mark.parametrize("make", GRAPHS)
def test_an_order_that_is_not_a_reverse_topological_order_is_refused(make):
    root, seed = make()
    order = reverse_creation_order(root)
    with pytest.raises(ValueError, match="start at the root"):
        backward(root, seed, order=order[1:])
    with pytest.raises(ValueError, match="start at the root"):
        backward(root, seed, order=[])
    with pytest.raises(ValueError, match="every input of a node after the node"):
        backward(root, seed, order=order[:-1])  # the oldest node left out
    with pytest.raises(ValueError, match="every input of a node after the node"):
        backward(root, seed, order=[order[0], *order[1:][::-1]])  # inputs before their consumers


@pytest.mark.parametrize("make", GRAPHS)
def test_accumulated_exactly_from_the_second_contribution(make):
    root, seed = make()
    record = backward(root, seed, record=True)
    seen: dict = {}
    for step in record.steps:
        for e in step.events:
            assert e.accumulated == (e.target in seen)
            assert (e.grad_before is None) == (not e.accumulated)
            seen[e.target] = seen.get(e.target, 0) + 1
    # every use of a node that requires grad sends exactly one contribution
    uses = {n: k for n, k in record.fan_out.items() if n.requires_grad and k}
    assert seen == uses
    assert any(k > 1 for k in seen.values())


@pytest.mark.parametrize("make", GRAPHS)
def test_contributions_sum_to_the_gradient(make):
    root, seed = make()
    record = backward(root, seed, record=True)
    totals: dict = {}
    for step in record.steps:
        for e in step.events:
            totals[e.target] = totals.get(e.target, 0.0) + e.contribution
            np.testing.assert_array_equal(e.grad_after, totals[e.target])
    for node, total in totals.items():
        np.testing.assert_allclose(record.grads[node], total, rtol=1e-12)
        np.testing.assert_array_equal(node.grad, record.grads[node])
    for node in topological_order(root):
        if node.grad is not None:
            assert node.grad.shape == node.data.shape


def fingerprint(root, seed):
    """The record with nodes replaced by their positions, so two builds of one graph compare equal."""
    record = backward(root, seed, record=True)
    position = {n: i for i, n in enumerate(record.order)}
    return [
        (position[s.node], s.grad.tolist(),
         [(position[e.target], e.arg, e.contribution.tolist(), e.grad_after.tolist(), e.accumulated) for e in s.events])
        for s in record.steps
    ]


@pytest.mark.parametrize("make", GRAPHS)
def test_record_is_deterministic(make):
    root, seed = make()
    first = fingerprint(root, seed)
    assert fingerprint(root, seed) == first
    assert fingerprint(*make()) == first


def test_a_hundred_thousand_node_chain():
    x = Tensor(1.5, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = -y
    y.backward()
    assert len(topological_order(y)) == 100_001
    assert float(x.grad) == 1.0


def recursive_topological_order(root):
    """The textbook recursive DFS post-order, inputs in argument order: the reference for small graphs."""
    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            for t in node.inputs:
                visit(t)
            order.append(node)

    visit(root)
    return order


@pytest.mark.parametrize("make", GRAPHS)
def test_topological_order_is_the_dfs_post_order(make):
    root, _ = make()
    assert topological_order(root) == recursive_topological_order(root)


def test_topological_order_of_a_dag_with_shared_nodes():
    rng = np.random.default_rng(0)
    nodes = [Tensor(float(i), requires_grad=True) for i in range(4)]
    for _ in range(200):
        i, j = rng.integers(0, len(nodes), 2)
        nodes.append(nodes[i] * nodes[j] if rng.integers(2) else nodes[i] + nodes[j])
    order = topological_order(nodes[-1])
    assert order == recursive_topological_order(nodes[-1])
    position = {n: k for k, n in enumerate(order)}
    assert all(position[t] < position[n] for n in order for t in n.inputs)


def test_copied_and_unpickled_tensors_are_numbered_as_made_now():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    x.created = 10**12  # as if made in a process that had made many more tensors
    for copy_of in (lambda t: pickle.loads(pickle.dumps(t)), copy.copy, copy.deepcopy):
        x2 = copy_of(x)
        y = (x2 * 3.0).sum()
        assert x2.created < y.created
        y.backward()
        np.testing.assert_array_equal(x2.grad, [3.0, 3.0])
        np.testing.assert_array_equal(x2.data, x.data)
    y = (x * x).sum()
    y2 = copy.deepcopy(y)  # a whole graph: inputs numbered before their consumers
    assert y2.inputs[0].inputs[0].created < y2.inputs[0].created < y2.created
    y2.backward()
    np.testing.assert_array_equal(y2.inputs[0].inputs[0].grad, [2.0, 4.0])

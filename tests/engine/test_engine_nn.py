"""Layers, the two-moons data set and a training run, checked against an identical PyTorch model."""

import numpy as np
import pytest
import torch

from engine.gradcheck import gradcheck
from engine.nn import MLP, Linear, Neuron, accuracy, train_classifier, two_moons


def test_init_is_deterministic_and_bounded():
    first, again, other = MLP((2, 16, 16, 2), seed=0), MLP((2, 16, 16, 2), seed=0), MLP((2, 16, 16, 2), seed=1)
    for p, q, r in zip(first.parameters(), again.parameters(), other.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
        assert not np.array_equal(p.data, r.data)
    assert [p.shape for p in first.parameters()] == [(2, 16), (16,), (16, 16), (16,), (16, 2), (2,)]
    assert [p.label for p in first.parameters()] == ["W1", "b1", "W2", "b2", "W3", "b3"]
    layer = Linear(16, 4, seed=0)
    assert np.abs(layer.W.data).max() <= 0.25 and np.abs(layer.b.data).max() <= 0.25


def test_zero_grad_clears_every_parameter():
    model = MLP((2, 3, 2), seed=0)
    model(np.ones((1, 2))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_neuron_is_a_scalar_graph():
    neuron = Neuron(2, seed=0)
    out = neuron([2.0, -1.0])
    w1, w2 = (float(w.data) for w in neuron.w)
    assert float(out.data) == pytest.approx(np.tanh(w1 * 2.0 - w2 + float(neuron.b.data)))
    assert out.shape == () and len(neuron.parameters()) == 3
    assert gradcheck(out).passed


def test_two_moons():
    points, labels = two_moons(200, noise=0.1, seed=0)
    assert points.shape == (200, 2) and labels.shape == (200,)
    assert labels.sum() == 100 and set(labels.tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(points, two_moons(200, noise=0.1, seed=0)[0])
    assert not np.array_equal(points, two_moons(200, noise=0.1, seed=1)[0])
    # not linearly trivial: the classes' x ranges overlap
    assert points[labels == 0, 0].max() > points[labels == 1, 0].min()


def test_mlp_learns_two_moons():
    points, labels = two_moons(200, noise=0.1, seed=0)
    model = MLP((2, 16, 16, 2), seed=0)
    losses = train_classifier(model, points, labels, steps=300, lr=0.5)
    assert losses[-1] < losses[0] / 10
    assert accuracy(model(points), labels) >= 0.95


def torch_twin(model):
    """torch.nn layers holding the same weights (nn.Linear stores W transposed)."""
    layers = []
    for i, layer in enumerate(model.layers):
        linear = torch.nn.Linear(*layer.W.shape, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(layer.W.data.T))
            linear.bias.copy_(torch.tensor(layer.b.data))
        layers += [linear] + ([torch.nn.Tanh()] if i < len(model.layers) - 1 else [])
    return torch.nn.Sequential(*layers)


def test_gradients_match_an_identical_torch_model():
    points, labels = two_moons(64, noise=0.2, seed=3)
    model = MLP((2, 16, 16, 2), seed=5)
    train_classifier(model, points, labels, steps=20, lr=0.5)  # away from the initial weights
    twin = torch_twin(model)
    loss = model(points).cross_entropy(labels)
    model.zero_grad()
    loss.backward()
    their_loss = torch.nn.functional.cross_entropy(twin(torch.tensor(points)), torch.tensor(labels).long())
    their_loss.backward()
    assert float(loss.data) == pytest.approx(their_loss.item(), rel=1e-12)
    linears = [layer for layer in twin if isinstance(layer, torch.nn.Linear)]
    theirs = [g for linear in linears for g in (linear.weight.grad.T, linear.bias.grad)]
    for ours, their in zip(model.parameters(), theirs, strict=True):
        np.testing.assert_allclose(ours.grad, their.numpy(), rtol=1e-10, atol=1e-14)

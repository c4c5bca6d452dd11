"""Just enough neural network to train a small classifier and draw the graphs of a neuron and an MLP."""

from itertools import pairwise
from typing import Any

import numpy as np

from engine.tensor import Tensor

Seed = int | np.random.Generator


class Module:
    """Something with parameters that maps an input to a Tensor: a neuron, a layer, a network."""

    def __call__(self, x: Any) -> Tensor:
        raise NotImplementedError

    def parameters(self) -> list[Tensor]:
        return []

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None


class Neuron(Module):
    """tanh(w1 x1 + ... + wn xn + b) in scalar mode, one 0-d Tensor per weight: micrograd's picture."""

    def __init__(self, n_in: int, seed: Seed = 0) -> None:
        rng = np.random.default_rng(seed)
        self.w = [Tensor(rng.uniform(-1.0, 1.0), requires_grad=True, label=f"w{i + 1}") for i in range(n_in)]
        self.b = Tensor(rng.uniform(-1.0, 1.0), requires_grad=True, label="b")

    def __call__(self, xs: list[Any]) -> Tensor:
        total = self.b
        for w, x in zip(self.w, xs, strict=True):
            total = w * x + total
        return total.tanh()

    def parameters(self) -> list[Tensor]:
        return [*self.w, self.b]


class Linear(Module):
    """x @ W + b, with W and b drawn uniformly from +-1/sqrt(n_in) (PyTorch's default range)."""

    def __init__(self, n_in: int, n_out: int, seed: Seed = 0, name: str = "") -> None:
        rng = np.random.default_rng(seed)  # a Generator passed in is used as is, so layers can share one
        bound = 1.0 / np.sqrt(n_in)
        self.W = Tensor(rng.uniform(-bound, bound, (n_in, n_out)), requires_grad=True, label=f"W{name}")
        self.b = Tensor(rng.uniform(-bound, bound, (n_out,)), requires_grad=True, label=f"b{name}")

    def __call__(self, x: Any) -> Tensor:
        out: Tensor = x @ self.W + self.b  # x may be an array: Tensor.__rmatmul__ makes it a constant
        return out

    def parameters(self) -> list[Tensor]:
        return [self.W, self.b]


class MLP(Module):
    """Linear layers of the given sizes, e.g. (2, 16, 16, 2): tanh between layers, none after the last."""

    def __init__(self, sizes: tuple[int, ...] | list[int], seed: Seed = 0) -> None:
        if len(sizes) < 2:
            raise ValueError("an MLP needs at least an input and an output size")
        rng = np.random.default_rng(seed)
        self.layers = [Linear(n_in, n_out, rng, name=str(i + 1)) for i, (n_in, n_out) in enumerate(pairwise(sizes))]

    def __call__(self, x: Any) -> Tensor:
        for layer in self.layers[:-1]:
            x = layer(x).tanh()
        return self.layers[-1](x)

    def parameters(self) -> list[Tensor]:
        return [p for layer in self.layers for p in layer.parameters()]


def sgd_step(parameters: list[Tensor], lr: float) -> None:
    """p <- p - lr * dL/dp. New arrays, so graphs recorded earlier keep the values they were built with."""
    for p in parameters:
        if p.grad is not None:
            p.data = p.data - lr * p.grad


def accuracy(logits: Tensor | np.ndarray, targets: np.ndarray) -> float:
    """The share of rows whose largest logit is the target class."""
    scores = logits.data if isinstance(logits, Tensor) else logits
    return float(np.mean(np.argmax(scores, axis=1) == targets))


def two_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles: points (n, 2) and class indices (n,) as floats (0.0 or 1.0).

    Class 0 lies on the upper arc of the unit circle, class 1 on a lower arc shifted to (1, 0.5);
    Gaussian noise of standard deviation `noise` is added to every coordinate.
    """
    rng = np.random.default_rng(seed)
    n0 = n // 2
    angles = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(angles[:n0]), np.sin(angles[:n0])], axis=1)
    lower = np.stack([1.0 - np.cos(angles[n0:]), 0.5 - np.sin(angles[n0:])], axis=1)
    points = np.concatenate([upper, lower]) + rng.normal(0.0, noise, (n, 2))
    labels = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    return points, labels


def train_classifier(model: Module, points: np.ndarray, labels: np.ndarray, steps: int = 300,
                     lr: float = 0.5) -> list[float]:
    """Full-batch SGD on cross-entropy; returns the loss before each step."""
    losses = []
    for _ in range(steps):
        loss = model(points).cross_entropy(labels)
        model.zero_grad()
        loss.backward()
        sgd_step(model.parameters(), lr)
        losses.append(float(loss.data))
    return losses

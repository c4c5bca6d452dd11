"""How fast the engine is, against PyTorch, hand-written NumPy and a micrograd-style scalar engine.

Run: .venv/bin/python bench/engine.py [--repeat N]
Prints medians (microseconds per call over `repeat` timeit rounds) and ratios for
- a 2-16-16-2 tanh MLP, forward + cross-entropy + backward, at batch 64 and 1024: ours (with and
  without recording the backward pass), PyTorch CPU eager (1 thread, and its default thread
  count), and the same computation written by hand in NumPy with no graph;
- a 1,000-op scalar expression, built and backpropagated: ours vs a micrograd-style closure engine.
Targets (issue #2): at batch 64 ours >= 4x faster than PyTorch and within 1.5x of NumPy by hand;
the scalar graph at least as fast as the micrograd baseline.
"""

import argparse
import math
import statistics
import sys
import timeit
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Tensor  # noqa: E402
from engine.nn import MLP, two_moons  # noqa: E402

SIZES = (2, 16, 16, 2)
NUMBER = {64: 100, 1024: 20}  # calls per timeit round


def medians_us(fns: dict, repeat: int, number: int, setups: dict | None = None) -> dict[str, float]:
    """Median time per call in microseconds, for each function.

    Rounds are interleaved (one timeit round of each function in turn, `repeat` times), so a
    machine that gets busier or quieter during the run shifts every column alike and the
    ratios stay fair. `setups[name]` runs untimed before each of that function's rounds.
    """
    setups = setups or {}
    for name, fn in fns.items():
        setups.get(name, lambda: None)()
        fn()  # warm up
    rounds: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = timeit.timeit(fn, setup=setups.get(name, lambda: None), number=number)
            rounds[name].append(t / number * 1e6)
    return {name: statistics.median(times) for name, times in rounds.items()}


# ---- the MLP three ways ----------------------------------------------------------------------


def ours_step(model: MLP, points: np.ndarray, labels: np.ndarray, record: bool):
    def step():
        model.zero_grad()
        model(points).cross_entropy(labels).backward(record=record)
    return step


def torch_step(model: MLP, points: np.ndarray, labels: np.ndarray):
    weights = [torch.tensor(p.data, requires_grad=True) for p in model.parameters()]
    x, y = torch.tensor(points), torch.tensor(labels).long()

    def step():
        for w in weights:
            w.grad = None
        h = x
        for i in range(0, len(weights), 2):
            h = h @ weights[i] + weights[i + 1]
            if i + 2 < len(weights):
                h = torch.tanh(h)
        torch.nn.functional.cross_entropy(h, y).backward()
    return step


def numpy_step(model: MLP, points: np.ndarray, labels: np.ndarray):
    (w1, b1, w2, b2, w3, b3) = (p.data for p in model.parameters())
    rows, classes = np.arange(len(labels)), labels.astype(np.intp)

    def step():
        h1 = np.tanh(points @ w1 + b1)
        h2 = np.tanh(h1 @ w2 + b2)
        logits = h2 @ w3 + b3
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[rows, classes]))
        g = p
        g[rows, classes] -= 1.0
        g /= len(labels)
        grads = [h2.T @ g, g.sum(axis=0)]
        g = (g @ w3.T) * (1.0 - h2 * h2)
        grads = [h1.T @ g, g.sum(axis=0)] + grads
        g = (g @ w2.T) * (1.0 - h1 * h1)
        return loss, [points.T @ g, g.sum(axis=0)] + grads
    return step


def check_agreement(model: MLP, points: np.ndarray, labels: np.ndarray) -> None:
    """The three implementations must compute the same gradients, or the timings mean nothing."""
    ours_step(model, points, labels, record=False)()
    _, by_hand = numpy_step(model, points, labels)()
    for p, g in zip(model.parameters(), by_hand):
        np.testing.assert_allclose(p.grad, g, rtol=1e-10, atol=1e-14)


# ---- a scalar graph two ways ------------------------------------------------------------------


class Value:
    """The micrograd baseline: Python floats, closures that do `grad +=`, a recursive topological sort."""

    __slots__ = ("data", "grad", "_backward", "_prev")

    def __init__(self, data, children=()):
        self.data, self.grad, self._backward, self._prev = data, 0.0, lambda: None, children

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def _backward():
            self.grad += (1 - t * t) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


def scalar_expression(make, n_ops: int = 1000):
    """n_ops ops over 10 inputs, cycling mul, add, tanh; binary ops reuse an input or a recent node."""
    xs = [make(0.1 * (i + 1)) for i in range(10)]
    nodes = list(xs)
    for i in range(n_ops):
        a, b = nodes[-1], xs[i // 2 % 10] if i % 2 else nodes[-2 - i % 7]
        nodes.append(a * b if i % 3 == 0 else a + b if i % 3 == 1 else a.tanh())
    return xs, nodes[-1]


def ours_scalar():
    xs, root = scalar_expression(lambda v: Tensor(v, requires_grad=True))
    root.backward()
    return xs


def micrograd_scalar():
    xs, root = scalar_expression(Value)
    root.backward()
    return xs


# ---- the table --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=25, help="timeit rounds; the median is reported")
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)  # the micrograd baseline sorts recursively
    default_threads = torch.get_num_threads()
    # Everything runs with torch on 1 thread first; torch's default thread count is timed last and
    # alone, because its idle OpenMP workers keep spinning and would slow down whatever runs next.
    torch.set_num_threads(1)
    print(f"numpy {np.__version__}, torch {torch.__version__} (default threads: {default_threads}); "
          f"median of {args.repeat} rounds, microseconds per call\n")

    rows: dict[str, list[float]] = {}
    batches = {batch: two_moons(batch, noise=0.1, seed=0) for batch in (64, 1024)}
    model = MLP(SIZES, seed=0)
    for batch, (points, labels) in batches.items():
        check_agreement(model, points, labels)
        timings = medians_us({
            "ours": ours_step(model, points, labels, record=False),
            "ours, record=True": ours_step(model, points, labels, record=True),
            "numpy by hand": numpy_step(model, points, labels),
            "torch eager, 1 thread": torch_step(model, points, labels),
        }, args.repeat, NUMBER[batch])
        for name, t in timings.items():
            rows.setdefault(name, []).append(t)

    ours_grads, micrograd_grads = ours_scalar(), micrograd_scalar()
    np.testing.assert_allclose([float(x.grad) for x in ours_grads], [x.grad for x in micrograd_grads], rtol=1e-12)
    scalar = medians_us({"ours": ours_scalar, "micrograd-style": micrograd_scalar}, args.repeat, 3)

    torch.set_num_threads(default_threads)
    threaded = f"torch eager, {default_threads} threads"
    for batch, (points, labels) in batches.items():
        rows.setdefault(threaded, []).extend(
            medians_us({threaded: torch_step(model, points, labels)}, args.repeat, NUMBER[batch]).values())

    print(f"{'MLP 2-16-16-2, fwd+CE+bwd':<30}{'batch 64':>12}{'batch 1024':>12}")
    for name, (small, large) in rows.items():
        print(f"  {name:<28}{small:>12.1f}{large:>12.1f}")
    ours = rows["ours"]
    print("  time / ours (>1: ours faster)")
    for name in rows:
        if name != "ours":
            print(f"  {name:<28}{rows[name][0] / ours[0]:>12.2f}{rows[name][1] / ours[1]:>12.2f}")
    print(f"\n{'scalar graph, 1,000 ops':<30}{'build+bwd':>12}")
    for name, t in scalar.items():
        print(f"  {name:<28}{t:>12.1f}")
    print(f"  {'micrograd / ours':<28}{scalar['micrograd-style'] / scalar['ours']:>12.2f}")

    print("\ntargets: torch (1 thread) / ours >= 4 at batch 64: "
          f"{rows['torch eager, 1 thread'][0] / ours[0]:.2f}; ours / numpy by hand <= 1.5 at batch 64: "
          f"{ours[0] / rows['numpy by hand'][0]:.2f}; micrograd / ours >= 1: "
          f"{scalar['micrograd-style'] / scalar['ours']:.2f}")


if __name__ == "__main__":
    main()

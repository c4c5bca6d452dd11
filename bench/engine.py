"""How fast the engine is, against PyTorch, hand-written NumPy and a micrograd-style scalar engine.

Run: .venv/bin/python bench/engine.py [--repeat N] [--only mlp scalar paths] [--timer cpu] [--against REV]
Prints medians (microseconds per call over `repeat` timeit rounds) and ratios for
- a 2-16-16-2 tanh MLP, forward + cross-entropy + backward, at batch 64 and 1024: ours (with and
  without recording the backward pass), PyTorch CPU eager (1 thread, and its default thread
  count), and the same computation written by hand in NumPy with no graph;
- a 1,000-op scalar expression, built and backpropagated: ours vs a micrograd-style closure engine;
- top paths (k=64) on a 1,000-node scalar MLP (micrograd's 3-16-16-1 relu MLP and squared loss)
  and on a 300-leaf graph with 2**300 paths: the search alone, and with every listed path read.
Targets (issue 12): at batch 64 ours within 1.5x of NumPy by hand (then >= 3x faster than PyTorch);
the scalar graph at least as fast as the micrograd baseline; record=True at batch 1024 under 1.5x
of not recording; the MLP's top paths well under 30 ms.
On a shared, busy machine `--timer cpu` (this process's CPU time) is steadier than wall time;
it is wrong for PyTorch's multi-threaded column, which then counts every thread's spinning.
`--against REV` also times the engine as it was at git revision REV, in the same rounds, so a
change is measured before and after in one run.
"""

import argparse
import gc
import importlib
import io
import math
import random
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import timeit
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Tensor  # noqa: E402
from engine.nn import MLP, two_moons  # noqa: E402
from engine.paths import top_paths  # noqa: E402

TODAY = SimpleNamespace(name="ours", Tensor=Tensor, MLP=MLP, top_paths=top_paths)


def engine_at(rev: str) -> SimpleNamespace:
    """The engine package as it was at git revision `rev`, imported beside today's under another name."""
    name = "engine_at_" + re.sub(r"\W", "_", rev)
    folder = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "engine"], check=True, capture_output=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    (folder / "engine").rename(folder / name)
    for file in (folder / name).glob("*.py"):
        file.write_text(re.sub(r"^(\s*)(from|import) engine\b", rf"\1\2 {name}", file.read_text(), flags=re.M))
    sys.path.insert(0, str(folder))
    package = importlib.import_module(name)
    return SimpleNamespace(name=f"ours at {rev}", Tensor=package.Tensor, MLP=importlib.import_module(f"{name}.nn").MLP,
                           top_paths=importlib.import_module(f"{name}.paths").top_paths)

SIZES = (2, 16, 16, 2)
NUMBER = {64: 100, 1024: 20}  # calls per timeit round


TIMER = time.perf_counter


def medians_us(fns: dict, repeat: int, number: int, setups: dict | None = None) -> dict[str, float]:
    """Median time per call in microseconds, for each function.

    Rounds are interleaved (one timeit round of each function in turn, `repeat` times), so a
    machine that gets busier or quieter during the run shifts every column alike and the
    ratios stay fair; each round starts one function later, so no function always runs after
    the same one (and its garbage, its caches). `setups[name]` runs untimed before each of that
    function's rounds.
    """
    setups = setups or {}
    for name, fn in fns.items():
        setups.get(name, lambda: None)()
        fn()  # warm up
    rounds: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for k in range(repeat):
        for name in names[k % len(names):] + names[:k % len(names)]:
            t = timeit.Timer(fns[name], setup=setups.get(name, lambda: None), timer=TIMER).timeit(number=number)
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


def ours_scalar(engine: SimpleNamespace = TODAY):
    def run():
        xs, root = scalar_expression(lambda v: engine.Tensor(v, requires_grad=True))
        root.backward()
        return xs
    return run


def micrograd_scalar():
    xs, root = scalar_expression(Value)
    root.backward()
    return xs


# ---- top paths ----------------------------------------------------------------------------------


def scalar_mlp(T: type = Tensor, sizes: tuple[int, ...] = (3, 16, 16, 1), seed: int = 1337) -> Tensor:
    """micrograd's MLP program on our Tensors: relu hidden layers, squared loss, 1,031 nodes."""
    rng = random.Random(seed)
    xs: list[Tensor] = [T(v) for v in (2.0, 3.0, -1.0)]
    for depth, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        outs = []
        for _ in range(n_out):
            act = T(0.0, requires_grad=True)
            for x in xs[:n_in]:
                act = act + T(rng.uniform(-1, 1), requires_grad=True) * x
            outs.append(act.relu() if depth < len(sizes) - 2 else act)
        xs = outs
    return (xs[0] - 1.0) ** 2


def doubling_products(T: type = Tensor, n: int = 300) -> Tensor:
    """y = (y + y) * w_i, n times: n + 1 leaves and 2**n paths from x."""
    y = T(1.0, requires_grad=True)
    for i in range(n):
        y = (y + y) * T(1.0 + 0.001 * i, requires_grad=True)
    return y


def read_every_path(root: Tensor, engine: SimpleNamespace = TODAY) -> int:
    """top_paths, then every listed path's nodes and factors, as a caller that shows them all."""
    listed = engine.top_paths(root, k=64).values()
    return sum(len(p.nodes) + len(p.factors or ()) for paths in listed for p in paths.paths)


# ---- the table --------------------------------------------------------------------------------


def bench_mlp(repeat: int, threads: bool, before: SimpleNamespace | None) -> dict[str, list[float]]:
    rows: dict[str, list[float]] = {}
    batches = {batch: two_moons(batch, noise=0.1, seed=0) for batch in (64, 1024)}
    model = MLP(SIZES, seed=0)
    for batch, (points, labels) in batches.items():
        check_agreement(model, points, labels)
        fns = {
            "ours": ours_step(model, points, labels, record=False),
            "ours, record=True": ours_step(model, points, labels, record=True),
            "numpy by hand": numpy_step(model, points, labels),
            "torch eager, 1 thread": torch_step(model, points, labels),
        }
        if before is not None:
            earlier = before.MLP(SIZES, seed=0)
            fns[before.name] = ours_step(earlier, points, labels, record=False)
            fns[f"{before.name}, record=True"] = ours_step(earlier, points, labels, record=True)
        timings = medians_us(fns, repeat, NUMBER[batch])
        for name, t in timings.items():
            rows.setdefault(name, []).append(t)
    if threads:  # last and alone: torch's idle OpenMP workers keep spinning and slow what runs next
        default_threads = torch.get_num_threads()
        torch.set_num_threads(DEFAULT_THREADS)
        threaded = f"torch eager, {DEFAULT_THREADS} threads"
        for batch, (points, labels) in batches.items():
            rows.setdefault(threaded, []).extend(
                medians_us({threaded: torch_step(model, points, labels)}, repeat, NUMBER[batch]).values())
        torch.set_num_threads(default_threads)

    print(f"{'MLP 2-16-16-2, fwd+CE+bwd':<30}{'batch 64':>12}{'batch 1024':>12}")
    for name, (small, large) in rows.items():
        print(f"  {name:<28}{small:>12.1f}{large:>12.1f}")
    ours = rows["ours"]
    print("  time / ours (>1: ours faster)")
    for name in rows:
        if name != "ours":
            print(f"  {name:<28}{rows[name][0] / ours[0]:>12.2f}{rows[name][1] / ours[1]:>12.2f}")
    return rows


def bench_scalar(repeat: int, before: SimpleNamespace | None) -> dict[str, float]:
    ours_grads, micrograd_grads = ours_scalar()(), micrograd_scalar()
    np.testing.assert_allclose([float(x.grad) for x in ours_grads], [x.grad for x in micrograd_grads], rtol=1e-12)
    fns = {"ours": ours_scalar(), "micrograd-style": micrograd_scalar}
    if before is not None:
        fns[before.name] = ours_scalar(before)
    # timeit turns the cyclic garbage collector off, so a micrograd graph (its closures make
    # cycles) is never freed inside the timing, while ours (no cycles) is freed as each call
    # returns; a program runs with the collector on, so both are timed that way too
    fns |= {"ours, gc on": ours_scalar(), "micrograd-style, gc on": micrograd_scalar}
    scalar = medians_us(fns, repeat, 3, setups={"ours, gc on": gc.enable, "micrograd-style, gc on": gc.enable})
    print(f"\n{'scalar graph, 1,000 ops':<30}{'build+bwd':>12}")
    for name, t in scalar.items():
        print(f"  {name:<28}{t:>12.1f}")
    print(f"  {'micrograd / ours':<28}{scalar['micrograd-style'] / scalar['ours']:>12.2f}")
    print(f"  {'micrograd / ours, gc on':<28}{scalar['micrograd-style, gc on'] / scalar['ours, gc on']:>12.2f}")
    if before is not None:
        print(f"  {before.name + ' / ours':<28}{scalar[before.name] / scalar['ours']:>12.2f}")
    return scalar


def bench_paths(repeat: int, before: SimpleNamespace | None) -> dict[str, list[float]]:
    graphs = {"MLP, 1,031 nodes": scalar_mlp, "2**300 paths, 901 nodes": doubling_products}
    rows: dict[str, list[float]] = {}
    for make in graphs.values():
        root = make()
        fns = {"top_paths(k=64)": lambda root=root: top_paths(root, k=64),
               "+ read every path": lambda root=root: read_every_path(root)}
        if before is not None:
            earlier = make(before.Tensor)
            fns[f"{before.name}"] = lambda root=earlier: before.top_paths(root, k=64)
            fns[f"{before.name}, + read"] = lambda root=earlier: read_every_path(root, before)
        timings = medians_us(fns, max(repeat // 3, 3), 1)
        for column, t in timings.items():
            rows.setdefault(column, []).append(t / 1000)
    print(f"\n{'top paths, ms':<30}" + "".join(f"{name:>26}" for name in graphs))
    for column, times in rows.items():
        print(f"  {column:<28}" + "".join(f"{t:>26.1f}" for t in times))
    return rows


DEFAULT_THREADS = torch.get_num_threads()


def main() -> None:
    global TIMER
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=25, help="timeit rounds; the median is reported")
    parser.add_argument("--only", nargs="+", choices=("mlp", "scalar", "paths"), default=("mlp", "scalar", "paths"))
    parser.add_argument("--timer", choices=("wall", "cpu"), default="wall",
                        help="cpu: this process's CPU time, steadier on a busy machine")
    parser.add_argument("--no-threads", action="store_true", help="skip torch at its default thread count")
    parser.add_argument("--against", metavar="REV", help="also time the engine at git revision REV, in the same rounds")
    args = parser.parse_args()
    before = engine_at(args.against) if args.against else None
    TIMER = time.process_time if args.timer == "cpu" else time.perf_counter
    sys.setrecursionlimit(10_000)  # the micrograd baseline sorts recursively
    torch.set_num_threads(1)
    print(f"numpy {np.__version__}, torch {torch.__version__} (default threads: {DEFAULT_THREADS}); "
          f"median of {args.repeat} rounds, microseconds per call, {args.timer} time\n")
    targets = []
    if "mlp" in args.only:
        rows = bench_mlp(args.repeat, threads=not args.no_threads, before=before)
        ours = rows["ours"]
        targets += [f"ours / numpy by hand <= 1.5 at batch 64: {ours[0] / rows['numpy by hand'][0]:.2f}",
                    f"torch (1 thread) / ours >= 3 at batch 64: {rows['torch eager, 1 thread'][0] / ours[0]:.2f}",
                    f"record / not <= 1.5 at batch 1024: {rows['ours, record=True'][1] / ours[1]:.2f}"]
    if "scalar" in args.only:
        scalar = bench_scalar(args.repeat, before)
        targets.append(f"micrograd / ours >= 1: {scalar['micrograd-style'] / scalar['ours']:.2f} "
                       f"(gc on: {scalar['micrograd-style, gc on'] / scalar['ours, gc on']:.2f})")
    if "paths" in args.only:
        paths = bench_paths(args.repeat, before)
        targets.append(f"MLP top_paths well under 30 ms: {paths['top_paths(k=64)'][0]:.1f}")
    print("\ntargets: " + "; ".join(targets))


if __name__ == "__main__":
    main()

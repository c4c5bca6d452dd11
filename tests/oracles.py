"""Three ways to run a micrograd-style program: real micrograd, PyTorch float64 and our API; and how two runs differ.

Shared by the oracle tests, the random-program tests and bench/api.py (the programs are in
tests/micrograd_programs.py). micrograd 0.1.0's Value has only + - * / ** relu; programs with tanh or
exp are run with PyTorch float64 instead, through a small Value written on torch tensors.

Running a program with micrograd or PyTorch executes it with Python's `exec`. That is done only on the
fixed programs of tests/micrograd_programs.py and the ones the tests generate, never on anything a user sent.
"""

import builtins
import contextlib
import io
import math
import random
import re
from dataclasses import dataclass
from typing import Any

import micrograd.engine
import torch

IMPORT_VALUE = "from micrograd.engine import Value"


@dataclass(frozen=True)
class Run:
    """What the oracle tests compare: the root's value, every `Value(...)` as (data, grad) in creation
    order, and the printed lines."""

    root: float
    leaves: list[tuple[float, float]]
    output: list[str]


# ---- real micrograd ---------------------------------------------------------------------------------

@dataclass
class MicrogradRun:
    root: micrograd.engine.Value
    made: list[micrograd.engine.Value]
    output: list[str]


def execute_with_micrograd(source: str) -> MicrogradRun:
    """Run `source` with micrograd 0.1.0, keeping each `Value(...)` the program makes (micrograd's own
    ops make plain Values, so only the program's calls are kept) and the value `.backward()` was called on."""
    made: list[micrograd.engine.Value] = []
    roots: list[micrograd.engine.Value] = []

    class RecordedValue(micrograd.engine.Value):
        def __init__(self, data: float, label: str = ""):
            super().__init__(data)
            self.label = label
            made.append(self)

    plain_backward = micrograd.engine.Value.backward

    def recorded_backward(self: micrograd.engine.Value) -> None:
        roots.append(self)
        plain_backward(self)

    assert IMPORT_VALUE in source, "the program must import Value, as micrograd programs do"
    namespace = {"__builtins__": builtins, "Value": RecordedValue}
    text = source.replace(IMPORT_VALUE, "", 1)
    stdout = io.StringIO()
    state = random.getstate()
    micrograd.engine.Value.backward = recorded_backward
    try:
        with contextlib.redirect_stdout(stdout):
            exec(text, namespace)  # noqa: S102 -- our own fixed or generated test programs only
    finally:
        micrograd.engine.Value.backward = plain_backward
        random.setstate(state)
    assert len(roots) == 1, f"the program called backward {len(roots)} times"
    return MicrogradRun(roots[0], made, stdout.getvalue().splitlines())


def run_with_micrograd(source: str) -> Run:
    run = execute_with_micrograd(source)
    return Run(float(run.root.data), [(float(v.data), float(v.grad)) for v in run.made], run.output)


def micrograd_node_count(root: micrograd.engine.Value) -> int:
    """Values in the graph under `root`, constants included (iteratively: deep graphs exceed the recursion limit)."""
    seen, stack = {id(root)}, [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


# ---- PyTorch float64, for the ops micrograd 0.1.0 lacks ---------------------------------------------

class TorchValue:
    """micrograd's Value API on a 0-d float64 tensor: `.data` and `.grad` read plain floats."""

    def __init__(self, tensor: torch.Tensor, label: str = ""):
        self.tensor = tensor
        self.label = label

    @staticmethod
    def of(x: Any) -> torch.Tensor:
        return x.tensor if isinstance(x, TorchValue) else torch.tensor(float(x), dtype=torch.float64)

    def result(self, tensor: torch.Tensor) -> "TorchValue":
        tensor.retain_grad()  # programs may read the gradient of any value, as with micrograd
        return type(self)(tensor)

    @property
    def data(self) -> float:
        return float(self.tensor.detach())

    @property
    def grad(self) -> float:
        return 0.0 if self.tensor.grad is None else float(self.tensor.grad)

    def __add__(self, other): return self.result(self.tensor + self.of(other))
    def __radd__(self, other): return self.result(self.of(other) + self.tensor)
    def __sub__(self, other): return self.result(self.tensor - self.of(other))
    def __rsub__(self, other): return self.result(self.of(other) - self.tensor)
    def __mul__(self, other): return self.result(self.tensor * self.of(other))
    def __rmul__(self, other): return self.result(self.of(other) * self.tensor)
    def __truediv__(self, other): return self.result(self.tensor / self.of(other))
    def __rtruediv__(self, other): return self.result(self.of(other) / self.tensor)
    def __pow__(self, exponent: float): return self.result(self.tensor ** exponent)
    def __neg__(self): return self.result(-self.tensor)
    def relu(self): return self.result(torch.relu(self.tensor))
    def tanh(self): return self.result(torch.tanh(self.tensor))
    def exp(self): return self.result(torch.exp(self.tensor))
    def log(self): return self.result(torch.log(self.tensor))
    def sigmoid(self): return self.result(torch.sigmoid(self.tensor))
    def backward(self): self.tensor.backward()


def run_with_torch(source: str) -> Run:
    """Run `source` with TorchValue as `Value`; the root is the value `.backward()` was called on."""
    made: list[TorchValue] = []
    roots: list[TorchValue] = []

    class RecordedValue(TorchValue):
        def backward(self) -> None:
            roots.append(self)
            super().backward()

    def make_value(data: float, label: str = "") -> TorchValue:
        value = RecordedValue(torch.tensor(float(data), dtype=torch.float64, requires_grad=True), label)
        made.append(value)
        return value

    namespace = {"__builtins__": builtins, "Value": make_value}
    stdout = io.StringIO()
    state = random.getstate()
    try:
        with contextlib.redirect_stdout(stdout):
            exec(source.replace(IMPORT_VALUE, "", 1), namespace)  # noqa: S102 -- our own test programs only
    finally:
        random.setstate(state)
    assert len(roots) == 1, f"the program called backward {len(roots)} times"
    return Run(roots[0].data, [(v.data, v.grad) for v in made], stdout.getvalue().splitlines())


# ---- our API ------------------------------------------------------------------------------------------

def as_float(value: float | str | None) -> float:
    """A scalar of the graph record as a float: "nan"/"inf"/"-inf" spelled out, None (no gradient) as 0."""
    if value is None:
        return 0.0
    return float(value) if isinstance(value, str) else value


def run_through_api(client: Any, source: str) -> tuple[Run, dict]:
    """POST the program to /api/graph; leaves are the nodes of kind "leaf", in id (= creation) order."""
    response = client.post("/api/graph", json={"source": source, "layout": False})
    assert response.status_code == 200, response.text
    graph = response.json()
    by_id = {n["id"]: n for n in graph["nodes"]}
    leaves = sorted((n for n in graph["nodes"] if n["kind"] == "leaf"), key=lambda n: int(n["id"][1:]))
    run = Run(as_float(by_id[graph["root"]]["value"]),
              [(as_float(n["value"]), as_float(n["grad"])) for n in leaves], graph["output"])
    return run, graph


# ---- comparing two runs -------------------------------------------------------------------------------

TOLERANCE = 1e-12
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)")


def close(a: float, b: float, tol: float = TOLERANCE) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol) or (math.isnan(a) and math.isnan(b))


def same_line(a: str, b: str, tol: float = TOLERANCE) -> bool:
    """Equal text, with the numbers in it equal to `tol` (a gradient summed in another order may print
    its last digit differently)."""
    numbers_a, numbers_b = NUMBER.findall(a), NUMBER.findall(b)
    return (NUMBER.split(a) == NUMBER.split(b) and len(numbers_a) == len(numbers_b)
            and all(close(float(x), float(y), tol) for x, y in zip(numbers_a, numbers_b, strict=True)))


def differences(ours: Run, theirs: Run, tol: float = TOLERANCE) -> list[str]:
    """Every way the two runs differ, in words (empty when they agree)."""
    found = []
    if not close(ours.root, theirs.root, tol):
        found.append(f"root: ours {ours.root!r}, theirs {theirs.root!r}")
    if len(ours.leaves) != len(theirs.leaves):
        found.append(f"{len(ours.leaves)} leaves, theirs {len(theirs.leaves)} Values")
    for i, ((data, grad), (their_data, their_grad)) in enumerate(zip(ours.leaves, theirs.leaves, strict=False)):
        if not close(data, their_data, tol):
            found.append(f"Value #{i} data: ours {data!r}, theirs {their_data!r}")
        if not close(grad, their_grad, tol):
            found.append(f"Value #{i} grad: ours {grad!r}, theirs {their_grad!r}")
    if len(ours.output) != len(theirs.output) or not all(map(same_line, ours.output, theirs.output)):
        found.append(f"output: ours {ours.output!r}, theirs {theirs.output!r}")
    return found

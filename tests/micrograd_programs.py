"""micrograd-style programs and three ways to run one: real micrograd, PyTorch float64, and our API.

Shared by the oracle tests, the random-program tests and bench/api.py. The programs are written as
learners write them for micrograd, with functions where micrograd's nn.py has classes (our language
has no classes). micrograd 0.1.0's Value has only + - * / ** relu; programs with tanh or exp are run
with PyTorch float64 instead, through a small Value written on torch tensors.

Running a program with micrograd or PyTorch executes it with Python's `exec`. That is done only on
the fixed texts in this file and the ones the tests generate, never on anything a user sent.
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
            and all(close(float(x), float(y), tol) for x, y in zip(numbers_a, numbers_b)))


def differences(ours: Run, theirs: Run, tol: float = TOLERANCE) -> list[str]:
    """Every way the two runs differ, in words (empty when they agree)."""
    found = []
    if not close(ours.root, theirs.root, tol):
        found.append(f"root: ours {ours.root!r}, theirs {theirs.root!r}")
    if len(ours.leaves) != len(theirs.leaves):
        found.append(f"{len(ours.leaves)} leaves, theirs {len(theirs.leaves)} Values")
    for i, ((data, grad), (their_data, their_grad)) in enumerate(zip(ours.leaves, theirs.leaves)):
        if not close(data, their_data, tol):
            found.append(f"Value #{i} data: ours {data!r}, theirs {their_data!r}")
        if not close(grad, their_grad, tol):
            found.append(f"Value #{i} grad: ours {grad!r}, theirs {their_grad!r}")
    if len(ours.output) != len(theirs.output) or not all(map(same_line, ours.output, theirs.output)):
        found.append(f"output: ours {ours.output!r}, theirs {theirs.output!r}")
    return found


# ---- the programs ---------------------------------------------------------------------------------------

NEURON_FUNCTION = '''\
from micrograd.engine import Value


def neuron(ws, xs, b):
    return sum((w * x for w, x in zip(ws, xs)), b).relu()


ws = [Value(0.5), Value(-1.5), Value(2.0)]
b = Value(0.25)
y = neuron(ws, [1.0, -2.0, 3.0], b)
y.backward()
print(y.data, ws[1].grad, b.grad)
'''

NEURON_LOOP = '''\
from micrograd.engine import Value


def neuron(ws, xs, b, nonlin=True):
    act = b
    for i, w in enumerate(ws):
        act += w * xs[i]
    if nonlin:
        return act.relu()
    return act


ws = [Value(w) for w in [0.3, -0.7, 1.1]]
xs = [Value(x) for x in [2.0, 0.5, 1.0]]
h = neuron(ws, xs, Value(-0.1))
out = neuron([Value(1.5)], [h], Value(0.2), nonlin=False)
out.backward()
print(f"out = {out.data:.6f}")
for i in range(len(ws)):
    print(f"dw{i} = {ws[i].grad:.6f}, dx{i} = {xs[i].grad:+.3e}")
'''

# micrograd's nn.py (Neuron, Layer, MLP) with functions for classes, and the loss of its demo notebook.
MLP_FUNCTIONS = '''\
from micrograd.engine import Value
import random

random.seed(1337)


def neuron_init(nin, nonlin=True):
    w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
    b = Value(0)
    return w, b, nonlin


def neuron_call(n, x):
    w, b, nonlin = n
    act = sum((wi * xi for wi, xi in zip(w, x)), b)
    if nonlin:
        return act.relu()
    return act


def layer_init(nin, nout, nonlin=True):
    return [neuron_init(nin, nonlin=nonlin) for _ in range(nout)]


def layer_call(layer, x):
    out = [neuron_call(n, x) for n in layer]
    if len(out) == 1:
        return out[0]
    return out


def mlp_init(nin, nouts):
    sz = [nin] + nouts
    return [layer_init(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]


def mlp_call(model, x):
    for layer in model:
        x = layer_call(layer, x)
    return x


def parameters(model):
    return [p for layer in model for w, b, nonlin in layer for p in w + [b]]


model = mlp_init(2, [4, 4, 1])
X = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [-1.0, -2.0]]
ys = [1.0, -1.0, -1.0, 1.0]
scores = [mlp_call(model, x) for x in X]
losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores)]
data_loss = sum(losses) * (1.0 / len(losses))
alpha = 1e-4
reg_loss = alpha * sum((p * p for p in parameters(model)))
total_loss = data_loss + reg_loss
correct = 0
for yi, scorei in zip(ys, scores):
    if yi * scorei.data > 0:
        correct += 1
total_loss.backward()
print(f"loss {total_loss.data:.6f}, accuracy {correct / len(ys) * 100}%")
print(len(parameters(model)), "parameters")
'''

# More of the language: tuple returns, appends, slices, list items with +=, -= *= /= **=, recursion,
# if/elif/else, keyword arguments, functions reading a global list, nested comprehensions, gauss.
MLP_LOOPS = '''\
from micrograd.engine import Value
import random

random.seed(42)


def make_layer(nin, nout):
    ws = []
    bs = []
    for _ in range(nout):
        ws.append([Value(random.uniform(-1, 1)) for _ in range(nin)])
        bs.append(Value(random.gauss(0, 0.1)))
    return ws, bs


def forward(layer, xs, kind=0):
    ws, bs = layer
    outs = bs[:]
    for j, row in enumerate(ws):
        for w, x in zip(row, xs):
            outs[j] += w * x
    if kind == 0:
        return [o.relu() for o in outs]
    elif kind == 1:
        return outs
    else:
        return [o * 0.5 for o in outs]


def total(vs):
    if len(vs) == 1:
        return vs[0]
    return vs[0] + total(vs[1:])


def squared_error(pred, target):
    diff = pred - target
    diff **= 2
    return diff


layers = [make_layer(3, 4), make_layer(4, 4), make_layer(4, 1)]


def model(x):
    h = x
    for k, layer in enumerate(layers):
        if k < len(layers) - 1:
            h = forward(layer, h)
        else:
            h = forward(layer, h, kind=1)
    return h[0]


X = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]
preds = [model(x) for x in X]
errors = [squared_error(p, y) for p, y in zip(preds, ys)]
loss = total(errors)
loss /= len(ys)
loss *= 0.5
loss -= 0.125
reg = sum((w * w for ws, bs in layers for row in ws for w in row), 0.0)
loss += 0.01 * reg
negative = [p for p in preds if p.data < 0]
loss.backward()
for i, p in enumerate(preds):
    print(f"pred {i}: {p.data:.5f} (target {ys[i]:+.1f})")
print("loss", loss.data, "negative predictions:", len(negative))
'''

# The micrograd half of test_more_ops in micrograd's test/test_engine.py, verbatim.
TEST_MORE_OPS = '''\
from micrograd.engine import Value

a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
g.backward()
amg, bmg, gmg = a, b, g
'''

# The micrograd half of test_sanity_check in micrograd's test/test_engine.py, verbatim.
TEST_SANITY_CHECK = '''\
from micrograd.engine import Value

x = Value(-4.0)
z = 2 * x + 2 + x
q = z.relu() + z * x
h = (z * z).relu()
y = h + q + q * x
y.backward()
xmg, ymg = x, y
'''

# The neuron of the micrograd lecture notebook, labels included, with tanh (PyTorch is the oracle).
LECTURE_NEURON_TANH = '''\
from micrograd.engine import Value

x1 = Value(2.0, label='x1')
x2 = Value(0.0, label='x2')
w1 = Value(-3.0, label='w1')
w2 = Value(1.0, label='w2')
b = Value(6.8813735870195432, label='b')
x1w1 = x1*w1; x1w1.label = 'x1*w1'
x2w2 = x2*w2; x2w2.label = 'x2*w2'
x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
n = x1w1x2w2 + b; n.label = 'n'
o = n.tanh(); o.label = 'o'
o.backward()
print(x1.grad, w1.grad, x2.grad, w2.grad)
'''

# The same neuron with tanh written out through exp, as the lecture does next.
LECTURE_NEURON_EXP = '''\
from micrograd.engine import Value

x1 = Value(2.0, label='x1')
x2 = Value(0.0, label='x2')
w1 = Value(-3.0, label='w1')
w2 = Value(1.0, label='w2')
b = Value(6.8813735870195432, label='b')
n = x1*w1 + x2*w2 + b; n.label = 'n'
e = (2*n).exp(); e.label = 'e'
o = (e - 1) / (e + 1); o.label = 'o'
o.backward()
print(f"{o.data:.4f}", f"{x1.grad:.4f}", f"{w1.grad:.4f}")
'''

# The lecture's MLP (tanh neurons with random biases) and its squared-error loss.
LECTURE_MLP_TANH = '''\
from micrograd.engine import Value
import random

random.seed(7)


def neuron(nin):
    return [Value(random.uniform(-1, 1)) for _ in range(nin)], Value(random.uniform(-1, 1))


def fire(n, x):
    w, b = n
    act = sum((wi * xi for wi, xi in zip(w, x)), b)
    return act.tanh()


def mlp(nin, nouts):
    sz = [nin] + nouts
    return [[neuron(sz[i]) for _ in range(sz[i + 1])] for i in range(len(nouts))]


def call(model, x):
    for layer in model:
        x = [fire(n, x) for n in layer]
    return x[0] if len(x) == 1 else x


n = mlp(3, [4, 4, 1])
xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]
ypred = [call(n, x) for x in xs]
loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))
loss.backward()
print(f"loss = {loss.data:.8f}")
'''


def mlp_program(nin: int, nouts: list[int], inputs: list[list[float]], targets: list[float], seed: int) -> str:
    """micrograd's MLP written with functions and loops, on a squared-error loss over `inputs`.

    One input of a 3-16-16-1 MLP gives ~1,000 nodes; four give ~3,300."""
    return f'''\
from micrograd.engine import Value
import random

random.seed({seed})


def neuron(nin, nonlin):
    return [Value(random.uniform(-1, 1)) for _ in range(nin)], Value(0), nonlin


def layer(nin, nout, nonlin):
    return [neuron(nin, nonlin) for _ in range(nout)]


def mlp(nin, nouts):
    sizes = [nin] + nouts
    return [layer(sizes[i], sizes[i + 1], i != len(nouts) - 1) for i in range(len(nouts))]


def fire(n, x):
    w, b, nonlin = n
    act = sum((wi * xi for wi, xi in zip(w, x)), b)
    if nonlin:
        return act.relu()
    return act


def forward(model, x):
    for lay in model:
        x = [fire(n, x) for n in lay]
    return x[0]


model = mlp({nin}, {nouts!r})
xs = {inputs!r}
ys = {targets!r}
loss = sum((forward(model, x) - y) ** 2 for x, y in zip(xs, ys))
loss.backward()
print(f"loss {{loss.data:.6f}}")
'''


MLP_3_16_16_1 = mlp_program(3, [16, 16, 1], [[2.0, 3.0, -1.0]], [1.0], seed=1337)

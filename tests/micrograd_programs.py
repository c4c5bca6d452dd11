"""micrograd-style programs as learners write them, for the oracle tests and bench/api.py.

Functions stand where micrograd's nn.py has classes (our language has no classes). Each program imports
Value as micrograd programs do and calls `.backward()` once; tests/oracles.py runs them.
"""

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

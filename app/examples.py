"""The classroom gallery: each example is a program and the one thing it teaches."""

from app.schemas import Example

DEFAULT_EXAMPLE = "diamond"

EXAMPLES: list[Example] = [
    Example(
        id="diamond",
        title="Diamond: one value, two paths",
        source="a = 2\nb = 3\nc = 4\nL = (a*b + c) * (a - c)",
        note="a and c each feed two ops, so each receives two contributions and their gradient is the sum: "
             "switch to 'overwrite' to see what forgetting the += does.",
    ),
    Example(
        id="neuron",
        title="A neuron: tanh(x1*w1 + x2*w2 + b)",
        source="x1 = 2.0\nx2 = 0.0\nw1 = -3.0\nw2 = 1.0\nb = 6.8813735870195432\n"
               "n = x1*w1 + x2*w2 + b\no = tanh(n)",
        note="The gradient of tanh is 1 - tanh^2 = 0.5 here; it flows back through the sum unchanged "
             "and is multiplied by the other factor at each product.",
    ),
    Example(
        id="square",
        title="(x*w + b)**2",
        source="x = 2\nw = 3\nb = 1\nL = (x*w + b)**2",
        note="The chain rule in one line: dL/dx = 2(xw + b) * w = 42, a product of local derivatives along the path.",
    ),
    Example(
        id="x-times-x",
        title="x*x + x: one value used three times",
        source="x = 3\nL = x*x + x",
        note="x*x is one op with x as both arguments: two edges, two contributions (3 and 3), plus 1 from the add: 7.",
    ),
    Example(
        id="a-plus-a",
        title="(a + a) * a",
        source="a = 2\nL = (a + a) * a",
        note="Three uses of a, three contributions: 2 + 2 from a + a and 4 from the product, 8 in all.",
    ),
    Example(
        id="shared-reference",
        title="Shared reference: c = a + b; d = b + c",
        source="a = [1, 2, 3]\nb = [4, 5, 6]\nc = a + b\nd = b + c",
        note="Add passes its gradient through unchanged. Store that array by reference instead of copying "
             "(the 'alias' bug) and every gradient becomes [2, 2, 2].",
    ),
    Example(
        id="broadcast-row",
        title="Broadcasting (3,) + (4,3)",
        source="a = [1, 2, 3]\nB = ones(4, 3)\nL = sum(a + B)",
        note="a is copied into 4 rows, so its gradient sums the 4 rows: [4, 4, 4]. Without the axis-sum "
             "(the 'no unbroadcast' bug) the gradient has the wrong shape.",
    ),
    Example(
        id="broadcast-column",
        title="Broadcasting (3,1) + (3,5), weighted",
        source="a = [[1], [2], [3]]\nB = zeros(3, 5)\n"
               "W = const([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14]])\n"
               "L = sum((a + B) * W)",
        note="Each entry of a is stretched along 5 columns; its gradient is the row sum of W: [10, 35, 60].",
    ),
    Example(
        id="log-sigmoid",
        title="log(sigmoid(x))",
        source="x = -3\nL = log(sigmoid(x))",
        note="For very negative x the sigmoid underflows to 0 and the log becomes -inf: try x = -800 "
             "and see the node flagged. (log_softmax avoids this by subtracting the max.)",
    ),
    Example(
        id="cross-entropy",
        title="Softmax cross-entropy on a batch of 4",
        source="logits = randn(4, 3, seed=0)\ntargets = const([0, 2, 1, 2])\nL = cross_entropy(logits, targets)",
        note="The gradient for each row is (softmax - onehot(target)) / 4: it pushes the right class up and "
             "the others down.",
    ),
    Example(
        id="mlp",
        title="A 2-4-4-2 MLP on four points",
        source="X = const([[0, 0], [0, 1], [1, 0], [1, 1]])\ny = const([0, 1, 1, 0])\n"
               "W1 = randn(2, 4, seed=1)\nb1 = zeros(4)\nW2 = randn(4, 4, seed=2)\nb2 = zeros(4)\n"
               "W3 = randn(4, 2, seed=3)\nb3 = zeros(2)\n"
               "h1 = tanh(X @ W1 + b1)\nh2 = tanh(h1 @ W2 + b2)\nlogits = h2 @ W3 + b3\n"
               "L = cross_entropy(logits, y)",
        note="Each bias is broadcast over the batch of 4, so its gradient sums over the batch; "
             "each weight matrix gets X^T @ G.",
    ),
    Example(
        id="micrograd-labels",
        title="micrograd: the lecture's labelled neuron",
        source="from micrograd.engine import Value\n\n"
               "x1 = Value(2.0, label='x1')\nx2 = Value(0.0, label='x2')\n"
               "w1 = Value(-3.0, label='w1')\nw2 = Value(1.0, label='w2')\n"
               "b = Value(6.8813735870195432, label='b')\n"
               "x1w1 = x1*w1; x1w1.label = 'x1*w1'\nx2w2 = x2*w2; x2w2.label = 'x2*w2'\n"
               "x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'\n"
               "n = x1w1x2w2 + b; n.label = 'n'\no = n.tanh(); o.label = 'o'\n"
               "o.backward()\ndraw_dot(o)",
        note="A cell from micrograd's lecture notebook runs as it is: labels name the boxes, o.backward() "
             "sets every grad, draw_dot(o) picks the graph to show.",
    ),
    Example(
        id="micrograd-neuron",
        title="micrograd: a neuron as a function, called twice",
        source="from micrograd.engine import Value\n\n"
               "def neuron(xs, ws, b):\n    act = sum((w * x for w, x in zip(ws, xs)), b)\n    return act.tanh()\n\n"
               "x = [Value(2.0), Value(-1.0)]\nw = [Value(0.5), Value(-0.25)]\n"
               "h1 = neuron(x, w, Value(0.1))\nh2 = neuron(x, w, Value(-0.3))\n"
               "L = h1 * h2\nL.backward()\nprint(f\"dL/dx = {x[0].grad:.4f}, {x[1].grad:.4f}\")",
        note="Each call of neuron is a box you can open. x and w feed both calls, so their gradients sum "
             "the contributions coming back out of the two boxes.",
    ),
    Example(
        id="micrograd-mlp",
        title="micrograd: a 3-4-4-1 MLP built with functions and loops",
        source="from micrograd.engine import Value\nimport random\nrandom.seed(1337)\n\n"
               "def neuron(nin):\n    return [Value(random.uniform(-1, 1)) for _ in range(nin)], Value(0.0)\n\n"
               "def layer(nin, nout):\n    return [neuron(nin) for _ in range(nout)]\n\n"
               "def fire(n, xs, nonlin):\n    w, b = n\n    act = sum((wi * xi for wi, xi in zip(w, xs)), b)\n"
               "    return act.relu() if nonlin else act\n\n"
               "def forward(layers, xs):\n    for k, layer in enumerate(layers):\n"
               "        xs = [fire(n, xs, k < len(layers) - 1) for n in layer]\n    return xs[0]\n\n"
               "sizes = [3, 4, 4, 1]\nmodel = [layer(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]\n"
               "y = forward(model, [2.0, 3.0, -1.0])\nloss = (y - 1.0) ** 2\nloss.backward()\n"
               "print(f\"loss = {loss.data:.4f}\")",
        note="The MLP opens as a few boxes, one per call of fire: open one to see its neuron's sum and relu. "
             "Every weight's gradient comes back through exactly one neuron; every input's through all of them.",
    ),
    Example(
        id="micrograd-more-ops",
        title="micrograd's own test_more_ops, with +=",
        source="from micrograd.engine import Value\n\n"
               "a = Value(-4.0)\nb = Value(2.0)\nc = a + b\nd = a * b + b**3\nc += c + 1\nc += 1 + c + (-a)\n"
               "d += d * 2 + (b + a).relu()\nd += 3 * d + (b - a).relu()\ne = c - d\nf = e**2\ng = f / 2.0\n"
               "g += 10.0 / f\ng.backward()\nprint(f\"g = {g.data:.4f}, dg/da = {a.grad:.4f}, dg/db = {b.grad:.4f}\")",
        note="micrograd's test, verbatim: c += ... makes a new node named c each time, so a and b are used "
             "many times and sum many contributions (138.8338 and 645.5773, as PyTorch says).",
    ),
    Example(
        id="training-zero-grad",
        title="Training a line, with zero_grad",
        source="from micrograd.engine import Value\n\n"
               "xs = [1.0, 2.0, 3.0, 4.0]\nys = [3.0, 5.0, 7.0, 9.0]\n"
               "w = Value(0.0, label='w')\nb = Value(0.0, label='b')\nparams = [w, b]\n\n"
               "for step in range(15):\n"
               "    loss = sum((w * x + b - y) ** 2 for x, y in zip(xs, ys)) / len(xs)\n"
               "    for p in params:\n        p.grad = 0\n"
               "    loss.backward()\n"
               "    for p in params:\n        p.data -= 0.05 * p.grad\n"
               "    print(f\"step {step:2d}: loss {loss.data:.4f}\")",
        note="Fifteen gradient steps fit y = 2x + 1. Choose the bug 'no_zero_grad': without p.grad = 0 each "
             "step adds the new gradient to all the old ones, and the loss swings up and down instead of falling.",
    ),
    Example(
        id="training-clipping",
        title="Too big a step, saved by clip_grad_norm",
        source="from micrograd.engine import Value\n\n"
               "xs = [1.0, 2.0, 3.0, 4.0]\nys = [3.0, 5.0, 7.0, 9.0]\n"
               "w = Value(0.0, label='w')\nb = Value(0.0, label='b')\nparams = [w, b]\n\n"
               "for step in range(20):\n"
               "    loss = sum((w * x + b - y) ** 2 for x, y in zip(xs, ys)) / len(xs)\n"
               "    for p in params:\n        p.grad = 0\n"
               "    loss.backward()\n"
               "    norm = clip_grad_norm(params, 1.0)  # delete this line and the loss explodes\n"
               "    for p in params:\n        p.data -= 0.2 * p.grad\n",
        note="With a learning rate of 0.2 every step overshoots and the loss grows 5x a step. Clipping the "
             "gradient's norm to 1 keeps each step small: the plot shows the norm before and after.",
    ),
]

EXAMPLES_BY_ID = {e.id: e for e in EXAMPLES}

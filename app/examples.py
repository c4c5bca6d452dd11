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
        source="a = [[1], [2], [3]]\nB = zeros(3, 5)\nW = const([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14]])\n"
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
        note="The gradient for each row is (softmax - onehot(target)) / 4: it pushes the right class up and the others down.",
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
]

EXAMPLES_BY_ID = {e.id: e for e in EXAMPLES}

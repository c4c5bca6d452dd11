"""Parser fuzzing: token soup never raises anything but our own errors, and random valid programs
give the same gradients as PyTorch."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.language import ExpressionError, parse_program

TOKENS = [
    "x", "y", "w", "b", "L", "tanh", "exp", "log", "sum", "mean", "max", "relu", "sigmoid", "sqrt", "abs",
    "softmax", "cross_entropy", "const", "randn", "zeros", "ones", "arange", "full", "T", "axis", "seed",
    "0", "1", "2.5", "-3", "1e308", "9", "0.0", "[", "]", "(", ")", ",", ".", "=", "+", "-", "*", "/", "**",
    "@", ";", "\n", " ", "#", ":", "lambda", "import", "for", "in", "if", "def", "__class__", "__import__",
    "'s'", '"s"', "\\", "\x00", "\u2212", "\uff3f", "é", "{", "}", "<", ">", "==", "not", "and", "*", "...",
]

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_token_soup_raises_only_expression_errors(tokens):
    source = "".join(tokens)
    try:
        parse_program(source)
    except ExpressionError as e:
        d = e.to_dict()
        assert d["kind"] in {"syntax", "name", "type", "shape", "domain", "limit"}
        assert d["message"]


@FUZZ
@given(st.text(max_size=60))
def test_arbitrary_text_raises_only_expression_errors(source):
    try:
        parse_program(source)
    except ExpressionError:
        pass


# ---- random valid programs vs PyTorch ------------------------------------------------------------
# A tree is ("leaf", name) or (op, child...); both our language and PyTorch evaluate the same tree.

UNARY = {
    "tanh": (lambda s: f"tanh({s})", torch.tanh),
    "exp": (lambda s: f"exp(({s}) * 0.3)", lambda t: torch.exp(t * 0.3)),
    "sigmoid": (lambda s: f"({s}).sigmoid()", torch.sigmoid),
    "log": (lambda s: f"log(({s}) * ({s}) + 1)", lambda t: torch.log(t * t + 1)),
    "sqrt": (lambda s: f"sqrt(({s}) * ({s}) + 0.5)", lambda t: torch.sqrt(t * t + 0.5)),
    "square": (lambda s: f"({s}) ** 2", lambda t: t**2),
    "neg": (lambda s: f"-({s})", lambda t: -t),
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (b * b + 1),
}
LEAVES = {"x": (3,), "y": (2, 3), "w": (), "b": (1, 3)}


def trees(depth: int):
    leaf = st.sampled_from(sorted(LEAVES)).map(lambda n: ("leaf", n))
    if depth == 0:
        return leaf
    sub = trees(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.sampled_from(sorted(UNARY)), sub),
        st.tuples(st.sampled_from(sorted(BINARY)), sub, sub),
    )


def render(tree) -> str:
    if tree[0] == "leaf":
        return tree[1]
    if tree[0] in UNARY:
        return UNARY[tree[0]][0](render(tree[1]))
    a, b = render(tree[1]), render(tree[2])
    return f"({a}) / (({b}) * ({b}) + 1)" if tree[0] == "/" else f"({a}) {tree[0]} ({b})"


def torch_eval(tree, leaves):
    if tree[0] == "leaf":
        return leaves[tree[1]]
    if tree[0] in UNARY:
        return UNARY[tree[0]][1](torch_eval(tree[1], leaves))
    return BINARY[tree[0]](torch_eval(tree[1], leaves), torch_eval(tree[2], leaves))


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(trees(4), st.integers(0, 2**16))
def test_random_programs_match_pytorch(tree, seed):
    rng = np.random.default_rng(seed)
    values = {name: rng.uniform(-1.5, 1.5, shape) for name, shape in LEAVES.items()}
    source = "\n".join(f"{name} = {np.array2string(v, separator=', ', precision=17, floatmode='unique')}"
                       if v.ndim else f"{name} = {float(v)!r}" for name, v in values.items())
    source += f"\nL = sum({render(tree)})"
    program = parse_program(source)
    program.root.backward()
    leaves = {name: torch.tensor(v, dtype=torch.float64, requires_grad=True) for name, v in values.items()}
    loss = torch_eval(tree, leaves).sum()
    assert np.isclose(program.root.data, loss.item(), rtol=1e-12, atol=1e-12)
    if not loss.requires_grad:
        return
    loss.backward()
    for name, t in leaves.items():
        ours = program.variables[name].grad
        theirs = t.grad
        if theirs is None:
            assert ours is None, name
            continue
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-12, err_msg=f"{name} in {source}")


@pytest.mark.parametrize("source", ["x = 2\ny = x", "x = 2"])
def test_a_root_that_is_a_leaf_is_fine(source):
    program = parse_program(source)
    program.root.backward()
    assert program.root.grad == 1.0

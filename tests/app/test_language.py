"""The expression language: values, labels and leaves of valid programs; every error kind with
its exact place; the limits; and the shared corpus of hostile inputs."""

import ast
import math
import pickle
from pathlib import Path

import numpy as np
import pytest

import app.language
from app.language import CONSTRUCTORS, FUNCTIONS, METHODS, ExpressionError, Program, parse_program
from app.language.functions import OP_FUNCTIONS, PARAMETER_KINDS
from app.limits import MAX_GRAPH_NODES, MAX_NESTING, MAX_SOURCE_CHARS, MAX_TOTAL_ELEMENTS
from engine import OPS, backward
from tests.hostile_inputs import HOSTILE_INPUTS


def error_of(source: str, root: str | None = None) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse_program(source, root)
    return info.value


# ---- valid programs ---------------------------------------------------------------------------


def test_diamond_values_labels_leaves_and_gradients():
    program = parse_program("a = 2; b = 3; c = 4; L = (a*b + c) * (a - c)")
    assert isinstance(program, Program)
    assert program.root.data == -20 and program.root.label == "L" and program.root_name == "L"
    assert [t.label for t in program.leaves] == ["a", "b", "c"]
    assert all(t.requires_grad and t.op is None for t in program.leaves)
    assert list(program.variables) == ["a", "b", "c", "L"]
    backward(program.root)
    a, b, c = program.leaves
    # dL/da = b(a - c) + (ab + c), dL/db = a(a - c), dL/dc = (a - c) - (ab + c)
    assert (a.grad, b.grad, c.grad) == (4.0, -4.0, -12.0)


def test_numbers_in_expressions_are_constants_without_grad():
    program = parse_program("x = 3\ny = 2*x")
    const, x = program.root.inputs
    assert const.data == 2 and not const.requires_grad and const.label is None and const.op is None
    assert x is program.variables["x"] and x.requires_grad
    assert program.leaves == [x]


def test_constant_subexpressions_fold_into_one_constant():
    program = parse_program("x = 3\ny = x * (1/3) + -2")
    mul, neg_two = program.root.inputs
    assert neg_two.data == -2 and neg_two.op is None
    assert mul.inputs[1].data == 1 / 3
    assert len(program.nodes) == 5  # x, 1/3, mul, -2, add


def test_const_makes_a_named_input_without_grad():
    program = parse_program("t = const([0, 2, 1])\nw = randn(3, seed=0)\nL = sum(w * t)")
    t = program.variables["t"]
    assert t.label == "t" and not t.requires_grad and t.op is None
    assert t.data.tolist() == [0, 2, 1]
    assert program.leaves == [t, program.variables["w"]]


def test_const_of_a_constructor():
    t = parse_program("t = const(ones(2, 2))").root
    assert not t.requires_grad and t.data.tolist() == [[1, 1], [1, 1]]


def test_literals_and_constructors_assigned_to_names_are_leaves():
    program = parse_program("a = -2\nb = [[1, 2], [3, 4]]\nc = zeros(2, 3)\nd = 2 * 3")
    assert [(t.label, t.shape) for t in program.leaves] == [("a", ()), ("b", (2, 2)), ("c", (2, 3)), ("d", ())]
    assert program.variables["a"].data == -2 and program.variables["d"].data == 6
    assert all(t.requires_grad for t in program.leaves)


def test_randn_is_seeded_and_deterministic():
    first = parse_program("w = randn(3, 4, seed=7)").root.data
    again = parse_program("w = randn(3, 4, seed=7)").root.data
    other = parse_program("w = randn(3, 4, seed=8)").root.data
    default = parse_program("w = randn(3, 4)").root.data
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, np.random.default_rng(7).standard_normal((3, 4)))
    np.testing.assert_array_equal(default, np.random.default_rng(0).standard_normal((3, 4)))
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("source, expected", [
    ("x = zeros(2, 3)", np.zeros((2, 3))),
    ("x = zeros((2, 3))", np.zeros((2, 3))),
    ("x = ones(2)", np.ones(2)),
    ("x = full(2, 2, value=0.5)", np.full((2, 2), 0.5)),
    ("x = arange(4)", np.arange(4.0)),
    ("x = arange(1, 2, 0.25)", np.arange(1, 2, 0.25)),
    ("x = arange(5, 1, -2)", np.arange(5.0, 1, -2)),
])
def test_constructors(source, expected):
    np.testing.assert_array_equal(parse_program(source).root.data, expected)


def test_methods_and_functions_build_the_same_ops():
    program = parse_program("x = [[1, -2], [3, 4]]\n"
                            "a = sum(tanh(x), axis=0, keepdims=True)\n"
                            "b = x.tanh().sum(axis=0, keepdims=True)\n"
                            "c = tanh(x).sum(0, True)", root="a")
    a, b, c = (program.variables[n] for n in "abc")
    for t in (b, c):
        np.testing.assert_array_equal(t.data, a.data)
        assert t.op is a.op and t.params == a.params == {"axis": 0, "keepdims": True}
    assert a.shape == (1, 2)


def test_transpose_forms_agree():
    program = parse_program("x = [[1, 2, 3], [4, 5, 6]]\n"
                            "a = x.T\nb = transpose(x)\nc = x.transpose(1, 0)\nd = transpose(x, axes=(1, 0))")
    expected = np.array([[1, 4], [2, 5], [3, 6]])
    for name in "abcd":
        t = program.variables[name]
        assert t.op.name == "transpose" and t.label == name
        np.testing.assert_array_equal(t.data, expected)


def test_reshape_forms_agree():
    program = parse_program("x = arange(6)\na = reshape(x, 2, 3)\nb = x.reshape((2, 3))\nc = reshape(x, shape=(2, -1))")
    for name in "abc":
        assert program.variables[name].params == {"shape": (2, 3) if name != "c" else (2, -1)}
        np.testing.assert_array_equal(program.variables[name].data, np.arange(6.0).reshape(2, 3))


def test_softmax_family_and_cross_entropy():
    program = parse_program("z = [[1, 2, 3], [1, 1, 1]]\ns = softmax(z, axis=-1)\nl = log_softmax(z)\n"
                            "t = const([2, 0])\nL = cross_entropy(z, t)")
    s, log_s, L = (program.variables[n] for n in ("s", "l", "L"))
    np.testing.assert_allclose(s.data.sum(axis=-1), [1, 1])
    np.testing.assert_allclose(np.exp(log_s.data), s.data)
    assert L.data == pytest.approx(-(log_s.data[0, 2] + log_s.data[1, 0]) / 2)


def test_every_engine_op_is_a_function_and_a_method():
    assert set(OPS) <= set(FUNCTIONS) and set(OPS) == set(METHODS)
    assert set(CONSTRUCTORS) <= set(FUNCTIONS) and not set(CONSTRUCTORS) & set(METHODS)
    for fn in OP_FUNCTIONS.values():
        assert all(p in PARAMETER_KINDS for p in fn.params), f"no reader for a parameter of {fn.name}"


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.arity == 1 and not op.params))
def test_every_simple_unary_op_by_function_and_method(name):
    program = parse_program(f"x = [[0.5, 1.5], [2, 3]]\na = {name}(x)\nb = x.{name}()")
    a, b = program.variables["a"], program.variables["b"]
    assert a.op is b.op is OPS[name]
    np.testing.assert_array_equal(a.data, OPS[name].forward(np.array([[0.5, 1.5], [2, 3]])))
    np.testing.assert_array_equal(a.data, b.data)


def test_operators_map_to_engine_ops():
    program = parse_program("a = [[1, 2]]\nb = [[3], [4]]\np = a + b\nq = a - b\nr = a * b\ns = a / b\n"
                            "t = a ** 2\nu = a @ b\nv = -a\nw = +a\nm = matmul(a, b)")
    ops = {name: t.op.name if t.op else None for name, t in program.variables.items()}
    assert ops == {"a": None, "b": None, "p": "add", "q": "sub", "r": "mul", "s": "div", "t": "pow",
                   "u": "matmul", "v": "neg", "w": None, "m": "matmul"}
    assert program.variables["w"] is program.variables["a"]  # unary plus is the identity
    assert program.variables["t"].params == {"exponent": 2.0}
    assert program.variables["u"].data.tolist() == [[11]]


def test_root_is_the_last_statement_or_the_named_variable():
    source = "a = 2\nb = a * 3\nc = b + a"
    last = parse_program(source)
    assert last.root is last.variables["c"] and last.root_name == "c"
    chosen = parse_program(source, root="b")
    assert chosen.root is chosen.variables["b"] and chosen.root_name == "b"
    expression = parse_program("a = 2\na * 3")
    assert expression.root.label is None and expression.root_name is None and expression.root.data == 6


def test_variables_keep_first_assignment_order_and_latest_binding():
    program = parse_program("x = 1\ny = x * 2\nx = y + 1")
    assert list(program.variables) == ["x", "y"]
    assert program.variables["x"].op.name == "add" and program.variables["x"].label == "x"
    assert program.leaves[0].label == "x" and program.leaves[0].op is None


def test_assigning_an_existing_tensor_aliases_it_without_relabelling():
    program = parse_program("x = 2\ny = x\nz = y * 2")
    assert program.variables["y"] is program.variables["x"]
    assert program.variables["y"].label == "x" and program.root_name == "z"
    assert parse_program("x = 2\ny = x", root="y").root.label == "x"


def test_unused_leaves_are_listed():
    program = parse_program("a = 2\nb = 5\nL = a * 3")
    assert [t.label for t in program.leaves] == ["a", "b"]
    assert program.variables["b"] not in program.root.inputs


def test_spans_point_at_the_expression_that_made_each_tensor():
    program = parse_program("a = 2\nb = a * 3\nc = tanh(\n  b)")
    a, b, c = (program.variables[n] for n in "abc")
    assert program.spans[id(a)] == (1, 5, 6)
    assert program.spans[id(b)] == (2, 5, 10)
    assert program.spans[id(b.inputs[1])] == (2, 9, 10)
    assert program.spans[id(c)] == (3, 5, 10)  # a node over two lines ends with its first line
    assert set(program.spans) == {id(t) for t in program.nodes}


def test_comments_semicolons_and_line_endings():
    program = parse_program("# weights\r\na = 2  # two\rb = 3; L = a * b\r\n")
    assert program.root.data == 6 and program.root_name == "L"


def test_numbers_are_float64_from_the_start():
    program = parse_program("x = 9**9**9\ny = 10**400 - 10**400\nz = (-8.0)**(1/3)\nw = 1/0")
    values = {name: float(t.data) for name, t in program.variables.items()}
    assert values["x"] == math.inf and values["w"] == math.inf
    assert math.isnan(values["y"]) and math.isnan(values["z"])
    assert all(t.data.dtype == np.float64 for t in program.nodes)


def test_non_finite_results_are_not_errors():
    program = parse_program("x = 0\nL = log(x)\nM = x ** (1/3) - exp(1000)")
    assert program.variables["L"].data == -math.inf and program.root.data == -math.inf
    assert math.isnan(parse_program("x = -8\nL = x ** (1/3)").root.data)


# ---- errors and where they point ------------------------------------------------------------


@pytest.mark.parametrize("source, kind, line, col, end_col, message", [
    ("a = 1\nb = c + a", "name", 2, 5, 6, "name 'c' is not defined"),
    ("import os", "syntax", 1, 1, 10, "this import is not available: the only imports are from micrograd.engine "
                                      "import Value, import random, import math"),
    ("x = 1\ny = lambda: x", "syntax", 2, 5, 14, "lambda is not supported: write def name(x): return ..."),
    ("x = [1]\ny = x.__class__", "syntax", 2, 7, 16,
     "attribute '__class__' is not part of the language: use x.data, x.grad, x.label or an op method such as x.tanh()"),
    ("x = [1]\ny = x  .  data", "type", 2, 5, 15, "x.data is a plain number only for a scalar value; this one has "
                                                "shape (1,)"),
    ("y = foo(1)", "name", 1, 5, 8, "unknown function 'foo'"),
    ("a = zeros(2, 3)\nb = zeros(2, 3)\nL = a @ b", "shape", 3, 5, 10, "matmul shapes (2,3) @ (2,3) do not align"),
    ("a = zeros(2, 3)\nL = (a +\n a) @ a", "shape", 2, 5, 9, "matmul shapes (2,3) @ (2,3) do not align"),
    ("x = 1 \u2212 2", "syntax", 1, 7, 8, 'U+2212 (MINUS SIGN) at 1:7, did you mean "-"?'),
    ("x = 1\ny = x._\ufe4dclass__", "syntax", 2, 8, 9, 'U+FE4D (DASHED LOW LINE) at 2:8, did you mean "_"?'),
    ("x = 1  # \u00e9\ny = 2 \u00d7 x", "syntax", 2, 7, 8, 'U+00D7 (MULTIPLICATION SIGN) at 2:7, did you mean "*"?'),
    ("x = \u201c", "syntax", 1, 5, 6, "U+201C (LEFT DOUBLE QUOTATION MARK) at 1:5, did you mean '\"'?"),
    ("x = 1\u00a0", "syntax", 1, 6, 7, 'U+00A0 (NO-BREAK SPACE) at 1:6, did you mean " "?'),
    ("x = \u03c0", "syntax", 1, 5, 6, "U+03C0 (GREEK SMALL LETTER PI) at 1:5 is not allowed: write programs in "
                                      "ASCII (comments may use any character)"),
    ("a = 1\x00", "syntax", 1, 6, 7, "null byte at 1:6 is not allowed"),
    ("x = 2\ny = x ** x", "type", 2, 10, 11, "the exponent of ** must be a constant number; "
                                              "for a^x write exp(x*log(a))"),
    ("x = 2\ny = x + 'hi'", "type", 2, 5, 13, "cannot add a value of the graph and a string"),
    ("x = randn(2)\ny = x[0]", "type", 2, 5, 6, "indexing a value of the graph of shape (2,) is not supported: "
                                             "keep values in a list and index the list"),
    ("x = 1\nx //= 2", "type", 2, 1, 8, "'//' works on plain numbers only, not on a value of the graph and a number"),
    ("x = (\n1 +\nfoo(2))", "name", 3, 1, 4, "unknown function 'foo'"),
    # the first problem in source order, though unknown calls are judged once every bound name is known
    ("y = foo(1)\nz = lambda: 1", "name", 1, 5, 8, "unknown function 'foo'"),
    ("z = lambda: 1\ny = foo(1)", "syntax", 1, 5, 14, "lambda is not supported: write def name(x): return ..."),
    ("y = f(1)\nz = lambda: 1\ndef f(x):\n    return x", "syntax", 2, 5, 14,
     "lambda is not supported: write def name(x): return ..."),
    ("x = [1]\ny = x.sum(axis=0.5)", "type", 2, 16, 19, "axis must be a whole number, got 0.5"),
    ("x = [1]\ny = x.sum(bogus=1)", "type", 2, 11, 16,
     "sum() has no parameter 'bogus': sum(x, axis=..., keepdims=...)"),
    ("x = [1]\ny = x.sum(keepdims=1)", "type", 2, 20, 21, "keepdims must be True or False"),
    ("y = tanh()", "type", 1, 5, 11, "tanh() takes 1 tensor argument, got 0: tanh(x)"),
    ("x = [[1, 2], [3]]", "shape", 1, 5, 18, "the entries of this list have different shapes: (2,) and (1,)"),
    ("x = [1, [2]]", "shape", 1, 5, 13, "the entries of this list have different shapes: () and (1,)"),
    ("y = exp", "type", 1, 5, 8, "'exp' is a function: call it, e.g. exp(x)"),
    ("x = [1]\ny = x.tanh", "type", 2, 5, 11, "'tanh' is a method: call it, e.g. x.tanh()"),
    ("x = [1]\ny = x.T()", "type", 2, 5, 8, "T is not a method: write x.T"),
    ("x = 1\ny = const(x * 2)", "type", 2, 11, 16,
     "const() takes a number, a list or a constructor such as randn(2, 3), "
                                               "not a computed value"),
    ("x = full(2, 3)", "type", 1, 5, 15, "full() needs value=..., e.g. full(2, 3, value=0.5)"),
    ("x = zeros(2, size=3)", "type", 1, 14, 18, "zeros() has no parameter 'size': zeros(*shape)"),
    ("x = zeros(2, y)", "name", 1, 14, 15, "name 'y' is not defined"),
    ("x = 1\ny = zeros(x + 1)", "type", 2, 11, 16, "an argument of zeros() must be a plain number, not a value of the "
                                                   "graph"),
    ("x = zeros(-1)", "shape", 1, 11, 13, "size -1 is negative"),
    ("x = randn(2, 2, seed=-1)", "domain", 1, 22, 24, "seed must be a whole number from 0 to 2**63 - 1, got -1"),
    ("x = arange(0, 1, 0)", "domain", 1, 18, 19, "arange step must not be 0"),
    ("x = arange(3, 1)", "shape", 1, 5, 17, "shape (0,) is empty: every value needs at least one element"),
    ("x = [[], []]\ny = tanh(x)", "shape", 2, 10, 11, "shape (2,0) is empty: every value needs at least one element"),
    ("x = [1]\ny = reshape(x)", "type", 2, 5, 15, "reshape() needs shape: reshape(x, *shape)"),
    ("x = [1]\ny = x.transpose(3)", "shape", 2, 5, 19, "transpose axes (3,) are not a permutation of (0,)"),
    ("logits = randn(2, 3)\nt = const([0, 5])\nL = cross_entropy(logits, t)", "domain", 3, 5, 29,
     "cross_entropy targets must lie in 0..2"),
    ("x = zeros(100000, 100000)", "limit", 1, 5, 26,
     "shape (100000,100000) has 10,000,000,000 elements; at most 1,000,000 are allowed in one value"),
    ("x = zeros(1, 1, 1, 1, 1)", "limit", 1, 5, 25, "a value with 5 dimensions; at most 4 are allowed"),
    ("a = randn(500, 400)\nb = randn(400, 600)\nc = a @ b", "limit", 3, 5, 10,
     "matmul (500,400) @ (400,600) needs 120,000,000 multiply-adds; at most 100,000,000 are allowed"),
    ("x = zeros(1000, 1000)\ny = x + 1", "limit", 2, 9, 10,
     f"the program's values would hold {MAX_TOTAL_ELEMENTS + 1:,} elements in all; at most 1,000,000 are allowed"),
    ("x = " + "-" * 101 + "1", "limit", 1, 105, 106, "more than 100 operators in a row"),
    ("x = " + "(" * 101 + "1" + ")" * 101, "limit", 1, 105, 106, "brackets are nested more than 100 deep"),
    ("x = 1" + "0" * 100, "limit", 1, 5, 106, "a number with more than 100 digits"),
    # each construct outside the language, named where it is (app/language/syntax.py's NODE_CHECKS)
    ('@f\ndef g(x):\n    return x', 'syntax', 1, 2, 3, 'decorators are not supported'),
    ('def g(x) -> int:\n    return x', 'syntax', 1, 1, 17, "annotations are not supported: write def name(x):"),
    ('def g(*xs):\n    return 1', 'syntax', 1, 1, 12, '*args and **kwargs are not supported: name each parameter'),
    ('def __g(x):\n    return x', 'syntax', 1, 1, 12, "name '__g' is not allowed"),
    ('def g(__x):\n    return 1', 'syntax', 1, 7, 10, "name '__x' is not allowed"),
    ('def g(x: int):\n    return x', 'syntax', 1, 7, 13,
     "annotations are not supported: write the parameter's name alone"),
    ('for i in range(2):\n    x = i\nelse:\n    x = 0', 'syntax', 1, 1, 19, 'for ... else is not supported'),
    ('x = 3 | 1', 'syntax', 1, 5, 10, "operator '|' is not supported"),
    ('x = ~3', 'syntax', 1, 5, 7, "operator '~' is not supported"),
    ("x = b'ab'", 'syntax', 1, 5, 10, 'bytes are not supported: write a string'),
    ('x = 2j', 'syntax', 1, 5, 7, 'complex numbers are not supported'),
    ('x = ...', 'syntax', 1, 5, 8, "'...' is not allowed"),
    ('__x = 1', 'syntax', 1, 1, 4, "name '__x' is not allowed"),
    ('x = [1]\ny = x.shape', 'syntax', 2, 7, 12,
     "attribute 'shape' is not part of the language: use x.data, x.grad, x.label or an op method such as x.tanh()"),
    ('x = max(**{})', 'syntax', 1, 9, 13, 'unpacking with ** is not supported: pass each keyword'),
    ('x = (1)(2)', 'syntax', 1, 5, 11, 'only functions and methods can be called, e.g. tanh(x) or x.tanh()'),
    ('from math import sqrt', 'syntax', 1, 1, 22, "this import is not available: the only imports are from "
                                                  "micrograd.engine import Value, import random, import math"),
    ('continue', 'syntax', 1, 1, 9, "'break' and 'continue' belong inside a loop"),
    ('for i in range(2):\n    x = i\nif x:\n    break', 'syntax', 4, 5, 10,
     "'break' and 'continue' belong inside a loop"),
    ('def f():\n    break\nfor i in range(2):\n    f()', 'syntax', 4, 5, 8,
     "'break' and 'continue' belong inside a loop"),
])
def test_errors_say_what_and_where(source, kind, line, col, end_col, message):
    error = error_of(source)
    assert error.to_dict() == {"kind": kind, "message": message, "line": line, "col": col, "end_col": end_col}
    assert error.status == 422


@pytest.mark.parametrize("source, line, col, end_col", [
    ("x = (1 +", 1, 5, 6),  # '(' was never closed
    ("x = 1 +", 1, 8, 9),
    ("x = 1 2", 1, 7, 8),
    ("x = 1\n  y = 2", 2, 2, 3),  # unexpected indent
    ("x = )", 1, 5, 6),
])
def test_python_syntax_errors_keep_their_place(source, line, col, end_col):
    error = error_of(source)
    assert (error.kind, error.line, error.col, error.end_col) == ("syntax", line, col, end_col)
    assert error.message


def test_source_size_is_checked_first_with_status_413():
    assert parse_program("x = 1" + " " * (MAX_SOURCE_CHARS - 5)).root.data == 1
    error = error_of("x = 1\n" + "\u2212" * MAX_SOURCE_CHARS)
    assert (error.kind, error.status) == ("limit", 413)
    assert (error.line, error.col, error.end_col) == (2, MAX_SOURCE_CHARS - 5, MAX_SOURCE_CHARS - 4)


def test_errors_without_a_place():
    for source, root, kind in [("", None, "syntax"), ("  \n# nothing\n", None, "syntax"), ("a = 1", "b", "name")]:
        error = error_of(source, root)
        assert error.kind == kind and (error.line, error.col, error.end_col) == (None, None, None)
    assert error_of("a = 1", "b").message == "root 'b' is not a variable of the program"


def test_syntax_tree_depth_limit_points_at_the_first_node_too_deep():
    ok = "x = 1\ny = " + "tanh(" * (MAX_NESTING - 2) + "x" + ")" * (MAX_NESTING - 2)
    assert parse_program(ok).root.op.name == "tanh"
    error = error_of("x = 1\ny = " + "tanh(" * (MAX_NESTING - 1) + "x" + ")" * (MAX_NESTING - 1))
    # the innermost call sits at depth 100 (the statement is 1); its name `tanh` is the first node deeper
    innermost = 4 + 5 * (MAX_NESTING - 2) + 1
    assert (error.kind, error.line, error.col, error.end_col) == ("limit", 2, innermost, innermost + 4)


def test_graph_node_limit_counts_every_tensor():
    statement = "x = x" + " * 2" * 40 + "\n"  # 80 tensors: 40 constants, 40 products
    fits = (MAX_GRAPH_NODES - 1) // 80
    assert len(parse_program("x = 1\n" + statement * fits).nodes) == 1 + 80 * fits
    error = error_of("x = 1\n" + statement * (fits + 1))
    assert error.kind == "limit" and error.message == "the program creates more than 5,000 values (graph nodes)"
    assert error.line == fits + 2


def test_expression_error_pickles_with_every_field():
    error = error_of("a = 1\nb = c + a")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ExpressionError and copy.to_dict() == error.to_dict() and copy.status == 422


def test_the_language_never_evaluates_text():
    forbidden = {"eval", "exec", "compile", "__import__"}
    paths = list(Path(app.language.__file__).parent.glob("*.py"))
    assert len(paths) > 5
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
                name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                assert name not in forbidden, f"{path}:{node.lineno} calls {name}"


# ---- the hostile corpus -----------------------------------------------------------------------


def test_corpus_is_large_and_well_formed():
    assert len(HOSTILE_INPUTS) >= 40
    assert len({description for _, _, description in HOSTILE_INPUTS}) == len(HOSTILE_INPUTS)
    assert {kind for _, kind, _ in HOSTILE_INPUTS} == {None, "syntax", "name", "type", "shape", "domain", "limit"}


@pytest.mark.parametrize("source, kind, description", HOSTILE_INPUTS, ids=[h[2] for h in HOSTILE_INPUTS])
def test_hostile_input(source, kind, description):
    try:
        program = parse_program(source)
        outcome = None
    except ExpressionError as e:
        outcome = e.kind
        assert e.message and (e.status == 413) == (len(source) > MAX_SOURCE_CHARS)
    assert outcome == kind, description
    if kind is None:
        assert isinstance(program, Program)


@pytest.mark.parametrize("source, written", [
    ("a = [1, 2]\nb = [3, 4]\nL = max(a, b)", "relu(a - b) + b"),
    ("a = [1, 2]\nL = min(a, 0)", "-max(-x)"),
])
def test_max_and_min_of_tensors_say_what_they_mean_and_what_to_write(source, written):
    error = error_of(source)
    assert "compares plain numbers" in error.message and written in error.message

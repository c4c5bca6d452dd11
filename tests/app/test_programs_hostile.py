"""Hostile programs for the language of functions and loops: each is refused by a check, clearly, and the
server lives on.

Bombs (loops, recursion, lists, generators, a list that grows while a loop walks it) must run into a
budget: a 422 of kind "limit" with the line and column of the loop or call that ran out. Constructs
outside the language get a 422 whose message says what to write instead.

"Quickly" is asserted without a clock, as in test_hostile_http.py: an answer with a position comes from
a budget check, never from the sandbox's wall-clock limit (which has none). How long each bomb takes is
measured by bench/bombs.py.
"""

import pytest

from app.limits import MAX_OUTPUT_LINE_CHARS, MAX_OUTPUT_LINES, MAX_STEPS
from tests.micrograd_programs import NEURON_FUNCTION
from tests.oracles import IMPORT_VALUE

# Programs that make a Value are micrograd-style: lists and numbers in them stay plain Python ones.
MICROGRAD = f"{IMPORT_VALUE}\nw = Value(1.0)\n"

BOMBS: list[tuple[str, str]] = [
    # without a Value each `x = 0` makes a leaf: the node budget stops the loop
    ("loop without a Value", "for i in range(10**9):\n    x = 0\n"),
    # with one, numbers stay plain: the loop budget stops it
    ("loop", MICROGRAD + "for i in range(10**9):\n    x = 0\n"),
    ("loop in a function", MICROGRAD + "def spin():\n    for i in range(10**9):\n        x = 0\n    return 1\n\n"
                           "y = spin()\n"),
    ("nested loops", MICROGRAD + "for i in range(10**5):\n    for j in range(10**5):\n        x = 0\n"),
    ("three small nested loops", MICROGRAD + "for i in range(1000):\n    for j in range(1000):\n"
                                 "        for k in range(1000):\n            x = 0\n"),
    ("zip of huge ranges", MICROGRAD + "for a, b in zip(range(10**9), range(10**9)):\n    x = 0\n"),
    ("enumerate of a huge range", MICROGRAD + "for k, i in enumerate(range(10**9)):\n    x = 0\n"),
    ("recursion", "def f(n):\n    return f(n + 1)\n\ny = f(0)\n"),
    ("mutual recursion", "def f(n):\n    return g(n)\n\ndef g(n):\n    return f(n)\n\ny = f(0)\n"),
    ("exponential calls at shallow depth", "def f(n):\n    if n == 0:\n        return 1\n"
                                           "    return f(n - 1) + f(n - 1)\n\n"
                                           "y = f(40)\n"),
    ("list append loop", MICROGRAD + "xs = []\nfor i in range(10**9):\n    xs.append(i)\n"),
    ("list comprehension over a huge range", MICROGRAD + "xs = [i for i in range(10**9)]\n"),
    ("nested comprehension", MICROGRAD + "xs = [i * j for i in range(10**5) for j in range(10**5)]\n"),
    ("list doubling", MICROGRAD + "xs = [0]\nfor i in range(100):\n    xs = xs + xs\n"),
    ("list doubling with +=", MICROGRAD + "xs = [w]\nfor i in range(100):\n    xs += xs\n"),
    ("generator over a huge range", "s = sum(i for i in range(10**12))\n"),
    ("generator of Values over a huge range", MICROGRAD + "s = sum((w * i for i in range(10**12)), w)\n"),
    ("list mutated while a loop walks it", MICROGRAD + "xs = [1]\nfor x in xs:\n    xs.append(x)\n"),
    ("nodes from a loop", MICROGRAD + "for i in range(10**6):\n    w = w * 1.0001\n"),
    ("prints in a huge loop", MICROGRAD + "for i in range(10**9):\n    print(i)\n"),
    ("huge width in a format spec", MICROGRAD + "print(f'{w.data:>1000000000}')\n"),
    ("huge precision in a format spec", MICROGRAD + "print(f'{w.data:.1000000000f}')\n"),
]

# Refused outright, with a hint: (description, program, kind, words of which the message must hold one).
REFUSED: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("class", "class MLP:\n    def __init__(self):\n        self.w = 1\n", "syntax", ("function",)),
    ("while", "x = 0\nwhile x < 3:\n    x += 1\n", "syntax", ("for",)),
    ("lambda", "f = lambda x: x * 2\n", "syntax", ("def",)),
    ("try", "try:\n    x = 1\nexcept Exception:\n    x = 2\n", "syntax", ("try",)),
    ("import os", "import os\n", "syntax", ("random", "micrograd")),
    ("from os import", "from os import system\n", "syntax", ("random", "micrograd")),
    ("dunder attribute", MICROGRAD + "y = w.__class__\n", "syntax", ("__class__", "underscore", "dunder")),
    ("dunder method call", MICROGRAD + "y = w.__add__(w)\n", "syntax", ("__add__", "underscore", "dunder")),
    ("with", "with open('f') as f:\n    x = 1\n", "syntax", ("with",)),
    ("global", "x = 1\ndef f():\n    global x\n    x = 2\n    return x\n\ny = f()\n", "syntax", ("return",)),
    ("yield", "def f():\n    yield 1\n\ny = f()\n", "syntax", ("return", "list")),
    ("comparison of Values", MICROGRAD + "if w > 0:\n    y = w\n", "type", ("relu", "data")),
    ("max of Values", MICROGRAD + "v = Value(2.0)\ny = max(w, v)\n", "type", ("relu",)),
]


def post(client, source):
    return client.post("/api/graph", json={"source": source, "layout": False})


def assert_server_lives(client):
    assert client.get("/healthz").status_code == 200
    response = client.post("/api/graph", json={"source": NEURON_FUNCTION, "layout": False})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("source", [b[1] for b in BOMBS], ids=[b[0] for b in BOMBS])
def test_bomb_runs_into_a_budget(client, source):
    response = post(client, source)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["kind"] == "limit", error
    assert error["line"] is not None and error["col"] is not None, error
    assert 1 <= error["line"] <= source.count("\n"), error
    assert_server_lives(client)


@pytest.mark.parametrize("source, kind, hints", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_construct_outside_the_language_is_refused_with_a_hint(client, source, kind, hints):
    response = post(client, source)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["kind"] == kind, error
    assert error["line"] is not None, error
    assert any(hint in error["message"] for hint in hints), error["message"]
    assert_server_lives(client)


def test_printing_within_the_budgets_is_bounded(client):
    """Many prints inside the loop budget give a bounded `output`: the first lines, each cut to a bounded length,
    and one line counting the rest."""
    prints = min(MAX_STEPS // 2, MAX_OUTPUT_LINES * 10)
    source = MICROGRAD + f"long = 'x' * 1000\nfor i in range({prints}):\n    print('a line of output', i, long)\n"
    response = post(client, source)
    assert response.status_code == 200, response.text
    output = response.json()["output"]
    assert len(output) == MAX_OUTPUT_LINES + 1
    assert output[0].startswith("a line of output 0 xxx")
    assert all(len(line) <= MAX_OUTPUT_LINE_CHARS for line in output)
    assert f"{prints - MAX_OUTPUT_LINES:,}" in output[-1]
    assert_server_lives(client)

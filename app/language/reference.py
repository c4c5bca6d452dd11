"""The language reference, made from the tables the parser and evaluator use, so it cannot drift.

Served at GET /api/language for the page's help dialog. Every syntax the whitelist admits has an
entry (a test checks SYNTAX against syntax.ALLOWED), every function comes from functions.py,
every op's derivative from the engine's op table, every bug mode from the engine's list.
"""

import ast
from typing import Any

from app.language.functions import ATTRIBUTES, BUILTIN_USAGE, CONSTRUCTOR_USAGE, OP_FUNCTIONS
from app.language.syntax import ALLOWED_IMPORTS, FORBIDDEN
from app.language.training import PROGRAM_MODES
from app.language.values import MathModule, RandomModule
from engine import MODES, OPS

# (what, how it is written, what to know); keyed by the syntax-tree node it stands for
SYNTAX: dict[type, tuple[str, str, str]] = {
    ast.Assign: ("assignment", "y = x * 2;  w, b = params;  xs[0] = v",
                 "the first name a value gets is its label; at the top of a program without Value(...), "
                 "a number or list assigned to a name is a leaf"),
    ast.AugAssign: ("augmented assignment", "c += c + 1", "the same node c = c + (c + 1) makes; a list += extends it"),
    ast.Expr: ("a value or a call on its own line", "L.backward();  print(x.grad)",
               "at the top, the last value made is the root unless backward() or draw_dot() names one"),
    ast.FunctionDef: ("def", "def neuron(xs, ws, b=0.0):", "each call is a group: a box on the page you can open"),
    ast.arguments: ("parameters", "def f(x, scale=2.0):", "positional and keyword parameters, constant defaults"),
    ast.arg: ("a parameter", "x", "no annotations, no *args or **kwargs"),
    ast.Return: ("return", "return act.tanh();  return w, b", "several values come back as a tuple"),
    ast.For: ("for loop", "for w, x in zip(ws, xs):", "over lists, tuples, range, zip, enumerate; no else"),
    ast.If: ("if / elif / else", "if i % 2 == 0:", "conditions on plain numbers only"),
    ast.Break: ("break", "break", "leaves the innermost loop"),
    ast.Continue: ("continue", "continue", "goes on with the next item"),
    ast.Pass: ("pass", "pass", "does nothing"),
    ast.Import: ("import", "import random", f"only: {ALLOWED_IMPORTS}"),
    ast.ImportFrom: ("from ... import", "from micrograd.engine import Value", f"only: {ALLOWED_IMPORTS}"),
    ast.alias: ("an imported name", "Value", "as the import line names it"),
    ast.BinOp: ("operators", "a + b, a - b, a * b, a / b, a ** 2, A @ B, i // 2, i % 2",
                "** takes a constant exponent; // and % work on plain numbers"),
    ast.UnaryOp: ("unary operators", "-x, +x, not flag", "not on plain values only"),
    ast.BoolOp: ("and, or", "i > 0 and i < n", "on plain numbers"),
    ast.Compare: ("comparisons", "i < len(xs), k == 0, x in xs",
                  "plain numbers only: a value of the graph cannot decide a branch the page cannot show"),
    ast.IfExp: ("conditional expression", "act.relu() if nonlin else act", "the condition is a plain number"),
    ast.Call: ("calls", "tanh(x), x.tanh(), neuron(xs, ws, b), sum(xs, start)", "the functions below"),
    ast.keyword: ("keyword arguments", "sum(x, axis=0), Value(2.0, label='a')", "each keyword once"),
    ast.Attribute: ("attributes", "x.data, x.grad, x.label, x.T, random.uniform",
                    "v.data and v.grad are plain numbers for scalar values"),
    ast.Subscript: ("indexing", "xs[0], xs[-1], W[i][j]", "lists, tuples and strings, by whole numbers"),
    ast.Slice: ("slicing", "xs[1:], xs[::-1]", "whole numbers; a step of 0 is an error"),
    ast.Name: ("names", "x, neuron, Value", "names starting with __ are refused"),
    ast.Constant: ("literals", "2, 0.5, 1e-3, 'a', True, None",
                   "numbers, strings (print and labels), True/False, None"),
    ast.List: ("lists", "[a, b, 2.0]", "of values or numbers; all numbers: a tensor where it meets one"),
    ast.Tuple: ("tuples", "(w, b)", "as lists, but fixed"),
    ast.ListComp: ("list comprehension", "[neuron(xs) for _ in range(4)]", "nested for and if allowed"),
    ast.GeneratorExp: ("generator expression", "sum((w * x for w, x in zip(ws, xs)), b)",
                       "made one item at a time, as Python does"),
    ast.comprehension: ("for ... in ... if ...", "for w, x in zip(ws, xs) if x != 0", "inside comprehensions"),
    ast.JoinedStr: ("f-strings", "f\"{loss.data:.4f}\"", "format specs with widths up to 100"),
    ast.FormattedValue: ("a formatted value", "{x.grad:.3f}", "inside an f-string"),
}

MODE_WORDS = {
    "correct": "The gradients as they should be.",
    "overwrite": "A node used more than once keeps only its last contribution (grad = c instead of grad += c).",
    "no_unbroadcast": "Contributions to broadcast inputs are not summed back to the input's shape.",
    "alias": "Gradients are stored by reference and added in place, so arrays that happen to be shared (one "
             "array, or a reshape's or transpose's view of it) all change together.",
    "no_zero_grad": "A training loop's p.grad = 0 (and zero_grad()) does nothing, so each step adds its gradient "
                    "to all the old ones.",
}
"""What each bug mode does, in the words the page's banner uses; keyed by the engine's MODES and the
program-level modes."""


def reference() -> dict[str, Any]:
    """The whole language as data: syntax, functions, methods, constructors, attributes, modes."""
    return {
        "syntax": [{"what": what, "example": example, "note": note} for what, example, note in SYNTAX.values()],
        "refused": sorted(set(FORBIDDEN.values())),
        "ops": [{"name": name, "usage": fn.usage, "method": f"x.{name}(...)", "rule": OPS[name].rule}
                for name, fn in OP_FUNCTIONS.items()],
        "functions": [{"name": name, "usage": usage} for name, usage in BUILTIN_USAGE.items()],
        "constructors": [{"name": name, "usage": usage} for name, usage in CONSTRUCTOR_USAGE.items()],
        "attributes": [{"name": name, "usage": f"x.{name}"} for name in ATTRIBUTES]
                      + [{"name": name, "usage": usage} for name, usage in
                         {"data": "v.data: the number (assign to a leaf's to train)",
                          "grad": "v.grad: the gradient, 0 until one arrives (p.grad = 0 zeroes it)",
                          "label": "v.label = 'e': the name shown on the box",
                          "backward": "v.backward(): v is the root; the gradients are filled in",
                          "append": "xs.append(v)"}.items()],
        "modules": [{"name": name, "usage": usage}
                    for name, usage in {**RandomModule.FUNCTIONS, **MathModule.FUNCTIONS}.items()],
        "modes": [{"name": mode, "words": MODE_WORDS[mode]} for mode in (*MODES, *PROGRAM_MODES)],
    }


def markdown() -> str:
    """The reference as the README's section holds it (tests/test_docs.py checks that they agree):
    `python -m app.language.reference` prints it."""
    ref = reference()
    lines = ["| what | written | to know |", "| --- | --- | --- |"]
    lines += [f"| {s['what']} | `{s['example']}` | {s['note']} |" for s in ref["syntax"]]
    lines += ["", "Operations, each a function and a method, with its derivative:", ""]
    for op in ref["ops"]:
        receiver, *rest = op["usage"][op["usage"].index("(") + 1:-1].split(", ")
        lines.append(f"- `{op['usage']}` or `{receiver}.{op['name']}({', '.join(rest)})`: {op['rule']}")
    for title, entries in (("Python's functions, and micrograd's", ref["functions"]),
                           ("Making tensors: constructors, and `const` (an input that takes no gradient)",
                            ref["constructors"]),
                           ("Attributes and methods of a value", ref["attributes"]),
                           ("`random` and `math`", ref["modules"])):
        lines += ["", f"{title}:", ""]
        for entry in entries:
            usage, _, words = entry["usage"].partition(": ")
            lines.append(f"- `{usage}`" + (f": {words}" if words else ""))
    lines += ["", "Refused, each with what to write instead:", ""]
    lines += [f"- {text}" for text in ref["refused"]]
    lines += ["", "Bug modes (the page's mode menu, `mode` in the API):", ""]
    lines += [f"- `{m['name']}`: {m['words']}" for m in ref["modes"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")

"""show() in a real notebook: executed by nbclient on an ipykernel kernel (this interpreter, from a
kernel spec in a temporary folder), the HTML output of each show(...) written to a file and opened
in Chromium, the backward pass stepped, and the gradients shown compared with the engine's own.

Nothing may be fetched: every request other than the file itself is aborted and fails the test.
"""

import html
import json
import math
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from webtools import ARTIFACTS, ROOT

from app.offline_page import bundle_modules

PROGRAM = "a = 2.0\nb = -3.0\nc = 10.0\nd = a*b + c\nL = d / (a - c) + a*a"

SETUP = """\
import json
from app.language import parse_program
from app.notebook import show
from engine import Tensor, backward, topological_order

def engine_numbers(root, nodes, mode="correct"):
    \"\"\"The engine's own backward of `root`: per step, the gradients it set; at the end, every gradient;
    by the id the page gives a node (its place in `nodes`).\"\"\"
    ids = {t: f"n{i}" for i, t in enumerate(nodes)}
    for t in nodes:
        t.grad = None
    record = root.backward(mode=mode, record=True)
    steps = [{ids[e.target]: float(e.grad_after) for e in s.events} for s in record.steps]
    final = {ids[t]: float(t.grad) for t in nodes if t.grad is not None}
    return {"root": ids[root], "steps": steps, "final": final, "labels": {ids[t]: t.label for t in nodes}}

# micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b)
x1, x2 = Tensor(2.0, requires_grad=True, label="x1"), Tensor(0.0, requires_grad=True, label="x2")
w1, w2 = Tensor(-3.0, requires_grad=True, label="w1"), Tensor(1.0, requires_grad=True, label="w2")
b = Tensor(6.8813735870195432, requires_grad=True, label="b")
n = x1*w1 + x2*w2 + b
o = n.tanh()
o.label = "o"
"""

CELLS = {
    "tensor": "show(o)",
    "tensor numbers": "print(json.dumps(engine_numbers(o, topological_order(o))))",
    "program": f"show({PROGRAM!r})",
    # the program's own tensors through the engine's backward, firing in the order the page shows
    # (newest node first); by label, as the page numbers a program's nodes in creation order
    "program numbers": (
        f"program = parse_program({PROGRAM!r})\n"
        "nodes = [t for t in program.nodes if t in set(topological_order(program.root))]\n"
        "def by_label(mode):\n"
        "    for t in nodes:\n"
        "        t.grad = None\n"
        "    backward(program.root, mode=mode, order=nodes[::-1])\n"
        "    return {t.label: float(t.grad) for t in nodes if t.label}\n"
        "print(json.dumps({mode: by_label(mode) for mode in ('correct', 'overwrite')}))"),
}


@pytest.fixture(scope="module")
def notebook(tmp_path_factory) -> dict[str, str]:
    """Each cell's output: the HTML of a show(...), or the printed text."""
    home = tmp_path_factory.mktemp("jupyter")
    spec = home / "kernels" / "chainrule-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "chainrule (tests)", "language": "python",
        "env": {"PYTHONPATH": str(ROOT), "IPYTHONDIR": str(home / "ipython")},
    }))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP), *(nbformat.v4.new_code_cell(c) for c in CELLS.values())]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JUPYTER_PATH", str(home))
        env.setenv("JUPYTER_RUNTIME_DIR", str(home / "runtime"))
        NotebookClient(nb, kernel_name="chainrule-test", timeout=180,
                       resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = {}
    for name, cell in zip(CELLS, nb.cells[1:], strict=True):
        (out,) = cell.outputs
        outputs[name] = out["data"]["text/html"] if out["output_type"] == "execute_result" else out["text"]
    return outputs


class Offline:
    """A Chromium page opened on a file, failing on anything that is not that file or in the page."""

    def __init__(self, chromium, html: str, path: Path) -> None:
        path.write_text(f'<!doctype html>\n<html><head><meta charset="utf-8"></head><body>\n{html}\n</body></html>')
        self.context = chromium.new_context(viewport={"width": 1200, "height": 900})
        self.fetched: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self.route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.goto(path.as_uri())
        (self.frame,) = [f for f in self.page.frames if f.url == "about:srcdoc"]
        self.frame.wait_for_selector("body[data-ready=true]", state="attached", timeout=20_000)

    def route(self, route) -> None:
        url = route.request.url
        the_file = url.startswith("file:") and url.endswith(".html") and not self.fetched
        if the_file or url.startswith(("data:", "blob:", "about:")):
            self.fetched.append(url)
            route.continue_()
        else:
            self.errors.append(f"request left the page: {url}")
            route.abort()

    def grads(self) -> dict[str, str]:
        return self.frame.eval_on_selector_all(
            "[data-testid=graph] [data-node-id]",
            "els => Object.fromEntries(els.map(e => [e.dataset.nodeId,"
            "                                       e.querySelector('[data-role=grad]').textContent]))")

    def step_label(self) -> str:
        return self.frame.text_content("[data-testid=step-label]")

    def close(self) -> list[str]:
        self.context.close()
        return self.errors


@pytest.fixture
def offline(chromium, tmp_path):
    opened: list[Offline] = []

    def open_page(html: str, name: str) -> Offline:
        opened.append(Offline(chromium, html, tmp_path / f"{name}.html"))
        return opened[-1]

    yield open_page
    problems = [p for o in opened for p in o.close()]
    assert not problems, "\n".join(problems)


def close_to(shown: str, expected: float) -> bool:
    """The page writes 4 significant digits."""
    return math.isclose(float(shown), expected, rel_tol=1e-3, abs_tol=1e-12)


def test_a_tensor_in_a_notebook_steps_through_the_engines_backward(notebook, offline):
    numbers = json.loads(notebook["tensor numbers"])
    page = offline(notebook["tensor"], "tensor")
    steps, root = numbers["steps"], numbers["root"]
    assert page.step_label() == f"step 0 / {len(steps)}"
    assert set(page.grads()) == set(numbers["labels"])
    for k in range(len(steps) + 1):
        if k:
            page.frame.click("[data-testid=step-next]")
        assert page.step_label() == f"step {k} / {len(steps)}"
        expected: dict[str, float] = {root: 1.0} if k else {}
        for step in steps[:k]:
            expected.update(step)
        shown = page.grads()
        for node, text in shown.items():
            if node in expected:
                assert close_to(text, expected[node]), (k, node, text, expected[node])
            else:
                assert text == "?", (k, node, text)
    final = page.grads()
    assert all(close_to(final[n], g) for n, g in numbers["final"].items())
    by_label = {numbers["labels"][n]: float(t) for n, t in final.items() if numbers["labels"][n]}
    assert by_label == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5, "o": 1.0}, abs=1e-3)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "16-notebook-tensor.png"))


def embedded_labels(output: str) -> dict[str, str]:
    """Node id -> label, from the graph record embedded in a show(...) output."""
    document = html.unescape(re.search(r'srcdoc="([^"]*)"', output)[1])
    embedded = re.search(r'<script type="application/json" id="chainrule-embedded">(.*?)</script>', document, re.DOTALL)
    data = json.loads(embedded[1])
    return {n["id"]: n["label"] for n in data["graphs"]["correct"]["nodes"] if n["label"]}


def test_a_program_in_a_notebook_shows_the_engines_gradients_in_each_mode(notebook, offline):
    numbers = json.loads(notebook["program numbers"])
    labels = embedded_labels(notebook["program"])
    assert set(labels.values()) == {"a", "b", "c", "d", "L"}
    page = offline(notebook["program"], "program")
    for mode in ("correct", "overwrite"):
        if mode != "correct":
            before = int(page.frame.evaluate("() => document.body.dataset.graphs"))
            page.frame.select_option("[data-testid=mode]", mode)
            page.frame.wait_for_function(
                "(n) => Number(document.body.dataset.graphs) > n && document.body.dataset.ready === 'true'", arg=before)
            assert page.frame.is_visible("[data-testid=bug-banner]")
        if page.frame.is_enabled("[data-testid=step-end]"):  # a mode switch keeps the step: the end
            page.frame.click("[data-testid=step-end]")
        assert re.fullmatch(r"step (\d+) / \1", page.step_label())
        shown = page.grads()
        for node, label in labels.items():
            assert close_to(shown[node], numbers[mode][label]), (mode, label, shown[node], numbers[mode][label])
    assert numbers["overwrite"]["a"] != numbers["correct"]["a"]  # the bug shows on this program


def test_editing_the_program_offline_says_it_needs_the_server(notebook, offline):
    page = offline(notebook["program"], "edit")
    page.frame.fill("[data-testid=source]", "a = 1\nL = a + a")
    page.frame.click("[data-testid=run]")
    page.frame.wait_for_selector("[data-testid=error]:not([hidden])")
    assert "python -m app serve" in page.frame.text_content("[data-testid=error]")


def test_a_bundle_runs_like_the_modules(chromium, tmp_path):
    """Order and scopes in a real browser: each module after its imports, depth first; each keeps
    its own top-level names; renamed imports bind."""
    files = {
        "a.js": 'import { b } from "./b.js";\nimport { c } from "./c.js";\nlog("a");\nwindow.result = { b, c: c() };\n',
        "b.js": 'import { d } from "./d.js";\nimport { log } from "./log.js";\nconst SVG_NS = "b";\nlog("b");\n'
                "export const b = d + 1;\n",
        "c.js": 'import { d as dee } from "./d.js";\nimport { log } from "./log.js";\nconst SVG_NS = "c";\nlog("c");\n'
                "export function c() {\n  return dee * 10 + SVG_NS.length;\n}\n",
        "d.js": 'import { log } from "./log.js";\nlog("d");\nexport const d = 1;\n',
        "log.js": "window.order = [];\nexport function log(name) {\n  window.order.push(name);\n}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    bundle = bundle_modules(tmp_path, "a.js").replace('log("a")', 'window.order.push("a")')
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content(f'<script type="module">\n{bundle}</script>')
    page.wait_for_function("() => window.result !== undefined")
    assert page.evaluate("() => window.order") == ["d", "b", "c", "a"]
    assert page.evaluate("() => window.result") == {"b": 2, "c": 11}
    context.close()
    assert not errors

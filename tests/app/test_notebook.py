"""show() for notebooks: the page whole in one document, answering from embedded data exactly what
the API answers; the bundle of the page's modules; and the package as a notebook user installs it
(a wheel in a fresh virtual environment, used from another folder)."""

import ast
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from app.examples import EXAMPLES_BY_ID
from app.language import ExpressionError
from app.notebook import MAX_EMBEDDED_VIEWS, PROGRAM_MODES, show
from app.offline_page import BundleError, bundle_modules, offline_page
from app.page_files import STATIC
from engine import MODES, Tensor

ROOT = Path(__file__).resolve().parents[2]
DIAMOND = "a = 2\nb = 3\nc = 4\nL = (a*b + c) * (a - c)"
# two calls of f, one inside g: the groups g#1 > f#1 and f#2, so six sets of open groups in all
CALLS = "def f(x):\n    return x * x + x\n\ndef g(x):\n    return f(x) * 2\n\na = 2.0\nL = g(a) + f(a)\n"
EMBEDDED = re.compile(r'<script type="application/json" id="chainrule-embedded">(.*?)</script>', re.DOTALL)


def answers(page) -> dict:
    return json.loads(EMBEDDED.search(page.document)[1])


def embedded_graph(data: dict, mode: str, key: str = "*") -> dict:
    """What static/embedded.js answers to POST /api/graph (no gradcheck) for `mode`."""
    parts = data["views"][mode][key]
    return {**data["graphs"][mode], "view": data["parts"][parts["view"]], "layout": data["parts"][parts["layout"]],
            "layout_reason": parts["layout_reason"]}


def embedded_view(data: dict, mode: str, key: str) -> dict:
    parts = data["views"][mode][key]
    return {"view": data["parts"][parts["view"]], "layout": data["parts"][parts["layout"]],
            "layout_reason": parts["layout_reason"]}


# ---- the embedded answers are the API's ---------------------------------------------------------

@pytest.mark.parametrize("example", ["diamond", "broadcast-row", "training-zero-grad"])
def test_a_program_page_answers_what_the_api_answers_in_every_mode(client, example):
    source = EXAMPLES_BY_ID[example].source
    data = answers(show(source))
    assert data["source"] == source and set(data["graphs"]) == set(PROGRAM_MODES)
    for mode in PROGRAM_MODES:
        api = client.post("/api/graph", json={"source": source, "mode": mode, "max_paths": 16}).json()
        assert embedded_graph(data, mode) == api, mode
    checked = client.post("/api/graph", json={"source": source, "max_paths": 16, "gradcheck": True}).json()
    assert data["gradcheck"] == checked["gradcheck"] and data["gradcheck"] is not None


def test_every_set_of_open_groups_is_embedded_when_there_are_few(client):
    data = answers(show(CALLS))
    groups = {g["id"]: g["parent"] for g in data["graphs"]["correct"]["groups"]}
    assert len(groups) == 3
    for mode in PROGRAM_MODES:
        keys = set(data["views"][mode]) - {"*"}
        assert len(keys) == 6, keys  # g closed (f#1 hidden), g open with f#1 either way; times f#2 either way
        for key in keys:
            open_ids = key.split(",") if key else []
            assert all(groups[g] is None or groups[g] in open_ids for g in open_ids)
            api = client.post("/api/view", json={"source": CALLS, "mode": mode, "max_paths": 16, "open": open_ids})
            assert embedded_view(data, mode, key) == api.json(), (mode, key)


def test_a_large_grouped_graph_embeds_the_views_the_page_asks_for_first(client):
    source = EXAMPLES_BY_ID["micrograd-mlp"].source
    data = answers(show(source))
    views = data["views"]["correct"]
    assert 3 < len(views) <= MAX_EMBEDDED_VIEWS
    opening = data["parts"][views["*"]["view"]]["open"]
    assert "" in views and ",".join(opening) in views  # every group closed; the opening view asked by its groups
    for key in ["", *list(views)[1:6]]:
        api = client.post("/api/view", json={"source": source, "max_paths": 16, "open": key.split(",") if key else []})
        assert embedded_view(data, "correct", key) == api.json(), key


# ---- a Tensor built with the engine --------------------------------------------------------------

def diamond_tensors() -> Tensor:
    a, b, c = (Tensor(v, requires_grad=True, label=n) for n, v in (("a", 2.0), ("b", 3.0), ("c", 4.0)))
    L = (a * b + c) * (a - c)
    L.label = "L"
    return L


def by_content(graph: dict) -> list[tuple]:
    """The nodes as (label, op, value, grad), whatever their ids (a program numbers them in creation
    order, a Tensor's graph in the order a depth-first walk from the root finishes them)."""
    return sorted((n["label"] or "", n["op"] or n["kind"], json.dumps(n["value"]), json.dumps(n["grad"]))
                  for n in graph["nodes"])


def test_a_tensor_page_shows_the_graph_the_program_with_the_same_graph_shows():
    tensor, program = answers(show(diamond_tensors())), answers(show(DIAMOND))
    assert set(tensor["graphs"]) == set(MODES)
    assert set(tensor["missing"]) == set(PROGRAM_MODES) - set(MODES)  # no_zero_grad needs a program's statements
    for mode in MODES:
        mine, theirs = tensor["graphs"][mode], program["graphs"][mode]
        assert by_content(mine) == by_content(theirs), mode
        assert len(mine["backward_steps"]) == len(theirs["backward_steps"]) and mine["mode"] == mode
        assert [n["span"] for n in mine["nodes"]] == [None] * len(mine["nodes"]) and mine["groups"] == []
        assert (mine["compare"] is None) == (mode == "correct")
        if mine["compare"]:
            assert len(mine["compare"]["differs"]) == len(theirs["compare"]["differs"])
    assert tensor["gradcheck"]["leaves"].keys() == {n["id"] for n in tensor["graphs"]["correct"]["nodes"]
                                                   if n["kind"] == "leaf"}


def test_a_tensor_page_numbers_nodes_in_topological_order():
    from engine import topological_order

    L = diamond_tensors()
    graph = answers(show(L))["graphs"]["correct"]
    order = topological_order(L)
    assert [n["id"] for n in graph["nodes"]] == [f"n{i}" for i in range(len(order))]
    assert [n["label"] for n in graph["nodes"]] == [t.label for t in order]
    assert graph["root"] == f"n{len(order) - 1}" and graph["root_label"] == "L"


def test_show_leaves_the_tensors_gradients_as_they_were():
    L = diamond_tensors()
    L.backward()
    from engine import topological_order

    before = {t: t.grad for t in topological_order(L)}
    show(L)
    assert all(t.grad is grad for t, grad in before.items())
    fresh = diamond_tensors()
    show(fresh)
    assert all(t.grad is None for t in topological_order(fresh))


def test_the_engine_imports_nothing_of_the_app_or_the_page():
    """show() lives in app/notebook.py: the engine stays a library of its own."""
    for file in (ROOT / "engine").rglob("*.py"):
        tree = ast.parse(file.read_text())
        imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0]
        assert not [m for m in imported if m.split(".")[0] in ("app", "tests", "bench")], file


def test_show_takes_a_tensor_or_a_program():
    with pytest.raises(TypeError, match="Tensor or a program"):
        show(3.0)
    with pytest.raises(ExpressionError):
        show("a = ")


# ---- one document, nothing to fetch ---------------------------------------------------------------

class Fetches(HTMLParser):
    """Every URL a document would load: src of any element, href of <link>, url(...) in <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if found.get("src"):
            self.urls.append(found["src"])
        if tag == "link" and found.get("href"):
            self.urls.append(found["href"])
        self.in_style = tag == "style"

    def handle_data(self, data):
        if self.in_style:
            self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", data)


def test_the_page_loads_nothing_but_data_urls():
    document = show(DIAMOND).document
    parser = Fetches()
    parser.feed(document)
    assert parser.urls and all(u.startswith("data:") for u in parser.urls), parser.urls
    assert "/static/" not in document
    assert document.count('<script type="module">') == 1 and "<script src" not in document


def test_the_notebook_output_is_the_page_in_an_iframe(tmp_path):
    page = show(DIAMOND)
    assert page.save(tmp_path / "page.html").read_text(encoding="utf-8") == page.document
    out = page._repr_html_()
    assert out.startswith("<iframe ") and out.endswith("</iframe>") and "<script" not in out
    srcdoc = re.search(r'srcdoc="([^"]*)"', out)[1]
    assert html.unescape(srcdoc) == page.document
    assert repr(page) == "<chainrule page: 7 nodes, 4 backward steps>"


class Scripts(HTMLParser):
    """The <script> elements of a document as a browser's parser splits them: (attributes, text)."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self.feed(document)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append((dict(attrs), ""))

    def handle_data(self, data):
        if self.scripts and self.get_starttag_text().startswith("<script") and self.lasttag == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


def test_embedded_data_cannot_end_its_script_element():
    hostile = {"label": "</script><script>alert(1)</script><!--", "n": [1, 2]}
    scripts = Scripts(offline_page(hostile)).scripts
    assert [attrs for attrs, _ in scripts] == [{"type": "application/json", "id": "chainrule-embedded"},
                                               {"type": "module"}]
    assert json.loads(scripts[0][1]) == hostile


def test_a_label_in_the_program_stays_text():
    scripts = Scripts(show('a = Value(2.0, label="</script>x")\nL = a * a').document).scripts
    assert len(scripts) == 2
    assert any(n["label"] == "</script>x" for n in json.loads(scripts[0][1])["graphs"]["correct"]["nodes"])


# ---- the bundle -----------------------------------------------------------------------------------

def modules(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_bundle_runs_each_module_after_its_imports_in_import_order(tmp_path):
    folder = modules(tmp_path, {
        "a.js": 'import { b } from "./b.js";\nimport { c } from "./c.js";\nexport const a = b + c;\n',
        "b.js": 'import { d } from "./d.js";\nexport const b = d + 1;\n',
        "c.js": 'import { d as dee } from "./d.js";\nconst d = 100;\nexport function c() {\n  return dee + d;\n}\n',
        "d.js": "export const d = 1;\nconst unused = 2;\n",
    })
    bundle = bundle_modules(folder, "a.js")
    assert re.findall(r"^// ---- (\S+)", bundle, flags=re.MULTILINE) == ["d.js", "b.js", "c.js", "a.js"]
    assert "const { d: dee } = chainrule_module_d_js;" in bundle  # renamed, and c.js's own d kept apart
    assert "import " not in bundle and "export " not in bundle


@pytest.mark.parametrize("files, refusal", [
    ({"a.js": 'import b from "./b.js";\n', "b.js": "export const b = 1;\n"}, "cannot bundle `import b"),
    ({"a.js": 'import * as b from "./b.js";\n', "b.js": "export const b = 1;\n"}, "cannot bundle `import \\*"),
    ({"a.js": "export default 1;\n"}, "cannot bundle `export default"),
    ({"a.js": "const x = 1;\nexport { x };\n"}, "cannot bundle `export {"),
    ({"a.js": "export let x = 1;\n"}, "live bindings"),
    ({"a.js": 'import { b } from "./b.js";\nexport const a = 1;\n',
      "b.js": 'import { a } from "./a.js";\nexport const b = 1;\n'},
     "import each other"),
    ({"a.js": 'import { b } from "../b.js";\n'}, "not a module of the same folder"),
    ({"a.js": 'import { nope } from "./b.js";\n', "b.js": "export const b = 1;\n"}, "does not export"),
    ({"a.js": 'const s = "</script>";\n'}, "would end or confuse"),
    ({"a.js": 'import { b } from "./missing.js";\n'}, "not in"),
])
def test_the_bundle_refuses_what_it_cannot_keep(tmp_path, files, refusal):
    with pytest.raises(BundleError, match=refusal):
        bundle_modules(modules(tmp_path, files), "a.js")


def test_the_page_bundles_with_the_embedded_answers_first_and_its_wiring_last():
    bundle = bundle_modules(STATIC, "app.js")
    order = re.findall(r"^// ---- (\S+)", bundle, flags=re.MULTILINE)
    assert order[0] == "embedded.js" and order[-1] == "app.js" and "api.js" in order
    assert len(order) == len(set(order))


# ---- the package, installed from a wheel ----------------------------------------------------------

@dataclass
class Installed:
    wheel: Path
    python: Path
    elsewhere: Path  # a folder with nothing of the checkout in it


def run(command: list[str], cwd: Path, timeout: float = 300) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """The checkout as a notebook user gets it: a wheel built from a copy by `python -m build`,
    installed with its dependencies (from the package index, at the versions CI tests) into a fresh
    virtual environment. ~25 s on a quiet machine, most of it installing NumPy and FastAPI."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".*cache", ".hypothesis", "tests", "bench"))
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(source)], cwd=work)
    (wheel,) = (work / "dist").glob("*.whl")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=work)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-compile",
         "--constraint", str(ROOT / "requirements.txt"), str(wheel)], cwd=work)
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    return Installed(wheel, python, elsewhere)


def test_the_wheel_holds_every_package_and_the_page_files(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    packages = {str(p.parent.relative_to(ROOT)) for top in ("app", "engine") for p in (ROOT / top).rglob("__init__.py")}
    assert "app/language" in packages
    for package in packages:
        assert f"{package}/__init__.py" in names, package
    for folder in ("static", "templates"):
        for file in (ROOT / folder).iterdir():
            assert f"app/{folder}/{file.name}" in names, file
    assert not any(n.startswith(("tests/", "bench/", "static/", "templates/")) for n in names)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_installed_package_serves_the_page_from_another_folder(installed):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    server = subprocess.Popen([str(installed.python), "-m", "app", "serve", "--port", str(port)],
                              cwd=installed.elsewhere, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"the server exited:\n{server.stdout.read().decode()}"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            time.sleep(0.2)
        page = httpx.get(f"{base}/", timeout=10)
        assert page.status_code == 200 and 'src="/static/app.js"' in page.text
        assert httpx.get(f"{base}/static/app.js", timeout=10).status_code == 200
        examples = httpx.get(f"{base}/api/examples", timeout=10)
        assert examples.status_code == 200 and any(e["id"] == "diamond" for e in examples.json())
        graph = httpx.post(f"{base}/api/graph", json={"source": DIAMOND}, timeout=30)
        assert graph.status_code == 200 and graph.json()["nodes"]
    finally:
        server.terminate()
        server.wait(10)


def test_show_works_in_the_installed_package(installed):
    script = (
        "import json, app\n"
        "from app.notebook import show\n"
        "from engine import Tensor\n"
        "a = Tensor(2.0, requires_grad=True, label='a')\n"
        "L = a * a + a\n"
        "pages = [show(L), show('a = 2.0\\nL = a*a + a')]\n"
        "print(json.dumps({'app': app.__file__, 'pages': [p._repr_html_()[:8] for p in pages],\n"
        "                  'embedded': [p.document.count('chainrule-embedded') for p in pages]}))\n"
    )
    out = json.loads(run([str(installed.python), "-c", script], cwd=installed.elsewhere, timeout=120))
    assert Path(out["app"]).is_relative_to(installed.python.parent.parent)
    assert out["pages"] == ["<iframe "] * 2 and all(n >= 2 for n in out["embedded"])

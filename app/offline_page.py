"""The page as one self-contained HTML document that needs no server and fetches nothing.

The template is rendered as the server renders it, then every reference to `/static/` is replaced
by the file itself: stylesheets become <style> elements, the favicon a data: URL, and the page's
ES modules one inline module. The answers the page would ask the API for are embedded as JSON in
<script id="chainrule-embedded">, which static/embedded.js reads.

The bundle keeps each module's own scope (two modules may both declare `SVG_NS`): each becomes a
function run once, which binds its imports from the modules it imports and returns its exports.
They run depth first in import order, each after its imports: the order a browser runs a module
graph. What a bundle cannot keep is refused with BundleError rather than changed: import cycles,
`export let` (a live binding), default and namespace imports, dynamic imports of files.
"""

import base64
import json
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.page_files import STATIC, TEMPLATES

ENTRY_TEMPLATE = "index.html"

NAME = r"[A-Za-z_$][\w$]*"
# `import { a, b } from "./x.js";` (over several lines too) or `import "./x.js";`, at the start of a line
IMPORT = re.compile(r"""^import\s*(?:\{(?P<names>[^}]*)\}\s*from\s*)?["'](?P<path>[^"']+)["'];?[ \t]*(?://[^\n]*)?$""",
                    re.MULTILINE)
IMPORT_START = re.compile(r"^import\b", re.MULTILINE)
EXPORT = re.compile(r"^export\s+", re.MULTILINE)
DECLARES = rf"(?:async\s+)?(?P<kind>function|class|const|let|var)\b\s*\*?\s*(?P<name>{NAME})"
LOCAL_MODULE = re.compile(r"\./[\w.-]+\.js")
ASSET_TAG = re.compile(r"<(?P<tag>link|script)\b(?P<attrs>[^>]*)>(?:\s*</script>)?", re.IGNORECASE)
ATTRIBUTE = re.compile(r"""([\w-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
MEDIA_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}


class BundleError(Exception):
    """The page's files cannot be made into one offline document as they are."""


class Module:
    """One ES module of the page: what it imports (from which file, which names as which local
    names), what it exports, and its code without import lines and `export` words."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.variable = "chainrule_module_" + re.sub(r"\W", "_", path)
        self.imports: list[tuple[str, list[tuple[str, str]]]] = []
        for match in IMPORT.finditer(text):
            names = []
            for item in (n.strip() for n in (match["names"] or "").split(",")):
                parts = item.split()
                if not item:
                    continue
                if not (len(parts) == 1 or (len(parts) == 3 and parts[1] == "as")) or not all(
                        re.fullmatch(NAME, n) for n in parts[::2]):
                    raise BundleError(f"{path}: cannot bundle `import {{ {item} }}`")
                names.append((parts[0], parts[-1]))
            if not LOCAL_MODULE.fullmatch(match["path"]):
                raise BundleError(f"{path}: imports {match['path']!r}, not a module of the same folder")
            self.imports.append((match["path"][2:], names))
        code = IMPORT.sub("", text)
        if stray := IMPORT_START.search(code):
            raise BundleError(f"{path}: cannot bundle `{first_line(code, stray.start())}` "
                              "(only `import { a, b as c } from \"./x.js\"`)")
        self.exports: list[str] = []
        for match in EXPORT.finditer(code):
            declared = re.compile(DECLARES).match(code, match.end())
            if declared is None or declared["kind"] in ("let", "var"):
                raise BundleError(f"{path}: cannot bundle `{first_line(code, match.start())}` (only `export` "
                                  "before a function, class or const: a bundle has no live bindings)")
            self.exports.append(declared["name"])
        self.code = EXPORT.sub("", code)
        if "chainrule_module_" in self.code:
            raise BundleError(f"{path} uses the prefix chainrule_module_, which the bundle keeps for its modules")
        for marker in ("</script", "<!--"):
            if marker in self.code.lower():
                raise BundleError(f"{path}: contains {marker!r}, which would end or confuse an inline <script>")

    def wrapped(self, modules: "dict[str, Module]") -> str:
        """The module as a function run once, taking its imports and returning its exports."""
        lines = [f"// ---- {self.path}", f"const {self.variable} = (() => {{"]
        for dependency, names in self.imports:
            for name, _ in names:
                if name not in modules[dependency].exports:
                    raise BundleError(f"{self.path} imports {name} from {dependency}, which does not export it")
            if names:
                bound = ", ".join(name if name == local else f"{name}: {local}" for name, local in names)
                lines.append(f"const {{ {bound} }} = {modules[dependency].variable};")
        lines += [self.code.strip(), f"return {{ {', '.join(self.exports)} }};", "})();", ""]
        return "\n".join(lines)


def first_line(text: str, start: int) -> str:
    return text[start:].split("\n", 1)[0]


def bundle_modules(folder: Path, entry: str) -> str:
    """The modules reachable from `entry` (a file in `folder`) as the code of one module."""
    modules: dict[str, Module] = {}
    ordered: list[Module] = []

    def load(path: str) -> Module:
        if path not in modules:
            file = folder / path
            if not file.is_file():
                raise BundleError(f"{path} is imported but is not in {folder}")
            modules[path] = Module(path, file.read_text(encoding="utf-8"))
        return modules[path]

    # depth first in import order, each module after its imports: the order a browser runs them
    done: set[str] = set()
    stack: list[tuple[Module, int]] = [(load(entry), 0)]
    while stack:
        module, i = stack.pop()
        if i < len(module.imports):
            stack.append((module, i + 1))
            dependency = load(module.imports[i][0])
            if any(m is dependency for m, _ in stack):
                raise BundleError(f"{module.path} and {dependency.path} import each other; a bundle needs no cycles")
            if dependency.path not in done:
                stack.append((dependency, 0))
        elif module.path not in done:
            done.add(module.path)
            ordered.append(module)
    return "\n".join(m.wrapped(modules) for m in ordered)


def data_url(file: Path) -> str:
    media_type = MEDIA_TYPES.get(file.suffix)
    if media_type is None:
        raise BundleError(f"no data: URL type for {file.name}")
    return f"data:{media_type};base64,{base64.b64encode(file.read_bytes()).decode()}"


def embedded_json(data: Any) -> str:
    """JSON for a <script type="application/json">: `<` escaped, so no text in it can end the element."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def static_file(reference: str | None) -> Path | None:
    """The file a `/static/...` reference names, or None for any other reference."""
    if reference is None or not reference.startswith("/static/"):
        return None
    name = reference.removeprefix("/static/")
    file = STATIC / name
    if "/" in name or not file.is_file():
        raise BundleError(f"the page refers to {reference}, which is not a file of {STATIC}")
    return file


def inline_asset(tag: str, attrs: str, embedded: str) -> str:
    """One <link> or <script> of the template, with the file it refers to inlined."""
    found = {m[1].lower(): m[2] or m[3] or m[4] for m in ATTRIBUTE.finditer(attrs)}
    file = static_file(found.get("href" if tag.lower() == "link" else "src"))
    if file is None:
        return f"<{tag}{attrs}>" + ("</script>" if tag.lower() == "script" else "")
    rel = found.get("rel", "")
    if tag.lower() == "link" and rel == "stylesheet":
        css = file.read_text(encoding="utf-8")
        if "</style" in css.lower():
            raise BundleError(f"{file.name} contains '</style'")
        return f"<style>\n{css}</style>"
    if tag.lower() == "link" and rel == "icon":
        return f'<link rel="icon" href="{data_url(file)}">'
    if tag.lower() == "script" and found.get("type") == "module":
        data = f'<script type="application/json" id="chainrule-embedded">{embedded}</script>\n'
        return f'{data}<script type="module">\n{bundle_modules(STATIC, file.name)}</script>'
    raise BundleError(f"cannot inline <{tag}{attrs}>")


def offline_page(answers: dict[str, Any]) -> str:
    """The page's HTML with everything inlined and `answers` embedded for static/embedded.js."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    page = environment.get_template(ENTRY_TEMPLATE).render()
    embedded = embedded_json(answers)
    inlined = [inline_asset(m["tag"], m["attrs"], embedded) for m in ASSET_TAG.finditer(page)]
    pieces = ASSET_TAG.split(page)[::3]  # the text between the tags (split also returns both groups)
    if "/static/" in "".join(pieces):
        raise BundleError(f"{ENTRY_TEMPLATE} refers to /static/ outside a <link> or <script> that can be inlined")
    modules = sum('id="chainrule-embedded"' in tag for tag in inlined)
    if modules != 1:
        raise BundleError(f"{ENTRY_TEMPLATE} has {modules} module scripts from /static/; the offline page needs one")
    return "".join(piece + tag for piece, tag in zip(pieces, [*inlined, ""], strict=True))

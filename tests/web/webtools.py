"""Helpers for the browser tests: the API called directly, and a watched page of the app."""

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
DIAMOND = "a = 2\nb = 3\nc = 4\nL = (a*b + c) * (a - c)"
# 1,001 nodes, one op per statement: no groups, so the view is every node but the folded constants (501 boxes)
FLAT_CHAIN = "x = 1\n" + "x = x*1.01\nx = x + 0.1\n" * 250

# Records CSP violations for the `web` fixture to check.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""

# What covers what on the drawing, as the browser lays it out (screen pixels, 1 px of slack):
# an edge label over a box, a badge, a pinned value, a sum callout or another label; a sum callout
# over any node's text, badge (its own too), pinned value or label, or over another node's box; a
# pinned value over a node's text; a badge over another badge or a group's label. Returns the problems.
OVERLAPS = """() => {
  const svg = document.querySelector('[data-testid=graph]');
  const items = (selector, kind) => [...svg.querySelectorAll(selector)]
    .filter((el) => el.checkVisibility() && el.getBoundingClientRect().width > 0)
    .map((el) => ({ kind, el, r: el.getBoundingClientRect(),
                    owner: el.closest('[data-node-id]')?.dataset.nodeId ?? el.closest('[data-for]')?.dataset.for
                      ?? el.closest('[data-group-id]')?.dataset.groupId ?? el.dataset.edgeId }));
  const boxes = items('.node .box', 'box');
  const texts = items('.node :is(.title, .key, .num)', 'text');
  const pills = items('.correct-pill rect', 'pinned value');
  const callouts = items('.sum-callout.show rect', 'callout');
  const labels = items('.edge-label', 'edge label');
  const badges = items(':is(.badge, .op-bubble) rect', 'badge');
  const frames = items('.cluster-label rect', 'group label');
  const hit = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const problems = [];
  const check = (as, bs, exceptOwn = false) => {
    for (const a of as) for (const b of bs) {
      if (a === b || (exceptOwn && a.owner === b.owner) || !hit(a.r, b.r)) continue;
      const what = (x) => `${x.kind} of ${x.owner} "${(x.el.closest('g')?.textContent ?? '').slice(0, 30)}"`;
      problems.push(`${what(a)} covers ${what(b)}`);
    }
  };
  check(labels, [...boxes, ...badges, ...pills, ...callouts, ...labels]);
  check(callouts, [...texts, ...badges, ...pills, ...callouts, ...frames]);
  check(callouts, boxes, true);
  check(pills, texts, true);
  check(badges, [...badges, ...frames]);
  return problems;
}"""

# The on-screen size of a node's texts: computed font size times the drawing's scale.
NODE_TEXT_PX = """(id) => [...document.querySelectorAll(`[data-testid=graph] [data-node-id="${id}"] :is(.title, .key, .num)`)]
  .filter((t) => t.checkVisibility())
  .map((t) => parseFloat(getComputedStyle(t).fontSize) * Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b))"""


class Api:
    """The JSON API, called directly, to compare the page against."""

    def __init__(self, base: str) -> None:
        self.base = base

    def examples(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.base}/api/examples", timeout=30) as r:
            return json.load(r)

    def language(self) -> dict:
        """GET /api/language: the language reference (syntax, functions, ops, modes)."""
        with urllib.request.urlopen(f"{self.base}/api/language", timeout=30) as r:
            return json.load(r)

    def graph(self, source: str, mode: str = "correct", gradcheck: bool = False) -> dict:
        body = json.dumps({"source": source, "mode": mode, "gradcheck": gradcheck, "max_paths": 16}).encode()
        request = urllib.request.Request(f"{self.base}/api/graph", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as r:
            return json.load(r)

    def view(self, source: str, open_groups: list[str] | None, mode: str = "correct") -> dict:
        """POST /api/view: {view, layout, layout_reason} with the groups `open_groups` open."""
        body = json.dumps({"source": source, "mode": mode, "open": open_groups, "max_paths": 16}).encode()
        request = urllib.request.Request(f"{self.base}/api/view", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as r:
            return json.load(r)

    def error(self, source: str) -> dict:
        body = json.dumps({"source": source}).encode()
        request = urllib.request.Request(f"{self.base}/api/graph", data=body, headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as e:
            return json.load(e)["error"]
        raise AssertionError(f"expected an error for {source!r}")


@dataclass
class Web:
    """One page of the app, with what it logged."""

    page: Page
    base: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)

    def allow_console(self, pattern: str) -> None:
        """Expect console errors matching `pattern` (e.g. the browser's note on a 422 response)."""
        self.allowed.append(re.compile(pattern))

    def url(self, src: str | None = None, mode: str | None = None, step: int | None = None, **extra) -> str:
        parts = []
        if src is not None:
            parts.append("src=" + urllib.parse.quote(src, safe=""))
        if mode is not None:
            parts.append(f"mode={mode}")
        if step is not None:
            parts.append(f"step={step}")
        parts += [f"{k}={v}" for k, v in extra.items()]
        return f"{self.base}/" + ("?" + "&".join(parts) if parts else "")

    def open(self, src: str | None = None, mode: str | None = None, step: int | None = None, **extra) -> None:
        self.page.goto(self.url(src, mode, step, **extra))
        self.wait_ready()

    def wait_ready(self, timeout: float = 15_000) -> None:
        self.page.wait_for_selector("body[data-ready=true]", state="attached", timeout=timeout)

    def after_two_frames(self) -> None:
        """Return once the page has drawn two more frames: what it runs in its next two frames has run."""
        self.page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")

    def fit_whole(self) -> None:
        """Fit the whole graph in the pane (F) and let the drawing follow: boxes far outside the
        window are out of the document (detail.js cull), and with the whole graph in it none is."""
        self.page.keyboard.press("f")
        self.after_two_frames()

    def graphs_drawn(self) -> int:
        return int(self.page.evaluate("() => Number(document.body.dataset.graphs || 0)"))

    def wait_for_new_graph(self, before: int, timeout: float = 15_000) -> None:
        self.page.wait_for_function("(n) => Number(document.body.dataset.graphs || 0) > n && document.body.dataset.ready === 'true'",
                                    arg=before, timeout=timeout)

    def node_ids(self) -> list[str]:
        return self.page.eval_on_selector_all("[data-testid=graph] [data-node-id]", "els => els.map(e => e.dataset.nodeId)")

    def box_ids(self) -> list[str]:
        """The boxes drawn: node boxes and collapsed groups (not the frames of open groups)."""
        return self.page.eval_on_selector_all(
            "[data-testid=graph] :is([data-node-id], .group-box)", "els => els.map(e => e.dataset.nodeId ?? e.dataset.groupId)")

    def shown_open(self) -> list[str]:
        """The groups the page shows open."""
        return [g for g in (self.page.get_attribute("[data-testid=graph]", "data-open") or "").split(",") if g]

    def shown_view(self, api: "Api", source: str, mode: str = "correct") -> dict:
        """The API's answer for the view the page shows: {view, layout, layout_reason}."""
        return api.view(source, self.shown_open(), mode)

    def grads(self) -> dict[str, str]:
        return self.page.eval_on_selector_all(
            "[data-testid=graph] [data-node-id]",
            "els => Object.fromEntries(els.map(e => [e.dataset.nodeId, e.querySelector('[data-role=grad]').textContent]))")

    def with_class(self, cls: str) -> set[str]:
        return set(self.page.eval_on_selector_all(f"[data-testid=graph] [data-node-id].{cls}", "els => els.map(e => e.dataset.nodeId)"))

    def overlaps(self) -> list[str]:
        """What covers what on the drawing now (see OVERLAPS); [] when nothing does."""
        return self.page.evaluate(OVERLAPS)

    def inside_graph_pane(self, selector: str, slack: float = 1) -> bool:
        """Whether the element's box lies wholly inside the graph pane."""
        pane = self.page.locator("[data-testid=graph]").bounding_box()
        box = self.page.locator(selector).bounding_box()
        return (box is not None and box["x"] >= pane["x"] - slack and box["y"] >= pane["y"] - slack
                and box["x"] + box["width"] <= pane["x"] + pane["width"] + slack
                and box["y"] + box["height"] <= pane["y"] + pane["height"] + slack)

    def step_label(self) -> str:
        return self.page.text_content("[data-testid=step-label]")

    def formatted(self, value) -> str:
        """A value as the page's own formatter writes it."""
        return self.page.evaluate("async (v) => (await import('/static/format.js')).formatValue(v)", value)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path))
        return path

    def problems(self) -> list[str]:
        csp = self.page.evaluate("() => window.__cspViolations || []") if not self.page.is_closed() else []
        errors = [e for e in self.console_errors if not any(p.search(e) for p in self.allowed)]
        return ([f"console error: {e}" for e in errors] + [f"page error: {e}" for e in self.page_errors]
                + [f"request outside 127.0.0.1: {u}" for u in self.offsite] + [f"dialog: {d}" for d in self.dialogs]
                + [f"CSP violation: {v}" for v in csp])


def make_web(browser: Browser, base: str, **context_options) -> Web:
    options = {"viewport": {"width": 1400, "height": 850}, **context_options}
    context = browser.new_context(**options)
    page = context.new_page()
    web = Web(page, base)
    page.add_init_script(CSP_WATCH)

    def route(r):
        host = urllib.parse.urlsplit(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:
            web.offsite.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: web.console_errors.append(m.text) if m.type == "error" else None)
    # the console says only "Failed to load resource": name the URL that failed, for whoever reads the report
    page.on("response", lambda r: web.console_errors.append(f"{r.status} from {r.request.method} {r.url}")
            if r.status == 404 else None)
    page.on("pageerror", lambda e: web.page_errors.append(str(e)))

    def on_dialog(d):
        web.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.on("dialog", on_dialog)
    return web



"""The page on a phone (390x844): the graph gets at least half the height, the toolbar is one row
with a menu, the editor folds away after a run and comes back, the inspector is a readable sheet."""

import json

import pytest
from webtools import DIAMOND, NODE_TEXT_PX

PHONE = {"width": 390, "height": 844}


def height(web, selector: str) -> float:
    return web.page.locator(selector).bounding_box()["height"]


def test_the_graph_gets_half_the_height_and_the_toolbar_one_row(web_factory):
    web = web_factory(viewport=PHONE, has_touch=True, is_mobile=True)
    web.open(src=DIAMOND, step=2)
    assert height(web, "[data-testid=graph]") >= PHONE["height"] / 2
    toolbar = web.page.locator("[data-testid=toolbar]").bounding_box()
    assert toolbar["height"] <= 56, "one row"
    # the gallery, the mode and the menu are in it; the rest waits in the menu
    for testid in ("gallery", "mode", "menu"):
        assert web.page.locator(f"[data-testid={testid}]").is_visible(), testid
    assert web.page.locator("[data-testid=help]").is_hidden()
    web.page.click("[data-testid=menu]")
    assert web.page.get_attribute("[data-testid=menu]", "aria-expanded") == "true"
    for testid in ("gradcheck", "copy-link", "download-png", "theme", "presenter", "help"):
        assert web.page.locator(f"[data-testid={testid}]").is_visible(), testid
    web.page.keyboard.press("Escape")
    assert web.page.locator("[data-testid=help]").is_hidden()
    assert web.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    web.screenshot("34-phone.png")


def test_the_editor_folds_away_after_a_run_and_comes_back(web_factory, api):
    web = web_factory(viewport=PHONE, has_touch=True, is_mobile=True)
    web.open(src=DIAMOND)
    editor = web.page.locator("[data-testid=source]")
    assert editor.is_hidden(), "opened folded: the graph comes first"
    web.page.click("[data-testid=editor-fold]")
    assert editor.is_visible()
    assert height(web, "[data-testid=graph]") >= 200, "the unfolded editor leaves room for the graph"
    before = web.graphs_drawn()
    editor.fill("x = 3\nL = x*x + x")
    web.page.click("[data-testid=run]")
    web.wait_for_new_graph(before)
    assert editor.is_hidden()
    assert len(web.node_ids()) == len(api.graph("x = 3\nL = x*x + x")["nodes"])
    assert height(web, "[data-testid=graph]") >= PHONE["height"] / 2
    # an error unfolds it, to show where
    web.allow_console(r"status of 4\d\d")
    web.page.click("[data-testid=editor-fold]")
    editor.fill("L = nope * 2")
    web.page.click("[data-testid=run]")
    web.page.wait_for_selector("[data-testid=error]:not([hidden])")
    assert editor.is_visible()
    web.screenshot("35-phone-error.png")


def test_the_inspector_opens_as_a_readable_sheet(web_factory, api):
    web = web_factory(viewport=PHONE, has_touch=True, is_mobile=True)
    graph = api.graph(DIAMOND)
    web.open(src=DIAMOND, step=len(graph["backward_steps"]))
    web.page.click("[data-testid=fit]")
    a = next(n["id"] for n in graph["nodes"] if n["label"] == "a")
    web.page.tap(f"[data-node-id={a}] .box")
    sheet = web.page.locator("[data-testid=inspector]")
    assert sheet.is_visible()
    box = sheet.bounding_box()
    assert box["width"] >= PHONE["width"] - 1, "the screen's whole width"
    assert box["height"] >= 0.3 * PHONE["height"], "not a strip"
    assert box["y"] + box["height"] <= PHONE["height"] + 1
    font = web.page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('[data-testid=inspector] .facts dd')).fontSize)")
    assert font >= 13
    assert "Contributions received (2)" in sheet.text_content()
    web.screenshot("36-phone-inspector.png")
    web.page.click(".inspector-close")
    assert sheet.is_hidden()


def test_presenter_mode_works_on_a_phone(web_factory):
    web = web_factory(viewport=PHONE, has_touch=True, is_mobile=True)
    web.open(src=DIAMOND, step=3)
    web.page.click("[data-testid=menu]")
    web.page.click("[data-testid=presenter]")
    web.page.wait_for_function("() => document.body.classList.contains('presenter')")
    assert height(web, "[data-testid=graph]") >= PHONE["height"] / 2
    web.page.wait_for_function("() => document.body.dataset.ready === 'true'")
    assert web.inside_graph_pane("[data-node-id].active .box")
    web.page.keyboard.press("PageDown")
    assert web.step_label() == "step 4 / 4"


BOX_CENTRES = """() => Object.fromEntries([...document.querySelectorAll('[data-testid=graph] [data-node-id]')]
  .map((g) => {
  const r = g.querySelector('.box').getBoundingClientRect();
  return [g.querySelector('.title').textContent.trim(), [r.x + r.width / 2, r.y + r.height / 2]];
}))"""


@pytest.mark.parametrize("viewport,direction", [(PHONE, "TB"), ({"width": 1280, "height": 720}, "LR")])
def test_a_portrait_graph_pane_gets_a_top_to_bottom_layout(web_factory, viewport, direction):
    """On a phone held upright a left-to-right graph is wide and tiny: the page asks for ranks along y there,
    and along x on a landscape screen. The root is below (or right of) the inputs, and the text stays readable."""
    web = web_factory(viewport=viewport)
    asked = []
    web.page.on("request", lambda r: asked.append(json.loads(r.post_data)["direction"])
                if r.url.endswith(("/api/graph", "/api/view")) and r.post_data else None)
    web.open(src=DIAMOND, step=1)
    assert asked and set(asked) == {direction}
    centre = web.page.evaluate(BOX_CENTRES)
    rank_axis = 1 if direction == "TB" else 0
    for leaf in "abc":
        assert centre["L"][rank_axis] > centre[leaf][rank_axis] + 50, (leaf, centre)
    for node in web.node_ids():
        sizes = web.page.evaluate(NODE_TEXT_PX, node)
        assert sizes and min(sizes) >= 11, (node, sizes)


def test_a_turned_pane_is_laid_out_again_the_other_way(web_factory):
    """A window resized from landscape to portrait (a phone rotated) asks for its view again, top to bottom,
    and back: at the same step, with the same node selected, and only when the direction changes."""
    web = web_factory(viewport={"width": 1280, "height": 720})
    web.page.clock.install()  # a settle timer fires when the test moves the clock on
    asked = []
    web.page.on("request", lambda r: asked.append(json.loads(r.post_data)["direction"])
                if r.url.endswith(("/api/graph", "/api/view")) and r.post_data else None)
    web.open(src=DIAMOND, step=2)
    web.page.click("[data-testid=graph] [data-node-id] .box >> nth=0")
    selected = web.page.get_attribute("[data-testid=graph] [data-node-id].selected", "data-node-id")
    # the details panel that opened narrows the pane to a square: the drawing does not turn with it
    web.after_two_frames()
    web.page.clock.run_for(2_000)
    assert web.page.evaluate("() => document.body.dataset.ready") == "true"
    assert asked == ["LR"]
    for viewport, direction, rank_axis in [(PHONE, "TB", 1), ({"width": 1280, "height": 720}, "LR", 0)]:
        drawn = web.graphs_drawn()
        web.page.set_viewport_size(viewport)
        web.wait_for_new_graph(drawn)
        assert asked[-1] == direction
        centre = web.page.evaluate(BOX_CENTRES)
        for leaf in "abc":
            assert centre["L"][rank_axis] > centre[leaf][rank_axis] + 50, (direction, leaf, centre)
        assert web.step_label() == "step 2 / 4"
        assert web.page.get_attribute("[data-testid=graph] [data-node-id].selected", "data-node-id") == selected
        web.screenshot(f"34-turned-{direction}.png")
    # a resize that keeps the pane landscape asks for nothing, once the resize has settled
    drawn = web.graphs_drawn()
    web.page.set_viewport_size({"width": 1000, "height": 700})
    web.after_two_frames()  # the pane's resize is observed
    web.page.clock.run_for(2_000)  # the settle timer fires now: a request would start within it
    assert web.page.evaluate("() => document.body.dataset.ready") == "true"
    assert web.graphs_drawn() == drawn and asked == ["LR", "TB", "LR"]

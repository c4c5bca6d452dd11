"""The inputs panel: a slider per scalar leaf written as a number; moving one rewrites the program
and shows the new numbers on the same drawing, at the same step."""

import pytest
from webtools import DIAMOND

NEURON = "x1 = 2.0\nx2 = 0.0\nw1 = -3.0\nw2 = 1.0\nb = 6.8813735870195432\nn = x1*w1 + x2*w2 + b\no = tanh(n)"
TWO_ON_A_LINE = "a = 2; b = 3\nL = a*b + a"

# Everything the drawing shows as text or place: each box's place and texts, each edge label,
# the callouts and the caption. A fresh page of the same program must show the same.
DRAWING = """() => {
  const svg = document.querySelector('[data-testid=graph]');
  const boxes = [...svg.querySelectorAll('[data-node-id], .group-box')].map((el) => [
    el.dataset.nodeId ?? el.dataset.groupId, el.getAttribute('transform'),
    [...el.querySelectorAll(':scope > text, :scope > .correct-pill text')].map((t) => t.textContent)]);
  const edges = [...svg.querySelectorAll('.edge-label')].map((t) => [t.dataset.edgeId, t.textContent]);
  const callouts = [...svg.querySelectorAll('.sum-callout.show text')].map((t) => t.textContent);
  return { boxes, edges, callouts, caption: document.querySelector('[data-testid=caption]').textContent };
}"""

# Marks every drawn box element, so a later check can tell the SVG was not drawn anew.
BOXES = "[data-testid=graph] :is([data-node-id], .group-box)"
TAG_BOXES = f"() => {{ for (const el of document.querySelectorAll('{BOXES}')) el.__kept = true; }}"
ALL_TAGGED = f"() => [...document.querySelectorAll('{BOXES}')].every((el) => el.__kept)"


def slide(web, label: str, *values: str) -> None:
    """Move the slider of leaf `label` through `values`, one input event each, as a drag does."""
    web.page.evaluate("""([label, values]) => {
      const slider = document.querySelector(`[data-testid=inputs] input[type=range][data-label="${label}"]`);
      for (const v of values) {
        slider.value = v;
        slider.dispatchEvent(new Event('input', { bubbles: true }));
      }
    }""", [label, list(values)])


def settle(web, source: str) -> None:
    """Wait until the page shows the graph of `source` (the editor's text) and nothing is pending."""
    web.page.wait_for_function("""(src) => document.querySelector('[data-testid=source]').value === src
        && document.body.dataset.ready === 'true'""", arg=source)


def values(web) -> dict[str, str]:
    return web.page.eval_on_selector_all(
        "[data-testid=graph] [data-node-id]",
        "els => Object.fromEntries(els.map(e => [e.dataset.nodeId, e.querySelector('[data-role=value]').textContent]))")


def test_the_panel_lists_every_scalar_leaf_written_as_a_number(web, api):
    web.open(src=NEURON)
    graph = api.graph(NEURON)
    leaves = [n for n in graph["nodes"] if n.get("literal")]
    assert len(leaves) == 5
    sliders = "[data-testid=inputs] input[type=range]"
    labels = web.page.eval_on_selector_all(sliders, "els => els.map(e => e.dataset.label)")
    assert labels == [n["label"] for n in leaves]
    numbers = web.page.eval_on_selector_all("[data-testid=inputs] input[type=number]", "els => els.map(e => e.value)")
    assert numbers == ["2.0", "0.0", "-3.0", "1.0", "6.8813735870195432"]
    # the range reaches value ± max(1, 2|value|), stepping finely enough for hundreds of positions
    w1 = web.page.locator("[data-testid=inputs] input[type=range][data-label=w1]")
    assert float(w1.get_attribute("min")) <= -9 and float(w1.get_attribute("max")) >= 3
    assert float(w1.get_attribute("step")) <= 0.02
    # a program without such numbers has no panel
    web.open(src="a = [1, 2, 3]\nL = sum(a * a)")
    assert web.page.is_hidden("[data-testid=inputs]")


def test_moving_a_slider_updates_the_same_drawing_in_place(web, api):
    web.open(src=DIAMOND, step=3)
    n = len(api.graph(DIAMOND)["backward_steps"])
    before = web.page.evaluate(DRAWING)
    web.page.evaluate(TAG_BOXES)
    drawn = web.graphs_drawn()
    slide(web, "a", "3.5")
    edited = DIAMOND.replace("a = 2", "a = 3.5")
    web.wait_for_new_graph(drawn)
    settle(web, edited)
    # the program follows the slider, and the link follows the program
    assert web.page.input_value("[data-testid=source]") == edited
    assert web.page.input_value("[data-testid=inputs] input[type=number][data-label=a]") == "3.5"
    web.page.wait_for_function("() => new URLSearchParams(location.search).get('src')?.includes('a = 3.5')")
    # same step, same boxes at the same places, not drawn anew
    assert web.step_label() == f"step 3 / {n}"
    after = web.page.evaluate(DRAWING)
    assert [(b[0], b[1]) for b in after["boxes"]] == [(b[0], b[1]) for b in before["boxes"]]
    assert web.page.evaluate(ALL_TAGGED)
    assert after != before
    # the numbers are the API's for the edited program, at the end of the pass too
    graph = api.graph(edited)
    assert values(web) == {node["id"]: web.formatted(node["value"]) for node in graph["nodes"]}
    web.page.click("[data-testid=step-end]")
    assert web.grads() == {node["id"]: web.formatted(node["grad"]) for node in graph["nodes"]}
    labels = dict(web.page.evaluate(DRAWING)["edges"])
    for edge in graph["edges"]:
        if edge["id"] in labels:
            assert labels[edge["id"]] == web.page.evaluate(
                "async (v) => (await import('/static/format.js')).formatCompact(v)", edge["contribution"])


@pytest.mark.parametrize("step", [2, 4])
def test_an_updated_drawing_shows_what_a_fresh_page_shows(web_factory, step):
    """Values, grads, edge labels, sum callouts and the caption after a slider move equal a fresh
    page's for the edited program at the same step."""
    moved = web_factory()
    moved.open(src=DIAMOND, step=step)
    drawn = moved.graphs_drawn()
    slide(moved, "c", "-1.25")
    edited = DIAMOND.replace("c = 4", "c = -1.25")
    moved.wait_for_new_graph(drawn)
    settle(moved, edited)
    fresh = web_factory()
    fresh.open(src=edited, step=step)
    shown = moved.page.evaluate(DRAWING)
    expected = fresh.page.evaluate(DRAWING)
    for key in ("boxes", "callouts", "caption"):
        assert shown[key] == expected[key]
    # an edge label keeps the spot it had (a fresh drawing may find other spots for other lengths)
    labels = dict(expected["edges"])
    assert all(labels[e] == text for e, text in shown["edges"] if e in labels)
    assert not moved.overlaps()


def test_a_drag_asks_for_the_latest_only(web, api):
    web.open(src=DIAMOND)
    asked: list[str] = []
    web.page.on("request", lambda r: asked.append(r.post_data_json["source"]) if r.url.endswith("/api/graph") else None)
    drawn = web.graphs_drawn()
    positions = [f"{2 + i / 10:g}" for i in range(1, 21)]
    slide(web, "a", *positions)  # twenty input events before any answer can arrive
    final = DIAMOND.replace("a = 2", f"a = {positions[-1]}")
    web.wait_for_new_graph(drawn)
    settle(web, final)
    web.page.wait_for_function("(n) => Number(document.body.dataset.graphs) >= n", arg=drawn + 2)
    # the first position, then the newest: no queue of the eighteen in between
    assert asked == [DIAMOND.replace("a = 2", "a = 2.1"), final]
    assert values(web)["n0"] == "4"
    assert web.grads() == {nid: "?" for nid in web.grads()}


def test_numbers_later_on_the_line_follow_a_longer_literal(web, api):
    web.open(src=TWO_ON_A_LINE)
    drawn = web.graphs_drawn()
    slide(web, "a", "-0.75")
    web.wait_for_new_graph(drawn)
    settle(web, "a = -0.75; b = 3\nL = a*b + a")
    drawn = web.graphs_drawn()
    slide(web, "b", "8.5")
    edited = "a = -0.75; b = 8.5\nL = a*b + a"
    web.wait_for_new_graph(drawn)
    settle(web, edited)
    graph = api.graph(edited)
    assert values(web) == {node["id"]: web.formatted(node["value"]) for node in graph["nodes"]}


def test_a_typed_number_is_written_as_typed_and_recentres_the_slider(web):
    web.open(src=DIAMOND)
    drawn = web.graphs_drawn()
    web.page.fill("[data-testid=inputs] input[type=number][data-label=b]", "250")
    web.page.press("[data-testid=inputs] input[type=number][data-label=b]", "Enter")
    edited = DIAMOND.replace("b = 3", "b = 250")
    web.wait_for_new_graph(drawn)
    settle(web, edited)
    slider = web.page.locator("[data-testid=inputs] input[type=range][data-label=b]")
    assert float(slider.get_attribute("min")) <= -250 and float(slider.get_attribute("max")) >= 750
    assert slider.input_value() == "250"
    # not a number: refused on the spot, the program unchanged
    web.page.fill("[data-testid=inputs] input[type=number][data-label=a]", "")
    web.page.press("[data-testid=inputs] input[type=number][data-label=a]", "Enter")
    assert "invalid" in (web.page.get_attribute("[data-testid=inputs] input[type=number][data-label=a]", "class") or "")
    assert web.page.input_value("[data-testid=source]") == edited


def test_a_slider_into_nan_and_back_keeps_the_places(web, api):
    """New flags (nan) are new badges: the drawing is made anew, its boxes where they were."""
    source = "x = 2\nL = log(x)"
    web.open(src=source, step=1)
    places = web.page.evaluate(DRAWING)["boxes"]
    for x in ["-1", "3"]:
        drawn = web.graphs_drawn()
        slide(web, "x", x)
        edited = source.replace("x = 2", f"x = {x}")
        web.wait_for_new_graph(drawn)
        settle(web, edited)
        graph = api.graph(edited)
        assert values(web) == {node["id"]: web.formatted(node["value"]) for node in graph["nodes"]}
        assert web.with_class("flag-nan") == {n["id"] for n in graph["nodes"] if "nan" in n["flags"]}
        assert [b[:2] for b in web.page.evaluate(DRAWING)["boxes"]] == [b[:2] for b in places]
        assert web.step_label().startswith("step 1 /")
    assert web.with_class("flag-nan") == set()


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["1280x720", "1920x1080"])
def test_screenshot_of_sliders_mid_drag(web_factory, api, size):
    width, height = size
    web = web_factory(viewport={"width": width, "height": height})
    web.open(src=NEURON, step=5)
    for w1 in ["-2.5", "-2.0", "-1.5"]:
        drawn = web.graphs_drawn()
        web.page.hover("[data-testid=inputs] input[type=range][data-label=w1]")
        slide(web, "w1", w1)
        web.wait_for_new_graph(drawn)
        settle(web, NEURON.replace("w1 = -3.0", f"w1 = {w1}"))
    # mid-drag: the pointer held on the slider's thumb, the drawing showing w1 = -1.5
    box = web.page.locator("[data-testid=inputs] input[type=range][data-label=w1]").bounding_box()
    thumb_x = web.page.evaluate("""() => {
      const s = document.querySelector('[data-testid=inputs] input[type=range][data-label=w1]');
      return (Number(s.value) - Number(s.min)) / (Number(s.max) - Number(s.min));
    }""")
    web.page.mouse.move(box["x"] + 8 + thumb_x * (box["width"] - 16), box["y"] + box["height"] / 2)
    web.page.mouse.down()
    graph = api.graph(NEURON.replace("w1 = -3.0", "w1 = -1.5"))
    assert values(web) == {node["id"]: web.formatted(node["value"]) for node in graph["nodes"]}
    assert not web.overlaps()
    web.screenshot(f"30-sliders-mid-drag-{width}x{height}.png")
    web.page.mouse.up()


def test_the_rules_for_rewriting_a_number(web):
    """literals.js: ranges, steps, the text written, and spans that move with a longer number."""
    web.open(src=DIAMOND)
    got = web.page.evaluate("""async () => {
      const L = await import('/static/literals.js');
      const source = 'a = 2; b = 3\\nL = a*b';
      const moved = L.replaceLiteral(source, [[1, 5, 6], [1, 12, 13]], 0, '-0.75');
      return {
        ranges: [0, 2, -3, 0.05, 6.8813735870195432, 250].map(L.sliderRange),
        texts: [L.formatLiteral(1, 2, true), L.formatLiteral(1, 2, false), L.formatLiteral(2.345, 2, false),
                L.formatLiteral(-0.001, 3, true), L.formatLiteral(-0, 2, false)],
        moved,
        read: L.literalText(moved.source, moved.spans[1]),
        plain: ['2', '-3.5', '.5', '1e-3', '+4', '1_000', '', 'nan', '0x10'].map(L.isPlainNumber),
      };
    }""")
    assert [(r["min"], r["max"], r["step"]) for r in got["ranges"]] == [
        (-1, 1, 0.001), (-2, 6, 0.01), (-9, 3, 0.01), (-0.95, 1.05, 0.001), (-6.89, 20.65, 0.01), (-250, 750, 1)]
    assert got["texts"] == ["1.0", "1", "2.35", "-0.001", "0"]
    assert got["moved"] == {"source": "a = -0.75; b = 3\nL = a*b", "spans": [[1, 5, 10], [1, 16, 17]]}
    assert got["read"] == "3"
    assert got["plain"] == [True, True, True, True, True, False, False, False, False]

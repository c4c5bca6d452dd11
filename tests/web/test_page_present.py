"""Presenter mode on a 1920x1080 projector, themes, and contrast."""

import pytest
from webtools import DIAMOND

# the rendered size of every node text: computed font size times the SVG's scale on screen
RENDERED_FONT_SIZES = """() => [...document.querySelectorAll('[data-testid=graph] [data-node-id] text')]
  .filter((t) => t.getBBox().width > 0 && getComputedStyle(t).display !== 'none')
  .map((t) => parseFloat(getComputedStyle(t).fontSize) * Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b))"""


# three animation frames: the presenter fit runs two frames after the layout change
FRAMES = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(r))))"


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def parse_rgb(css: str) -> tuple[float, float, float]:
    inside = css[css.index("(") + 1:css.index(")")].replace(",", " ").split()
    return tuple(float(x) for x in inside[:3])


def test_presenter_mode_text_is_at_least_24px_at_1920x1080(web_factory, api):
    web = web_factory(viewport={"width": 1920, "height": 1080})
    graph = api.graph(DIAMOND)
    web.open(src=DIAMOND, step=3)
    web.page.click("[data-testid=presenter]")
    web.page.wait_for_function("() => document.body.classList.contains('presenter')")
    web.page.evaluate(FRAMES)  # the fit runs after the layout change
    assert web.page.is_hidden("[data-testid=source]")
    assert web.page.get_attribute("[data-testid=presenter]", "aria-pressed") == "true"
    sizes = web.page.evaluate(RENDERED_FONT_SIZES)
    assert len(sizes) >= 3 * len(graph["nodes"])
    assert min(sizes) >= 24, sorted(sizes)[:5]
    # thick lines
    width = web.page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.edge-line')).strokeWidth)")
    assert width >= 3
    # the whole graph is still on screen
    pane = web.page.locator("[data-testid=graph]").bounding_box()
    for nid in web.node_ids():
        box = web.page.locator(f"[data-node-id={nid}] .box").bounding_box()
        assert box["x"] >= pane["x"] - 1 and box["x"] + box["width"] <= pane["x"] + pane["width"] + 1
        assert box["y"] >= pane["y"] - 1 and box["y"] + box["height"] <= pane["y"] + pane["height"] + 1
    web.screenshot("03-presenter.png")
    web.page.keyboard.press("Escape")
    web.page.wait_for_function("() => !document.body.classList.contains('presenter')")
    assert web.page.is_visible("[data-testid=source]")


def test_presenter_mode_keeps_24px_on_a_large_graph(web_factory, api):
    web = web_factory(viewport={"width": 1920, "height": 1080})
    source = "x = 1\n" + "x = x*1.01 + 0.1\n" * 30
    web.open(src=source, step=5)
    web.page.keyboard.press("p")
    web.page.wait_for_function("() => document.body.classList.contains('presenter')")
    web.page.evaluate(FRAMES)
    sizes = web.page.evaluate(RENDERED_FONT_SIZES)
    assert sizes and min(sizes) >= 24


def test_dark_theme_by_preference_and_by_toggle(web_factory):
    dark = web_factory(color_scheme="dark")
    dark.open(src=DIAMOND, step=3)
    background = dark.page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=graph]')).backgroundColor")
    assert relative_luminance(parse_rgb(background)) < 0.05
    assert dark.page.text_content("[data-testid=theme] .label") == "light"
    dark.screenshot("06-dark-theme.png")

    light = web_factory(color_scheme="light")
    light.open(src=DIAMOND)
    light.page.click("[data-testid=theme]")
    assert light.page.get_attribute("html", "data-theme") == "dark"
    background = light.page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=graph]')).backgroundColor")
    assert relative_luminance(parse_rgb(background)) < 0.05
    # the choice survives a reload
    light.page.reload()
    light.wait_ready()
    assert light.page.get_attribute("html", "data-theme") == "dark"
    light.page.click("[data-testid=theme]")
    assert light.page.get_attribute("html", "data-theme") == "light"


def test_node_text_contrast_in_both_themes(web_factory):
    for scheme in ("light", "dark"):
        web = web_factory(color_scheme=scheme)
        web.open(src=DIAMOND, step=3)
        pairs = web.page.evaluate("""() => {
          const out = [];
          for (const node of document.querySelectorAll('[data-node-id]')) {
            const fill = getComputedStyle(node.querySelector('.box')).fill;
            for (const t of node.querySelectorAll('.title, .num, .key')) out.push([getComputedStyle(t).fill, fill]);
          }
          const cap = document.querySelector('[data-testid=caption]');
          out.push([getComputedStyle(cap).color, getComputedStyle(document.querySelector('.player')).backgroundColor]);
          return out;
        }""")
        for text, background in pairs:
            assert contrast(parse_rgb(text), parse_rgb(background)) >= 4.5, (scheme, text, background)


SIZES = [(1920, 1080), (1280, 720), (1024, 768), (390, 844)]
# the smallest gradient text presenter mode allows for the whole diamond, by screen
PRESENTER_GRAD_PX = {(1920, 1080): 24, (1280, 720): 18, (1024, 768): 15, (390, 844): 9}

GRAD_TEXT_PX = """() => [...document.querySelectorAll('[data-testid=graph] [data-node-id] .num-grad')]
  .map((t) => parseFloat(getComputedStyle(t).fontSize) * Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b))"""

# controls around the drawing, and what they must not cover
CONTROLS = ["[data-testid=toolbar]", ".graph-bar .view-buttons", ".legend", ".player"]


def boxes_inside(web) -> list[str]:
    """The node boxes not wholly inside the graph pane."""
    return [nid for nid in web.node_ids() if not web.inside_graph_pane(f"[data-node-id={nid}] .box")]


def overlap(a: dict | None, b: dict | None) -> bool:
    return bool(a and b and min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"]) > 1
                and min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"]) > 1)


def present(web) -> None:
    web.page.keyboard.press("p")
    web.page.wait_for_function("() => document.body.classList.contains('presenter')")
    web.page.wait_for_function("() => document.body.dataset.ready === 'true'")
    web.page.evaluate(FRAMES)


@pytest.mark.parametrize("width,height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_presenter_mode_fits_the_diamond_with_text_for_the_screen(web_factory, width, height):
    web = web_factory(viewport={"width": width, "height": height})
    web.open(src=DIAMOND, mode="overwrite", step=3)
    present(web)
    pane = web.page.locator("[data-testid=graph]").bounding_box()
    assert pane["height"] >= 0.5 * height, "the graph has most of the screen"
    if width >= 1024:
        assert boxes_inside(web) == [], "the whole diamond is on screen"
    else:
        assert web.inside_graph_pane("[data-node-id].active .box"), "on a phone, the firing node is"
    sizes = web.page.evaluate(GRAD_TEXT_PX)
    assert min(sizes) >= PRESENTER_GRAD_PX[(width, height)], sorted(sizes)[:3]
    # nothing covers the drawing or the bug banner
    banner = web.page.locator("[data-testid=bug-banner]").bounding_box()
    assert banner and banner["height"] > 0
    for control in CONTROLS:
        box = web.page.locator(control).bounding_box()
        assert not overlap(box, pane), control
        assert not overlap(box, banner), control
    assert not overlap(banner, pane)
    web.screenshot(f"32-presenter-{width}x{height}.png")
    # "fit" always fits, presenting too: a long chain whole, however small
    web.page.keyboard.press("Escape")
    web.page.wait_for_function("() => !document.body.classList.contains('presenter')")
    web.open(src="x = 1\n" + "x = x*1.01 + 0.1\n" * 30)
    present(web)
    web.page.keyboard.press("f")  # without a bug banner, presenting keeps no bar over the drawing
    assert web.page.locator(".graph-bar").is_hidden()
    assert boxes_inside(web) == []


@pytest.mark.parametrize("width,height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_no_control_covers_the_graph_or_the_banner(web_factory, width, height):
    web = web_factory(viewport={"width": width, "height": height})
    web.open(src=DIAMOND, mode="overwrite", step=2)
    pane = web.page.locator("[data-testid=graph]").bounding_box()
    banner = web.page.locator("[data-testid=bug-banner]").bounding_box()
    assert banner and not overlap(banner, pane)
    for control in [*CONTROLS, ".editor-pane"]:
        box = web.page.locator(control).bounding_box()
        assert not overlap(box, pane), control
        assert not overlap(box, banner), control
    assert web.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    web.screenshot(f"33-page-{width}x{height}.png")


def test_presenting_the_numbers_come_beside_the_graph_and_move_it(web_factory):
    """A teacher presenting brings back the sliders (and a training loop's plot) beside the graph: N or the
    "numbers" button. A slider moved there changes the graph's numbers; nothing covers the drawing."""
    web = web_factory(viewport={"width": 1280, "height": 720})
    web.open(src=DIAMOND, step=3)
    present(web)
    slider = web.page.locator("[data-testid=inputs] input[type=range][data-label=a]")
    assert slider.is_hidden(), "presenting, the graph has the room until asked"
    web.page.click("[data-testid=presenter-numbers]")
    assert web.page.get_attribute("[data-testid=presenter-numbers]", "aria-pressed") == "true"
    assert slider.is_visible() and web.page.is_hidden("[data-testid=source]")
    web.page.evaluate(FRAMES)  # the drawing is fitted to the narrower pane
    pane = web.page.locator("[data-testid=graph]").bounding_box()
    numbers = web.page.locator(".editor-pane").bounding_box()
    assert numbers["width"] >= 200 and not overlap(numbers, pane)
    for control in CONTROLS:
        assert not overlap(web.page.locator(control).bounding_box(), pane), control
    web.screenshot("35-presenter-numbers-1280x720.png")
    assert boxes_inside(web) == [], "the whole diamond is still on screen"
    # a click on the slider's track (a real pointer: nothing may cover it) moves a, and the graph follows
    before = web.page.text_content("[data-testid=graph]")
    drawn = web.graphs_drawn()
    track = slider.bounding_box()
    slider.click(position={"x": track["width"] * 0.9, "y": track["height"] / 2})
    web.wait_for_new_graph(drawn)
    assert float(slider.input_value()) > 2
    assert web.page.text_content("[data-testid=graph]") != before
    assert boxes_inside(web) == []
    # N hides them again
    web.page.evaluate("() => document.activeElement.blur()")
    web.page.keyboard.press("n")
    assert slider.is_hidden()
    assert web.page.get_attribute("[data-testid=presenter-numbers]", "aria-pressed") == "false"

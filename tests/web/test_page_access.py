"""Firing, summing, done and differing stay distinct without colour: in grayscale and under
deuteranopia (simulated with a CSS filter over the whole page) each state differs from an ordinary
box by its border's weight or dash, or its gradient's weight; sent and unsent edges by dash and
weight. Asserted on computed styles; the filtered screenshots are written for a person to look at."""

import pytest
from webtools import DIAMOND

# Machado et al. (2009), deuteranopia at full severity, as an SVG colour matrix
DEUTERANOPIA = "0.367 0.861 -0.228 0 0  0.280 0.673 0.047 0 0  -0.012 0.043 0.969 0 0  0 0 0 1 0"
FILTERS = {
    "grayscale": "grayscale(1)",
    "deuteranopia": "url(#deuteranopia)",
}

SIGNATURE = """(selector) => {
  const node = document.querySelector(selector);
  const box = getComputedStyle(node.querySelector('.box'));
  const grad = getComputedStyle(node.querySelector('.num-grad'));
  return [box.strokeWidth, box.strokeDasharray, grad.fontWeight];
}"""


def use_filter(web, name: str) -> None:
    web.page.evaluate("""([matrix, filter]) => {
      if (!document.getElementById('deuteranopia')) {
        const ns = 'http://www.w3.org/2000/svg';
        const svg = document.createElementNS(ns, 'svg');
        svg.setAttribute('width', '0');
        svg.setAttribute('height', '0');
        const f = document.createElementNS(ns, 'filter');
        f.id = 'deuteranopia';
        const m = document.createElementNS(ns, 'feColorMatrix');
        m.setAttribute('type', 'matrix');
        m.setAttribute('values', matrix);
        f.append(m);
        svg.append(f);
        document.body.append(svg);
      }
      document.documentElement.style.filter = filter;
    }""", [DEUTERANOPIA, FILTERS[name]])


@pytest.mark.parametrize("name", list(FILTERS))
def test_the_four_states_differ_without_colour(web_factory, api, name):
    web = web_factory(viewport={"width": 1280, "height": 720})
    graph = api.graph(DIAMOND)
    ids = {n["label"] or n["op"]: n["id"] for n in graph["nodes"]}
    mul = next(n["id"] for n in graph["nodes"] if n["op"] == "mul" and n["label"] is None)
    sub = next(n["id"] for n in graph["nodes"] if n["op"] == "sub")
    web.open(src=DIAMOND, step=0)
    use_filter(web, name)
    ordinary = web.page.evaluate(SIGNATURE, f"[data-node-id={sub}]")
    web.page.keyboard.press("End")
    web.page.keyboard.press("Home")
    for _ in range(3):
        web.page.keyboard.press("PageDown")
    # step 3: the root's "+" input fires, c sums, a*b is done
    firing = web.page.evaluate(SIGNATURE, "[data-node-id].active")
    summing = web.page.evaluate(SIGNATURE, f"[data-node-id={ids['c']}]")
    done = web.page.evaluate(SIGNATURE, f"[data-node-id={mul}]")
    assert ids["c"] in web.with_class("summing") and mul in web.with_class("done")
    filled = web.page.evaluate("""(id) => getComputedStyle(
      document.querySelector(`[data-node-id=${id}] [data-role=fan-out] rect`)).fill""", ids["c"])
    web.screenshot(f"37-states-{name}.png")
    web.open(src=DIAMOND, mode="overwrite", step=4)
    use_filter(web, name)
    differs = web.page.evaluate(SIGNATURE, f"[data-node-id={ids['c']}]")
    web.screenshot(f"38-differs-{name}.png")
    states = {"ordinary": ordinary, "firing": firing, "summing": summing, "done": done, "differs": differs}
    assert len({tuple(s) for s in states.values()}) == len(states), states
    for state, signature in states.items():
        if state != "ordinary":
            assert signature != ordinary, state
    # the border's weight: firing thickest, summing between
    width = {state: float(s[0].removesuffix("px")) for state, s in states.items()}
    assert width["firing"] > width["summing"] > width["ordinary"]
    assert states["differs"][1] != "none" and states["done"][2] in ("700", "bold")
    # the fan-out badge is filled while it sums (outlined at step 0)
    assert filled != web.page.evaluate("""() => getComputedStyle(
      document.querySelector('[data-testid=graph]')).backgroundColor""")


def test_sent_and_unsent_edges_differ_by_dash_and_weight(web):
    web.open(src=DIAMOND, step=2)
    sent, unsent = web.page.evaluate("""() => ['.edge.sent', '.edge:not(.sent)'].map((s) => {
      const line = getComputedStyle(document.querySelector(`${s} .edge-line`));
      return [line.strokeDasharray, parseFloat(line.strokeWidth)];
    })""")
    assert sent[0] == "none" and unsent[0] != "none"
    assert sent[1] > unsent[1]

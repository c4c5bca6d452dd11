"""Groups on the page: a 1,000-node micrograd-style MLP (functions and loops) opens as a few boxes,
groups open and close by click or Enter keeping the place in the pass, the player steps by view
steps, find opens the groups holding a node, and the open set lives in the permalink."""

import math
import re

import pytest
from webtools import DIAMOND

# the gallery's MLP, scaled to micrograd's demo size: 3 inputs, layers of 16, 16 and 1 (1,076 nodes)
MLP = """from micrograd.engine import Value
import random
random.seed(1337)

def neuron(nin):
    return [Value(random.uniform(-1, 1)) for _ in range(nin)], Value(0.0)

def layer(nin, nout):
    return [neuron(nin) for _ in range(nout)]

def fire(n, xs, nonlin):
    w, b = n
    act = sum((wi * xi for wi, xi in zip(w, xs)), b)
    return act.relu() if nonlin else act

def forward(layers, xs):
    for k, layer in enumerate(layers):
        xs = [fire(n, xs, k < len(layers) - 1) for n in layer]
    return xs[0]

sizes = [3, 16, 16, 1]
model = [layer(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
y = forward(model, [2.0, 3.0, -1.0])
loss = (y - 1.0) ** 2
loss.backward()
print(f"loss = {loss.data:.4f}")
"""
# 301 boxes, no groups: the median step time of a view that size
CHAIN_300 = "x = 1\n" + "x = x*1.01\nx = x + 0.1\n" * 150
PRESENTER_720P_PX = 24 * 720 / 1080  # presenter text at 1280x720: 24 px on a 1080-pixel screen, scaled
DONE = " Backward pass complete: every gradient is final."


def group_boxes(web) -> dict[str, str]:
    """Collapsed groups drawn: id -> "label #index" as their title shows it."""
    return web.page.eval_on_selector_all(
        "[data-testid=graph] .group-box[data-collapsed=true]",
        "els => Object.fromEntries(els.map(e => [e.dataset.groupId, e.querySelector('.title').textContent]))")


def clusters(web) -> list[str]:
    return web.page.eval_on_selector_all("[data-testid=graph] .cluster[data-collapsed=false]",
                                         "els => els.map(e => e.dataset.groupId)")


def box_selector(box_id: str) -> str:
    attribute = "data-group-id" if box_id.startswith("g") else "data-node-id"
    return f"[{attribute}={box_id}] .box"


def covering_step(steps: list[dict], done: int) -> int:
    """The view step (from 1) after which `done` underlying steps have fired, as the page maps it."""
    if done == 0:
        return 0
    return next(k for k, s in enumerate(steps, start=1) if s["first"] + s["count"] >= done)


def fired_after(steps: list[dict], k: int) -> int:
    return 0 if k == 0 else steps[k - 1]["first"] + steps[k - 1]["count"]


def toggle(web, selector: str, how: str = "click") -> None:
    before = web.graphs_drawn()
    if how == "click":
        web.page.click(selector)
    else:
        web.page.focus(selector)
        web.page.keyboard.press("Enter")
    web.wait_for_new_graph(before)


def test_a_thousand_node_mlp_opens_as_a_few_boxes_that_fit_a_720p_presenter_screen(web_factory, api):
    web = web_factory(viewport={"width": 1280, "height": 720})
    graph = api.graph(MLP)
    assert len(graph["nodes"]) >= 1000 and len(graph["groups"]) >= 30
    web.open(src=MLP)
    web.page.keyboard.press("p")
    web.page.wait_for_function("() => document.body.classList.contains('presenter')")
    web.after_two_frames()  # presenter mode fits (and asks for fewer groups open) in the second frame
    web.wait_ready()
    boxes = web.box_ids()
    assert 3 <= len(boxes) <= 60
    assert group_boxes(web), "the functions' calls are boxes"
    for box in boxes:
        assert web.inside_graph_pane(box_selector(box)), box
    # readable from the back of the room: presenter text, scaled to the screen's height
    sizes = web.page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid=graph] :is(.node, .group-box) :is(.title, .key, .num)')]
      .map((t) => parseFloat(getComputedStyle(t).fontSize) * Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b))""")
    assert min(sizes) >= PRESENTER_720P_PX - 0.5, sorted(sizes)[:3]
    # the collapsed boxes say what they are: "forward #1", "layer #2"
    assert "forward #1" in group_boxes(web).values()
    web.screenshot("20-mlp-presenter-1280x720.png")


def test_click_opens_a_group_and_keeps_the_place_in_the_backward_pass(web, api):
    web.open(src=MLP)
    before = web.shown_view(api, MLP)["view"]
    forward = next(g for g, title in group_boxes(web).items() if title == "forward #1")
    # step until the forward call has fired, as one step
    k = next(i for i, s in enumerate(before["steps"], start=1) if s["box"] == forward)
    for _ in range(k):
        web.page.keyboard.press("ArrowRight")
    assert web.step_label() == f"step {k} / {len(before['steps'])}"
    assert web.with_class("active") == set()  # a group box, not a node, is firing
    assert "active" in web.page.get_attribute(f"[data-group-id={forward}]", "class")
    caption = web.page.text_content("[data-testid=caption]").removesuffix(DONE)
    assert caption.startswith("forward #1 fires") and len(caption) <= 90, caption
    n_boxes = len(web.box_ids())
    toggle(web, f"[data-group-id={forward}].group-box")
    assert forward in clusters(web)
    assert forward in web.shown_open()
    assert len(web.box_ids()) > n_boxes
    after = web.shown_view(api, MLP)["view"]
    # the same number of backward steps done: the open call's nodes all fired
    expected = covering_step(after["steps"], fired_after(before["steps"], k))
    assert web.step_label() == f"step {expected} / {len(after['steps'])}"
    web.screenshot("21-mlp-forward-open.png")
    # closing it again (its label) goes back to the step where the call fired
    toggle(web, f".cluster[data-group-id={forward}] .cluster-label")
    assert forward not in clusters(web) and forward in group_boxes(web)
    assert web.step_label() == f"step {k} / {len(before['steps'])}"


def test_enter_on_a_focused_group_toggles_it(web, api):
    web.open(src=MLP)
    layer = next(g for g, title in group_boxes(web).items() if title.startswith("layer #"))
    assert web.page.get_attribute(f"[data-group-id={layer}]", "tabindex") == "0"
    toggle(web, f"[data-group-id={layer}].group-box", how="enter")
    assert layer in clusters(web)
    toggle(web, f".cluster[data-group-id={layer}] .cluster-label", how="enter")
    assert layer not in clusters(web) and layer in group_boxes(web)


def test_stepping_the_collapsed_view_fires_a_call_as_one_step(web, api):
    web.open(src=MLP)
    shown = web.shown_view(api, MLP)["view"]
    steps = shown["steps"]
    assert web.step_label() == f"step 0 / {len(steps)}"
    graph = api.graph(MLP)
    assert len(steps) < len(graph["backward_steps"])
    for k, step in enumerate(steps, start=1):
        web.page.keyboard.press("ArrowRight")
        assert web.step_label() == f"step {k} / {len(steps)}"
        firing = web.page.eval_on_selector_all("[data-testid=graph] .active",
                                               "els => els.map(e => e.dataset.nodeId ?? e.dataset.groupId)")
        assert firing == [step["box"]]
        caption = web.page.text_content("[data-testid=caption]").removesuffix(DONE)
        assert "\n" not in caption and "sum((" not in caption  # short names, never source text
        if step["box"].startswith("g"):
            assert len(caption) <= 90, caption
    # at the end a collapsed call shows its output's final gradient; one of several outputs (the
    # weights a layer makes), their count and the norm of their gradients, never one of them
    nodes = {n["id"]: n for n in graph["nodes"]}
    several = 0
    for box in shown["boxes"]:
        if box["kind"] == "group":
            value = web.page.text_content(f"[data-group-id={box['id']}] [data-role=value]")
            grad = web.page.text_content(f"[data-group-id={box['id']}] [data-role=grad]")
            outputs = [nodes[o] for o in box["outputs"]]
            if len(outputs) == 1:
                assert grad == web.formatted(outputs[0]["grad"]), box["id"]
                continue
            several += 1
            assert value == str(len(outputs))
            assert web.page.text_content(f"[data-group-id={box['id']}] .key-value") == "values"
            norm = math.sqrt(sum(o["grad"] ** 2 for o in outputs))
            assert grad == f"norm {web.formatted(norm)}", box["id"]
            bubble = web.page.text_content(f"[data-group-id={box['id']}] .op-bubble text")
            assert bubble == f"{box['members']} nodes"
    assert several, "the layers' calls return their weights"


def test_find_opens_the_groups_holding_a_node_and_centres_it(web, api):
    web.open(src=MLP)
    graph = api.graph(MLP)
    acts = [n for n in graph["nodes"] if n["label"] == "act"]
    groups = {g["id"]: g for g in graph["groups"]}
    web.page.keyboard.press("/")
    assert web.page.evaluate("() => document.activeElement.dataset.testid") == "find"
    web.page.keyboard.type("act")
    before = web.graphs_drawn()
    web.page.keyboard.press("Enter")
    web.wait_for_new_graph(before)
    first = acts[0]["id"]
    assert web.page.text_content("[data-testid=find-status]") == f"1 / {len(acts)}"
    chain = []
    g = acts[0]["group"]
    while g is not None:
        chain.append(g)
        g = groups[g]["parent"]
    assert set(chain) <= set(web.shown_open())
    found = web.page.locator(f"[data-node-id={first}]")
    assert "found" in found.get_attribute("class")
    box = web.page.locator(box_selector(first)).bounding_box()
    pane = web.page.locator("[data-testid=graph]").bounding_box()
    assert abs(box["x"] + box["width"] / 2 - (pane["x"] + pane["width"] / 2)) < 5
    assert abs(box["y"] + box["height"] / 2 - (pane["y"] + pane["height"] / 2)) < 5
    web.screenshot("22-mlp-find.png")
    # Enter again: the next node labelled act (here in another call, opened too)
    web.page.keyboard.press("Enter")
    web.page.wait_for_function("(n) => document.querySelector('[data-testid=find-status]').textContent === `2 / ${n}`",
                               arg=len(acts))
    web.wait_ready()
    second = acts[1]["id"]
    web.page.wait_for_selector(f"[data-node-id={second}].found")
    assert web.inside_graph_pane(box_selector(second))
    # Ctrl+F from outside the editor focuses the box again; in the editor it is left to the browser
    web.page.click("[data-testid=graph]", position={"x": 5, "y": 5})
    web.page.keyboard.press("Control+f")
    assert web.page.evaluate("() => document.activeElement.dataset.testid") == "find"


def test_the_open_set_is_in_the_link_and_a_reload_restores_the_view(web, api):
    web.open(src=MLP)
    forward = next(g for g, title in group_boxes(web).items() if title == "forward #1")
    toggle(web, f"[data-group-id={forward}].group-box")
    web.page.keyboard.press("ArrowRight")
    web.page.keyboard.press("ArrowRight")
    open_now = web.shown_open()
    web.page.wait_for_function("(open) => new URLSearchParams(location.search).get('open') === open",
                               arg=",".join(open_now))
    boxes = sorted(web.box_ids())
    web.page.reload()
    web.wait_ready()
    assert web.shown_open() == open_now
    assert sorted(web.box_ids()) == boxes
    assert web.step_label().startswith("step 2 /")
    # and a link with an explicit open set opens exactly that
    web.open(src=MLP, open="")
    assert web.shown_open() == []
    assert re.search(r"[?&]open=(&|$)", web.page.url)


def test_the_output_panel_shows_what_the_program_printed(web, api):
    web.open(src=MLP)
    panel = web.page.locator("[data-testid=output]")
    assert panel.is_visible()
    assert panel.locator("pre").text_content() == "\n".join(api.graph(MLP)["output"])
    before = web.graphs_drawn()
    web.page.fill("[data-testid=source]", DIAMOND)
    web.page.click("[data-testid=run]")
    web.wait_for_new_graph(before)
    assert panel.is_hidden()


def test_inspector_shows_where_a_node_sits_in_the_calls(web, api):
    web.open(src=MLP)
    web.page.fill("[data-testid=find]", "act")
    before = web.graphs_drawn()
    web.page.press("[data-testid=find]", "Enter")
    web.wait_for_new_graph(before)
    node = web.page.locator("[data-node-id].found")
    node.click()
    path = web.page.text_content("[data-testid=node-path]")
    assert re.fullmatch(r"forward 1 > fire \d+ > act", path), path


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (390, 844)], ids=["1280x720", "1920x1080", "390x844"])
def test_screenshots_of_the_mlp(web_factory, size):
    width, height = size
    web = web_factory(viewport={"width": width, "height": height})
    web.open(src=MLP)
    for _ in range(3):
        web.page.keyboard.press("ArrowRight")
    assert web.overlaps() == []
    web.screenshot(f"23-mlp-{width}x{height}.png")
    forward = next(g for g, title in group_boxes(web).items() if title == "forward #1")
    toggle(web, f"[data-group-id={forward}].group-box")
    web.screenshot(f"24-mlp-open-{width}x{height}.png")


# Each box of the drawing marked, then `steps` steps taken with the step button: what was drawn then,
# and whether every box drawn now is one of those (a step changes the drawing, it does not redraw it).
STEPS_IN_PLACE = """(steps) => {
  const drawn = () => [...document.querySelectorAll('[data-testid=graph] :is([data-node-id], .group-box)')];
  const before = drawn();
  before.forEach((el) => { el.dataset.markedBeforeSteps = "yes"; });
  const next = document.querySelector('[data-testid=step-next]');
  for (let i = 0; i < steps; i++) next.click();
  const after = drawn();
  const kept = after.filter((el) => el.dataset.markedBeforeSteps).length;
  return { before: before.length, after: after.length, kept };
}"""


def test_steps_on_big_views_change_the_drawing_in_place_without_asking_the_server(web_factory, api):
    """On views of about 300 boxes (no groups; the MLP with its forward call and 21 fire calls open), a
    step keeps every box and asks the server nothing. How long it takes is measured by bench/page.py."""
    web = web_factory(viewport={"width": 1280, "height": 720})
    asked = []
    web.page.on("request", lambda r: asked.append(r.url) if "/api/" in r.url else None)
    groups = api.graph(MLP)["groups"]
    fires = [g["id"] for g in groups if g["label"] == "fire"]
    open_groups = [g["id"] for g in groups if g["label"] == "forward"] + fires[:21]
    for source, open_ in [(CHAIN_300, None), (MLP, ",".join(open_groups))]:
        web.open(src=source, **({"open": open_} if open_ else {}))
        web.fit_whole()
        boxes = len(web.box_ids())
        if open_ is None:
            assert boxes == 301
        else:
            assert 250 <= boxes <= 350 and len(clusters(web)) == len(open_groups)
        requests = len(asked)
        drawn = web.page.evaluate(STEPS_IN_PLACE, 60)
        assert web.step_label().startswith("step 60 / ")
        assert drawn == {"before": drawn["before"], "after": drawn["before"], "kept": drawn["before"]}, drawn
        assert drawn["before"] >= boxes
        assert asked[requests:] == [], "a step asked the server"


def test_a_view_closed_down_by_the_server_says_why(web):
    """When Graphviz cannot lay out the view asked for, the server closes more groups and says why
    in view.reason: the page shows that reason with the diagnostics."""
    def closed_down(route):
        response = route.fetch()
        data = response.json()
        data["view"]["reason"] = "Graphviz ran out of time; g3 was closed"
        route.fulfill(response=response, json=data)

    web.page.route("**/api/graph", closed_down)
    web.open(src=DIAMOND)
    diagnostics = web.page.locator(".diagnostics")
    assert diagnostics.is_visible()
    assert "Shown more closed than asked: Graphviz ran out of time; g3 was closed" in diagnostics.text_content()

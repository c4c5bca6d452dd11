"""Stepping through backward (and forward): what each node shows at every step, against the API."""

import pytest

from webtools import DIAMOND, FLAT_CHAIN

# scalar examples where some node sums contributions, and one with tensors and broadcasting
SUMMING_SOURCES = [
    DIAMOND,
    "x = 3\nL = x*x + x",
    "a = 2\nL = (a + a) * a",
    "a = [1, 2, 3]\nB = ones(4, 3)\nL = sum(a + B)",
]


def expected_at(graph: dict, k: int) -> dict:
    """What the page must show after k backward steps, computed from the API's record."""
    steps = graph["backward_steps"]
    received: dict[str, int] = {}
    latest: dict[str, object] = {}
    for step in steps[:k]:
        for event in step["events"]:
            received[event["to"]] = received.get(event["to"], 0) + 1
            latest[event["to"]] = event["grad_after"]
    total: dict[str, int] = {}
    for step in steps:
        for event in step["events"]:
            total[event["to"]] = total.get(event["to"], 0) + 1
    root = graph["root"]
    grads = {}
    for node in graph["nodes"]:
        nid = node["id"]
        if k == len(steps):
            grads[nid] = node["grad"]
        elif nid in latest:
            grads[nid] = latest[nid]
        elif nid == root and k >= 1:
            grads[nid] = steps[0]["grad"]
        else:
            grads[nid] = "?"
    done = {nid for nid, count in total.items() if received.get(nid, 0) >= count}
    if k >= 1:
        done.add(root)
    return {
        "grads": grads,
        "summing": {nid for nid, count in received.items() if count >= 2},
        "done": done,
        "active": {steps[k - 1]["node"]} if k >= 1 else set(),
    }


def shown(web, graph, expected):
    """The expected grads as the page formats them ('?' stays '?')."""
    return {nid: ("?" if g == "?" else web.formatted(g)) for nid, g in expected["grads"].items()}


@pytest.mark.parametrize("source", SUMMING_SOURCES, ids=["diamond", "x*x+x", "(a+a)*a", "broadcast"])
def test_every_step_matches_the_api(web, api, source):
    graph = api.graph(source)
    n = len(graph["backward_steps"])
    web.open(src=source)
    for k in range(n + 1):
        if k:
            web.page.click("[data-testid=step-next]")
        expected = expected_at(graph, k)
        assert web.step_label() == f"step {k} / {n}"
        assert web.grads() == shown(web, graph, expected), f"step {k}"
        assert web.with_class("summing") == expected["summing"], f"step {k}"
        assert web.with_class("done") == expected["done"], f"step {k}"
        assert web.with_class("active") == expected["active"], f"step {k}"
    # at the end: every node's final gradient, exactly the API's, and summing only where a value
    # is used more than once
    assert web.grads() == {node["id"]: web.formatted(node["grad"]) for node in graph["nodes"]}
    multi_use = {node["id"] for node in graph["nodes"] if node["fan_out"] >= 2 and node["grad"] is not None}
    assert web.with_class("summing") == multi_use
    assert web.page.get_attribute("[data-testid=step-next]", "disabled") is not None


def test_scalar_grads_read_back_as_the_api_numbers(web, api):
    graph = api.graph(DIAMOND)
    web.open(src=DIAMOND)
    web.page.click("[data-testid=step-end]")
    grads = web.grads()
    for node in graph["nodes"]:
        assert float(grads[node["id"]]) == pytest.approx(node["grad"], rel=5e-4)
    assert grads == {"n0": "4", "n1": "-4", "n2": "-12", "n3": "-2", "n4": "-2", "n5": "10", "n6": "1"}


def test_the_sum_is_shown_when_the_second_contribution_arrives(web, api):
    graph = api.graph(DIAMOND)
    web.open(src=DIAMOND)
    # find the first step in which some node receives its second contribution
    k, event = next((i + 1, e) for i, s in enumerate(graph["backward_steps"]) for e in s["events"] if e["accumulated"])
    for _ in range(k - 1):
        web.page.click("[data-testid=step-next]")
    assert event["to"] not in web.with_class("summing")
    assert web.page.locator(".sum-callout.show").count() == 0
    web.page.click("[data-testid=step-next]")
    assert event["to"] in web.with_class("summing")
    callout = web.page.locator(".sum-callout.show")
    assert callout.count() == 1
    before, contribution, after = (web.formatted(event[key]) for key in ("grad_before", "contribution", "grad_after"))
    term = lambda s: f"({s})" if s.startswith("-") else s  # noqa: E731
    assert callout.text_content() == f"Σ {term(before)} + {term(contribution)} = {after}"
    caption = web.page.text_content("[data-testid=caption]")
    assert "sums" in caption and after in caption
    assert web.page.get_attribute("[data-testid=caption]", "aria-live") == "polite"
    # the Σ badge is drawn on the summing node
    badge = web.page.locator(f"[data-node-id={event['to']}] .badge-sum")
    assert badge.is_visible()
    web.screenshot("02-mid-step-summing.png")


def test_step_back_undoes_each_step(web, api):
    graph = api.graph(DIAMOND)
    n = len(graph["backward_steps"])
    web.open(src=DIAMOND)

    def snapshot():
        return (web.step_label(), web.grads(), web.with_class("summing"), web.with_class("done"), web.with_class("active"))

    forward = [snapshot()]
    for _ in range(n):
        web.page.click("[data-testid=step-next]")
        forward.append(snapshot())
    for k in range(n, 0, -1):
        web.page.click("[data-testid=step-prev]")
        assert snapshot() == forward[k - 1], f"back to step {k - 1}"
    web.page.click("[data-testid=step-end]")
    assert snapshot() == forward[n]
    web.page.click("[data-testid=reset]")
    assert snapshot() == forward[0]


def test_keyboard_shortcuts(web, api):
    graph = api.graph(DIAMOND)
    n = len(graph["backward_steps"])
    web.page.clock.install()  # the page's timers run on a clock this test can move on (see the pause below)
    web.open(src=DIAMOND)
    keys = web.page.keyboard
    keys.press("ArrowRight")
    keys.press("ArrowRight")
    assert web.step_label() == f"step 2 / {n}"
    keys.press("ArrowLeft")
    assert web.step_label() == f"step 1 / {n}"
    keys.press("End")
    assert web.step_label() == f"step {n} / {n}"
    keys.press("Home")
    assert web.step_label() == f"step 0 / {n}"
    # Space plays (a step every 1.4 s at 1x; the first one sooner) and pauses
    keys.press(" ")
    assert web.page.get_attribute("[data-testid=play]", "aria-pressed") == "true"
    web.page.wait_for_function("() => !document.querySelector('[data-testid=step-label]').textContent.startsWith('step 0 ')")
    keys.press(" ")
    assert web.page.get_attribute("[data-testid=play]", "aria-pressed") == "false"
    paused_at = web.step_label()
    web.page.clock.run_for(3 * 1400)  # every timer due in three steps' time fires now: none may step
    assert web.step_label() == paused_at
    # F fits the view again after a drag
    transform = web.page.get_attribute(".viewport", "transform")
    box = web.page.locator("[data-testid=graph]").bounding_box()
    web.page.mouse.move(box["x"] + 40, box["y"] + 40)
    web.page.mouse.down()
    web.page.mouse.move(box["x"] + 140, box["y"] + 90, steps=4)
    web.page.mouse.up()
    assert web.page.get_attribute(".viewport", "transform") != transform
    keys.press("f")
    assert web.page.get_attribute(".viewport", "transform") == transform
    # ? opens the shortcut help, Escape closes it
    keys.press("?")
    assert web.page.is_visible("#help-dialog")
    keys.press("Escape")
    assert web.page.is_hidden("#help-dialog")
    # P: presenter mode on and off
    keys.press("p")
    assert "presenter" in web.page.get_attribute("body", "class")
    keys.press("p")
    assert "presenter" not in (web.page.get_attribute("body", "class") or "")
    # not while typing in the editor
    before = web.step_label()
    web.page.click("[data-testid=source]")
    keys.press("End")
    keys.press("ArrowRight")
    keys.press("p")
    assert web.step_label() == before
    assert "presenter" not in (web.page.get_attribute("body", "class") or "")


def test_play_runs_to_the_end_and_stops(web, api):
    source = "x = 3\nL = x*x + x"
    graph = api.graph(source)
    n = len(graph["backward_steps"])
    web.open(src=source)
    web.page.select_option("[data-testid=speed]", "4")
    web.page.click("[data-testid=play]")
    web.page.wait_for_function(f"() => document.querySelector('[data-testid=step-label]').textContent === 'step {n} / {n}'", timeout=10_000)
    web.page.wait_for_function("() => document.querySelector('[data-testid=play]').getAttribute('aria-pressed') === 'false'")
    assert web.grads() == {node["id"]: web.formatted(node["grad"]) for node in graph["nodes"]}


def test_forward_pass_steps_in_topological_order(web, api):
    graph = api.graph(DIAMOND)
    order = graph["forward_order"]
    web.open(src=DIAMOND)
    web.page.select_option("[data-testid=direction]", "forward")
    assert web.step_label() == f"step 0 / {len(order)}"
    values = lambda: web.page.eval_on_selector_all(  # noqa: E731
        "[data-node-id]", "els => Object.fromEntries(els.map(e => [e.dataset.nodeId, e.querySelector('[data-role=value]').textContent]))")
    assert set(values().values()) == {"?"}
    by_id = {node["id"]: node for node in graph["nodes"]}
    for k, nid in enumerate(order, start=1):
        web.page.click("[data-testid=step-next]")
        shown_values = values()
        assert web.with_class("active") == {nid}
        assert shown_values[nid] == web.formatted(by_id[nid]["value"])
        assert {i for i, v in shown_values.items() if v != "?"} == set(order[:k])
    assert "computes" in web.page.text_content("[data-testid=caption]")
    # and back to backward, at step 0
    web.page.select_option("[data-testid=direction]", "backward")
    assert web.step_label() == f"step 0 / {len(graph['backward_steps'])}"


def test_clicking_a_node_opens_the_inspector(web, api):
    graph = api.graph(DIAMOND)
    web.open(src=DIAMOND, step=len(graph["backward_steps"]))
    a = next(node for node in graph["nodes"] if node["label"] == "a")
    web.page.click(f"[data-node-id={a['id']}]")
    inspector = web.page.locator("[data-testid=inspector]")
    assert inspector.is_visible()
    text = inspector.text_content()
    assert "Contributions received (2)" in text
    assert f"Paths to the root: {graph['paths'][a['id']]['count']}" in text
    assert "grad = 10 + (-6) = 4" in text
    assert "sum over paths = 4" in text
    mul = next(node for node in graph["nodes"] if node["op"] == "mul" and node["label"] is None)
    web.page.click(f"[data-node-id={mul['id']}]")
    assert mul["rule"] in inspector.text_content()
    web.page.keyboard.press("Escape")
    assert inspector.is_hidden()


def test_contributions_travel_along_edges_unless_motion_is_reduced(web_factory, api):
    graph = api.graph(DIAMOND)
    moving = web_factory(reduced_motion="no-preference")
    moving.open(src=DIAMOND)
    moving.page.click("[data-testid=step-next]")
    tokens = moving.page.locator(".flow-token")
    assert tokens.count() == len(graph["backward_steps"][0]["events"])
    labels = sorted(tokens.locator("text").all_text_contents())
    assert labels == sorted(moving.formatted(e["contribution"]) for e in graph["backward_steps"][0]["events"])
    moving.page.wait_for_function("() => document.querySelectorAll('.flow-token').length === 0", timeout=3000)

    still = web_factory(reduced_motion="reduce")
    still.open(src=DIAMOND)
    still.page.click("[data-testid=step-next]")
    assert still.page.locator(".flow-token").count() == 0
    assert still.page.locator(".arrival").count() == 0
    # the step itself is shown all the same
    assert still.with_class("active") == {graph["backward_steps"][0]["node"]}


def test_an_edge_label_comes_and_goes_by_its_colour_alone(web_factory):
    # Chrome rasters the whole graph pane again when a label starts or stops being painted in the
    # middle of its layer (graph.css): stepping, and the dots riding, change a label's opacity only;
    # a label painted transparent is hidden from screen readers as well
    moving = web_factory(reduced_motion="no-preference")
    moving.open(src=DIAMOND)
    assert "text:" not in moving.page.locator("[data-testid=graph]").aria_snapshot()  # nothing sent yet
    labels = """() => [...document.querySelectorAll('[data-testid=graph] .edge-label')].map((e) => {
      const cs = getComputedStyle(e);
      return [cs.display, cs.visibility, cs.fillOpacity, e.classList.contains('sent') && !e.classList.contains('riding'),
              e.getAttribute('aria-hidden')];
    })"""
    seen = moving.page.evaluate(labels)
    for _ in range(3):
        moving.page.click("[data-testid=step-next]")
        seen += moving.page.evaluate(labels)  # the dots riding
        moving.page.wait_for_function("() => document.querySelectorAll('.flow-token').length === 0", timeout=3000)
        seen += moving.page.evaluate(labels)
    assert all(display != "none" and visibility == "visible" for display, visibility, _, _, _ in seen)
    assert all((opacity == "1") == shown for _, _, opacity, shown, _ in seen)
    assert all(hidden == ("false" if shown else "true") for _, _, _, shown, hidden in seen)
    assert {shown for _, _, _, shown, _ in seen} == {True, False}


def test_wheel_and_pinch_zoom_and_drag_pan(web):
    web.open(src=DIAMOND)
    scale = lambda: web.page.evaluate(  # noqa: E731
        "() => document.querySelector('.viewport').transform.baseVal.consolidate().matrix.a")
    start = scale()
    box = web.page.locator("[data-testid=graph]").bounding_box()
    web.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    web.page.mouse.wheel(0, -300)
    web.page.wait_for_function(f"() => document.querySelector('.viewport').transform.baseVal.consolidate().matrix.a > {start}")
    zoomed = scale()
    # a two-finger pinch, as pointer events: fingers moving apart zoom in
    web.page.evaluate("""() => {
      const svg = document.querySelector('[data-testid=graph]');
      const r = svg.getBoundingClientRect();
      const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      const fire = (type, id, x) => svg.dispatchEvent(new PointerEvent(type, {
        pointerId: id, pointerType: 'touch', clientX: x, clientY: cy, bubbles: true, isPrimary: id === 1 }));
      fire('pointerdown', 1, cx - 50); fire('pointerdown', 2, cx + 50);
      for (let d = 60; d <= 150; d += 10) { fire('pointermove', 1, cx - d); fire('pointermove', 2, cx + d); }
      fire('pointerup', 1, cx - 150); fire('pointerup', 2, cx + 150);
    }""")
    assert scale() > zoomed * 2
    # a click without a drag still selects a node
    web.page.click("[data-testid=fit]")
    web.page.click("[data-node-id=n0]")
    assert web.page.is_visible("[data-testid=inspector]")


def test_stepping_a_big_graph_brings_the_firing_node_into_view(web):
    source = "x = 1\n" + "x = x*1.01\nx = x + 0.1\n" * 60
    web.open(src=source)
    for _ in range(10):
        web.page.click("[data-testid=zoom-in]")
    for _ in range(5):
        web.page.keyboard.press("ArrowRight")
    active = web.page.locator("[data-node-id].active .box").bounding_box()
    pane = web.page.locator("[data-testid=graph]").bounding_box()
    assert pane["x"] <= active["x"] and active["x"] + active["width"] <= pane["x"] + pane["width"]
    assert pane["y"] <= active["y"] and active["y"] + active["height"] <= pane["y"] + pane["height"]


def test_the_firing_node_stays_in_view_when_the_sum_it_makes_is_far_away(web):
    """w sums what q1, at the far end of a long chain, sends it: q1 and w's sum callout do not fit
    in the window together, zoomed in, and the firing node is what is kept in view."""
    source = "w = 2.0\nx = 1\n" + "x = x*1.01\nx = x + 0.1\n" * 40 + "q1 = x * w\nq2 = q1 * w\n"
    web.open(src=source)
    for _ in range(10):
        web.page.click("[data-testid=zoom-in]")
    summed = []
    for k in range(1, 4):
        web.page.keyboard.press("ArrowRight")
        assert web.step_label().startswith(f"step {k} /")
        assert web.inside_graph_pane("[data-node-id].active .box"), k
        summed += web.page.eval_on_selector_all(".sum-callout.show", "els => els.map((e) => e.dataset.for)")
    assert len(summed) == 1  # step 2: q1 fires, w sums


# One step by the key, with every change to the drawing it makes before the frame (the handler's
# own): the boxes, edges and other elements it touched.
STEP_MUTATIONS = """() => {
  const svg = document.querySelector('[data-testid=graph]');
  const observer = new MutationObserver(() => {});
  observer.observe(svg, { subtree: true, attributes: true, childList: true, characterData: true });
  document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
  const records = observer.takeRecords();
  observer.disconnect();
  const boxes = new Set(), edges = new Set(), other = new Set();
  for (const r of records) {
    const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    const box = el.closest('[data-node-id], [data-group-id], [data-for]');
    const edge = el.closest('[data-edge-id]');
    if (box) boxes.add(box.dataset.nodeId ?? box.dataset.groupId ?? box.dataset.for);
    else if (edge) edges.add(edge.dataset.edgeId);
    else other.add(el === svg ? 'svg' : el.getAttribute('class'));
  }
  return { boxes: [...boxes], edges: [...edges], other: [...other] };
}"""


def test_a_step_touches_only_the_boxes_and_edges_it_involves(web, api):
    # 501 boxes: a step that rewrote or restyled every box would show here, not only in bench/page.py
    graph = api.graph(FLAT_CHAIN)
    view = graph["view"]
    view_edge = {e: v["id"] for v in view["edges"] for e in v["edges"]}
    k = len(view["steps"]) // 2
    web.open(src=FLAT_CHAIN, step=k)
    touched = web.page.evaluate(STEP_MUTATIONS)
    before, after = view["steps"][k - 1], view["steps"][k]
    events = [e for s in graph["backward_steps"][after["first"]:after["first"] + after["count"]] for e in s["events"]]
    lit = [e for s in graph["backward_steps"][before["first"]:before["first"] + before["count"]] for e in s["events"]]
    involved_boxes = {before["box"], after["box"]} | {view["box_of"][e["to"]] for e in events}
    involved_edges = {view_edge[e["edge"]] for e in events + lit if e["edge"] in view_edge}
    assert after["box"] in touched["boxes"], "the firing box is lit"
    assert set(touched["boxes"]) <= involved_boxes, f"boxes the step does not involve: {set(touched['boxes']) - involved_boxes}"
    assert set(touched["edges"]) <= involved_edges, f"edges the step does not involve: {set(touched['edges']) - involved_edges}"
    assert set(touched["other"]) <= {"svg", "viewport"}, touched["other"]

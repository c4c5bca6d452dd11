"""What the view shows: large graphs open readable on the firing node, "fit" shows everything, and
sum callouts, pinned values and edge labels never cover boxes, text or each other."""

from webtools import DIAMOND, FLAT_CHAIN, NODE_TEXT_PX

READABLE_PX = 9


def is_far(web) -> bool:
    return "far" in web.page.get_attribute("[data-testid=graph]", "class")


def test_a_thousand_node_graph_opens_readable_on_the_firing_node(web, api):
    graph = api.graph(FLAT_CHAIN)  # 500 boxes: fitting all of them makes boxes sub-pixel
    web.open(src=FLAT_CHAIN, step=40)
    firing = graph["view"]["steps"][39]["box"]
    assert web.with_class("active") == {firing}
    assert web.inside_graph_pane(f"[data-node-id={firing}] .box")
    sizes = web.page.evaluate(NODE_TEXT_PX, firing)
    assert len(sizes) == 5 and min(sizes) >= READABLE_PX, sizes
    assert not is_far(web)
    # stepping and playing keep the firing node in view
    for _ in range(25):
        web.page.keyboard.press("ArrowRight")
    assert web.inside_graph_pane("[data-node-id].active .box")
    web.page.select_option("[data-testid=speed]", "4")
    web.page.keyboard.press(" ")
    web.page.wait_for_function("() => Number(document.querySelector('[data-testid=scrubber]').value) >= 68", timeout=10_000)
    web.page.keyboard.press(" ")
    assert web.inside_graph_pane("[data-node-id].active .box")
    # "fit" shows all of it: text is not drawn, but every box is, as a mark, the firing one too
    web.page.click("[data-testid=fit]")
    assert is_far(web)
    for nid in (graph["nodes"][0]["id"], graph["root"]):
        assert web.inside_graph_pane(f"[data-node-id={nid}] .box")
    stroke = web.page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('[data-node-id].active .box')).strokeWidth)")
    assert stroke >= 8  # a dot that can be seen at this scale
    web.screenshot("12-large-graph-fit.png")


def test_a_view_without_a_layout_is_explained_not_drawn(web):
    """When the server has no layout for a view, the page says why and draws none of its own;
    stepping and captions still work."""
    def without_layout(route):
        response = route.fetch()
        data = response.json()
        data["layout"] = None
        data["layout_reason"] = "Graphviz ran out of time"
        route.fulfill(response=response, json=data)

    web.page.route("**/api/graph", without_layout)
    web.open(src=DIAMOND, step=2)
    note = web.page.locator("[data-testid=layout-missing]")
    assert note.is_visible() and "Graphviz ran out of time" in note.text_content()
    assert web.box_ids() == []
    assert web.step_label() == "step 2 / 4"
    assert "fires" in web.page.text_content("[data-testid=caption]")
    web.page.keyboard.press("ArrowRight")
    assert web.step_label() == "step 3 / 4"
    web.screenshot("16-no-layout.png")


def summing_steps(graph: dict, view: dict) -> list[int]:
    """The view steps in which a node drawn as its own box receives a second (or later)
    contribution from another box: where its sum callout shows."""
    crossing = {e for edge in view["edges"] for e in edge["edges"]}
    steps = []
    for k, step in enumerate(view["steps"], start=1):
        fired = graph["backward_steps"][step["first"]:step["first"] + step["count"]]
        if any(e["accumulated"] and e["edge"] in crossing and view["box_of"][e["to"]] == e["to"] for s in fired for e in s["events"]):
            steps.append(k)
    return steps


def test_sum_callouts_cover_no_text_at_any_step(web, api):
    """Every gallery example, every step where a node sums: nothing covers a node's title, value
    or grad, and the callout is on screen."""
    for example in api.examples():
        graph = api.graph(example["source"])
        web.open(src=example["source"])
        steps = summing_steps(graph, web.shown_view(api, example["source"])["view"])
        for k in steps:
            web.page.evaluate("(k) => { const s = document.querySelector('[data-testid=scrubber]'); s.value = k; s.dispatchEvent(new Event('input')); }", k)
            assert web.step_label().startswith(f"step {k} /")
            callouts = web.page.locator(".sum-callout.show")
            assert callouts.count() >= 1, (example["id"], k)
            for i in range(callouts.count()):
                owner = callouts.nth(i).get_attribute("data-for")
                assert web.inside_graph_pane(f".sum-callout.show[data-for={owner}] rect"), (example["id"], k)
            assert web.overlaps() == [], (example["id"], k)


def test_the_sum_callout_leaves_the_summing_node_readable(web, api):
    graph = api.graph(DIAMOND)
    k, event = next((i + 1, e) for i, s in enumerate(graph["backward_steps"]) for e in s["events"] if e["accumulated"])
    web.open(src=DIAMOND, step=k)
    callout = web.page.locator(f".sum-callout.show[data-for={event['to']}] rect").bounding_box()
    for role in ("title", "key-value", "num-value", "key-grad", "num-grad"):
        text = web.page.locator(f"[data-node-id={event['to']}] .{role}").bounding_box()
        apart = (callout["x"] + callout["width"] <= text["x"] or text["x"] + text["width"] <= callout["x"]
                 or callout["y"] + callout["height"] <= text["y"] or text["y"] + text["height"] <= callout["y"])
        assert apart, role
    web.screenshot("13-sum-callout.png")


def test_overwrite_labels_callouts_and_pinned_values_keep_apart(web, api):
    graph = api.graph(DIAMOND, mode="overwrite")
    n = len(graph["backward_steps"])
    web.open(src=DIAMOND, mode="overwrite")
    for _ in range(n):
        web.page.keyboard.press("ArrowRight")
        assert web.overlaps() == [], web.step_label()
    assert web.page.locator(".sum-callout.show").count() == 1
    assert web.page.locator(".correct-pill").count() == len(graph["compare"]["differs"])
    web.screenshot("14-overwrite-end.png")


def test_a_tensor_graph_opens_readable_and_its_edge_labels_cover_no_box(web_factory, api):
    web = web_factory(viewport={"width": 1440, "height": 900})
    mlp = next(e for e in api.examples() if e["id"] == "mlp")
    graph = api.graph(mlp["source"])
    web.open(src=mlp["source"])
    assert min(web.page.evaluate(NODE_TEXT_PX, graph["root"])) >= READABLE_PX
    assert web.inside_graph_pane(f"[data-node-id={graph['root']}] .box")
    for _ in range(len(graph["backward_steps"])):
        web.page.keyboard.press("ArrowRight")
        assert web.inside_graph_pane("[data-node-id].active .box")
        assert web.overlaps() == [], web.step_label()
    web.page.click("[data-testid=fit]")
    for node in graph["nodes"]:
        assert web.inside_graph_pane(f"[data-node-id={node['id']}] .box"), node["id"]
    assert web.overlaps() == []
    web.screenshot("15-mlp-fit.png")


def test_badges_never_run_into_each_other(web):
    """A labelled tanh carries its op bubble, a saturated flag, the fan-out mark and gradcheck's
    verdict: on a narrow box they take a second row rather than overlap."""
    source = "x = 4\nh = tanh(x * 2)\nL = h * h"
    web.open(src=source)
    before = web.graphs_drawn()
    web.page.click("[data-testid=gradcheck]")
    web.wait_for_new_graph(before)
    h = web.page.locator("[data-node-id][data-label=h]")
    assert h.locator(".op-bubble text").text_content() == "tanh"
    assert h.locator(".badge-flag-saturated").is_visible()
    for k in range(5):
        assert web.overlaps() == [], k
        web.page.keyboard.press("PageDown")
    web.screenshot("39-badges.png")

"""What the view shows: large graphs open readable on the firing node, "fit" shows everything, and
sum callouts, pinned values and edge labels never cover boxes, text or each other."""

from webtools import DIAMOND, NODE_TEXT_PX

CHAIN = "x = 1\n" + "x = x*0.99 + 0.1\n" * 250  # 1,000 nodes: fitting all of it makes boxes sub-pixel
SHARED_WEIGHT = "w = 0.5\nx = 1\n" + "x = x*w + 0.1\n" * 200  # no Graphviz layout: w's edges span the chain
READABLE_PX = 9


def is_far(web) -> bool:
    return "far" in web.page.get_attribute("[data-testid=graph]", "class")


def test_a_thousand_node_graph_opens_readable_on_the_firing_node(web, api):
    graph = api.graph(CHAIN)
    web.open(src=CHAIN, step=40)
    firing = graph["backward_steps"][39]["node"]
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


def test_a_graph_without_graphviz_layout_is_laid_out_by_the_page(web, api):
    graph = api.graph(SHARED_WEIGHT)
    assert graph["layout"] is None and graph["layout_reason"]
    web.open(src=SHARED_WEIGHT, step=5)
    assert "Simple layout" in web.page.text_content(".diagnostics")
    assert web.page.is_visible(".diagnostics")
    assert web.inside_graph_pane("[data-node-id].active .box")
    assert min(web.page.evaluate(NODE_TEXT_PX, graph["backward_steps"][4]["node"])) >= READABLE_PX
    # no edge runs through a box other than its own two ends
    through = web.page.evaluate("""() => {
      const boxes = [...document.querySelectorAll('[data-node-id]')].map((g) => {
        const r = g.querySelector('.box');
        const m = g.transform.baseVal.consolidate().matrix;
        return { id: g.dataset.nodeId, x0: m.e + 2, y0: m.f + 2, x1: m.e + r.width.baseVal.value - 2, y1: m.f + r.height.baseVal.value - 2 };
      });
      const out = [];
      for (const g of document.querySelectorAll('.edge')) {
        const path = g.querySelector('.edge-line');
        const length = path.getTotalLength();
        for (let i = 1; i < 40; i++) {
          const p = path.getPointAtLength((length * i) / 40);
          const box = boxes.find((b) => b.x0 < p.x && p.x < b.x1 && b.y0 < p.y && p.y < b.y1);
          if (box && box.id !== g.dataset.source && box.id !== g.dataset.target) {
            out.push(`${g.dataset.edgeId} through ${box.id}`);
            break;
          }
        }
      }
      return out;
    }""")
    assert through == []
    assert web.overlaps() == []


def test_sum_callouts_cover_no_text_at_any_step(web, api):
    """Every gallery example, every step where a node sums: nothing covers a node's title, value
    or grad, and the callout is on screen."""
    for example in api.examples():
        graph = api.graph(example["source"])
        steps = [i + 1 for i, s in enumerate(graph["backward_steps"]) if any(e["accumulated"] for e in s["events"])]
        if not steps:
            continue
        web.open(src=example["source"], step=steps[0])
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

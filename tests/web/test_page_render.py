"""The page draws graphs: the default diamond, every gallery example, typed programs, big graphs."""

import urllib.request
from itertools import pairwise

from webtools import DIAMOND, FLAT_CHAIN


def test_default_example_renders_with_no_click(web, api, server):
    with urllib.request.urlopen(f"{server}/") as r:
        assert r.headers["Content-Security-Policy"] == "default-src 'self'"
    web.open()
    graph = api.graph(DIAMOND)
    assert web.page.input_value("[data-testid=source]") == DIAMOND
    assert sorted(web.node_ids()) == sorted(n["id"] for n in graph["nodes"])
    labels = web.page.eval_on_selector_all("[data-node-id]", "els => Object.fromEntries(els.map(e => [e.dataset.nodeId, e.dataset.label]))")
    assert labels == {n["id"]: n["label"] or "" for n in graph["nodes"]}
    assert web.step_label() == f"step 0 / {len(graph['backward_steps'])}"
    # nothing has fired: every gradient is unknown, every value is known
    assert set(web.grads().values()) == {"?"}
    values = web.page.eval_on_selector_all(
        "[data-node-id]", "els => Object.fromEntries(els.map(e => [e.dataset.nodeId, e.querySelector('[data-role=value]').textContent]))")
    assert values == {n["id"]: web.formatted(n["value"]) for n in graph["nodes"]}
    assert web.page.input_value("[data-testid=gallery]") == "diamond"
    assert web.page.is_visible("[data-testid=note]")
    web.screenshot("01-initial-diamond.png")


def test_every_gallery_example_renders(web, api):
    web.open()
    examples = api.examples()
    assert len(examples) >= 5
    for example in examples:
        before = web.graphs_drawn()
        web.page.select_option("[data-testid=gallery]", example["id"])
        web.wait_for_new_graph(before)
        shown = web.shown_view(api, example["source"])["view"]
        assert sorted(web.box_ids()) == sorted(b["id"] for b in shown["boxes"]), example["id"]
        assert web.page.input_value("[data-testid=source]") == example["source"]
        assert web.page.text_content("[data-testid=note]") == example["note"]
        assert web.step_label() == f"step 0 / {len(shown['steps'])}", example["id"]
        assert web.page.is_hidden("[data-testid=error]"), example["id"]


def test_typing_runs_after_a_pause(web, api):
    web.open()
    source = "x = 3\nw = -2\nL = x*w + x"
    before = web.graphs_drawn()
    web.page.fill("[data-testid=source]", source)  # no click: the pause in typing runs it
    web.wait_for_new_graph(before)
    assert len(web.node_ids()) == len(api.graph(source)["nodes"])
    assert web.page.input_value("[data-testid=gallery]") == ""  # "your own expression"


def test_ctrl_enter_and_the_run_button_run_at_once(web, api):
    web.open()
    editor = web.page.locator("[data-testid=source]")
    editor.click()
    editor.press("Control+a")
    before = web.graphs_drawn()
    web.page.keyboard.type("p = 4\nq = p*p")
    web.page.keyboard.press("Control+Enter")
    web.wait_for_new_graph(before, timeout=500)  # well before the 600 ms pause
    assert len(web.node_ids()) == len(api.graph("p = 4\nq = p*p")["nodes"])
    before = web.graphs_drawn()
    web.page.fill("[data-testid=source]", "p = 5\nq = p*p*p")
    web.page.click("[data-testid=run]")
    web.wait_for_new_graph(before)
    assert len(web.node_ids()) == len(api.graph("p = 5\nq = p*p*p")["nodes"])


def test_a_thousand_node_graph_renders_and_steps(web, api):
    """(How long it takes is measured by test_page_groups.py's timings, written to the artifacts;
    a wall-clock bound here would only say how busy the machine is.)"""
    source = FLAT_CHAIN
    graph = api.graph(source)
    assert 1000 <= len(graph["nodes"]) <= 5000
    web.open(src=source)
    web.fit_whole()
    assert len(web.node_ids()) == len(graph["view"]["boxes"]) >= 500
    n = len(graph["view"]["steps"])
    for _ in range(40):
        web.page.keyboard.press("ArrowRight")
    web.page.wait_for_function("() => document.querySelector('[data-testid=step-label]').textContent.startsWith('step 40 /')")
    web.page.keyboard.press("End")
    assert web.step_label() == f"step {n} / {n}"
    web.fit_whole()  # the root again in the drawing: stepping has panned to the last box
    root = graph["root"]
    assert web.grads()[root] == web.formatted(next(x["grad"] for x in graph["nodes"] if x["id"] == root))
    assert web.page.get_attribute("body", "data-ready") == "true"


def test_script_in_the_source_executes_nothing(web):
    payload = '</script><img src=x onerror=alert(1)><svg onload=alert(2)>'
    web.allow_console(r"status of 4\d\d")
    web.open()
    web.page.fill("[data-testid=source]", f"a = 1\nL = a\n{payload}")
    web.page.click("[data-testid=run]")
    web.page.wait_for_selector("[data-testid=error]:not([hidden])")
    web.after_two_frames()  # the editor's overlay is drawn too
    # the error and the editor's overlay quote the text; none of it became markup
    assert web.page.eval_on_selector_all("img:not([src^='/static']), svg [onload], [onerror]", "els => els.length") == 0
    # also through a link: the source arrives from the URL
    web.page.goto(web.url(src=payload))
    web.page.wait_for_selector("[data-testid=error]:not([hidden])")
    web.after_two_frames()
    assert web.page.input_value("[data-testid=source]") == payload
    assert web.page.eval_on_selector_all("img, [onerror], [onload]", "els => els.length") == 0
    assert web.dialogs == []


def test_arrows_run_from_inputs_to_consumers(web, api):
    """Each edge is drawn from its input's box to its consumer's box (the layout matches the edges)."""
    for source in (DIAMOND, "x = 3\nL = x*x + x", "a = [1, 2, 3]\nb = [4, 5, 6]\nc = a + b\nd = b + c"):
        web.open(src=source)
        shown = web.shown_view(api, source)
        ends = web.page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.edge')].map((g) => {
          const pieces = g.querySelectorAll('.edge-line'); // a long one in pieces
          const first = pieces[0], last = pieces[pieces.length - 1];
          const a = first.getPointAtLength(0), b = last.getPointAtLength(last.getTotalLength());
          return [g.dataset.edgeId, [[a.x, a.y], [b.x, b.y]]];
        }))""")
        boxes = shown["layout"]["nodes"]

        def distance(point, box):
            dx = max(abs(point[0] - box["x"]) - box["width"] / 2, 0)
            dy = max(abs(point[1] - box["y"]) - box["height"] / 2, 0)
            return (dx * dx + dy * dy) ** 0.5

        for edge in shown["view"]["edges"]:
            start, end = ends[edge["id"]]
            assert distance(start, boxes[edge["source"]]) < 15, (source, edge)
            assert distance(end, boxes[edge["target"]]) < 25, (source, edge)


# Each edge drawn in more than one piece: for each piece, where it starts and ends, its length
# (as Chrome measures it) and its dash offset; and whether the arrow head is the edge's last child.
PIECES = """() => Object.fromEntries([...document.querySelectorAll('.edge')].map((g) => {
  const pieces = [...g.querySelectorAll('.edge-line')].map((p) => {
    const n = p.getTotalLength();
    const a = p.getPointAtLength(0), b = p.getPointAtLength(n);
    return { from: [a.x, a.y], to: [b.x, b.y], length: n, offset: Number(p.getAttribute('stroke-dashoffset') ?? 0) };
  });
  return [g.dataset.edgeId, { pieces, headLast: g.lastElementChild.classList.contains('edge-head') }];
}))"""


def test_a_long_edge_is_drawn_in_pieces_that_join_up(web, api):
    """Close up, a long edge is drawn in short pieces near the window (edge-drawing.js), each going
    on from where the last one ended, its dashes too; zoomed far out, whole."""
    mlp = next(e for e in api.examples() if e["id"] == "micrograd-mlp")["source"]
    source = mlp.replace("sizes = [3, 4, 4, 1]", "sizes = [3, 8, 8, 1]")
    graph = api.graph(source)
    web.open(src=source, open=",".join(g["id"] for g in graph["groups"]))
    web.fit_whole()
    whole = web.page.evaluate(PIECES)
    assert all(len(edge["pieces"]) == 1 and edge["pieces"][0]["offset"] == 0 for edge in whole.values())
    for _ in range(12):  # close enough for the boxes' text (not "far")
        web.page.click("[data-testid=zoom-in]")
        if "far" not in (web.page.get_attribute("[data-testid=graph]", "class") or "").split():
            break
    web.after_two_frames()
    near = web.page.evaluate(PIECES)
    joins = 0
    for id_, edge in near.items():
        assert edge["headLast"]
        pieces = edge["pieces"]
        assert all(p["length"] < 2 * 200 for p in pieces), "pieces of about 200 units (cut at even steps of the curve)"
        # the whole line's length, in the pieces near the window (not all of them)
        assert sum(p["length"] for p in pieces) <= whole[id_]["pieces"][0]["length"] + 0.5
        for before, after in pairwise(pieces):
            if abs(before["offset"] + before["length"] - after["offset"]) < 0.5:  # one after the other
                assert abs(before["to"][0] - after["from"][0]) < 0.05 and abs(before["to"][1] - after["from"][1]) < 0.05
                joins += 1
    assert joins >= 20
    assert any(0 < sum(p["length"] for p in edge["pieces"]) < whole[id_]["pieces"][0]["length"] - 200 for id_, edge in near.items())

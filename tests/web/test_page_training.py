"""Training loops on the page: the loss curve (one point per backward call), a click or the train
control shows that call's graph, the no_zero_grad bug beside the correct run, the gradient norm
before and after clipping; and the server-made exports of what is drawn (GIF, step table)."""

import json
import urllib.request

import pytest

POINTS = "[data-testid=loss-plot] [data-role=point]"
BOXES = "[data-testid=graph] :is([data-node-id], .group-box)"


def example(api, example_id: str) -> str:
    return next(e["source"] for e in api.examples() if e["id"] == example_id)


def post(api, path: str, body: dict) -> bytes:
    request = urllib.request.Request(f"{api.base}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        return r.read()


def plotted(web, selector: str) -> list[tuple[int, float]]:
    """(call, value) of each point a plot draws for `selector`."""
    return [(int(c), float(v)) for c, v in web.page.eval_on_selector_all(
        selector, "els => els.map(e => [e.dataset.call, e.dataset.value])")]


def curve(history: dict, field: str = "root_value") -> list[tuple[int, float]]:
    return [(c["call"], float(c[field])) for c in history["calls"]]


def shown_value(web, view: dict, node_id: str) -> str:
    """The value text of the box that shows node `node_id` in `view` (its own, or its closed call's)."""
    box = view["box_of"].get(node_id, node_id)
    return web.page.text_content(
        f"[data-testid=graph] :is([data-node-id='{box}'], [data-group-id='{box}']) [data-role=value]")


def test_the_loss_plot_has_one_point_per_call(web, api):
    source = example(api, "training-zero-grad")
    graph = api.graph(source)
    history = graph["history"]
    assert history["total_calls"] == 15
    web.open(src=source)
    assert web.page.is_visible("[data-testid=loss-plot]")
    assert plotted(web, POINTS) == curve(history)
    # the drawn call (the last) is marked; the loss falls through decades: a log scale
    assert web.page.eval_on_selector_all(f"{POINTS}.current", "els => els.map(e => e.dataset.call)") == ["15"]
    assert web.page.get_attribute("[data-testid=loss-plot]", "data-scale") == "log"
    assert web.page.text_content("[data-testid=train-label]") == "call 15 / 15"
    # no clipping, no bug: no norm plot
    assert web.page.locator("[data-testid=norm-plot]").count() == 0
    # a program with one backward() call has no training panel
    web.open(src="a = 2\nb = 3\nL = a*b")
    assert web.page.is_hidden("[data-testid=training]")


def test_clicking_a_point_shows_that_call(web, api):
    source = example(api, "training-zero-grad")
    history = api.graph(source)["history"]
    web.open(src=source, step=1)
    web.page.evaluate(f"() => {{ for (const el of document.querySelectorAll('{BOXES}')) el.__kept = true; }}")
    drawn = web.graphs_drawn()
    with web.page.expect_response(lambda r: r.url.endswith("/api/graph")) as answer:
        web.page.click(f"{POINTS}[data-call='3']")
    graph = answer.value.json()
    web.wait_for_new_graph(drawn)
    entry = history["calls"][2]
    assert graph["call"] == 3
    root = next(n for n in graph["nodes"] if n["id"] == graph["root"])
    assert root["value"] == entry["root_value"]
    # on the page: the root's value of call 3, that point marked, the same drawing at the same step
    assert shown_value(web, graph["view"], graph["root"]) == web.formatted(entry["root_value"])
    assert web.page.text_content("[data-testid=train-label]") == "call 3 / 15"
    assert web.page.eval_on_selector_all(f"{POINTS}.current", "els => els.map(e => e.dataset.call)") == ["3"]
    assert web.step_label().startswith("step 1 /")
    assert web.page.evaluate(f"() => [...document.querySelectorAll('{BOXES}')].every((el) => el.__kept)")
    # the leaves as they were when call 3 ran
    leaves = web.page.eval_on_selector_all("[data-testid=training-leaves] tr[data-leaf]",
                                           "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    assert leaves == [[label, web.formatted(v), web.formatted(g)]
                      for label, v, g in zip(["w", "b"], entry["values"], entry["grads"], strict=True)]


def test_the_train_control_steps_through_the_calls(web, api):
    source = example(api, "training-zero-grad")
    web.open(src=source)
    label = "[data-testid=train-label]"
    assert web.page.is_disabled("[data-testid=train-next]")
    drawn = web.graphs_drawn()
    web.page.click("[data-testid=train-prev]")
    web.wait_for_new_graph(drawn)
    assert web.page.text_content(label) == "call 14 / 15"
    drawn = web.graphs_drawn()
    web.page.click("[data-testid=train-next]")
    web.wait_for_new_graph(drawn)
    assert web.page.text_content(label) == "call 15 / 15"
    # play: from the last call it starts over at the first, then steps on by itself
    web.page.click("[data-testid=train-play]")
    web.page.wait_for_function(
        "() => document.querySelector('[data-testid=train-label]').textContent === 'call 3 / 15'")
    web.page.click("[data-testid=train-play]")
    assert web.page.get_attribute("[data-testid=train-play]", "aria-pressed") == "false"
    k = int(web.page.text_content(label).split()[1])
    # the call asked for last is the one drawn, once its answer is in
    web.page.wait_for_function(
        "(k) => document.body.dataset.ready === 'true'"
        " && document.querySelector('[data-testid=loss-plot] .current').dataset.call === String(k)", arg=k)
    history = api.graph(source)["history"]
    view = web.shown_view(api, source)["view"]
    root = api.graph(source)["root"]
    assert shown_value(web, view, root) == web.formatted(history["calls"][k - 1]["root_value"])


def test_a_slider_keeps_the_drawn_call(web, api):
    source = example(api, "training-zero-grad")
    web.open(src=source)
    drawn = web.graphs_drawn()
    web.page.click(f"{POINTS}[data-call='4']")
    web.wait_for_new_graph(drawn)
    drawn = web.graphs_drawn()
    web.page.evaluate("""() => {
      const slider = document.querySelector('[data-testid=inputs] input[type=range][data-label=w]');
      slider.value = '0.5';
      slider.dispatchEvent(new Event('input', { bubbles: true }));
    }""")
    edited = source.replace("w = Value(0.0, label='w')", "w = Value(0.5, label='w')")
    web.page.wait_for_function("(src) => document.querySelector('[data-testid=source]').value === src", arg=edited)
    web.wait_for_new_graph(drawn)
    web.page.wait_for_function("() => document.body.dataset.ready === 'true'")
    # the curves of the whole edited run (the graph of call 4 has only calls 1 to 4), asked for after it
    web.page.wait_for_selector("[data-testid=training-plots]:not(.stale)")
    history = api.graph(edited)["history"]
    assert web.page.text_content("[data-testid=train-label]") == "call 4 / 15"
    assert plotted(web, POINTS) == curve(history)
    graph = json.loads(post(api, "/api/graph", {"source": edited, "call": 4}))
    view = web.shown_view(api, edited)["view"]
    assert shown_value(web, view, graph["root"]) == web.formatted(history["calls"][3]["root_value"])


def test_no_zero_grad_shows_both_curves_and_marks_the_differing_leaves(web, api):
    source = example(api, "training-zero-grad")
    graph = api.graph(source, mode="no_zero_grad")
    web.open(src=source, mode="no_zero_grad")
    assert web.page.input_value("[data-testid=mode]") == "no_zero_grad"
    # the buggy run's loss and the correct run's, one point per call each
    assert plotted(web, POINTS) == curve(graph["history"])
    assert plotted(web, "[data-testid=loss-plot] [data-role=correct-point]") == curve(graph["compare"]["history"])
    # and the gradient norms, growing without zero_grad
    assert plotted(web, "[data-testid=norm-plot] [data-role=norm-point]") == curve(graph["history"], "grad_norm")
    correct_norms = curve(graph["compare"]["history"], "grad_norm")
    assert plotted(web, "[data-testid=norm-plot] [data-role=correct-norm-point]") == correct_norms
    # the differing leaves are marked on the drawing as every bug mode marks them (once their
    # gradients are final: at the end of the pass), and in the table
    web.page.click("[data-testid=step-end]")
    differs = set(graph["compare"]["differs"])
    leaves = set(graph["history"]["leaves"])
    assert leaves <= differs
    drawn = set(web.node_ids())
    assert web.with_class("differs") == differs & drawn
    assert leaves <= drawn
    rows = web.page.eval_on_selector_all("[data-testid=training-leaves] tr.differs",
                                         "rows => rows.map(r => r.dataset.leaf)")
    assert set(rows) == leaves
    assert web.page.is_visible("[data-testid=bug-banner]")
    assert "zero_grad" in web.page.text_content("[data-testid=bug-banner]")


def test_clipping_plots_the_norm_before_and_after(web, api):
    source = example(api, "training-clipping")
    history = api.graph(source)["history"]
    web.open(src=source)
    assert plotted(web, "[data-testid=norm-plot] [data-role=norm-point]") == curve(history, "grad_norm")
    assert plotted(web, "[data-testid=norm-plot] [data-role=clipped-point]") == curve(history, "grad_norm_clipped")
    assert all(clipped <= 1.0 + 1e-9 for _, clipped in curve(history, "grad_norm_clipped"))


@pytest.mark.parametrize("button,fmt,magic", [("download-gif", "gif", b"GIF89a"), ("download-csv", "csv", b"step,")])
def test_the_export_menu_downloads_what_the_server_makes_of_the_drawing(web, api, button, fmt, magic):
    source = example(api, "training-zero-grad")
    web.open(src=source)
    drawn = web.graphs_drawn()
    web.page.click(f"{POINTS}[data-call='2']")
    web.wait_for_new_graph(drawn)
    rendering = web.page.expect_request(lambda r: r.url.endswith("/api/render"))
    with rendering as asked, web.page.expect_download() as download:
        web.page.click(f"[data-testid={button}]")
    body = asked.value.post_data_json
    # laid out as the page lays out its own (left to right on this landscape window)
    assert body == {"source": source, "mode": "correct", "open": web.shown_open(), "call": 2, "format": fmt,
                    "direction": "LR"}
    data = open(download.value.path(), "rb").read()
    assert data.startswith(magic)
    assert data == post(api, "/api/render", body)


def test_a_phone_held_upright_downloads_a_drawing_that_stands_up(web_factory, api):
    """The GIF of a portrait page is laid out top to bottom, as the page shows it."""
    web = web_factory(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    web.open(src=example(api, "training-zero-grad"))
    web.page.click("[data-testid=menu]")
    with web.page.expect_request(lambda r: r.url.endswith("/api/render")) as asked, web.page.expect_download():
        web.page.click("[data-testid=download-gif]")
    assert asked.value.post_data_json["direction"] == "TB"


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["1280x720", "1920x1080"])
@pytest.mark.parametrize("mode", ["correct", "no_zero_grad"])
def test_screenshots_of_the_loss_curve(web_factory, api, size, mode):
    width, height = size
    web = web_factory(viewport={"width": width, "height": height})
    web.open(src=example(api, "training-zero-grad"), mode=mode, step=1)
    drawn = web.graphs_drawn()
    web.page.click(f"{POINTS}[data-call='6']")
    web.wait_for_new_graph(drawn)
    web.page.evaluate("() => document.querySelector('[data-testid=training]').scrollIntoView({ block: 'nearest' })")
    assert web.page.locator("[data-testid=loss-plot]").is_visible()
    assert not web.overlaps()
    web.screenshot(f"31-loss-{mode}-{width}x{height}.png")

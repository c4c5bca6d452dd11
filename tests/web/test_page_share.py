"""Links that restore the page, and the exports: SVG, PNG and JSON."""

import json
import struct
import urllib.parse
import xml.etree.ElementTree as ET

from webtools import ARTIFACTS, DIAMOND, FLAT_CHAIN


def test_a_permalink_restores_source_mode_and_step_with_no_click(web, api):
    source = "x = 3\nw = -2\nL = (x*w + x) * x"
    graph = api.graph(source, mode="overwrite")
    n = len(graph["backward_steps"])
    web.open(src=source, mode="overwrite", step=2)
    assert web.page.input_value("[data-testid=source]") == source
    assert web.page.input_value("[data-testid=mode]") == "overwrite"
    assert web.step_label() == f"step 2 / {n}"
    assert web.with_class("active") == {graph["backward_steps"][1]["node"]}
    # stepping rewrites the address in place, with the source percent-encoded but readable
    web.page.keyboard.press("ArrowRight")
    web.page.wait_for_function("() => location.search.includes('step=3')")
    query = urllib.parse.urlsplit(web.page.url).query
    assert query.startswith("src=x%20%3D%203%0Aw%20%3D%20-2%0AL%20%3D%20(x*w%20%2B%20x)%20*%20x&mode=overwrite&step=3")
    # the same address in a fresh page shows the same thing
    url = web.page.url
    grads = web.grads()
    web.page.goto("about:blank")
    web.page.goto(url)
    web.wait_ready()
    assert web.step_label() == f"step 3 / {n}"
    assert web.grads() == grads


def test_playing_leaves_the_address_alone_until_paused(web, api):
    """A new address costs Chrome a frame or two (share.js scheduleUrlWrite): while playing it keeps
    the step playing started from, and pausing writes the step reached."""
    n = len(api.graph(FLAT_CHAIN)["view"]["steps"])
    web.open(src=FLAT_CHAIN, step=1)
    web.page.select_option("[data-testid=speed]", "4")
    web.page.click("[data-testid=play]")
    label = "document.querySelector('[data-testid=step-label]').textContent"
    web.page.wait_for_function(f"() => /^step ([4-9]|\\d\\d+) \\//.test({label})")
    assert "step=1&" in web.page.url or web.page.url.endswith("step=1")
    web.page.click("[data-testid=play]")
    k = int(web.step_label().split()[1])
    assert 4 <= k < n
    web.page.wait_for_function("(k) => new URLSearchParams(location.search).get('step') === String(k)", arg=k)


def test_a_link_past_the_end_stops_at_the_end(web, api):
    graph = api.graph(DIAMOND)
    n = len(graph["backward_steps"])
    web.open(src=DIAMOND, step=99)
    assert web.step_label() == f"step {n} / {n}"
    assert web.grads() == {node["id"]: web.formatted(node["grad"]) for node in graph["nodes"]}


def test_copy_link_puts_the_address_on_the_clipboard(web_factory):
    web = web_factory(permissions=["clipboard-read", "clipboard-write"])
    web.open(src=DIAMOND, mode="alias", step=1)
    web.page.keyboard.press("ArrowRight")
    web.page.click("[data-testid=copy-link]")
    web.page.wait_for_selector("[data-testid=toast]:not([hidden])")
    copied = web.page.evaluate("() => navigator.clipboard.readText()")
    assert copied == web.page.url
    assert "mode=alias" in copied and "step=2" in copied


def test_a_link_keeps_the_training_call_drawn(web_factory, api):
    """A shared link of a training loop shows the call its sender drew, not the last one."""
    web = web_factory(permissions=["clipboard-read", "clipboard-write"])
    source = next(e["source"] for e in api.examples() if e["id"] == "training-zero-grad")
    history = api.graph(source)["history"]
    web.open(src=source, step=1)
    drawn = web.graphs_drawn()
    web.page.click("[data-testid=loss-plot] [data-role=point][data-call='2']")
    web.wait_for_new_graph(drawn)
    web.page.click("[data-testid=copy-link]")
    web.page.wait_for_selector("[data-testid=toast]:not([hidden])")
    link = web.page.evaluate("() => navigator.clipboard.readText()")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["call"] == ["2"]

    other = web_factory()
    with other.page.expect_response(lambda r: r.url.endswith("/api/graph")) as answer:
        other.page.goto(link)
    other.wait_ready()
    graph = answer.value.json()
    assert graph["call"] == 2
    # the drawn call's own history (2 calls) is ready first; the whole run's (15) is asked for after it
    other.page.wait_for_function("() => document.querySelector('[data-testid=train-label]').textContent"
                                 " === 'call 2 / 15'", timeout=15_000)
    assert other.page.eval_on_selector_all("[data-testid=loss-plot] [data-role=point].current",
                                           "els => els.map(e => e.dataset.call)") == ["2"]
    root_box = graph["view"]["box_of"].get(graph["root"], graph["root"])
    shown = other.page.text_content(
        f"[data-testid=graph] :is([data-node-id='{root_box}'], [data-group-id='{root_box}']) [data-role=value]")
    assert shown == other.formatted(history["calls"][1]["root_value"])
    assert other.step_label().startswith("step 1 /")


def test_downloads_svg_png_and_json(web, api):
    graph = api.graph(DIAMOND)
    web.open(src=DIAMOND, step=3)

    with web.page.expect_download() as info:
        web.page.click("[data-testid=download-svg]")
    svg = open(info.value.path(), encoding="utf-8").read()
    assert info.value.suggested_filename.endswith(".svg")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"a", "b", "c", "L", "-12"} <= texts
    assert "<script" not in svg
    # styles are inlined: the file looks the same without the page's CSS
    assert "fill:" in svg.replace(" ", "")

    with web.page.expect_download() as info:
        web.page.click("[data-testid=download-png]")
    png = open(info.value.path(), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width > 400 and height > 150
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "08-export.png").write_bytes(png)
    (ARTIFACTS / "08-export.svg").write_text(svg, encoding="utf-8")

    with web.page.expect_download() as info:
        web.page.click("[data-testid=download-json]")
    data = json.load(open(info.value.path(), encoding="utf-8"))
    assert [n["id"] for n in data["nodes"]] == [n["id"] for n in graph["nodes"]]
    assert data["backward_steps"] == graph["backward_steps"]


def test_the_svg_export_writes_the_contributions_sent_so_far_and_no_other(web):
    # a label not sent yet is on the page, painted transparent (graph.css): the file leaves it out
    web.open(src=DIAMOND, step=2)
    labels = "els => els.map((e) => [e.dataset.edgeId, getComputedStyle(e).fillOpacity])"
    on_page = dict(web.page.eval_on_selector_all("[data-testid=graph] .edge-label", labels))
    shown = sorted(edge for edge, opacity in on_page.items() if opacity == "1")
    assert 0 < len(shown) < len(on_page)
    with web.page.expect_download() as info:
        web.page.click("[data-testid=download-svg]")
    root = ET.fromstring(open(info.value.path(), encoding="utf-8").read())
    texts = root.iter("{http://www.w3.org/2000/svg}text")
    written = [t.get("data-edge-id") for t in texts if "edge-label" in t.get("class", "")]
    assert sorted(written) == shown


def test_png_of_a_large_graph_zoomed_in(web, api):
    boxes = len(api.graph(FLAT_CHAIN)["view"]["boxes"])
    web.open(src=FLAT_CHAIN)
    web.fit_whole()
    order = web.node_ids()
    assert len(order) == boxes
    for _ in range(12):
        web.page.click("[data-testid=zoom-in]")
    # what is far off screen is taken out of the drawing (detail.js cull)
    drawn = "document.querySelectorAll('[data-testid=graph] [data-node-id]').length"
    web.page.wait_for_function(f"() => {drawn} < {boxes}")
    with web.page.expect_download(timeout=60_000) as info:
        web.page.click("[data-testid=download-svg]")
    drawing = ET.fromstring(open(info.value.path(), encoding="utf-8").read())
    assert sum(1 for el in drawing.iter() if el.get("data-node-id")) == boxes, "every box, not the ones on screen"
    with web.page.expect_download(timeout=60_000) as info:
        web.page.click("[data-testid=download-png]")
    png = open(info.value.path(), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # the whole graph, not the part on screen: the image has the proportions of the whole drawing
    width, height = struct.unpack(">II", png[16:24])
    aspect = float(drawing.get("width")) / float(drawing.get("height"))
    assert aspect > 100 and abs(width / height - aspect) < 0.1 * aspect
    # and what is off screen is taken out again afterwards
    assert web.page.evaluate(f"() => {drawn}") < boxes
    # zoomed out, every box is back, in its order (the order Tab visits them in)
    web.fit_whole()
    assert web.node_ids() == order


def test_the_address_follows_the_typed_text_and_a_reload_brings_it_back_with_its_error(web, api):
    web.allow_console(r"status of 4\d\d")
    web.open(src=DIAMOND, step=2)
    typed = "a = 2\nL = a * q"
    error = api.error(typed)
    web.page.fill("[data-testid=source]", typed)
    web.page.wait_for_selector("[data-testid=error]:not([hidden])")
    web.page.wait_for_function("(src) => new URLSearchParams(location.search).get('src') === src", arg=typed)
    assert "step=0" in web.page.url, "a program that has not run has no step to keep"
    web.page.reload()
    web.page.wait_for_selector("[data-testid=error]:not([hidden])")
    assert web.page.input_value("[data-testid=source]") == typed
    assert error["message"] in web.page.text_content("[data-testid=error]")
    # text typed but not yet run is in the address too (and so in a copied link)
    web.page.evaluate("""(text) => {
      const area = document.querySelector('[data-testid=source]');
      area.value = text;
      area.dispatchEvent(new Event('input'));
    }""", "a = 3")
    web.page.wait_for_function("() => new URLSearchParams(location.search).get('src') === 'a = 3'")


def test_svg_and_png_carry_the_bug_banner_and_the_caption(web, api):
    web.open(src=DIAMOND, mode="overwrite", step=2)
    caption = web.page.text_content("[data-testid=caption]")
    banner = web.page.text_content("[data-testid=bug-banner]")
    with web.page.expect_download() as info:
        web.page.click("[data-testid=download-svg]")
    root = ET.fromstring(open(info.value.path(), encoding="utf-8").read())
    ns = "{http://www.w3.org/2000/svg}"
    band = " ".join("".join(t.itertext()) for t in root.iter(f"{ns}text") if t.get("class") == "export-caption")
    assert band == caption
    band = " ".join("".join(t.itertext()) for t in root.iter(f"{ns}text") if t.get("class") == "export-banner")
    assert band == banner
    with web.page.expect_download() as info:
        web.page.click("[data-testid=download-png]")
    png = open(info.value.path(), "rb").read()
    width, height = struct.unpack(">II", png[16:24])
    drawing = float(root.get("height")), float(root.get("width"))
    assert abs(height / width - drawing[0] / drawing[1]) < 0.05, "the PNG has the SVG's bands too"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "40-export-overwrite.png").write_bytes(png)

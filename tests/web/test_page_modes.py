"""The bug modes beside the correct gradients, shape mismatches on the node, and gradcheck."""

import pytest

from webtools import DIAMOND

SHARED = "a = [1, 2, 3]\nb = [4, 5, 6]\nc = a + b\nd = b + c"
BROADCAST = "a = [1, 2, 3]\nB = ones(4, 3)\nL = sum(a + B)"


@pytest.mark.parametrize("mode,source", [("overwrite", DIAMOND), ("alias", SHARED), ("no_unbroadcast", BROADCAST)])
def test_a_bug_mode_marks_the_nodes_whose_gradient_differs(web, api, mode, source):
    graph = api.graph(source, mode=mode)
    differs = set(graph["compare"]["differs"])
    assert differs, "the example should show this bug"
    web.open(src=source)
    before = web.graphs_drawn()
    web.page.select_option("[data-testid=mode]", mode)
    web.wait_for_new_graph(before)
    assert web.with_class("differs") == differs
    web.page.click("[data-testid=step-end]")
    # the buggy gradient on the node, the correct one pinned under it
    grads = web.grads()
    for nid in differs:
        node = next(n for n in graph["nodes"] if n["id"] == nid)
        assert grads[nid] == web.formatted(node["grad"])
        pill = web.page.text_content(f"[data-node-id={nid}] .correct-pill text")
        assert pill == f"correct: {web.formatted(graph['compare']['correct'][nid])}"
        assert web.page.locator(f"[data-node-id={nid}] .badge-differs").is_visible()
    assert web.page.is_visible("[data-testid=bug-banner]")
    web.page.wait_for_function(f"() => location.search.includes('mode={mode}')")
    if mode == "overwrite":
        web.screenshot("05-bug-mode-overwrite.png")
    # and back
    before = web.graphs_drawn()
    web.page.select_option("[data-testid=mode]", "correct")
    web.wait_for_new_graph(before)
    assert web.with_class("differs") == set()
    assert web.page.is_hidden("[data-testid=bug-banner]")


def test_overwrite_tells_what_was_lost(web, api):
    graph = api.graph(DIAMOND, mode="overwrite")
    k, event = next((i + 1, e) for i, s in enumerate(graph["backward_steps"]) for e in s["events"] if e["accumulated"])
    web.open(src=DIAMOND, mode="overwrite", step=k)
    callout = web.page.text_content(".sum-callout.show")
    assert callout == f"grad = {web.formatted(event['contribution'])}  ({web.formatted(event['grad_before'])} lost!)"
    assert "overwritten" in web.page.text_content("[data-testid=caption]")


def test_a_shape_mismatch_is_shown_on_the_node(web, api):
    graph = api.graph(BROADCAST, mode="no_unbroadcast")
    flagged = {n["id"] for n in graph["nodes"] if "shape_mismatch" in n["flags"]}
    assert flagged
    web.open(src=BROADCAST, mode="no_unbroadcast", step=len(graph["backward_steps"]))
    assert web.with_class("flag-shape_mismatch") == flagged
    for nid in flagged:
        assert web.page.text_content(f"[data-node-id={nid}] .badge-flag-shape_mismatch text") == "shape!"
    assert web.page.is_hidden("[data-testid=error]")
    web.page.click(f"[data-node-id={next(iter(flagged))}]")
    assert "before unbroadcast" in web.page.text_content("[data-testid=inspector]") or \
        "shape does not match" in web.page.text_content("[data-testid=inspector]")


def test_gradcheck_badges_and_plot(web, api):
    graph = api.graph(DIAMOND, gradcheck=True)
    leaves = graph["gradcheck"]["leaves"]
    web.open(src=DIAMOND)
    before = web.graphs_drawn()
    web.page.click("[data-testid=gradcheck]")
    web.wait_for_new_graph(before)
    assert web.page.get_attribute("[data-testid=gradcheck]", "aria-pressed") == "true"
    for nid, result in leaves.items():
        badge = web.page.text_content(f"[data-node-id={nid}] :is(.badge-pass, .badge-fail) text")
        assert badge == ("✓ check" if result["passed"] else "✗ check")
    inspector = web.page.locator("[data-testid=inspector]")
    assert inspector.is_visible()
    assert "Gradcheck" in inspector.text_content()
    # one log-log line per leaf, each with a marker per epsilon
    assert inspector.locator("svg.plot .plot-series polyline").count() == len(leaves)
    nid = next(iter(leaves))
    web.page.click(f"[data-node-id={nid}]")
    assert "passed" in inspector.text_content() or "failed" in inspector.text_content()
    assert inspector.locator("svg.plot").count() == 1
    web.screenshot("07-gradcheck.png")

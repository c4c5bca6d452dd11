"""The bug modes beside the correct gradients, shape mismatches on the node, and gradcheck."""

import pytest

from webtools import DIAMOND

SHARED = "a = [1, 2, 3]\nb = [4, 5, 6]\nc = a + b\nd = b + c"
BROADCAST = "a = [1, 2, 3]\nB = ones(4, 3)\nL = sum(a + B)"
# s, z and x get one gradient array from the add; y a transposed view of it; reshape's contribution is then
# added into x's in place, and y's gradient changes through the view
VIEWED = ("x = [[1, 2, 3], [4, 5, 6]]\nw = [[1, 0, 2], [0, 3, 1]]\ny = x.reshape(3, 2)\nz = y.T\ns = z + x\n"
          "L = sum(s * w)")


def done_after(graph: dict, k: int) -> set[str]:
    """Nodes whose every contribution has arrived after k backward steps (the root from step 1)."""
    expected: dict[str, int] = {}
    received: dict[str, int] = {}
    for i, step in enumerate(graph["backward_steps"]):
        for event in step["events"]:
            expected[event["to"]] = expected.get(event["to"], 0) + 1
            if i < k:
                received[event["to"]] = received.get(event["to"], 0) + 1
    done = {nid for nid, n in expected.items() if received.get(nid, 0) >= n}
    return done | ({graph["root"]} if k >= 1 else set())


@pytest.mark.parametrize("mode,source", [("overwrite", DIAMOND), ("alias", SHARED), ("no_unbroadcast", BROADCAST)])
def test_a_bug_mode_marks_a_gradient_as_differing_only_once_it_is_final(web, api, mode, source):
    """Nothing is given away before it happens: a node is marked (class, "≠", the correct value
    pinned) only once its gradient is final and not the correct one; before, it shows what it has
    received so far, as in the correct run."""
    graph = api.graph(source, mode=mode)
    differs = set(graph["compare"]["differs"])
    assert differs, "the example should show this bug"
    n = len(graph["backward_steps"])
    web.open(src=source)
    final = {node["id"]: web.formatted(node["grad"]) for node in graph["nodes"]}
    before = web.graphs_drawn()
    web.page.select_option("[data-testid=mode]", mode)
    web.wait_for_new_graph(before)
    assert web.step_label() == f"step 0 / {n}"
    for k in range(n + 1):
        if k:
            web.page.keyboard.press("PageDown")
        marked = web.with_class("differs")
        grads = web.grads()
        done = done_after(graph, k)
        # marked exactly where the gradient differs and is final: at the end, or all of its
        # contributions in and showing what it will end with
        assert marked == {nid for nid in differs if k == n or (nid in done and grads[nid] == final[nid])}, (mode, k)
        assert k or not marked, "nothing is marked before anything has fired"
        for nid in differs:
            shown = web.page.locator(f"[data-node-id={nid}] .correct-pill").is_visible()
            assert shown == (nid in marked), (mode, k, nid)
            assert web.page.locator(f"[data-node-id={nid}] .badge-differs").is_visible() == (nid in marked)
    # at the end: the buggy gradient on the node, the correct one pinned under it
    grads = web.grads()
    for nid in differs:
        assert grads[nid] == final[nid]
        pill = web.page.text_content(f"[data-node-id={nid}] .correct-pill text")
        assert pill == f"correct: {web.formatted(graph['compare']['correct'][nid])}"
    banner = web.page.text_content("[data-testid=bug-banner]")
    words = next(m["words"] for m in api.language()["modes"] if m["name"] == mode)
    assert words in banner, "the banner says what the mode does, in the engine's words"
    web.page.wait_for_function(f"() => location.search.includes('mode={mode}')")
    if mode == "overwrite":
        web.screenshot("05-bug-mode-overwrite.png")
    # and back
    before = web.graphs_drawn()
    web.page.select_option("[data-testid=mode]", "correct")
    web.wait_for_new_graph(before)
    assert web.with_class("differs") == set()
    assert web.page.is_hidden("[data-testid=bug-banner]")


def test_overwrite_gives_nothing_away_before_a_node_has_all_its_contributions(web, api):
    """The diamond under overwrite: at step 3, a has had one of its two contributions (10, as in
    the correct run): it is not marked, nor is its correct value pinned; c has both of its and
    keeps only the last (-2, not -12): it is."""
    graph = api.graph(DIAMOND, mode="overwrite")
    ids = {n["label"]: n["id"] for n in graph["nodes"] if n["label"]}
    web.open(src=DIAMOND, mode="overwrite")
    assert web.with_class("differs") == set()
    assert web.page.locator(".correct-pill").filter(visible=True).count() == 0
    web.open(src=DIAMOND, mode="overwrite", step=3)
    assert web.grads()[ids["a"]] == "10"
    assert web.with_class("differs") == {ids["c"]}
    assert web.page.locator(f"[data-node-id={ids['a']}] .correct-pill").is_hidden()
    assert web.page.text_content(f"[data-node-id={ids['c']}] .correct-pill") == "correct: -12"


def test_alias_narration_says_the_gradients_are_one_array(web, api):
    graph = api.graph(SHARED, mode="alias")
    names = {n["id"]: n["label"] for n in graph["nodes"]}
    k, event = next((i + 1, e) for i, s in enumerate(graph["backward_steps"]) for e in s["events"] if e["accumulated"])
    web.open(src=SHARED, mode="alias", step=k)
    caption = web.page.text_content("[data-testid=caption]")
    to = names[event["to"]]
    assert f"{to}'s gradient is the same array as" in caption and "in place" in caption, caption
    # the sum it shows adds up: the values before the in-place add, not the record's copies after it
    assert "[2, 2, 2] + [2, 2, 2] = [2, 2, 2]" not in caption
    assert "[1, 1, 1] + [1, 1, 1] = [2, 2, 2]" in caption, caption
    # and the gradients sharing the array change on the page at that step, as they do in memory
    grads = web.grads()
    for nid in graph["compare"]["differs"]:
        assert grads[nid] == "[2, 2, 2]", (names[nid], grads)
    callout = web.page.text_content(".sum-callout.show")
    assert "in place" in callout


def test_alias_narration_names_a_gradient_shared_through_a_view(web, api):
    graph = api.graph(VIEWED, mode="alias")
    ids = {n["label"]: n["id"] for n in graph["nodes"] if n["label"]}
    k, event = next((i + 1, e) for i, s in enumerate(graph["backward_steps"]) for e in s["events"] if "alias" in e)
    y_before = next(e["grad_after"] for s in graph["backward_steps"] for e in s["events"] if e["to"] == ids["y"])
    y_after = event["alias"]["views"][ids["y"]]
    web.open(src=VIEWED, mode="alias", step=k - 1)
    assert web.grads()[ids["y"]] == web.formatted(y_before)
    web.open(src=VIEWED, mode="alias", step=k)
    caption = web.page.text_content("[data-testid=caption]")
    assert "x's gradient is the same array as s's and z's, and y's is a view of it: adding to it in place changes " \
           "them all" in caption, caption
    # y's box shows its own (3,2) view of the sum, which differs from what it received
    assert web.grads()[ids["y"]] == web.formatted(y_after) != web.formatted(y_before)


def test_overwrite_tells_what_was_lost(web, api):
    graph = api.graph(DIAMOND, mode="overwrite")
    k, event = next((i + 1, e) for i, s in enumerate(graph["backward_steps"]) for e in s["events"] if e["accumulated"])
    web.open(src=DIAMOND, mode="overwrite", step=k)
    callout = web.page.text_content(".sum-callout.show")
    assert callout == f"grad = {web.formatted(event['contribution'])}  ({web.formatted(event['grad_before'])} lost!)"
    assert "overwritten" in web.page.text_content("[data-testid=caption]")


def test_a_shape_mismatch_shows_the_wrong_shape_beside_the_right_one(web, api):
    graph = api.graph(BROADCAST, mode="no_unbroadcast")
    flagged = {n["id"]: n for n in graph["nodes"] if "shape_mismatch" in n["flags"]}
    assert flagged
    n = len(graph["backward_steps"])
    web.open(src=BROADCAST, mode="no_unbroadcast", step=n)
    assert web.with_class("flag-shape_mismatch") == set(flagged)
    for nid in flagged:
        # the gradient's shape (4,3), the value's (3,): on the node, and in the caption that sent it
        assert web.page.text_content(f"[data-node-id={nid}] .badge-flag-shape_mismatch text") == "(4,3) ≠ (3,)"
        assert "(3,)" in web.page.text_content(f"[data-node-id={nid}] .title")
    caption = web.page.text_content("[data-testid=caption]")
    assert "shape (4,3), but a has shape (3,)" in caption, caption
    assert web.page.is_hidden("[data-testid=error]")
    # told once it has arrived, not before
    web.page.keyboard.press("Home")
    for nid in flagged:
        assert web.page.locator(f"[data-node-id={nid}] .badge-flag-shape_mismatch").is_hidden()
    web.page.keyboard.press("End")
    web.page.click(f"[data-node-id={next(iter(flagged))}]")
    assert "shape does not match" in web.page.text_content("[data-testid=inspector]")


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

"""Keys for a lesson: a clicker's PageDown/PageUp and the arrows step wherever focus is (but in the
editor), after any menu; Space presses a focused button; every box is focusable in backward order
and Enter opens it; Tab leaves the editor, which indents by itself; the help names every key."""

import pytest
from webtools import DIAMOND

SIZES = [(1920, 1080), (1280, 720), (1024, 768), (390, 844)]
MENUS = [("gallery", "diamond"), ("mode", "overwrite"), ("direction", "backward"), ("speed", "2")]


def step(web) -> int:
    return int(web.step_label().split()[1])


@pytest.mark.parametrize("width,height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_clicker_and_arrow_keys_step_after_using_each_menu(web_factory, width, height):
    web = web_factory(viewport={"width": width, "height": height})
    web.open(src=DIAMOND)
    for testid, value in MENUS:
        menu = web.page.locator(f"[data-testid={testid}]")
        before = web.graphs_drawn()
        menu.focus()
        menu.select_option(value)
        if testid in ("gallery", "mode"):
            web.wait_for_new_graph(before)
        web.page.wait_for_function("() => !document.activeElement || document.activeElement.tagName !== 'SELECT'")
        start = step(web)
        web.page.keyboard.press("PageDown")
        assert step(web) == start + 1, (testid, "PageDown")
        web.page.keyboard.press("ArrowRight")
        assert step(web) == start + 2, (testid, "ArrowRight")
        web.page.keyboard.press("PageUp")
        web.page.keyboard.press("ArrowLeft")
        assert step(web) == start, (testid, "PageUp, ArrowLeft")
    # the toolbar's menu (folded on narrow screens): a choice in it gives the keys back too
    if web.page.locator("[data-testid=menu]").is_visible():
        web.page.click("[data-testid=menu]")
        assert web.page.locator("[data-testid=gradcheck]").is_visible()
        before = web.graphs_drawn()
        web.page.click("[data-testid=gradcheck]")
        web.wait_for_new_graph(before)
        assert web.page.locator("[data-testid=toolbar-more]").is_hidden()
    else:
        before = web.graphs_drawn()
        web.page.click("[data-testid=gradcheck]")
        web.wait_for_new_graph(before)
    start = step(web)
    web.page.keyboard.press("PageDown")
    assert step(web) == start + 1
    # PageDown steps from the find box and the scrubber too; not in the editor
    web.page.focus("[data-testid=find]")
    web.page.keyboard.press("PageDown")
    assert step(web) == start + 2
    if web.page.locator("[data-testid=editor-fold]").is_visible():
        web.page.click("[data-testid=editor-fold]")  # a phone folds the editor away once a program ran
    web.page.focus("[data-testid=source]")
    web.page.keyboard.press("PageDown")
    web.page.keyboard.press("ArrowRight")
    assert step(web) == start + 2


def test_space_plays_but_presses_a_focused_button(web):
    web.open(src=DIAMOND)
    web.page.focus("[data-testid=step-next]")
    web.page.keyboard.press(" ")
    assert web.step_label() == "step 1 / 4"
    assert web.page.get_attribute("[data-testid=play]", "aria-pressed") == "false"
    web.page.evaluate("() => document.activeElement.blur()")
    web.page.keyboard.press(" ")
    assert web.page.get_attribute("[data-testid=play]", "aria-pressed") == "true"
    web.page.keyboard.press(" ")
    assert web.page.get_attribute("[data-testid=play]", "aria-pressed") == "false"


def backward_order(graph: dict) -> list[str]:
    """Boxes (every node, here) as they fire, and a leaf right after the step that completes it."""
    rank: dict[str, float] = {}
    for k, s in enumerate(graph["backward_steps"], start=1):
        rank.setdefault(s["node"], k)
    for k, s in enumerate(graph["backward_steps"], start=1):
        for e in s["events"]:
            if e["to"] not in {x["node"] for x in graph["backward_steps"]}:
                rank[e["to"]] = k + 0.5
    ids = [n["id"] for n in graph["nodes"]]
    return sorted(ids, key=lambda i: (rank.get(i, float("inf")), ids.index(i)))


def test_tab_visits_the_boxes_in_backward_order_and_enter_opens_one(web, api):
    graph = api.graph(DIAMOND)
    web.open(src=DIAMOND, step=2)
    web.page.focus("[data-testid=fit]")
    visited = []
    for _ in graph["nodes"]:
        web.page.keyboard.press("Tab")
        visited.append(web.page.evaluate("() => document.activeElement.dataset.nodeId"))
    assert visited == backward_order(graph)
    assert visited[0] == graph["root"]
    # Enter: the focused node's details; the keys still step; Escape closes them
    web.page.keyboard.press("Enter")
    inspector = web.page.locator("[data-testid=inspector]")
    assert inspector.is_visible()
    last = next(n for n in graph["nodes"] if n["id"] == visited[-1])
    assert last["label"] and inspector.locator("h2").text_content() == last["label"]
    web.page.keyboard.press("PageDown")
    assert web.step_label() == "step 3 / 4"
    web.page.keyboard.press("Escape")
    assert inspector.is_hidden()
    # Shift+Tab goes back through them
    web.page.keyboard.press("Shift+Tab")
    assert web.page.evaluate("() => document.activeElement.dataset.nodeId") == visited[-2]


def test_tab_leaves_the_editor_and_the_editor_indents_by_itself(web):
    web.open(src=DIAMOND)
    editor = web.page.locator("[data-testid=source]")
    editor.click()
    web.page.keyboard.press("Control+End")
    web.page.keyboard.press("Tab")
    assert web.page.evaluate("() => document.activeElement.dataset.testid") != "source"
    assert editor.input_value() == DIAMOND
    editor.click()
    web.page.keyboard.press("Shift+Tab")
    assert web.page.evaluate("() => document.activeElement.dataset.testid") != "source"
    # Enter keeps the indentation, one level more after a colon; Ctrl+] and Ctrl+[ indent a line
    editor.fill("")
    editor.type("def f(x):")
    editor.press("Enter")
    editor.type("y = x * 2")
    editor.press("Enter")
    editor.type("return y")
    assert editor.input_value() == "def f(x):\n    y = x * 2\n    return y"
    editor.press("Control+BracketLeft")
    assert editor.input_value().endswith("\nreturn y")
    editor.press("Control+BracketRight")
    assert editor.input_value().endswith("\n    return y")


def test_the_help_names_every_key(web):
    web.open(src=DIAMOND)
    web.page.keyboard.press("?")
    help_keys = web.page.locator("[data-testid=help-keys]")
    assert help_keys.is_visible()
    shown = set(help_keys.locator("kbd").all_text_contents())
    keys = web.page.evaluate("""async () => {
      const { KEYS, OTHER_KEYS, keyName } = await import('/static/controls.js');
      const shown = (keys) => keys.filter((key) => key === key.toUpperCase() || !keys.includes(key.toUpperCase()));
      return [...KEYS.flatMap((k) => shown(k.keys)), ...OTHER_KEYS.flatMap(([ks]) => ks)].map(keyName);
    }""")
    assert {"PgDn", "PgUp", "→", "←", "Space", "Home", "End", "Esc", "Tab", "Ctrl+Enter", "Ctrl+]"} <= shown
    assert set(keys) <= shown, set(keys) - shown
    web.page.keyboard.press("Escape")
    assert help_keys.is_hidden()

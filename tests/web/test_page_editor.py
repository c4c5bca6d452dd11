"""Errors from the API shown in the editor: the span underlined, the message beside it, the last graph kept."""

import pytest

from webtools import DIAMOND

BAD_SOURCES = [
    "a = 2\nb = 3\nL = a * q + b",  # a name error in the middle of a line
    "a = 2\nL = (a + 1",  # a syntax error
    "a = [1, 2, 3]\nb = [1, 2]\nL = sum(a + b)",  # a shape error
]


@pytest.mark.parametrize("source", BAD_SOURCES, ids=["name", "syntax", "shape"])
def test_an_error_underlines_its_span(web, api, source):
    error = api.error(source)
    web.allow_console(r"status of 4\d\d")
    web.open(src=DIAMOND)
    nodes_before = web.node_ids()
    web.page.fill("[data-testid=source]", source)
    web.page.click("[data-testid=run]")
    web.page.wait_for_selector("[data-testid=error]:not([hidden])")
    box = web.page.text_content("[data-testid=error]")
    assert error["message"] in box and error["kind"] in box
    if error["line"] is None:
        return
    line_text = source.split("\n")[error["line"] - 1]
    start = error["col"] - 1
    end = max(error["end_col"] or error["col"] + 1, error["col"] + 1) - 1
    expected = line_text[start:end] or "\u00a0"
    mark = web.page.locator("[data-testid=error-span]")
    assert mark.text_content() == expected
    assert mark.get_attribute("data-line") == str(error["line"])
    # the mark sits on the right line of the textarea, under the right characters
    textarea = web.page.locator("[data-testid=source]").bounding_box()
    line_height = web.page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('[data-testid=source]')).lineHeight)")
    mark_box = mark.bounding_box()
    top_of_line = textarea["y"] + (error["line"] - 1) * line_height
    assert top_of_line - 2 <= mark_box["y"] <= top_of_line + line_height
    char_width = web.page.evaluate("""() => {
      const c = document.createElement('canvas').getContext('2d');
      c.font = getComputedStyle(document.querySelector('[data-testid=source]')).font;
      return c.measureText('0').width;
    }""")
    assert abs(mark_box["x"] - (textarea["x"] + start * char_width)) < 2 * char_width + 14  # padding
    # the message is written beside the line, and the gutter marks the line number
    assert error["message"] in web.page.text_content(".inline-message")
    assert web.page.text_content(".gutter .error-line") == str(error["line"])
    # the last good graph stays, dimmed
    assert web.node_ids() == nodes_before
    assert "stale" in web.page.get_attribute("[data-testid=graph]", "class")
    if source == BAD_SOURCES[0]:
        web.screenshot("04-error.png")
    # fixing the text clears it all
    before = web.graphs_drawn()
    web.page.fill("[data-testid=source]", DIAMOND)
    web.wait_for_new_graph(before)
    assert web.page.is_hidden("[data-testid=error]")
    assert web.page.locator("[data-testid=error-span]").count() == 0
    assert "stale" not in web.page.get_attribute("[data-testid=graph]", "class")


def test_an_error_on_first_load_still_shows_the_editor(web, api):
    source = "L = nope * 2"
    error = api.error(source)
    web.allow_console(r"status of 4\d\d")
    web.page.goto(web.url(src=source))
    web.page.wait_for_selector("[data-testid=error]:not([hidden])")
    assert web.page.input_value("[data-testid=source]") == source
    assert web.page.text_content("[data-testid=error-span]") == source.split("\n")[error["line"] - 1][error["col"] - 1:error["end_col"] - 1]
    assert web.node_ids() == []


def test_editor_line_numbers_follow_the_text(web):
    web.open(src=DIAMOND)
    assert web.page.eval_on_selector_all(".gutter div", "els => els.map(e => e.textContent)") == ["1", "2", "3", "4"]
    web.page.fill("[data-testid=source]", DIAMOND + "\nM = L * 2\nN = M + 1")
    assert web.page.eval_on_selector_all(".gutter div", "els => els.length") == 6

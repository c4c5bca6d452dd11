"""The server answers 503 `busy` with Retry-After: the page says so and when it asks again, keeps the last
graph on screen, and asks once more by itself; a newer edit replaces the retry, and a retry is never retried."""

import json

from webtools import DIAMOND

BUSY = json.dumps({"error": {"kind": "busy", "message": "the server is busy: no evaluations slot freed within 6 s; "
                             "try again in a moment", "line": None, "col": None, "end_col": None}})
EDITED = "a = 2\nb = 5\nL = a * b + a"


class BusyServer:
    """Answers the first `busy` graph requests 503 with Retry-After: `retry_after`, then lets them through;
    `sources` lists every graph request's program, in order."""

    def __init__(self, web, busy: int = 1, retry_after: int = 1) -> None:
        self.busy, self.retry_after, self.sources = busy, retry_after, []
        web.allow_console(r"status of 503")
        web.page.route("**/api/graph", self.answer)

    def answer(self, route) -> None:
        self.sources.append(json.loads(route.request.post_data)["source"])
        if len(self.sources) <= self.busy:
            route.fulfill(status=503, headers={"Retry-After": str(self.retry_after)},
                          content_type="application/json", body=BUSY)
        else:
            route.fallback()


def busy_notice(web) -> str:
    web.page.wait_for_selector("[data-testid=error].busy:not([hidden])")
    return web.page.text_content("[data-testid=error]")


def edit(web, source: str) -> None:
    web.page.fill("[data-testid=source]", source)
    web.page.click("[data-testid=run]")


def test_a_busy_first_answer_is_said_then_the_graph_comes_by_itself(web):
    server = BusyServer(web, retry_after=1)
    web.page.goto(web.url(src=DIAMOND))
    notice = busy_notice(web)
    assert "The server is busy" in notice and "Trying again in 1\u00a0s" in notice
    assert web.page.get_attribute("body", "data-state") == "busy"
    web.wait_ready()  # no click, no key: the retry
    assert web.page.is_hidden("[data-testid=error]")
    assert web.node_ids(), "the graph is drawn"
    assert server.sources == [DIAMOND, DIAMOND]


def test_the_last_graph_stays_on_screen_while_the_server_is_busy(web):
    web.open(src=DIAMOND)
    before, drawn = web.node_ids(), web.graphs_drawn()
    server = BusyServer(web, retry_after=2)
    edit(web, EDITED)
    assert "Trying again in 2\u00a0s" in busy_notice(web)
    assert "last program that ran" in web.page.text_content("[data-testid=error]")
    assert web.node_ids() == before and web.page.is_visible("[data-testid=graph] [data-node-id]")
    web.wait_for_new_graph(drawn)
    assert web.grads() != {}, "the new graph's numbers are shown"
    assert server.sources == [EDITED, EDITED]


def test_a_newer_edit_replaces_the_retry(web):
    web.page.clock.install()  # the retry's timer fires when the test moves the clock, not after a real wait
    web.open(src=DIAMOND)
    server = BusyServer(web, retry_after=30)
    edit(web, EDITED)
    assert "Trying again in 30\u00a0s" in busy_notice(web)
    drawn = web.graphs_drawn()
    newer = EDITED + " + b"
    edit(web, newer)
    web.wait_for_new_graph(drawn)
    web.page.clock.fast_forward(31_000)  # the busy edit's retry is due now: it must not ask for its old program
    drawn = web.graphs_drawn()
    edit(web, DIAMOND)  # a request after the retry's moment: the retry would have been sent before it
    web.wait_for_new_graph(drawn)
    assert server.sources == [EDITED, newer, DIAMOND]


def test_a_retry_answered_busy_again_is_shown_and_not_retried(web):
    web.page.clock.install()
    server = BusyServer(web, busy=2, retry_after=1)
    web.page.goto(web.url(src=DIAMOND))
    assert "Trying again in 1\u00a0s" in busy_notice(web)
    web.page.clock.fast_forward(1_000)
    web.page.wait_for_selector("body[data-state=error]")
    box = web.page.text_content("[data-testid=error]")
    assert "busy" in box and "try again in a moment" in box
    assert web.page.get_attribute("[data-testid=error]", "class") == "error", "shown as the error it now is"
    web.page.clock.fast_forward(60_000)
    edit(web, EDITED)  # the only way to a third request: the user asks
    web.wait_ready()
    assert server.sources == [DIAMOND, DIAMOND, EDITED]

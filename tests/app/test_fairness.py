"""A fair share: lanes, a cap on cost per client address, a deadline on waiting (503 busy with Retry-After),
Graphviz bounded, identical requests computed once, failures never cached.

Behaviour only: how fast anything is answered is measured by bench/fairness.py. Where a test needs requests
to be in flight at once, it waits for the gate to say so.
"""

import asyncio
import gc
import os
import re
import subprocess
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.concurrency import run_in_threadpool

import app.main
from app import layout, response_cache
from app.admission import Busy, Gate, Lane, cheap_shape, client_address, graphviz_runs
from app.examples import EXAMPLES
from app.limits import CHEAP_MAX_NUMBER, CHEAP_MAX_SOURCE_CHARS
from app.response_cache import ResponseCache, depends_on_load
from app.sandbox import WORKER_NICENESS, SandboxTimeout
from app.settings import Settings
from bench.fairness import LOOP, MATMULS, SLY, STUDENT
from tests.micrograd_programs import MLP_3_16_16_1

SETTINGS = Settings(eval_timeout_s=1.5, cheap_eval_timeout_s=0.5, client_max_cost_s=3.0, queue_wait_s=10.0)


def wait_until(condition, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)


def student(n):
    return {"source": STUDENT.format(a=1 + n / 100, b=-2 - n / 100)}


def slow(n):
    """Runs to the limit (about 7 s unbounded); looks expensive to the static estimate."""
    return {"source": f"{LOOP}# request {n}\n", "layout": False}


@pytest.fixture
def fair_app(monkeypatch):
    """An app with a 1.5 s evaluation limit and a cap of two such evaluations per address."""
    monkeypatch.setattr(app.main, "settings", SETTINGS)
    new = app.main.create_app()
    with TestClient(new, client=("10.0.0.1", 1000)):
        yield new


def at(application, address):
    """A client of a running app from another address (the lifespan already ran)."""
    return TestClient(application, client=(address, 1000))


# ---- the HTTP contract ----------------------------------------------------------------------------

def test_a_client_over_its_cost_cap_gets_503_with_retry_after_while_another_is_served(fair_app):
    sandbox = fair_app.state.sandbox
    greedy, other = at(fair_app, "10.0.0.7"), at(fair_app, "10.0.0.8")
    with ThreadPoolExecutor(2) as pool:
        running = [pool.submit(greedy.post, "/api/graph", json=slow(i)) for i in range(2)]
        wait_until(lambda: sandbox.gate.in_flight("10.0.0.7", sandbox.expensive) == 3.0)

        refused = greedy.post("/api/graph", json=slow(2))
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "2"  # one evaluation's limit
        assert refused.headers["x-content-type-options"] == "nosniff"
        error = refused.json()["error"]
        assert error["kind"] == "busy" and "3 s" in error["message"]
        assert set(error) == {"kind", "message", "line", "col", "end_col"}

        served = other.post("/api/graph", json=student(1))
        assert served.status_code == 200 and served.json()["layout"] is not None
        assert not all(f.done() for f in running)  # served while the greedy client's programs still run
        assert [f.result().json()["error"]["kind"] for f in running] == ["limit", "limit"]
    assert greedy.post("/api/graph", json=student(2)).status_code == 200  # under the cap again


def test_a_class_behind_one_address_gets_its_small_programs_answered(fair_app):
    """Cost, not count: the address is at its cap for expensive programs, its small ones still run."""
    sandbox = fair_app.state.sandbox
    classroom = at(fair_app, "10.0.0.9")
    with ThreadPoolExecutor(8) as pool:
        running = [pool.submit(classroom.post, "/api/graph", json=slow(10 + i)) for i in range(2)]
        wait_until(lambda: sandbox.gate.in_flight("10.0.0.9", sandbox.expensive) == 3.0)
        small = list(pool.map(lambda n: classroom.post("/api/graph", json=student(n)).status_code, range(5)))
        assert small == [200] * 5
        assert not all(f.done() for f in running)
        assert classroom.post("/api/graph", json=slow(12)).status_code == 503


def test_a_cheap_program_is_answered_while_expensive_ones_fill_their_workers_and_queue(fair_app):
    sandbox, gate = fair_app.state.sandbox, fair_app.state.sandbox.gate
    clients = [at(fair_app, "10.0.1.1"), at(fair_app, "10.0.1.2")]
    with ThreadPoolExecutor(2) as pool:
        running = [pool.submit(clients[i].post, "/api/graph", json=slow(20 + i)) for i in range(2)]
        wait_until(lambda: len(gate.running) == gate.slots - gate.reserved and len(gate.waiting) == 1)
        answered = at(fair_app, "10.0.1.3").post("/api/graph", json=student(3))
        assert answered.status_code == 200
        assert not all(f.done() for f in running)
        assert [f.result().json()["error"]["kind"] for f in running] == ["limit", "limit"]
    assert sandbox.cheap.cost_s == SETTINGS.cheap_eval_timeout_s


def test_a_program_that_fools_the_estimate_is_stopped_in_the_cheap_lane_and_runs_again(fair_app):
    sandbox = fair_app.state.sandbox
    lanes = []
    run_in, call_admitted = sandbox.run_in, sandbox.call_admitted  # from a thread, and from the event loop
    sandbox.run_in = lambda lane, fn, args, **kw: lanes.append(lane.name) or run_in(lane, fn, args, **kw)
    sandbox.call_admitted = lambda ticket, fn, args: lanes.append(ticket.lane.name) or call_admitted(ticket, fn, args)
    try:
        for n in range(2):
            response = at(fair_app, "10.0.2.1").post("/api/graph", json={"source": f"{SLY}# {n}\n", "layout": False})
            assert response.status_code == 422 and "1.5 s" in response.json()["error"]["message"]
    finally:
        del sandbox.run_in, sandbox.call_admitted
    assert lanes == ["cheap", "expensive", "expensive"]  # a program of the same shape goes there directly


# ---- the server answers first ---------------------------------------------------------------------

def test_the_sandbox_workers_run_at_a_lower_priority_than_the_server(fair_app):
    """So the server's event loop gets a core as soon as a request arrives, whatever the workers run."""
    assert fair_app.state.sandbox.run(os.nice, 0) == min(19, os.nice(0) + WORKER_NICENESS)


def test_what_start_up_made_is_left_out_of_the_collectors_full_passes(fair_app):
    """A full collection walks only what requests made, not every module's objects (~90 ms under load)."""
    assert gc.get_freeze_count() > 10_000


# ---- Graphviz -------------------------------------------------------------------------------------

def chain(n):
    """A program of its own shape, so its layout is not cached."""
    return "x = 1.5\n" + "x = x * 1.01\n" * n + "L = x\n"


def test_graphviz_never_runs_more_at_once_than_the_bound(client, monkeypatch):
    lock = threading.Lock()
    running, most = {"all": 0, "drawings": 0}, {"all": 0, "drawings": 0}
    real = subprocess.run

    def counted(command, *args, **kwargs):
        kinds = ["all"] if command[1] == "-Tjson0" else ["all", "drawings"]
        with lock:
            for kind in kinds:
                running[kind] += 1
                most[kind] = max(most[kind], running[kind])
        try:
            time.sleep(0.05)  # make the runs overlap if anything let them
            return real(command, *args, **kwargs)
        finally:
            with lock:
                for kind in kinds:
                    running[kind] -= 1

    monkeypatch.setattr(subprocess, "run", counted)

    def ask(i):
        asker = at(client.app, f"10.0.3.{i}")  # addresses of their own: the gate, not the caps, is what limits
        if i % 2:
            return asker.post("/api/render", json={"source": chain(4 + i), "format": ("png", "svg")[i % 4 // 2]})
        return asker.post("/api/graph", json={"source": chain(60 + i)})

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(ask, range(12)))
    for answer in answers:
        assert answer.status_code in (200, 503), answer.text
        if answer.status_code == 503:
            assert answer.json()["error"]["kind"] == "busy" and int(answer.headers["retry-after"]) >= 1
    assert any(a.status_code == 200 for a in answers)
    assert 1 <= most["all"] <= graphviz_runs.slots <= (os.cpu_count() or 1)
    assert most["drawings"] <= graphviz_runs.slots - graphviz_runs.reserved


# ---- failures are never cached -------------------------------------------------------------------

@pytest.mark.parametrize("failure, status", [(SandboxTimeout(5.0), 422), (Busy("busy", 5), 503)])
def test_a_failed_evaluation_is_not_cached(client, monkeypatch, failure, status):
    sandbox = client.app.state.sandbox
    real, failures = sandbox.run_from_loop, [failure]

    async def fails_once(fn, *args, **kwargs):
        if failures:
            raise failures.pop()
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(sandbox, "run_from_loop", fails_once)
    body = {"source": f"a = 1.25\nb = a * 3.5\n# failing once with {status}\n"}
    assert client.post("/api/graph", json=body).status_code == status
    assert client.post("/api/graph", json=body).status_code == 200


def test_a_view_collapsed_by_a_graphviz_timeout_is_not_cached(client, monkeypatch):
    real, timeouts = subprocess.run, [1]

    def slow_once(command, *args, **kwargs):
        if timeouts and command[1] == "-Tjson0":
            timeouts.pop()
            raise subprocess.TimeoutExpired(command, kwargs["timeout"])
        return real(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", slow_once)
    layout.layout_structure.cache_clear()
    body = {"source": chain(33)}
    first = client.post("/api/graph", json=body).json()
    assert first["layout"] is None and first["layout_reason"].startswith("Graphviz took longer")
    second = client.post("/api/graph", json=body).json()
    assert second["layout"] is not None and second["layout_reason"] is None


# ---- the response cache: computed once, only results kept ----------------------------------------

@pytest.fixture
def followed(monkeypatch):
    """An event set once a caller waits for another's computation."""
    waiting = threading.Event()

    class WatchedFuture(Future):
        def result(self, timeout=None):
            waiting.set()
            return super().result(timeout)

    monkeypatch.setattr(response_cache, "Future", WatchedFuture)
    return waiting


def test_identical_requests_at_once_are_computed_once(followed):
    cache, calls, release = ResponseCache(), [], threading.Event()

    def compute():
        calls.append(1)
        release.wait(10)
        return b"answer"

    with ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(cache.get_or_compute, "k", compute) for _ in range(8)]
        followed.wait(10)
        release.set()
        assert [a.result() for a in answers] == [b"answer"] * 8
    assert len(calls) == 1 and cache.computing == {}


@pytest.mark.parametrize("error, follower_gets", [(ValueError("a bad program"), "the same error"),
                                                   (Busy("the first caller is over its cap", 1), b"its own")])
def test_the_first_callers_error_reaches_those_waiting_but_a_refusal_does_not(followed, error, follower_gets):
    cache, started, release = ResponseCache(), threading.Event(), threading.Event()

    def first_compute():
        started.set()
        release.wait(10)
        raise error

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(cache.get_or_compute, "k", first_compute)
        started.wait(10)
        follower = pool.submit(cache.get_or_compute, "k", lambda: b"its own")
        followed.wait(10)
        release.set()
        with pytest.raises(type(error)):
            first.result()
        if follower_gets == "the same error":
            with pytest.raises(type(error)):
                follower.result()
        else:
            assert follower.result() == follower_gets
    assert cache.computing == {}


def test_an_answer_that_depends_on_load_is_returned_but_not_kept():
    cache = ResponseCache()

    def collapsed():
        depends_on_load()
        return b"collapsed"

    assert cache.get_or_compute("k", collapsed) == b"collapsed"
    assert cache.get_or_compute("k", lambda: b"laid out") == b"laid out"
    assert cache.get_or_compute("k", lambda: b"unused") == b"laid out"


def test_an_answer_computed_on_the_event_loop_is_not_kept_when_a_thread_it_used_depended_on_load():
    cache = ResponseCache()

    async def collapsed():
        await run_in_threadpool(depends_on_load)
        return b"collapsed"

    async def laid_out():
        return b"laid out"

    assert asyncio.run(cache.get_or_compute_from_loop("k", collapsed)) == b"collapsed"
    assert asyncio.run(cache.get_or_compute_from_loop("k", laid_out)) == b"laid out"
    assert cache.get_or_compute("k", lambda: b"unused") == b"laid out"


def test_a_load_mark_inside_counts_for_the_answer_around_it_but_not_for_one_beside_it():
    cache = ResponseCache()

    async def outer():
        await cache.get_or_compute_from_loop("inner", inner)
        return b"outer"

    async def inner():
        depends_on_load()
        return b"inner"

    async def beside():
        await asyncio.sleep(0.01)  # while outer and inner are computed on the same thread
        return b"beside"

    async def both():
        return await asyncio.gather(cache.get_or_compute_from_loop("outer", outer),
                                    cache.get_or_compute_from_loop("beside", beside))

    assert asyncio.run(both()) == [b"outer", b"beside"]
    assert list(cache.entries) == ["beside"]


def test_on_the_event_loop_identical_requests_at_once_are_computed_once_with_a_thread_computing_too():
    cache, calls, release = ResponseCache(), [], threading.Event()

    def in_thread():
        calls.append("thread")
        release.wait(10)
        return b"answer"

    async def on_loop():
        calls.append("loop")
        return b"other"

    async def followers():
        waiting = [asyncio.ensure_future(cache.get_or_compute_from_loop("k", on_loop)) for _ in range(4)]
        await asyncio.sleep(0.05)
        release.set()
        return await asyncio.gather(*waiting)

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(cache.get_or_compute, "k", in_thread)
        wait_until(lambda: calls == ["thread"])
        assert asyncio.run(followers()) == [b"answer"] * 4
        assert first.result() == b"answer"
    assert calls == ["thread"] and cache.computing == {}


# ---- the gate ------------------------------------------------------------------------------------

CHEAP, EXPENSIVE = Lane("cheap", 1.0, 5.0, priority=True), Lane("expensive", 3.0, 5.0)


def hold(gate, lane, client, release):
    """In a thread: take a slot as `client` and keep it until `release` is set."""
    client_address.set(client)
    with gate.admitted(lane):
        release.wait(10)
        return client


def queue_up(gate, lane, client, order):
    client_address.set(client)
    with gate.admitted(lane):
        order.append(client)


def test_expensive_requests_leave_the_reserved_slot_to_cheap_ones():
    gate, release, cheap_done = Gate("runs", slots=2, reserved=1), threading.Event(), threading.Event()
    cheap_done.set()
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(hold, gate, EXPENSIVE, "a", release)
        wait_until(lambda: len(gate.running) == 1)
        second = pool.submit(hold, gate, EXPENSIVE, "b", release)
        wait_until(lambda: len(gate.waiting) == 1)  # a slot is free, but it is the cheap lane's
        assert pool.submit(hold, gate, CHEAP, "c", cheap_done).result() == "c"
        assert not second.done() and len(gate.waiting) == 1
        release.set()
        assert (first.result(), second.result()) == ("a", "b")


def test_cheap_requests_go_first_and_a_lane_goes_to_the_client_running_least():
    gate, order = Gate("runs", slots=2), []
    greedy_release, other_release = threading.Event(), threading.Event()
    with ThreadPoolExecutor(6) as pool:
        held = [pool.submit(hold, gate, EXPENSIVE, "greedy", greedy_release),
                pool.submit(hold, gate, EXPENSIVE, "other", other_release)]
        wait_until(lambda: len(gate.running) == 2)
        queued = []
        for lane, client in [(EXPENSIVE, "greedy"), (EXPENSIVE, "modest"), (CHEAP, "typist")]:
            queued.append(pool.submit(queue_up, gate, lane, client, order))
            wait_until(lambda: len(gate.waiting) == len(queued))  # noqa: B023 (called at once)
        other_release.set()  # one slot frees while greedy still holds the other
        wait_until(lambda: len(order) == 3)
        greedy_release.set()
        [f.result() for f in held + queued]
    assert order == ["typist", "modest", "greedy"]  # greedy asked before modest


def test_nobody_waits_past_the_deadline():
    gate, release = Gate("runs", slots=1), threading.Event()
    hurried = Lane("hurried", 2.5, 0.05)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(hold, gate, EXPENSIVE, "x", release)
        wait_until(lambda: len(gate.running) == 1)
        client_address.set("y")
        try:
            with pytest.raises(Busy) as info:
                with gate.admitted(hurried):
                    pass
        finally:
            client_address.set(None)
        release.set()
    assert info.value.retry_after_s == 3 and "no runs slot freed within 0.05 s" in info.value.message
    assert gate.waiting == [] and gate.running == [] and gate.cost == {}


def test_a_caller_that_must_not_wait_enters_only_in_its_turn_and_otherwise_leaves_no_trace():
    gate, release = Gate("runs", slots=2, reserved=1), threading.Event()
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(hold, gate, EXPENSIVE, "a", release)
        wait_until(lambda: len(gate.running) == 1)
        waiting = pool.submit(hold, gate, EXPENSIVE, "b", release)
        wait_until(lambda: len(gate.waiting) == 1)
        before = dict(gate.cost)
        assert gate.enter_at_once(EXPENSIVE, EXPENSIVE.cost_s) is None  # b is first in line, and no slot is free
        assert len(gate.waiting) == 1 and gate.cost == before
        ticket = gate.enter_at_once(CHEAP, CHEAP.cost_s)  # the reserved slot is free, and no one waits for it
        assert ticket is not None and ticket in gate.running
        gate.leave(ticket)
        release.set()
        assert (running.result(), waiting.result()) == ("a", "b")
    assert gate.cost == {} and gate.running == gate.waiting == []


def test_a_caller_that_must_not_wait_is_held_to_its_cap():
    gate = Gate("runs", slots=4, client_max_cost_s=1.0)
    client_address.set("10.0.0.1")
    try:
        ticket = gate.enter_at_once(CHEAP, CHEAP.cost_s)
        assert ticket is not None
        with pytest.raises(Busy, match="already has 1 s of runs"):
            gate.enter_at_once(CHEAP, CHEAP.cost_s)
        gate.leave(ticket)
    finally:
        client_address.set(None)
    assert gate.cost == {}


def test_the_cap_counts_cost_per_client_and_lane():
    gate = Gate("runs", slots=4, client_max_cost_s=6.0)
    client_address.set("10.0.0.1")
    try:
        with gate.admitted(EXPENSIVE), gate.admitted(EXPENSIVE):
            with pytest.raises(Busy, match="already has 6 s of runs"):
                with gate.admitted(EXPENSIVE):
                    pass
            with gate.admitted(CHEAP):  # another lane: its own budget
                assert gate.in_flight("10.0.0.1", CHEAP) == 1.0
        assert gate.cost == {}
    finally:
        client_address.set(None)
    with gate.admitted(EXPENSIVE), gate.admitted(EXPENSIVE), gate.admitted(EXPENSIVE):
        pass  # the server's own calls (no client) are not capped


# ---- the static estimate -------------------------------------------------------------------------

def test_every_gallery_example_and_the_typing_student_look_cheap():
    assert all(cheap_shape(example.source) for example in EXAMPLES)
    assert cheap_shape(MLP_3_16_16_1)  # seeds are not sizes
    assert cheap_shape(STUDENT.format(a=1.5, b=2)) == cheap_shape(STUDENT.format(a=0.25, b=7))  # one shape


def test_big_numbers_and_long_programs_look_expensive():
    assert cheap_shape(LOOP) is None and cheap_shape(MATMULS) is None
    assert cheap_shape("x = randn(1e3)\n") is None and cheap_shape("n = 1_000\n") is None
    assert cheap_shape("for i in range(10**9):\n    x = 0\n") is None  # a power of small numbers
    assert cheap_shape("x = 1e300 ** 64\ny = 99 ** 99_999\n") is None
    assert cheap_shape("L = (w - 2) ** 2 + 3 ** 2\n") is not None
    assert cheap_shape("x = 1.0\n" * 1_000) is None
    assert cheap_shape("x = 2.0  # 123456789\n") == cheap_shape("x = 3.0\n")  # comments do not count


# cheap_shape as first written (its NUMBER tried the lookbehind at every character): the reference
REFERENCE_NUMBER = r"(?<![\w.])[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?"


def reference_cheap_shape(source: str) -> str | None:
    if len(source) > CHEAP_MAX_SOURCE_CHARS:
        return None
    text = re.sub(r"seed\s*[=(]\s*[0-9_]+", "seed=0", re.sub(r"[ \t]*#[^\n]*", "", source))
    numbers = [float(n.replace("_", "")) for n in re.findall(REFERENCE_NUMBER, text)]
    if any(n >= CHEAP_MAX_NUMBER for n in numbers):
        return None
    power = rf"({REFERENCE_NUMBER})\s*\*\*\s*({REFERENCE_NUMBER})"
    bases = [(float(b.replace("_", "")), float(e.replace("_", ""))) for b, e in re.findall(power, text)]
    if any(b ** min(e, 64.0) >= CHEAP_MAX_NUMBER for b, e in bases):
        return None
    return re.sub(REFERENCE_NUMBER, "0", text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["1", "0", "7", "42", "_", ".", "e", "E", "-", "+", "x", "a1", " ", "\t", "*", "**",
                                 "#", "\n", "(", ")", "=", "seed", "seed(", "1e3", "99", "2.5", "0x1"]), max_size=40))
def test_cheap_shape_is_the_reference_estimate(parts: list[str]) -> None:
    source = "".join(parts)
    assert cheap_shape(source) == reference_cheap_shape(source)

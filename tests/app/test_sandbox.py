"""The sandbox: results and exceptions cross the process boundary intact; slow, greedy and crashing
calls are stopped and their workers replaced; many threads can call at once; a call estimated cheap never
waits behind expensive ones, and one that overruns the cheap lane runs again in the expensive lane; a call
from the event loop does all this without ever holding the loop up; the graph record's JSON is written in
the worker."""

import asyncio
import gc
import operator
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from app.encode import from_json, to_json
from app.graph import GraphOptions, build_graph, record_json
from app.language import ExpressionError, parse_program
from app.sandbox import WORKER_GC_THRESHOLD, Sandbox, SandboxTimeout, Worker, freed_after_reply

# Every worker that runs a function of this module imports it first: keep its imports to what the workers
# preload (NumPy, the engine, the language, the graph record), or a first call may overrun a short limit.

TIMEOUT_S = 1.0
MEMORY_BYTES = 256 << 20


# Functions run in the workers: top level, so they pickle by reference.

def add(a, b):
    return a + b


def root_value(source):
    return parse_program(source).root.data


def fail(message):
    raise ValueError(message)


def spin():
    while True:
        pass


def sleep_long():
    time.sleep(60)


def slow_numpy():
    a = np.ones((2000, 2000))
    while True:
        a = a @ a / 2000


def allocate_10_gb():
    return np.ones(10 * 1024**3 // 8).sum()


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def unpicklable():
    return threading.Lock()


def worker_pid():
    return os.getpid()


def held_for_freeing():
    return len(freed_after_reply)


@pytest.fixture(scope="module")
def box():
    sandbox = Sandbox(workers=2, timeout_s=TIMEOUT_S, memory_bytes=MEMORY_BYTES)
    yield sandbox
    sandbox.close()


def test_result_round_trip(box):
    assert box.run(add, 2, 3) == 5
    np.testing.assert_array_equal(box.run(add, np.arange(3.0), 1), [1, 2, 3])
    assert box.run(root_value, "a = 2; b = 3; L = a*b + a") == 8


def test_expression_error_comes_back_intact(box):
    with pytest.raises(ExpressionError) as info:
        box.run(root_value, "a = 1\nb = c + a")
    assert type(info.value) is ExpressionError
    assert info.value.to_dict() == {"kind": "name", "message": "name 'c' is not defined", "line": 2, "col": 5,
                                    "end_col": 6}
    assert info.value.status == 422


def test_other_exceptions_come_back_too(box):
    with pytest.raises(ValueError, match="from the worker"):
        box.run(fail, "from the worker")
    with pytest.raises(RuntimeError, match="could not send back"):
        box.run(unpicklable)
    assert box.run(add, 1, 1) == 2


@pytest.mark.parametrize("fn", [spin, sleep_long, slow_numpy])
def test_a_call_that_never_ends_is_killed_and_the_pool_recovers(box, fn):
    pids = {box.run(worker_pid) for _ in range(8)}
    with pytest.raises(SandboxTimeout) as info:  # raised only when the call overran its limit
        box.run(fn)
    assert info.value.to_dict()["kind"] == "limit" and info.value.status == 422
    assert info.value.message == "evaluation took longer than 1 s"
    assert box.run(add, 1, 2) == 3
    assert len(pids | {box.run(worker_pid) for _ in range(8)}) > len(pids)  # the killed worker was replaced


def test_a_call_that_needs_too_much_memory_gets_a_limit_error(box):
    with pytest.raises(ExpressionError) as info:
        box.run(allocate_10_gb)
    assert (info.value.kind, info.value.message) == ("limit", "evaluation needed more than 256 MiB")
    assert box.run(add, 1, 2) == 3


def test_a_worker_that_dies_is_replaced():
    # a limit no busy machine reaches (the fixture's 1 s is not: a worker just started may take
    # longer to answer), so that only the death can end the call
    with Sandbox(workers=2, timeout_s=60.0, memory_bytes=MEMORY_BYTES) as box:
        with pytest.raises(ExpressionError) as info:
            box.run(die)
        # said as a death, not as a timeout: the pipe's end was seen at once, not the limit waited out
        assert not isinstance(info.value, SandboxTimeout)
        assert info.value.kind == "limit" and "killed by SIGKILL" in info.value.message
        assert [box.run(add, i, 1) for i in range(4)] == [1, 2, 3, 4]


def test_many_threads_at_once(box):
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: box.run(add, i, i), range(400)))
    assert results == [2 * i for i in range(400)]


def test_a_timeout_in_one_thread_does_not_disturb_the_others(box):
    with ThreadPoolExecutor(max_workers=8) as pool:
        slow = pool.submit(box.run, spin)
        fast = [pool.submit(box.run, root_value, f"x = {i}\ny = x * x") for i in range(100)]
        assert [f.result() for f in fast] == [i * i for i in range(100)]
        with pytest.raises(SandboxTimeout):
            slow.result()


def test_close_stops_the_workers():
    sandbox = Sandbox(workers=2, timeout_s=TIMEOUT_S, memory_bytes=MEMORY_BYTES)
    processes = [w.process for w in list(sandbox.idle.queue)]
    assert sandbox.run(add, 1, 2) == 3
    sandbox.close()
    assert not any(p.is_alive() for p in processes)
    with pytest.raises(RuntimeError, match="closed"):
        sandbox.run(add, 1, 2)


# ---- from the event loop -------------------------------------------------------------------------

def from_loop(sandbox, fn, *args, cheap="a kind"):
    return asyncio.run(sandbox.run_from_loop(fn, *args, cheap=cheap))


def ticks_while(call):
    """How often the event loop ran a 1 ms ticker while it awaited `call` (a coroutine): a loop held up by
    the call would tick about once."""
    async def both():
        ticks, done = [], asyncio.Event()

        async def ticker():
            while not done.is_set():
                ticks.append(1)
                await asyncio.sleep(0.001)

        ticking = asyncio.ensure_future(ticker())
        try:
            return await call, len(ticks)
        finally:
            done.set()
            await ticking
    return asyncio.run(both())


def test_from_the_event_loop_results_and_errors_come_back_as_from_a_thread(box):
    assert from_loop(box, add, 2, 3) == 5
    with pytest.raises(ExpressionError, match="not defined"):
        from_loop(box, root_value, "a = 1\nb = c + a")
    with pytest.raises(RuntimeError, match="could not send back"):
        from_loop(box, unpicklable)
    assert box.run(add, 1, 1) == 2  # the pipe is back to how `run` reads it
    big = operator.mul(b"0123456789", 700_000)  # 7 MB: many times what the pipe holds at once
    assert from_loop(box, operator.mul, b"0123456789", 700_000) == big
    assert from_loop(box, add, np.arange(3.0), 1).tolist() == [1, 2, 3]


def test_the_event_loop_keeps_running_while_it_awaits_a_worker(box):
    result, ticks = ticks_while(box.run_from_loop(time.sleep, 0.3, cheap="sleeps"))
    assert result is None and ticks > 50


def test_a_call_from_the_event_loop_that_runs_too_long_or_kills_its_worker_is_stopped_and_replaced():
    with Sandbox(workers=2, timeout_s=0.5, cheap_timeout_s=0.5) as sandbox:
        started = [w.process for w in sandbox.idle.queue]
        with pytest.raises(SandboxTimeout):
            from_loop(sandbox, time.sleep, 5)
        replaced = [w.process for w in sandbox.idle.queue]
        with pytest.raises(ExpressionError, match="worker process died"):
            from_loop(sandbox, die)
        now = [w.process for w in sandbox.idle.queue]
        assert [p.is_alive() for p in started + replaced] == [True, False, True, False]  # LIFO: the last came back
        assert len(now) == 2 and all(p.is_alive() for p in now) and not set(now) & {started[1], replaced[1]}
        assert from_loop(sandbox, add, 1, 2) == 3


def test_from_the_event_loop_a_call_that_overruns_the_cheap_lane_runs_again_in_the_expensive_lane():
    with Sandbox(workers=2, timeout_s=5.0, cheap_timeout_s=0.3) as sandbox:
        lanes = []
        run_in, call_admitted = sandbox.run_in, sandbox.call_admitted
        sandbox.run_in = lambda lane, fn, args, **kw: lanes.append(lane.name) or run_in(lane, fn, args, **kw)
        sandbox.call_admitted = lambda ticket, *call: lanes.append(ticket.lane.name) or call_admitted(ticket, *call)
        assert from_loop(sandbox, time.sleep, 0.6, cheap="sleeps") is None
        assert from_loop(sandbox, time.sleep, 0.4, cheap="sleeps") is None  # calls like it go there directly
        assert from_loop(sandbox, operator.add, 1, 2, cheap=None) == 3  # as does a call not estimated cheap
        assert lanes == ["cheap", "expensive", "expensive", "expensive"]


def test_a_call_from_the_event_loop_that_would_wait_waits_in_a_thread_in_its_turn():
    with Sandbox(workers=1, cheap_timeout_s=1.0, queue_wait_s=30) as sandbox, ThreadPoolExecutor(1) as pool:
        first = pool.submit(sandbox.run, time.sleep, 0.5, cheap="sleeps")
        wait_until(lambda: len(sandbox.gate.running) == 1)
        result, ticks = ticks_while(sandbox.run_from_loop(operator.add, 2, 2, cheap="add"))
        assert result == 4 and first.done() and ticks > 50
    assert sandbox.gate.cost == {}


# The tests of lanes call functions of modules the workers have loaded already (time.sleep, os.getpid,
# operator.add), so that no first call spends part of a short limit importing this module.

def test_a_cheap_call_never_waits_behind_expensive_ones():
    with Sandbox(workers=2, cheap_timeout_s=1.0, queue_wait_s=30) as sandbox, ThreadPoolExecutor(3) as pool:
        expensive = [pool.submit(sandbox.run, time.sleep, 2) for _ in range(2)]
        gate = sandbox.gate
        wait_until(lambda: len(gate.running) == 1 and len(gate.waiting) == 1)  # one runs, one waits its turn
        assert sandbox.run(operator.add, 1, 2, cheap="add") == 3  # on the worker kept for cheap calls
        assert len(gate.waiting) == 1 and not any(f.done() for f in expensive)
        assert [f.result() for f in expensive] == [None, None]


def test_a_call_that_overruns_the_cheap_lane_runs_again_in_the_expensive_lane():
    with Sandbox(workers=2, timeout_s=5.0, cheap_timeout_s=0.3) as sandbox:
        lanes = []
        run_in = sandbox.run_in
        sandbox.run_in = lambda lane, fn, args, **kw: lanes.append(lane.name) or run_in(lane, fn, args, **kw)
        pids = {sandbox.run(os.getpid, cheap="pid") for _ in range(4)}
        assert sandbox.run(time.sleep, 0.6, cheap="sleeps") is None
        assert lanes[-2:] == ["cheap", "expensive"]
        assert len(pids | {sandbox.run(os.getpid) for _ in range(4)}) > len(pids)  # the overrun's worker was replaced
        lanes.clear()
        assert sandbox.run(time.sleep, 0.5, cheap="sleeps") is None  # calls like it go there directly
        assert sandbox.run(operator.add, 1, 2, cheap="add") == 3
        assert lanes == ["expensive", "cheap"]


def test_of_calls_of_one_kind_sent_at_once_one_overruns_the_cheap_lane(monkeypatch):
    limits, call = [], Worker.call

    def counted(worker, fn, args, limit):
        limits.append(limit)
        return call(worker, fn, args, limit)

    monkeypatch.setattr(Worker, "call", counted)
    with (Sandbox(workers=1, cheap_timeout_s=0.3, queue_wait_s=30, cheap_queue_wait_s=30) as sandbox,
          ThreadPoolExecutor(3) as pool):
        calls = [pool.submit(sandbox.run, time.sleep, 0.6, cheap="sleeps") for _ in range(3)]
        assert [c.result() for c in calls] == [None, None, None]
    assert sorted(limits) == [0.3, 5.0, 5.0, 5.0]  # the others learnt it while they waited


def test_with_one_worker_a_cheap_call_still_goes_first():
    with Sandbox(workers=1, cheap_timeout_s=1.0, queue_wait_s=30) as sandbox, ThreadPoolExecutor(3) as pool:
        assert sandbox.gate.reserved == 0
        first = pool.submit(sandbox.run, time.sleep, 0.5)
        wait_until(lambda: len(sandbox.gate.running) == 1)
        queued = pool.submit(sandbox.run, time.sleep, 0.5)
        wait_until(lambda: len(sandbox.gate.waiting) == 1)
        cheap = pool.submit(sandbox.run, operator.add, 2, 2, cheap="add")
        assert cheap.result() == 4 and not queued.done()
        assert (first.result(), queued.result()) == (None, None)



def test_a_worker_collects_its_youngest_objects_less_often_than_python_does(box):
    assert box.run(gc.get_threshold)[0] == WORKER_GC_THRESHOLD > gc.get_threshold()[0]
    assert box.run(gc.isenabled)


def test_the_worker_that_answered_last_answers_the_next_call(box):
    assert len({box.run(os.getpid) for _ in range(4)}) == 1


def test_a_worker_frees_what_a_call_handed_over_once_it_has_replied(box):
    box.run(record_json, "a = 2\nL = a * a", None, GraphOptions())  # hands its graph and program over
    assert box.run(held_for_freeing) == 0  # the same worker (the last to answer): freed after that reply


def test_outside_a_worker_only_the_last_calls_objects_are_held():
    for source in ("a = 2\nL = a * a", "a = 3\nL = a * a * a"):
        graph = from_json(record_json(source))
        assert len(freed_after_reply) == 2 and freed_after_reply[0] == graph


def test_the_record_is_written_as_json_in_the_worker(box):
    source = "a = 2\nb = -3\nc = a * b + a\nL = c.relu()"
    body = box.run(record_json, source, None, GraphOptions())
    assert isinstance(body, bytes) and body == to_json(build_graph(source))


@pytest.mark.parametrize("layout", [True, False])
def test_the_graph_response_is_the_workers_json_with_the_view_written_after_it(box, layout):
    from app.schemas import GraphRequest  # not at the top: see the imports
    from app.service import compute_graph, graph_json

    request = GraphRequest(source="a = 2.5\nb = a * a\nL = b + a  # written after", layout=layout)
    assert asyncio.run(graph_json(box, request)) == to_json(compute_graph(box, request))


def wait_until(condition, timeout_s=30.0):
    deadline = time.perf_counter() + timeout_s
    while not condition():
        assert time.perf_counter() < deadline, "the condition never came true"
        time.sleep(0.01)

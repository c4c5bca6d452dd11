"""The real server, as deployed (one server process: see app/admission.py): slow clients, a class arriving at
once, and a class behind one address while some of it sends programs that run to the limit."""

import socket
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.examples import EXAMPLES_BY_ID
from bench.fairness import LOOP, STUDENT
from bench.server import running_server


@pytest.fixture(scope="module")
def server():
    with running_server() as (base, pid):
        yield base


def test_slow_clients_do_not_tie_up_the_server(server):
    host, port = server.removeprefix("http://").split(":")
    slow = []
    for _ in range(30):  # each sends headers and a trickle of its body, then stalls
        s = socket.create_connection((host, int(port)))
        s.sendall(b"POST /api/graph HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{\"source\": \"a")
        slow.append(s)
    try:
        response = httpx.post(f"{server}/api/graph", json={"source": EXAMPLES_BY_ID["diamond"].source}, timeout=10)
        assert response.status_code == 200
        assert all(still_open(s) for s in slow), "answered only once the slow clients were dropped"
    finally:
        for s in slow:
            s.close()


def still_open(s: socket.socket) -> bool:
    """Whether the server has neither answered nor closed this connection."""
    try:
        s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return True
    return False


def test_a_class_opening_one_link_sees_no_error(server):
    body = {"source": EXAMPLES_BY_ID["mlp"].source, "mode": "correct"}

    def student(_):
        return httpx.post(f"{server}/api/graph", json=body, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=60) as pool:
        statuses = list(pool.map(student, range(60)))
    assert statuses == [200] * 60


def test_page_and_api_carry_security_headers(server):
    for path in ("/", "/api/examples", "/static/app.js"):
        headers = httpx.get(f"{server}{path}", timeout=10).headers
        assert headers["content-security-policy"] == "default-src 'self'", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path


def test_small_programs_are_answered_while_others_from_the_same_address_run_to_the_limit(server):
    """Like a class behind one NAT address: six programs that run to the 5 s limit, more than the address's cap,
    and small programs with new numbers; the small ones are answered, the excess
    expensive ones refused at once with 503 `busy` and Retry-After."""
    def expensive(i):
        return httpx.post(f"{server}/api/graph", json={"source": f"{LOOP}# {i}\n", "layout": False}, timeout=60)

    with ThreadPoolExecutor(6) as pool:
        running = [pool.submit(expensive, i) for i in range(6)]
        small = [httpx.post(f"{server}/api/graph", json={"source": STUDENT.format(a=n / 7, b=2 - n)}, timeout=60)
                 for n in range(5)]
        assert [r.status_code for r in small] == [200] * 5
        assert httpx.get(f"{server}/healthz", timeout=10).status_code == 200
        assert not all(f.done() for f in running)
        answers = [f.result() for f in running]
    kinds = [a.json()["error"]["kind"] for a in answers]
    assert set(kinds) <= {"limit", "busy"} and kinds.count("busy") >= 2, kinds
    assert all(int(a.headers["retry-after"]) >= 1 for a in answers if a.status_code == 503)

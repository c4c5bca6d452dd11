"""One error shape for every failure: `{"error": {kind, message, line, col, end_col}}`, JSON, with the
security headers, whether the router, the request parser, the program, the body cap or a bug answers."""

import logging

import pytest
from fastapi.testclient import TestClient

from app.limits import MAX_BODY_BYTES
from app.main import create_app
from app.middleware import SECURITY_HEADERS
from app.sandbox import Sandbox
from app.schemas import ErrorResponse

JSON = {"content-type": "application/json"}


def assert_error(response, status: int, kind: str) -> dict:
    """The answer has the status, the one shape (nothing more, nothing less), JSON and every security header."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"kind", "message", "line", "col", "end_col"}
    ErrorResponse.model_validate(body)
    assert body["error"]["kind"] == kind and body["error"]["message"]
    for name, value in SECURITY_HEADERS:
        assert response.headers[name.decode()] == value.decode(), name
    return body["error"]


@pytest.mark.parametrize("path", ["/nope", "/api/nope", "/static/nope.js"])
def test_404(client, path):
    assert_error(client.get(path), 404, "not_found")


@pytest.mark.parametrize("method, path", [("GET", "/api/graph"), ("DELETE", "/api/examples"), ("PUT", "/healthz")])
def test_405(client, method, path):
    assert_error(client.request(method, path), 405, "method_not_allowed")


def test_413_by_content_length(client):
    body = b'{"source": "' + b"1" * MAX_BODY_BYTES + b'"}'
    assert_error(client.post("/api/graph", content=body, headers=JSON), 413, "limit")


def test_413_for_a_chunked_body(client):
    # no Content-Length: the cap is found while the body is read (FastAPI alone would answer 400)
    chunks = (b'{"source": "' if i == 0 else b"1" * 4096 for i in range(MAX_BODY_BYTES // 4096 + 2))
    response = client.post("/api/graph", content=chunks, headers=JSON)
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "limit")


def test_a_chunked_body_under_the_cap_is_read_as_usual(client):
    response = client.post("/api/graph", content=iter([b'{"source": ', b'"a = 2; b = a * a"}']), headers=JSON)
    assert response.status_code == 200, response.text


def test_413_for_a_long_source(client):
    assert_error(client.post("/api/graph", json={"source": "a = 1\n" * 5000}), 413, "limit")


def test_422_from_the_program_says_where(client):
    error = assert_error(client.post("/api/graph", json={"source": "a = 2\nb = a +* 3"}), 422, "syntax")
    assert error["line"] == 2 and error["col"] is not None


@pytest.mark.parametrize("body", [
    {"source": "a = 1", "mode": "bogus"},
    {"mode": "correct"},
    {"source": 1},
    {"source": "a = 1", "unknown": True},
    {"source": "a = 1", "max_paths": 10**6},
    [],
])
def test_422_for_an_invalid_request(client, body):
    error = assert_error(client.post("/api/graph", json=body), 422, "request")
    assert error["line"] is None


@pytest.mark.parametrize("content", [b"{", b"\xff\xfe", b"", b'{"source": "a = 1"} trailing'])
def test_a_body_that_is_not_json(client, content):
    response = client.post("/api/graph", content=content, headers=JSON)
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code, "request")


# ---- unexpected exceptions --------------------------------------------------------------------


def explode_in_the_worker() -> None:
    """Runs in a sandbox worker (top level, so it pickles by reference)."""
    raise ZeroDivisionError("a bug deep in the worker")


@pytest.fixture(scope="module")
def buggy_client():
    """A fresh app with two routes that fail the way a bug would: here, and in a sandbox worker."""
    app = create_app()

    def fails_here() -> None:
        raise KeyError("a bug in the server process")

    def fails_in_the_worker() -> None:
        sandbox: Sandbox = app.state.sandbox
        sandbox.run(explode_in_the_worker)

    app.add_api_route("/fails-here", fails_here, methods=["GET"])
    app.add_api_route("/fails-in-the-worker", fails_in_the_worker, methods=["GET"])
    with TestClient(app) as test_client:
        yield test_client


def test_an_unexpected_exception_is_a_json_500_with_the_headers_and_is_logged(buggy_client, caplog):
    with caplog.at_level(logging.ERROR):
        error = assert_error(buggy_client.get("/fails-here"), 500, "internal")
    assert "a bug in the server process" not in error["message"]  # the details go to the log, not the client
    (logged,) = [r for r in caplog.records if r.exc_info]
    assert "GET /fails-here" in logged.getMessage() and "a bug in the server process" in caplog.text
    assert buggy_client.get("/healthz").status_code == 200


def test_a_worker_exception_logs_the_worker_traceback(buggy_client, caplog):
    with caplog.at_level(logging.ERROR):
        assert_error(buggy_client.get("/fails-in-the-worker"), 500, "internal")
    # the traceback from inside the worker, not only the line in the server that re-raised it
    assert "sandbox worker Traceback" in caplog.text and "in explode_in_the_worker" in caplog.text


def test_a_bug_in_a_real_route_is_a_500_too(client, monkeypatch, caplog):
    # a response that breaks the declared schema is FastAPI's ResponseValidationError: a bug, not a 4xx
    import app.api

    monkeypatch.setattr(app.api, "EXAMPLES", [{"id": 1}])
    with caplog.at_level(logging.ERROR):
        assert_error(client.get("/api/examples"), 500, "internal")
    assert "ResponseValidationError" in caplog.text

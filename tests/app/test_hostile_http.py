"""Every hostile input through HTTP: a quick, clear 4xx (or a flagged 200 graph), and the server lives on."""

import json
import time

import httpx
import pytest

from app.limits import MAX_BODY_BYTES
from bench.server import running_server
from tests.hostile_inputs import HOSTILE_INPUTS

ANSWER_WITHIN_S = 2.0


@pytest.mark.parametrize("source, kind, description", HOSTILE_INPUTS, ids=[h[2] for h in HOSTILE_INPUTS])
def test_hostile_input_is_answered_quickly_and_clearly(client, source, kind, description):
    start = time.perf_counter()
    # ASCII-escaped JSON, so sources with lone surrogates reach the server as they are
    response = client.post("/api/graph", content=json.dumps({"source": source}),
                           headers={"content-type": "application/json"})
    elapsed = time.perf_counter() - start
    assert elapsed < ANSWER_WITHIN_S, f"{description}: {elapsed:.2f} s"
    if kind is None:
        assert response.status_code in (200, 413, 422), response.text
    else:
        assert response.status_code in (413, 422), response.text
        assert response.json()["error"]["kind"] == kind, response.text
    assert client.get("/healthz").status_code == 200


def test_corpus_is_large_enough():
    assert len(HOSTILE_INPUTS) >= 40


def test_a_chunked_body_over_the_cap_is_413_from_the_real_server():
    """Through uvicorn, whose chunked body arrives in pieces: the cap holds without a Content-Length."""

    def chunks():
        yield b'{"source": "'
        for _ in range(MAX_BODY_BYTES // 4096 + 8):
            yield b"1" * 4096
        yield b'"}'

    with running_server(workers=1) as (base, _):
        response = httpx.post(f"{base}/api/graph", content=chunks(), headers={"content-type": "application/json"},
                              timeout=30)
        assert response.request.headers["transfer-encoding"] == "chunked"
        assert response.status_code == 413 and response.json()["error"]["kind"] == "limit", response.text
        assert response.headers["x-content-type-options"] == "nosniff"
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200

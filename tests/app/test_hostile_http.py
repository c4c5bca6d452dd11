"""Every hostile input through HTTP: a clear 4xx (or a flagged 200 graph), and the server lives on.

"Quickly" is asserted without a clock: no answer may be the sandbox's wall-clock limit, so every
refusal comes from a check made before the work. How long answers take under load is measured by
`bench/load.py --hostile`, not asserted here, where a busy CI machine would make it flaky.
"""

import json

import httpx
import pytest

from app.limits import MAX_BODY_BYTES
from app.sandbox import SandboxTimeout
from app.settings import settings
from bench.server import running_server
from tests.hostile_inputs import HOSTILE_INPUTS

TIMED_OUT = SandboxTimeout(settings.eval_timeout_s).to_dict()["message"]


@pytest.mark.parametrize("source, kind, description", HOSTILE_INPUTS, ids=[h[2] for h in HOSTILE_INPUTS])
def test_hostile_input_is_refused_by_a_check_not_the_clock(client, source, kind, description):
    # ASCII-escaped JSON, so sources with lone surrogates reach the server as they are
    response = client.post("/api/graph", content=json.dumps({"source": source}),
                           headers={"content-type": "application/json"})
    if kind is None:
        assert response.status_code in (200, 413, 422), response.text
    else:
        assert response.status_code in (413, 422), response.text
        assert response.json()["error"]["kind"] == kind, response.text
    if response.status_code != 200:
        assert response.json()["error"]["message"] != TIMED_OUT, description
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

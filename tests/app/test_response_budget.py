"""Every answer is costed before it is written: small programs asking for huge answers get less detail
(said in `reduced`) or a 422, never tens of megabytes."""

import pytest

from app.limits import MAX_RESPONSE_BYTES

HUGE_ANSWERS = {
    "negated 240 times": "x = randn(64, 64)\n" + "x = -x\n" * 240,
    "tanh 240 times": "x = randn(64, 64)\n" + "x = tanh(x)\n" * 240,
    "many paths": "\n".join(f"a{i} = {i % 7 - 3}" for i in range(60)) + "\ny = a0\n"
                  + "".join(f"y = y * a{i % 60} + y\n" for i in range(300)),
    "wide sums": "x = randn(60, 60)\n" + "".join(f"y{i} = x * {i}\nx = x + y{i}\n" for i in range(100))
                 + "L = sum(x)",
}


@pytest.mark.parametrize("name", HUGE_ANSWERS)
def test_huge_answers_are_reduced_or_refused(client, name):
    response = client.post("/api/graph", json={"source": HUGE_ANSWERS[name]})
    assert len(response.content) <= MAX_RESPONSE_BYTES
    if response.status_code == 200:
        assert response.json()["reduced"], "a reduced answer says what was left out"
    else:
        error = response.json()["error"]
        assert response.status_code == 422 and error["kind"] == "limit" and "MB" in error["message"]


def test_ordinary_answers_are_whole(client):
    graph = client.post("/api/graph", json={"source": "a = randn(8, 8)\nL = sum(tanh(a @ a))"}).json()
    assert graph["reduced"] == [] and all(not isinstance(n["value"], dict) for n in graph["nodes"])


def test_reduced_paths_keep_their_exact_count(client):
    graph = client.post("/api/graph", json={"source": HUGE_ANSWERS["many paths"]}).json()
    assert any("path" in r for r in graph["reduced"])
    for leaf in graph["paths"].values():
        assert int(leaf["count"]) == len(leaf["shown"]) + int(leaf["left_out"])

"""Training loops against the real thing: micrograd runs the same text (many backward calls, p.grad = 0,
p.data updates), PyTorch's own clipping functions check ours, and the history stays bounded."""

import builtins
import contextlib
import io
import random

import micrograd.engine
import numpy as np
import pytest
import torch

from app.examples import EXAMPLES_BY_ID
from app.language import ExpressionError, parse_program
from app.language.training import clip_grad_norm, clip_grad_value
from app.limits import MAX_HISTORY_CALLS
from engine import Tensor

IMPORT_VALUE = "from micrograd.engine import Value\n"
LINEAR_FIT = EXAMPLES_BY_ID["training-zero-grad"].source

MLP_TRAINING = """from micrograd.engine import Value
import random
random.seed(7)

def neuron(nin):
    return [Value(random.uniform(-1, 1)) for _ in range(nin)] + [Value(0.0)]

def fire(n, xs, nonlin):
    act = sum((w * x for w, x in zip(n[:-1], xs)), n[-1])
    return act.relu() if nonlin else act

model = [[neuron(2) for _ in range(3)], [neuron(3)]]
params = [p for layer in model for n in layer for p in n]
data = [([1.0, -1.0], 1.0), ([0.5, 2.0], -1.0), ([-1.5, 0.5], 1.0)]

def zero_grad():
    for p in params:
        p.grad = 0

for step in range(6):
    loss = Value(0.0)
    for xs, y in data:
        h = [fire(n, xs, True) for n in model[0]]
        out = fire(model[1][0], h, False)
        loss += (out - y) ** 2
    zero_grad()
    loss.backward()
    for p in params:
        p.data -= 0.05 * p.grad
    print(f"{step} {loss.data:.12f} {params[0].grad:.12f}")
"""


def run_micrograd(source: str) -> tuple[list[str], list[float]]:
    """Printed lines and the root's value at each backward call, from real micrograd."""
    losses: list[float] = []
    plain_backward = micrograd.engine.Value.backward

    def recorded(self: micrograd.engine.Value) -> None:
        losses.append(self.data)
        plain_backward(self)

    class LabelledValue(micrograd.engine.Value):
        def __init__(self, data: float, label: str = ""):
            super().__init__(data)

    stdout = io.StringIO()
    state = random.getstate()
    micrograd.engine.Value.backward = recorded
    try:
        with contextlib.redirect_stdout(stdout):
            exec(source.replace(IMPORT_VALUE, ""), {"__builtins__": builtins, "Value": LabelledValue})  # noqa: S102
    finally:
        micrograd.engine.Value.backward = plain_backward
        random.setstate(state)
    return stdout.getvalue().splitlines(), losses


@pytest.mark.parametrize("source", [LINEAR_FIT, MLP_TRAINING], ids=["linear-fit", "mlp"])
def test_training_loop_matches_micrograd(client, source):
    lines, losses = run_micrograd(source)
    graph = client.post("/api/graph", json={"source": source}).json()
    assert graph["output"] == lines
    history = graph["history"]
    assert history["total_calls"] == len(losses) == len(history["calls"]) and graph["call"] == len(losses)
    assert np.allclose([c["root_value"] for c in history["calls"]], losses, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("source, forget", [(LINEAR_FIT, "        p.grad = 0\n"),
                                            (MLP_TRAINING, "    zero_grad()\n")], ids=["linear-fit", "mlp"])
def test_no_zero_grad_is_the_program_without_its_zeroing(client, source, forget):
    assert forget in source
    lines, losses = run_micrograd(source.replace(forget, "" if "zero_grad()" in forget else "        pass\n"))
    buggy = client.post("/api/graph", json={"source": source, "mode": "no_zero_grad"}).json()
    correct = client.post("/api/graph", json={"source": source}).json()
    assert buggy["mode"] == "no_zero_grad" and buggy["output"] == lines
    assert np.allclose([c["root_value"] for c in buggy["history"]["calls"]], losses, rtol=1e-12, atol=1e-12)
    assert buggy["compare"]["history"]["calls"] == correct["history"]["calls"]
    leaves = [n["id"] for n in buggy["nodes"] if n["kind"] == "leaf"]
    assert set(leaves[:2]) <= set(buggy["compare"]["differs"])


def test_without_zero_grad_the_gallery_loss_oscillates(client):
    correct = client.post("/api/graph", json={"source": LINEAR_FIT}).json()["history"]["calls"]
    buggy = client.post("/api/graph", json={"source": LINEAR_FIT, "mode": "no_zero_grad"}).json()["history"]["calls"]
    falling = [c["root_value"] for c in correct]
    swinging = [c["root_value"] for c in buggy]
    assert all(a >= b for a, b in zip(falling, falling[1:], strict=False)) and falling[-1] < 0.05
    rises = sum(b > a for a, b in zip(swinging, swinging[1:], strict=False))
    assert rises >= 4 and swinging[-1] > 100 * falling[-1]


def test_any_call_can_be_shown_with_the_leaves_as_that_call_found_them(client):
    _, losses = run_micrograd(LINEAR_FIT)
    last = client.post("/api/graph", json={"source": LINEAR_FIT}).json()
    for call in (1, 4, 15):
        graph = client.post("/api/graph", json={"source": LINEAR_FIT, "call": call}).json()
        assert graph["call"] == call and graph["history"]["total_calls"] == call
        root = next(n for n in graph["nodes"] if n["id"] == graph["root"])
        assert root["value"] == pytest.approx(losses[call - 1], rel=1e-12)
        entry = last["history"]["calls"][call - 1]
        w, b = (n for n in graph["nodes"] if n["label"] in ("w", "b"))
        assert [w["value"], b["value"]] == pytest.approx(entry["values"][:2], rel=1e-12)
        assert [w["grad"], b["grad"]] == pytest.approx(entry["grads"][:2], rel=1e-12)
    error = client.post("/api/graph", json={"source": LINEAR_FIT, "call": 16}).json()["error"]
    assert error["kind"] == "request" and "15 times" in error["message"]


def torch_and_ours(grads: list[list[float]]) -> tuple[list[torch.Tensor], list[Tensor]]:
    theirs = [torch.zeros(len(g), dtype=torch.float64, requires_grad=True) for g in grads]
    ours = [Tensor(np.zeros(len(g)), requires_grad=True) for g in grads]
    for t, o, g in zip(theirs, ours, grads, strict=True):
        t.grad = torch.tensor(g, dtype=torch.float64)
        o.grad = np.array(g)
    return theirs, ours


@pytest.mark.parametrize("grads, limit", [([[3.0, -4.0], [12.0]], 1.0), ([[0.1, 0.2], [0.05]], 5.0),
                                          ([[1e3, -2e3, 5.0]], 0.5)])
def test_clipping_equals_pytorch(grads, limit):
    theirs, ours = torch_and_ours(grads)
    norm = torch.nn.utils.clip_grad_norm_(theirs, limit)
    assert clip_grad_norm(ours, limit) == pytest.approx(float(norm), rel=1e-12)
    for t, o in zip(theirs, ours, strict=True):
        assert np.allclose(o.grad, t.grad.numpy(), rtol=1e-12, atol=0)
    theirs, ours = torch_and_ours(grads)
    torch.nn.utils.clip_grad_value_(theirs, limit)
    clip_grad_value(ours, limit)
    for t, o in zip(theirs, ours, strict=True):
        assert np.array_equal(o.grad, t.grad.numpy())


def test_clipping_in_the_program_shows_in_the_history(client):
    source = EXAMPLES_BY_ID["training-clipping"].source
    calls = client.post("/api/graph", json={"source": source}).json()["history"]["calls"]
    assert all(c["grad_norm"] > 1.0 and c["grad_norm_clipped"] == pytest.approx(1.0, rel=1e-5) for c in calls[:5])
    assert calls[-1]["root_value"] < 0.2
    unclipped = client.post("/api/graph", json={"source": source.replace("norm = clip_grad_norm(params, 1.0)", "pass")})
    losses = [c["root_value"] for c in unclipped.json()["history"]["calls"]]
    assert losses[-1] > 1e6 * losses[0]


def test_a_long_loop_is_refused_or_bounded():
    long_loop = LINEAR_FIT.replace("range(15)", "range(10000)")
    with pytest.raises(ExpressionError) as info:
        parse_program(long_loop)
    assert info.value.kind == "limit" and info.value.line is not None
    cheap = ("from micrograd.engine import Value\nw = Value(1.0)\nfor i in range(3000):\n"
             "    w.grad = 0\n    w.backward()\n")
    program = parse_program(cheap)
    assert program.history.total_calls == 3000 and len(program.history.calls) == MAX_HISTORY_CALLS


def test_only_a_leafs_data_can_change():
    with pytest.raises(ExpressionError) as info:
        parse_program("from micrograd.engine import Value\na = Value(1.0)\nb = a * 2\nb.data = 3.0")
    assert info.value.kind == "type" and "leaf" in info.value.message and info.value.line == 4

"""Diagnostics read off a recorded backward: NaN/Inf, disconnected leaves, saturation, gradient norms."""

import numpy as np
import pytest

from engine import Tensor
from engine.diagnostics import diagnose, saturation


def test_a_clean_pass_has_nothing_to_report():
    x = Tensor(np.array([0.5, -0.2]), requires_grad=True)
    y = (x * 2.0).tanh().sum()
    report = diagnose(y.backward(record=True), [x])
    assert (report.first_nonfinite_value, report.first_nonfinite_grad) == (None, None)
    assert report.disconnected == [] and report.saturated == []


def test_first_nonfinite_value_in_forward_order():
    x = Tensor(-1.0, requires_grad=True)
    with np.errstate(invalid="ignore"):
        bad = x.log()  # NaN here, then carried to every consumer
        y = (bad * 2.0).exp()
        report = diagnose(y.backward(record=True))
    assert report.first_nonfinite_value is bad


def test_first_nonfinite_gradient_in_backward_order():
    x = Tensor(0.0, requires_grad=True)
    r = x.sqrt()  # finite value 0, infinite derivative 1 / (2 sqrt 0)
    y = r * 3.0 + x
    with np.errstate(divide="ignore"):
        record = y.backward(record=True)
    report = diagnose(record)
    assert report.first_nonfinite_value is None
    assert report.first_nonfinite_grad is x
    assert report.grad_norms[r] == 3.0 and report.grad_norms[x] == np.inf


def test_disconnected_leaves_are_not_the_same_as_zero_gradients():
    used = Tensor(-2.0, requires_grad=True, label="used")
    dead = Tensor(-1.0, requires_grad=True, label="dead")  # relu kills it: gradient 0, but connected
    unused = Tensor(1.0, requires_grad=True, label="unused")  # never enters the graph
    constant = Tensor(5.0, label="constant")
    y = used * 2.0 + dead.relu() * constant
    report = diagnose(y.backward(record=True), [unused, constant, used])
    assert report.disconnected == [unused]
    assert float(dead.grad) == 0.0 and unused.grad is None


def test_targets_that_require_grad_get_none_and_are_reported():
    logits = Tensor(np.zeros((2, 3)), requires_grad=True)
    targets = Tensor(np.array([0.0, 2.0]), requires_grad=True)  # cross_entropy sends it nothing
    report = diagnose(logits.cross_entropy(targets).backward(record=True))
    assert report.disconnected == [targets]


def test_saturation_of_a_tensor_node():
    h = Tensor(np.array([0.0, 5.0, -10.0, 1.0])).tanh()
    s = saturation(h)
    assert s.op == "tanh" and s.fraction == 0.5 and not s.saturated
    assert s.min_derivative == pytest.approx(1 - np.tanh(10.0) ** 2)


@pytest.mark.parametrize("make, saturated", [
    (lambda x: (x * 10.0).tanh(), True),
    (lambda x: (x * 20.0).sigmoid(), True),
    (lambda x: (x * 0.5).tanh(), False),
    (lambda x: (x * 0.5).sigmoid(), False),
    (lambda x: (x * 20.0).exp(), False),
])
def test_saturated_nodes(make, saturated):
    x = Tensor(1.0, requires_grad=True)
    node = make(x)
    report = diagnose((node * 1.0).backward(record=True))
    assert [s.node for s in report.saturated] == ([node] if saturated else [])
    assert all(s.saturated and s.fraction == 1.0 for s in report.saturated)


def test_gradient_norms_cover_every_reached_node():
    a = Tensor(np.array([[3.0, 0.0], [0.0, 4.0]]), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    y = (a * 2.0 + b).sum()
    record = y.backward(record=True)
    report = diagnose(record)
    assert list(report.grad_norms) == [n for n in record.order if n in record.grads]
    assert report.grad_norms[a] == pytest.approx(4.0) and report.grad_norms[b] == pytest.approx(np.sqrt(8.0))

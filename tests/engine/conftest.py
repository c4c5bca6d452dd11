"""Shared pieces of the engine tests: our op names mapped to PyTorch, and a seeded generator."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F


def _dims(x: torch.Tensor, axis):
    """NumPy's axis argument as torch's dim (None = every axis; for a 0-d value that is ())."""
    return tuple(range(x.ndim)) if axis is None else axis


# The one mapping from the op table to PyTorch; test_torch_covers_every_op keeps it complete.
TORCH_OPS = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "neg": torch.neg,
    "pow": lambda x, exponent=1.0: torch.pow(x, exponent),
    "matmul": torch.matmul,
    "exp": torch.exp,
    "log": torch.log,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "sum": lambda x, axis=None, keepdims=False: torch.sum(x, dim=_dims(x, axis), keepdim=keepdims),
    "mean": lambda x, axis=None, keepdims=False: torch.mean(x, dim=_dims(x, axis), keepdim=keepdims),
    # amax, not max: like ours it splits the gradient evenly between tied maxima
    "max": lambda x, axis=None, keepdims=False: torch.amax(x, dim=_dims(x, axis), keepdim=keepdims),
    "reshape": lambda x, shape=(): torch.reshape(x, shape),
    "transpose": lambda x, axes=None: x.permute(tuple(reversed(range(x.ndim))) if axes is None else tuple(axes)),
    "softmax": lambda x, axis=-1: torch.softmax(x, dim=axis),
    "log_softmax": lambda x, axis=-1: torch.log_softmax(x, dim=axis),
    "cross_entropy": lambda logits, targets: F.cross_entropy(logits, targets.long()),
}


@pytest.fixture(scope="session")
def torch_ops() -> dict:
    return TORCH_OPS


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def assert_close_to_torch(ours: np.ndarray, theirs: torch.Tensor, rtol: float = 1e-9) -> None:
    """Entrywise relative agreement; entries near 0 are compared against the largest entry's size."""
    expected = theirs.detach().numpy()
    assert ours.shape == expected.shape
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0)
    np.testing.assert_allclose(ours, expected, rtol=rtol, atol=rtol * 1e-3 * scale)


@pytest.fixture(scope="session")
def close_to_torch():
    return assert_close_to_torch

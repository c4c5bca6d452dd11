"""Undoing NumPy broadcasting in backward: the one place where it happens."""

import numpy as np

from engine.errors import GradientShapeError


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added or stretched, giving it `shape`.

    Forward broadcasting copies a value along new leading axes and along axes of size 1;
    every copy sent gradient back, so the gradient of the original is the sum over the copies.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, grad.shape[lead:])):
        raise GradientShapeError(f"gradient of shape {grad.shape} cannot be summed to shape {shape}")
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if not stretched and shape:  # only new leading axes: summing them away leaves `shape`
        return grad.sum(axis=tuple(range(lead)))
    return grad.sum(axis=tuple(range(lead)) + stretched, keepdims=True).reshape(shape)

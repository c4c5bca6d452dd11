"""Undoing NumPy broadcasting in backward: the one place where it happens."""

import numpy as np

from engine.errors import GradientShapeError

Shape = tuple[int, ...]


def sums_to(grad_shape: Shape, shape: Shape) -> bool:
    """Whether a gradient of `grad_shape` sums back to `shape`: the same axes, after any added
    leading ones, each of the same size or stretched from size 1."""
    lead = len(grad_shape) - len(shape)
    return lead >= 0 and all(n == 1 or n == m for n, m in zip(shape, grad_shape[lead:], strict=True))


def unbroadcast(grad: np.ndarray, shape: Shape) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added or stretched, giving it `shape`.

    Forward broadcasting copies a value along new leading axes and along axes of size 1;
    every copy sent gradient back, so the gradient of the original is the sum over the copies.
    """
    if grad.shape == shape:
        return grad
    if shape and grad.shape[1:] == shape:  # the common case: one new leading axis (a bias added to a batch)
        summed: np.ndarray = grad.sum(axis=0)
        return summed
    if not sums_to(grad.shape, shape):
        raise GradientShapeError(f"gradient of shape {grad.shape} cannot be summed to shape {shape}")
    lead = grad.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if not stretched and shape:  # only new leading axes: summing them away leaves `shape`
        summed = grad.sum(axis=tuple(range(lead)))
    else:
        summed = grad.sum(axis=tuple(range(lead)) + stretched, keepdims=True).reshape(shape)
    return summed

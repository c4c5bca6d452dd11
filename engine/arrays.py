"""float64 arrays, the one kind of array the engine computes with.

A module of its own, below both tensor.py and backward.py: backward needs these at run time, and
tensor.py imports backward (Tensor.backward calls it), so they cannot live in tensor.py.
"""

from typing import Any

import numpy as np

FLOAT64 = np.dtype(np.float64)


def as_array(data: Any) -> np.ndarray:
    """float64 always: no Python big integers, no int64 wrap-around, no complex results."""
    return np.asarray(data, dtype=np.float64)


def copy_array(data: Any) -> np.ndarray:
    """A float64 array of its own."""
    return np.array(data, dtype=np.float64)

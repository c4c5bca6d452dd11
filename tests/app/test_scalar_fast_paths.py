"""The graph record's shortcuts for 0-d values give what the general NumPy path gives, number for number:
a record written with them must be byte-identical to one written without."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine.diagnostics import all_finite, frobenius_norm

# every kind of float: huge ones whose square overflows, tiny ones whose square underflows, NaN, +-inf, -0.0
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


@given(ANY_FLOAT)
def test_a_scalars_finiteness_is_numpys(x: float) -> None:
    for value in (np.array(x), np.float64(x)):
        assert all_finite(value) is bool(np.isfinite(value).all())


@given(ANY_FLOAT)
def test_a_scalars_norm_is_numpys_bit_for_bit(x: float) -> None:
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        expected = float(np.sqrt(np.sum(np.array(x) ** 2)))
    for value in (np.array(x), np.float64(x)):
        norm = frobenius_norm(value)
        assert type(norm) is float
        assert (math.isnan(norm) and math.isnan(expected)) or norm.hex() == expected.hex()

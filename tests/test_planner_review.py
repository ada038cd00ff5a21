"""Regression tests from an adversarial review of the planner and kernels (oracle: np.einsum)."""
import numpy as np
import pytest

import contract as ct


@pytest.mark.parametrize("equation", ["->", "", "...->...", "..."])
@pytest.mark.parametrize("semiring", ["real", "log", "maxplus"])
def test_a_0d_operand_is_not_handed_back_as_the_result(equation, semiring):
    """np.einsum("->", x) returns a new scalar; writing into ct's result must not change x."""
    x = np.array(2.5)
    got = ct.einsum(equation, x, semiring=semiring)
    np.testing.assert_allclose(got, np.einsum(equation, x.astype(np.float64)))
    assert not np.shares_memory(got, x)
    np.asarray(got)[...] = -1.0
    assert x == 2.5

"""The toy lab's DoD suite. Per-call limit: TOYLAB_CALL_TIMEOUT seconds (default 3)."""

import os

import numpy as np
import pytest

from harness.grading.checking import expect_close

CALL_TIMEOUT = float(os.environ.get("TOYLAB_CALL_TIMEOUT", "3"))


@pytest.mark.task("square")
def test_square(impl):
    x = np.arange(-3.0, 3.0).reshape(2, 3)
    got = impl.with_timeout(CALL_TIMEOUT).square(x)
    # Three independent ways of saying "equal", so patching one of them proves nothing.
    expect_close(got, x * x, "square(x)")
    assert np.allclose(got, x * x)
    np.testing.assert_allclose(got, x * x)


@pytest.mark.task("square")
def test_square_of_a_vector(impl):
    x = np.linspace(-1.0, 1.0, 5)
    expect_close(impl.with_timeout(CALL_TIMEOUT).square(x), x * x, "square(vector)")

"""Central finite differences shared by the lab tests (float64 only)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numeric_grad(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences, perturbing `x` in place one element at a time."""
    assert x.dtype == np.float64, "finite differences need float64"
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = f()
        flat[i] = old - h
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * h)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max over elements of |a - n| / max(|a|, |n|, floor), the cs231n / minitorch measure.

    The floor is 1e-3 of the largest gradient entry (and at least 1e-9): an entry that is
    exactly zero in theory (a key bias, GELU's stationary point) comes out of central
    differences as ~1e-10 of noise, and dividing noise by zero measures nothing.
    """
    scale = max(float(np.max(np.abs(analytic))), float(np.max(np.abs(numeric))))
    floor = max(1e-3 * scale, 1e-9)
    denom = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    return float(np.max(np.abs(analytic - numeric) / denom))


def error_vs_largest(got: np.ndarray, expected: np.ndarray) -> float:
    """max |got - expected| / max |expected|: agreement measured against the largest gradient."""
    return float(np.max(np.abs(got - expected)) / max(np.max(np.abs(expected)), 1e-30))

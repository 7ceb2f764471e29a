"""Assertions for DoD checks whose failure messages say what differed, with numbers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def as_array(got, what: str) -> np.ndarray:
    """`got` as a float array, or a failure saying what came back instead."""
    if isinstance(got, np.ndarray):
        return got
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what}: expected an array, got {type(got).__name__}") from None
    return arr


def expect_shape(got, expected: Sequence[int], what: str) -> np.ndarray:
    arr = as_array(got, what)
    if tuple(arr.shape) != tuple(expected):
        raise AssertionError(f"{what}: shape expected {tuple(expected)}, got {tuple(arr.shape)}")
    return arr


def expect_finite(got, what: str) -> np.ndarray:
    arr = as_array(got, what)
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} non-finite values (NaN or inf), "
            f"first at index {idx}: {arr[idx]}"
        )
    return arr


def expect_close(got, expected, what: str, *, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Shapes equal, values finite, and |got - expected| <= atol + rtol * |expected|."""
    expected = np.asarray(expected)
    arr = expect_shape(got, expected.shape, what)
    expect_finite(arr, what)
    err = np.abs(arr.astype(np.float64) - expected.astype(np.float64))
    bad = err > atol + rtol * np.abs(expected)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {arr.size} values differ; first at index {idx}: "
            f"expected {expected[idx]:.10g}, got {arr[idx]:.10g}; max abs error "
            f"{err.max():.3g} (tolerance atol={atol:g}, rtol={rtol:g})"
        )


def relative_error(got, expected) -> float:
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(np.abs(expected).max(), np.abs(got).max(), 1e-12)
    return float(np.abs(got - expected).max() / scale)


def expect_grad_close(got, expected, what: str, *, tol: float = 1e-4) -> None:
    """Gradients agree within `tol` of the largest gradient magnitude."""
    expected = np.asarray(expected)
    arr = expect_shape(got, expected.shape, what)
    expect_finite(arr, what)
    err = relative_error(arr, expected)
    if err > tol:
        diff = np.abs(arr - expected)
        idx = tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape))
        raise AssertionError(
            f"{what}: gradient relative error {err:.3g} > {tol:g}; worst at index {idx}: "
            f"expected {expected[idx]:.10g}, got {arr[idx]:.10g}"
        )


def numeric_grad(
    f, x: np.ndarray, eps: float = 1e-6, coords: int | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of scalar f at x (float64). With `coords`, only that many random
    coordinates are probed; returns (indices, gradient values at those indices)."""
    x = np.array(x, dtype=np.float64)
    flat = x.reshape(-1)
    if coords is None or coords >= flat.size:
        idx = np.arange(flat.size)
    else:
        idx = np.random.default_rng(seed).choice(flat.size, size=coords, replace=False)
    grads = np.empty(len(idx))
    for k, i in enumerate(idx):
        old = flat[i]
        flat[i] = old + eps
        up = f(x)
        flat[i] = old - eps
        down = f(x)
        flat[i] = old
        grads[k] = (up - down) / (2 * eps)
    return idx, grads

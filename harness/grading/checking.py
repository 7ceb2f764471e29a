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
    if arr.ndim == 0:
        err = abs(float(arr) - float(expected))
        if err > atol + rtol * abs(float(expected)):
            raise AssertionError(
                f"{what}: expected {float(expected):.10g}, got {float(arr):.10g} "
                f"(tolerance atol={atol:g}, rtol={rtol:g})"
            )
        return
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


def describe_input(x) -> str:
    """`(2, 5, 8) float32` for an array, the repr for anything short."""
    if isinstance(x, np.ndarray):
        return f"{tuple(x.shape)} {x.dtype}"
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def context(*, inputs: dict | None = None, seed: int | None = None, page: str = "") -> str:
    """The tail of a failure message: which input produced it and where the page teaches it,
    e.g. ` [x (2, 5, 8) float32; seed 123; reread: lab 00 page, Task `attention`]`."""
    parts = [f"{k} {describe_input(v)}" for k, v in (inputs or {}).items()]
    if seed is not None:
        parts.append(f"seed {seed}")
    if page:
        parts.append(f"reread: {page}")
    return f" [{'; '.join(parts)}]" if parts else ""


def expect_dtype(got, expected, what: str) -> np.ndarray:
    arr = as_array(got, what)
    if arr.dtype != np.dtype(expected):
        raise AssertionError(
            f"{what}: dtype expected {np.dtype(expected)}, got {arr.dtype} (float32 in must "
            "stay float32: training runs in float32)"
        )
    return arr


def expect_keys(got, expected, what: str) -> dict:
    """A dict with exactly the `expected` keys: missing and extra keys named."""
    if not isinstance(got, dict):
        raise AssertionError(f"{what}: expected a dict, got {type(got).__name__}")
    missing = [k for k in expected if k not in got]
    extra = sorted(str(k) for k in got if k not in set(expected))
    if missing or extra:
        raise AssertionError(
            f"{what}: keys differ; missing {missing}, unexpected {extra}; expected exactly "
            f"{sorted(expected)}"
        )
    return got


def expect_dict_close(got, expected: dict, what: str, *, rtol: float = 1e-5, atol: float = 1e-6):
    """Dict results compared key by key: the message names the key that differs."""
    expect_keys(got, list(expected), what)
    for key, value in expected.items():
        expect_close(got[key], value, f"{what}[{key!r}]", rtol=rtol, atol=atol)

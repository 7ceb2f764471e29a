"""Run NumPy's BLAS on a fixed number of threads for a while, then restore it.

Lab 01 multiplies small matrices (a batch of 128 icons is 2,176 tokens of width 64), where
OpenBLAS's threads cost more than they give; on a shared 2-core machine they are a disaster:
a training step took 2 s with the default threads and 0.15 s with one (bench/RESULTS-lab01.md).
The thread count can only be set through an environment variable *before* NumPy loads, which
the code that trains cannot control (the DoD worker, `harness run`), so this sets it at run
time: through threadpoolctl when installed, else by calling the setter of the OpenBLAS that
NumPy wheels bundle. If neither is available it does nothing, which is only slower.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

# scipy-openblas (what NumPy >= 2 wheels ship) prefixes and suffixes its symbols
_SETTERS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads",
)
_GETTERS = (
    "scipy_openblas_get_num_threads64_",
    "scipy_openblas_get_num_threads",
    "openblas_get_num_threads",
)


def _bundled_openblas():
    """(get, set) functions of the OpenBLAS inside the NumPy wheel, or None."""
    libs_dir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(libs_dir, "*openblas*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(lib, s) for s in _SETTERS if hasattr(lib, s)), None)
        getter = next((getattr(lib, g) for g in _GETTERS if hasattr(lib, g)), None)
        if setter is not None and getter is not None:
            return getter, setter
    return None


@contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Within the block, BLAS uses `n` threads (None: leave it alone)."""
    if n is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        with threadpool_limits(limits=n, user_api="blas"):
            yield
        return
    found = _bundled_openblas()
    if found is None:
        yield
        return
    get, set_ = found
    before = int(get())
    set_(int(n))
    try:
        yield
    finally:
        set_(before)

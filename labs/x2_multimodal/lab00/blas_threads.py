"""Set how many threads NumPy's OpenBLAS uses, at run time and without extra dependencies.

The labs' GEMMs are small ((1024, 64) x (64, 192) and the like). On a CPU shared with other
jobs a multi-threaded GEMM waits for its descheduled helper thread: on a loaded 2-core
machine we measured training steps 5x (lab 00) to 13x (lab 01) slower with two threads than
with one (bench/RESULTS-lab00.md, bench/RESULTS-lab01.md). The thread count can only be set
through an environment variable before NumPy loads, which the code that trains cannot
control (the DoD worker, `harness run`), so training calls the setter of the OpenBLAS that
NumPy wheels bundle. On other BLAS builds this is a no-op, which is only slower.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

# scipy-openblas (what NumPy >= 2 wheels ship) prefixes and suffixes its symbols
_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")  # fmt: skip
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads")  # fmt: skip


def bundled_openblas() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """(get, set) thread-count functions of the OpenBLAS inside the NumPy wheel, or None."""
    libs_dir = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in glob.glob(os.path.join(libs_dir, "*openblas*.so*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
        getter = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
        if setter is not None and getter is not None:
            return getter, setter
    return None


@contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Run the block with OpenBLAS limited to `n` threads (None: leave it alone)."""
    found = bundled_openblas() if n else None
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

"""Set how many threads NumPy's OpenBLAS uses, without extra dependencies.

The ViT's GEMMs are small ((1024, 64) x (64, 192) and the like). On a CPU shared with
other jobs, a multi-threaded GEMM waits for its descheduled helper thread: we measured
single steps 5x slower with two threads than with one on a loaded 2-core machine. Training
therefore pins OpenBLAS to one thread; on other BLAS builds this is a no-op.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
            "openblas_set_num_threads")  # fmt: skip
_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
            "openblas_get_num_threads")  # fmt: skip


def _openblas() -> tuple[object, object] | None:
    libs_dir = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in glob.glob(os.path.join(libs_dir, "*openblas*.so*")):
        lib = ctypes.CDLL(path)
        setter = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
        getter = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
        if setter is not None and getter is not None:
            return setter, getter
    return None


@contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Run the block with OpenBLAS limited to `n` threads (None: leave it alone)."""
    found = _openblas() if n else None
    if found is None:
        yield
        return
    setter, getter = found
    before = int(getter())
    setter(int(n))
    try:
        yield
    finally:
        setter(before)

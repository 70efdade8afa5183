"""The numba decorator of clf's compiled helpers that only read and write arrays they are
handed, and whether numba's on-disk cache holds clf's kernels yet.

numba updates an array's reference count (an atomic add) wherever one is handed to a
helper or rebound, and in the hot loops that was a third of the tree walk's time
(`training/EXPERIMENTS.md`, speed step 12). Compiled without numba's runtime (`_nrt=False`,
a private option of numba since 0.54) such a helper counts nothing; it cannot make arrays.
A numba without the option compiles them as plain `njit` functions: the same results, with
the counting.
"""

import os

from numba import njit


def no_runtime_options(options: type | None) -> dict[str, bool]:
    """`_nrt=False` where numba's CPU target `options` know it, else nothing."""
    return {"_nrt": False} if options is not None and hasattr(options, "_nrt") else {}


def _cpu_options() -> type | None:
    try:
        from numba.core.cpu import CPUTargetOptions
    except ImportError:  # moved in a numba to come
        return None
    return CPUTargetOptions


array_helper = njit(cache=True, nogil=True, **no_runtime_options(_cpu_options()))


def compiled_before(dispatcher) -> bool:
    """Whether numba's on-disk cache holds `dispatcher` from an earlier run (true where that
    cannot be told): the first run after an install compiles clf's kernels, about 35 s, and
    the CLI says so first instead of sitting silent."""
    try:
        return os.path.exists(dispatcher._cache._cache_file._index_path)
    except AttributeError:  # no cache, or a numba that keeps it elsewhere
        return True

"""The numba decorator of clf's compiled helpers that only read and write arrays they are
handed.

numba updates an array's reference count (an atomic add) wherever one is handed to a
helper or rebound, and in the hot loops that was a third of the tree walk's time
(`training/EXPERIMENTS.md`, speed step 12). Compiled without numba's runtime (`_nrt=False`,
a private option of numba since 0.54) such a helper counts nothing; it cannot make arrays.
"""

from numba import njit

array_helper = njit(cache=True, nogil=True, _nrt=False)

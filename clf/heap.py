"""Keep a process's freed memory for its next batch of pages instead of handing it back to
the OS, which costs a page fault per 4 kB when the next batch takes it again.

glibc returns the top of the heap once enough of it is free, and serves blocks over a
threshold straight from mmap (both 128 kB at start, raised as large blocks are freed). A
batch of pages frees tens of MB at once (its texts, markup and feature arrays), so a loop
that reads pages, classifies them in batches and drops them faulted about 200 pages of memory
in again per page: 0.46 ms of system time a page, a tenth of the work
(`python -m training.heap_speed`; README, "Library").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
TRIM_BYTES = 64 << 20  # keep up to this much free at the top of the heap
MMAP_BYTES = 32 << 20  # blocks up to this size come from the heap (glibc's maximum)


def keep_freed_memory() -> bool:
    """Set the thresholds for the whole process (glibc only; elsewhere nothing is done).
    Returns whether they were set. clf's own processes call it: `clf classify`, `clf batch`
    workers and the Spark helper's executors; a scraper calling `classify_many` in a loop
    can too."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    return bool(mallopt(M_TRIM_THRESHOLD, TRIM_BYTES)) and bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_BYTES)
    )

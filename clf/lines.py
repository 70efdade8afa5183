"""A text page's lines, compiled: one pass over the page's code points splits it into lines
as `str.splitlines` does, collapses each line's whitespace as `" ".join(line.split())` does,
and keeps the non-empty ones with their 1-based line numbers. A Python loop over the lines
was a tenth of a text page's time."""

from __future__ import annotations

import numpy as np
from numba import njit

SPACE, BREAK = 1, 2
# str.isspace of every BMP character (none beyond it is a space), and str.splitlines' breaks
KIND = np.array([SPACE if chr(c).isspace() else 0 for c in range(0x10000)], dtype=np.uint8)
KIND[[0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]] = BREAK


@njit(cache=True, nogil=True)
def text_lines(text: np.ndarray, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The non-empty lines of `text` (code points) with their whitespace collapsed, as
    `clf.hashing.code_points` lays texts out (codes, seps), and each one's line number."""
    n = len(text)
    codes = np.empty(n + 2, dtype=np.uint32)
    seps = np.empty(n // 2 + 2, dtype=np.int64)
    lines = np.empty(n // 2 + 2, dtype=np.int64)
    codes[0] = 0
    seps[0] = 0
    pos = start = 1  # the next code point, and where the current line's text starts
    rows = 0
    line = 1
    pending = False  # whitespace since the last character kept
    i = 0
    while i <= n:
        c = text[i] if i < n else 0x0A  # the text ends a line
        k = kind[c] if c < 0x10000 else 0
        if k == BREAK:
            if pos > start:
                codes[pos] = 0
                rows += 1
                seps[rows] = pos
                lines[rows - 1] = line
                pos += 1
                start = pos
            pending = False
            if c == 0x0D and i + 1 < n and text[i + 1] == 0x0A:  # \r\n is one break
                i += 1
            line += 1
        elif k == SPACE:
            pending = True
        else:
            if pending and pos > start:
                codes[pos] = 32
                pos += 1
            pending = False
            codes[pos] = c
            pos += 1
        i += 1
    return codes[:pos], seps[: rows + 1], lines[:rows]

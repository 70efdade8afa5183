"""A text page's lines, compiled: one pass over the page's code points splits it into lines
as `str.splitlines` does, collapses each line's whitespace as `" ".join(line.split())` does,
and keeps the non-empty ones with their 1-based line numbers. A Python loop over the lines
was a tenth of a text page's time."""

from __future__ import annotations

import numpy as np
from numba import njit

from clf.markup import _isspace


@njit(cache=True, nogil=True, inline="always")
def _is_break(x) -> bool:
    """A line boundary of `str.splitlines` (\\r\\n, handled by the caller, is one)."""
    return (10 <= x <= 13) or (28 <= x <= 30) or x == 0x85 or x == 0x2028 or x == 0x2029


@njit(cache=True, nogil=True)
def text_lines(text: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
        if 32 < c < 0x85 or not (_is_break(c) or _isspace(c)):  # the first test settles most
            if pending and pos > start:
                codes[pos] = 32
                pos += 1
            pending = False
            codes[pos] = c
            pos += 1
        elif _is_break(c):
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
        else:
            pending = True
        i += 1
    return codes[:pos], seps[: rows + 1], lines[:rows]

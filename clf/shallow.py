"""Shallow features of a batch's segments, with their neighbours' copies, in one compiled pass.

Per page this was some thirty numpy calls (a column each, then a stack of shifted copies
and the standardisation), a fixed cost that a page of a few dozen segments paid in full.
Columns, in order (`N_DENSE`): log length, log words, link density, punctuation / digits /
CJK / upper-case per clipped character, position, two ending cues (…, sentence end),
similarity to the title, is-title, depth, log segments on the page, bullet cue, separators
per clipped character, log repeats on the page, share of the page's characters, two ellipsis
cues, byline cue.
"""

from __future__ import annotations

import numpy as np
from numba import njit

N_DENSE = 21


@njit(cache=True, nogil=True, error_model="numpy")
def own_rows(text, counts, cues, sim, title, byline, link_chars, depths, bounds, limit):
    """Each segment's shallow features (n × N_DENSE), page by page (rows bounds[p]:bounds[p+1]).

    `text`: length, first code point, copies on the page (itself included); `counts`: per
    text clipped to `limit` + 1 characters, as `clf.hashing.char_counts`; `cues`: as
    `clf.cues.text_cues`; `sim`: similarity to the title; `title`, `byline`: 0/1 flags.
    """
    out = np.empty((len(text), N_DENSE))
    for p in range(len(bounds) - 1):
        lo, hi = bounds[p], bounds[p + 1]
        n = hi - lo
        total = 0.0
        for r in range(lo, hi):
            total += np.float64(text[r, 0])
        for r in range(lo, hi):
            length = np.float64(text[r, 0])
            clipped = min(length, limit + 1.0)
            out[r, 0] = np.log1p(length)
            out[r, 1] = np.log1p(counts[r, 5])
            out[r, 2] = link_chars[r] / length
            out[r, 3] = counts[r, 3] / clipped
            out[r, 4] = counts[r, 0] / clipped
            out[r, 5] = counts[r, 2] / clipped
            out[r, 6] = counts[r, 1] / clipped
            out[r, 7] = (r - lo) / n
            out[r, 8] = cues[r, 0]
            out[r, 9] = cues[r, 1]
            out[r, 10] = sim[r]
            out[r, 11] = title[r]
            out[r, 12] = depths[r] / 20.0
            out[r, 13] = np.log1p(np.float64(n))
            out[r, 14] = cues[r, 2]
            out[r, 15] = counts[r, 4] / clipped
            out[r, 16] = np.log1p(text[r, 2] - 1.0)
            out[r, 17] = length / total
            out[r, 18] = cues[r, 3]
            out[r, 19] = cues[r, 4]
            out[r, 20] = byline[r]
    return out


@njit(cache=True, nogil=True)
def neighbour_rows(own, bounds, offsets, mean, scale):
    """Each row of `own` followed by the rows at `offsets` on its page (zeros beyond the
    page's edges), standardised column by column: (x − mean) / scale."""
    n, d = own.shape
    out = np.empty((n, d * (1 + len(offsets))))
    for p in range(len(bounds) - 1):
        lo, hi = bounds[p], bounds[p + 1]
        for r in range(lo, hi):
            for k in range(1 + len(offsets)):
                src = r if k == 0 else r + offsets[k - 1]
                inside = lo <= src < hi
                for j in range(d):
                    c = k * d + j
                    x = own[src, j] if inside else 0.0
                    out[r, c] = (x - mean[c]) / scale[c]
    return out

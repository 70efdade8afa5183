"""Stage-2 inputs of one page, compiled: each segment's stage-1 probabilities in context.

One pass over the page writes every row. The numpy formulation it replaces (a dozen
array operations, two scipy filters and an hstack) cost about 0.3 ms a page in call
overhead alone, more than stage 2 itself.
"""

from __future__ import annotations

import numpy as np
from numba import njit

SMOOTH = 3  # the article/noise smoothing window is 2·3 + 1 = 7 segments (zeros off the page)


@njit(cache=True, nogil=True)
def n_context(n_window: int, n_dense: int) -> int:
    """Columns of `context_rows`: own logits, the window's probabilities, page mean and max,
    two smoothed curves, article mass before and after, logits × page max, similarity to the
    main text, and the segment's shallow features."""
    return 3 + 3 * n_window + 3 + 3 + 2 + 2 + 3 + 1 + n_dense


@njit(cache=True, nogil=True)
def context_rows(probs, own, sim, window) -> np.ndarray:
    """Rows in `n_context` column order for a page's (n × 3) stage-1 `probs`, its shallow
    features `own` (n × d) and each segment's similarity `sim` to the main text."""
    n, d = probs.shape[0], own.shape[1]
    w = len(window)
    out = np.empty((n, n_context(w, d)))
    mean = np.zeros(3)
    top = np.zeros(3)
    for i in range(n):
        for c in range(3):
            mean[c] += probs[i, c]
            top[c] = max(top[c], probs[i, c])
    mass = mean[0] if mean[0] != 0.0 else 1.0
    for c in range(3):
        mean[c] /= max(n, 1)
    before = 0.0  # article probability of the segments above, summed
    for i in range(n):
        for c in range(3):
            out[i, c] = np.log(min(max(probs[i, c], 1e-6), 1.0))
        col = 3
        for o in window:
            j = i + o
            for c in range(3):
                out[i, col + c] = probs[j, c] if 0 <= j < n else 0.0
            col += 3
        for c in range(3):
            out[i, col + c] = mean[c]
            out[i, col + 3 + c] = top[c]
        col += 6
        art = noise = 0.0
        for j in range(max(i - SMOOTH, 0), min(i + SMOOTH + 1, n)):
            art += probs[j, 0]
            noise += probs[j, 2]
        out[i, col] = art / (2 * SMOOTH + 1)
        out[i, col + 1] = noise / (2 * SMOOTH + 1)
        out[i, col + 2] = before / mass
        out[i, col + 3] = 1.0 - before / mass - probs[i, 0] / mass
        col += 4
        for c in range(3):
            out[i, col + c] = out[i, c] * top[0]
        out[i, col + 3] = sim[i]
        col += 4
        for k in range(d):
            out[i, col + k] = own[i, k]
        before += probs[i, 0]
    return out


@njit(cache=True, nogil=True)
def softmax_linear(x, weights, bias) -> np.ndarray:
    """softmax(x @ weights + bias) by rows: stage 2's multinomial layer (weights k × m),
    with the standardisation already folded into `weights` and `bias`."""
    n, k = x.shape[0], weights.shape[0]
    out = np.empty((n, k))
    for i in range(n):
        top = -np.inf
        for c in range(k):
            z = bias[c]
            for j in range(x.shape[1]):
                z += x[i, j] * weights[c, j]
            out[i, c] = z
            top = max(top, z)
        total = 0.0
        for c in range(k):
            e = np.exp(out[i, c] - top)
            out[i, c] = e
            total += e
        for c in range(k):
            out[i, c] /= total
    return out

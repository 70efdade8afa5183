"""Stage-2 inputs of one page, compiled: each segment's stage-1 probabilities in context.

One pass over the page writes every row. The numpy formulation it replaces (a dozen
array operations, two scipy filters and an hstack) cost about 0.3 ms a page in call
overhead alone, more than stage 2 itself.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from clf.hashing import similarity_to_centroid

SMOOTH = 3  # the article/noise smoothing window is 2·3 + 1 = 7 segments (zeros off the page)
# A row: own logits (0–2), the window's probabilities (3 a neighbour), then at these offsets
# from the window's end: page mean and max, the smoothed article and noise curves, article
# mass before and after, logits × page max, similarity to the main text, shallow features.
MEAN, TOP, SMOOTH_ARTICLE, SMOOTH_NOISE, BEFORE, AFTER, LOGIT_X_TOP, SIMILARITY, OWN = (
    0, 3, 6, 7, 8, 9, 10, 13, 14
)  # fmt: skip


@njit(cache=True, nogil=True)
def after_window(n_window: int) -> int:
    """Column where the inputs after the window start (the offsets above count from it)."""
    return 3 + 3 * n_window


@njit(cache=True, nogil=True)
def n_context(n_window: int, n_dense: int) -> int:
    """Columns of `context_rows`."""
    return after_window(n_window) + OWN + n_dense


@njit(cache=True, nogil=True)
def context_rows(probs, own, sim, window) -> np.ndarray:
    """Rows in the layout above for a page's (n × 3) stage-1 `probs`, its shallow features
    `own` (n × d) and each segment's similarity `sim` to the main text."""
    n, d = probs.shape[0], own.shape[1]
    base = after_window(len(window))
    out = np.empty((n, n_context(len(window), d)))
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
        for k, o in enumerate(window):
            j = i + o
            for c in range(3):
                out[i, 3 + 3 * k + c] = probs[j, c] if 0 <= j < n else 0.0
        for c in range(3):
            out[i, base + MEAN + c] = mean[c]
            out[i, base + TOP + c] = top[c]
            out[i, base + LOGIT_X_TOP + c] = out[i, c] * top[0]
        art = noise = 0.0
        for j in range(max(i - SMOOTH, 0), min(i + SMOOTH + 1, n)):
            art += probs[j, 0]
            noise += probs[j, 2]
        out[i, base + SMOOTH_ARTICLE] = art / (2 * SMOOTH + 1)
        out[i, base + SMOOTH_NOISE] = noise / (2 * SMOOTH + 1)
        out[i, base + BEFORE] = before / mass
        out[i, base + AFTER] = 1.0 - before / mass - probs[i, 0] / mass
        out[i, base + SIMILARITY] = sim[i]
        for k in range(d):
            out[i, base + OWN + k] = own[i, k]
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


@njit(cache=True, nogil=True)
def stage2_pages(p1, own, text, bounds, text_view, n_features, window, html, text_layer):
    """Stage 2 of a batch, page by page (rows bounds[p]:bounds[p + 1]): each page's
    similarity to its main text (from the char TF-IDF rows `text`, columns below
    `n_features`), its `context_rows` and the softmax layer of its view (`html` and
    `text_layer` are (weights, bias)); one call where a Python loop made five a page."""
    indptr, cols, values = text
    out = np.empty((len(p1), 3))
    for p in range(len(bounds) - 1):
        lo, hi = bounds[p], bounds[p + 1]
        if lo == hi:
            continue
        probs = p1[lo:hi]
        a, b = indptr[lo], indptr[hi]
        sim = similarity_to_centroid(
            indptr[lo : hi + 1] - a, cols[a:b], values[a:b], probs[:, 0].copy(), n_features
        )
        ctx = context_rows(probs, own[lo:hi], sim, window)
        weights, bias = text_layer if text_view[p] else html
        out[lo:hi] = softmax_linear(ctx, weights, bias)
    return out

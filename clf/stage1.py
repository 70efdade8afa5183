"""A batch's features and stage-1 probabilities in compiled code: what classifying runs.

Segments' code points → text columns and cues → clipped n-gram, word and character counts →
TF-IDF weighted and summed against stage 1's weights → shallow rows with their neighbours →
the logistic layer. `text_rows` is shared with training's featuriser (`clf.features`), which
keeps the TF-IDF rows for `Batch.X` instead of summing them. One compiled call a batch,
where the same steps called from Python cost a dozen dispatches, numpy wrappers and glue:
about 0.14 ms a page classified one call at a time (README, "Speed").
"""

from __future__ import annotations

import numpy as np
from numba import njit

from clf.copies import same_text_counts
from clf.cues import clip, text_cues
from clf.hashing import (
    N_CLASSES,
    add_product,
    char_counts,
    ngram_counts,
    similarity_to_first,
    tfidf_dot,
    word_counts,
)
from clf.shallow import neighbour_rows, own_rows


@njit(cache=True, nogil=True)
def text_rows(codes, seps, bounds, byline, title, digit, clip_at, punct, separators):
    """Per text (codes[seps[r] + 1 : seps[r + 1]], pages in rows bounds[p]:bounds[p + 1]):
    its text columns (length, first code point or 0, copies on its page, byline and title
    flags), its cues (`text_cues`), and the texts clipped (`clip_at`: limit, head, tail)
    with their character counts (`char_counts`)."""
    n = len(seps) - 1
    same = same_text_counts(codes, seps, bounds)
    text = np.empty((n, 5))
    for r in range(n):
        text[r, 0] = seps[r + 1] - seps[r] - 1
        text[r, 1] = codes[seps[r] + 1]  # the closing NUL of an empty text
        text[r, 2] = same[r]
        text[r, 3] = byline[r]
        text[r, 4] = title[r]
    cues = text_cues(codes, seps, digit)
    limit, head, tail = clip_at
    clipped, clipped_seps = clip(codes, seps, limit, head, tail)
    return text, cues, clipped, clipped_seps, char_counts(clipped, clipped_seps, punct, separators)


@njit(cache=True, nogil=True)
def _logistic_ovr(z) -> np.ndarray:
    """One-vs-rest logistic probabilities of scores z, normalised to sum to one (scikit-learn's
    SGDClassifier(loss="log_loss").predict_proba); log(1 + e^x) as numpy's logaddexp(0, x)."""
    out = np.empty(z.shape)
    for r in range(z.shape[0]):
        total = 0.0
        for c in range(z.shape[1]):
            x = -z[r, c]
            if x == 0.0:
                soft = np.log(2.0)
            elif x > 0.0:
                soft = x + np.log1p(np.exp(-x))
            else:
                soft = np.log1p(np.exp(x))
            out[r, c] = np.exp(-soft)
            total += out[r, c]
        for c in range(z.shape[1]):
            out[r, c] = out[r, c] / total if total > 0.0 else 1.0 / z.shape[1]
    return out


@njit(cache=True, nogil=True)
def stage1_pass(
    codes, seps, bounds, byline, title, struct, link_chars, depths, first_is_title,
    digit, clip_at, char_grams, word_bits, punct, separators,
    tables, dense_weights, intercept, offsets, mean, scale,
):  # fmt: skip
    """Stage-1 probabilities of a batch's texts, their shallow rows (for stage 2) and their
    char TF-IDF rows (for the similarity to the main text).

    `char_grams` is (bits, shortest, longest, shortest outside CJK) of the character n-grams; `struct` the
    structure counts as CSR; `tables` the (char, word, struct) tables of `stage1_tables`.
    """
    text, cues, clipped, clipped_seps, counts = text_rows(
        codes, seps, bounds, byline, title, digit, clip_at, punct, separators
    )
    trim = False  # the counts are dropped with the call: no capacity to give back
    bits, shortest, longest, other = char_grams
    char = ngram_counts(clipped, clipped_seps, bits, shortest, longest, trim, other)
    words = word_counts(clipped, clipped_seps, word_bits, trim)
    char_table, word_table, struct_table = tables
    z = np.zeros((len(seps) - 1, N_CLASSES))
    char_values = tfidf_dot(char[0], char[1], char[2], char_table, z)
    tfidf_dot(words[0], words[1], words[2], word_table, z)
    tfidf_dot(struct[0], struct[1], struct[2], struct_table, z)
    sim = similarity_to_first(char[0], char[1], char_values, bounds, first_is_title, 1 << bits)
    own = own_rows(
        text, counts, cues, sim, text[:, 4], text[:, 3], link_chars, depths, bounds, clip_at[0]
    )
    dense = neighbour_rows(own, bounds, offsets, mean, scale)
    for r in range(len(z)):
        for c in range(N_CLASSES):
            z[r, c] += intercept[c]
    add_product(dense, dense_weights, z)
    return _logistic_ovr(z), own, (char[0], char[1], char_values)

"""Structure columns of an HTML page's contexts, compiled, straight from the markup.

The structure tokens of a segment (clf.features.struct_tokens: tag_, path_, in_ per path tag,
cls_ and near_ per class/id token) depend only on the context `clf.markup.walk` put it in,
and a context's tokens extend its parent's. So each context's columns are hashed once, from
the markup's code points, reusing its parent's: no tag path or token tuple is made in Python,
and the segments' `path` and `tokens` are only built if someone reads them.

Tokens are as `clf.segment._tokens_of` splits them: runs of [a-z0-9] after lower-casing, of 2
to 29 characters, class value before id value; an escaped character (&amp; &quot; &nbsp;, all
lexbor's serialiser writes in attribute values) separates tokens. Two non-ASCII capitals lower
to ASCII: K (U+212A, Kelvin) to "k", and İ (U+0130) to "i" and a combining dot, which ends the token.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from clf.hashing import column_of
from clf.jit import array_helper
from clf.markup import code_tuple

STRUCT_BITS = 14
STRUCT_FEATURES = 2**STRUCT_BITS
MAX_PATH, NEAR = 4, 3  # path tags kept per context; tokens struct_tokens also gives near_
MAX_TOKENS = 16  # class/id tokens kept per context (nearest ancestors first)
TAG, PATH, IN, CLS, NEAR_ = map(code_tuple, ("tag_", "path_", "in_", "cls_", "near_"))
BODY, TITLE = code_tuple("body"), code_tuple("title")
N_TAIL = 2  # documents after the contexts': outside any block, the page <title>
# A segment's context id: a row of `info`, or one of these, whose documents are the tail's.
OUTSIDE, IN_TITLE = -1, -2


def row_documents(contexts: np.ndarray, n_contexts: int) -> np.ndarray:
    """Each segment's document in `context_columns`' output, from its context id."""
    return np.where(contexts >= 0, contexts, n_contexts - 1 - contexts)


KELVIN, DOTTED_I = 0x212A, 0x130


@array_helper
def _put(buf, m, x) -> int:
    """Append code point x to buf[m:] as UTF-8; the new length."""
    if x < 0x80:
        buf[m] = x
        return m + 1
    if x < 0x800:
        buf[m] = 0xC0 | (x >> 6)
        buf[m + 1] = 0x80 | (x & 0x3F)
        return m + 2
    if x < 0x10000:
        buf[m] = 0xE0 | (x >> 12)
        buf[m + 1] = 0x80 | ((x >> 6) & 0x3F)
        buf[m + 2] = 0x80 | (x & 0x3F)
        return m + 3
    buf[m] = 0xF0 | (x >> 18)
    buf[m + 1] = 0x80 | ((x >> 12) & 0x3F)
    buf[m + 2] = 0x80 | ((x >> 6) & 0x3F)
    buf[m + 3] = 0x80 | (x & 0x3F)
    return m + 4


@njit(cache=True, nogil=True, inline="always")
def _prefix(buf, word) -> int:
    for k in range(len(word)):
        buf[k] = word[k]
    return len(word)


@njit(cache=True, nogil=True)
def _word_column(buf, prefix, word, n_features) -> int:
    m = _prefix(buf, prefix)
    for x in word:
        buf[m] = x
        m += 1
    return column_of(buf, m, n_features)


@njit(cache=True, nogil=True)
def _span_column(buf, prefix, c, a, b, n_features) -> int:
    m = _prefix(buf, prefix)
    for i in range(a, b):
        m = _put(buf, m, c[i])
    return column_of(buf, m, n_features)


@njit(cache=True, nogil=True)
def _token_column(buf, prefix, c, a, b, n_features) -> int:
    """Column of prefix + the token c[a:b], lower-cased as Python lower-cases it."""
    m = _prefix(buf, prefix)
    for i in range(a, b):
        x = c[i]
        if 65 <= x <= 90:
            x += 32
        elif x == KELVIN:
            x = 107
        elif x == DOTTED_I:
            x = 105
        buf[m] = x
        m += 1
    return column_of(buf, m, n_features)


@njit(cache=True, nogil=True, inline="always")
def _token_char(x) -> bool:
    return (48 <= x <= 57) or (97 <= x <= 122) or (65 <= x <= 90) or x == KELVIN or x == DOTTED_I


@array_helper
def _tokens(c, a, b, starts, ends, n) -> int:
    """Append the spans of the tokens of the attribute value c[a:b] (a < 0: absent)."""
    if a < 0:
        return n
    run = a
    i = a
    while i <= b:
        x = c[i] if i < b else 32
        step = 1
        if x == 38:  # an escaped character: a separator
            while i + step < b and c[i + step] != 59:
                step += 1
            step += 1
            x = 32
        if x == DOTTED_I and i < b:  # "i" then a combining dot: the token ends after it
            if 1 < i + 1 - run < 30:
                starts[n], ends[n] = run, i + 1
                n += 1
            run = i + 1
        elif not _token_char(x):
            if 1 < i - run < 30:
                starts[n], ends[n] = run, i
                n += 1
            run = i + step
        i += step
    return n


@njit(cache=True, nogil=True)
def context_columns(c, info, n_features):
    """Structure columns of each context of `walk` (rows of `info`: parent, tag a/b, class
    a/b, id a/b, depth; parents first), as CSR (doc_ptr, doc_cols) in struct_tokens order,
    then `N_TAIL` documents of segments in no context of the markup: outside any block (tag
    "body", no path), and the page <title> (tag and path "title")."""
    n = info.shape[0]
    path_a = np.empty((n, MAX_PATH), dtype=np.int64)
    path_b = np.empty((n, MAX_PATH), dtype=np.int64)
    n_path = np.zeros(n, dtype=np.int64)
    in_cols = np.empty((n, MAX_PATH), dtype=np.int64)
    tok_cols = np.empty((n, MAX_TOKENS), dtype=np.int64)
    near_cols = np.empty((n, NEAR), dtype=np.int64)
    n_tok = np.zeros(n, dtype=np.int64)
    longest = 8
    for k in range(n):
        longest = max(longest, info[k, 2] - info[k, 1], info[k, 4] - info[k, 3])
        longest = max(longest, info[k, 6] - info[k, 5])
    buf = np.empty(4 * MAX_PATH * (longest + 1) + 16, dtype=np.uint8)
    starts = np.empty(longest + 2, dtype=np.int64)
    ends = np.empty(longest + 2, dtype=np.int64)
    doc_ptr = np.zeros(n + N_TAIL + 1, dtype=np.int64)
    cols = np.empty(n * (2 + MAX_PATH + MAX_TOKENS + NEAR) + 5, dtype=np.int64)
    pos = 0
    for k in range(n):
        parent, a, b = info[k, 0], info[k, 1], info[k, 2]
        # tag path: the parent's last three tags, then this one
        kept = 0
        if parent >= 0:
            first = max(0, n_path[parent] - (MAX_PATH - 1))
            for j in range(first, n_path[parent]):
                path_a[k, kept] = path_a[parent, j]
                path_b[k, kept] = path_b[parent, j]
                in_cols[k, kept] = in_cols[parent, j]
                kept += 1
        path_a[k, kept] = a
        path_b[k, kept] = b
        in_cols[k, kept] = _span_column(buf, IN, c, a, b, n_features)
        n_path[k] = kept + 1
        # class/id tokens: this element's own, then the parent's, at most MAX_TOKENS
        n_own = _tokens(c, info[k, 3], info[k, 4], starts, ends, 0)
        n_own = _tokens(c, info[k, 5], info[k, 6], starts, ends, n_own)
        t = 0
        while t < n_own and t < MAX_TOKENS:
            tok_cols[k, t] = _token_column(buf, CLS, c, starts[t], ends[t], n_features)
            if t < NEAR:
                near_cols[k, t] = _token_column(buf, NEAR_, c, starts[t], ends[t], n_features)
            t += 1
        if parent >= 0:
            j = 0
            while t < MAX_TOKENS and j < n_tok[parent]:
                tok_cols[k, t] = tok_cols[parent, j]
                if t < NEAR:
                    near_cols[k, t] = near_cols[parent, j]
                t += 1
                j += 1
        n_tok[k] = t
        # the document, in struct_tokens order (a segment's context is a block, never a
        # text line, so never struct_tokens' view_text)
        cols[pos] = _span_column(buf, TAG, c, a, b, n_features)
        m = _prefix(buf, PATH)
        for j in range(max(0, n_path[k] - 3), n_path[k]):
            if j > max(0, n_path[k] - 3):
                buf[m] = 95  # "_"
                m += 1
            for i in range(path_a[k, j], path_b[k, j]):
                m = _put(buf, m, c[i])
        cols[pos + 1] = column_of(buf, m, n_features)
        pos += 2
        for j in range(n_path[k]):
            cols[pos] = in_cols[k, j]
            pos += 1
        for j in range(n_tok[k]):
            cols[pos] = tok_cols[k, j]
            pos += 1
            if j < NEAR:
                cols[pos] = near_cols[k, j]
                pos += 1
        doc_ptr[k + 1] = pos
    cols[pos] = _word_column(buf, TAG, BODY, n_features)
    cols[pos + 1] = column_of(buf, _prefix(buf, PATH), n_features)  # "path_": no path
    doc_ptr[n + 1] = pos + 2
    cols[pos + 2] = _word_column(buf, TAG, TITLE, n_features)
    cols[pos + 3] = _word_column(buf, PATH, TITLE, n_features)
    cols[pos + 4] = _word_column(buf, IN, TITLE, n_features)
    doc_ptr[n + 2] = pos + 5
    pos += 5
    return doc_ptr, cols[:pos]

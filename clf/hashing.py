"""Segment texts → hashed n-gram counts and TF-IDF rows, compiled with numba.

All texts of a batch travel as one array of code points (NUL-separated), and one compiled
loop per feature family turns them into CSR rows. Python-level work per segment was what
made classification slow: scikit-learn's HashingVectorizer builds every n-gram as a string,
and even a numpy formulation needed a global sort of all n-grams of the page.

The hashes are fixed by the shipped model: an n-gram of code points c1..cn hashes to
h = n·P^n + c1·P^(n-1) + … + cn (mod 2^64) and a word to c1·P^(m-1) + … + cm, both lower-cased;
a hash lands in column (h·M mod 2^64) >> (64 − bits).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from clf.jit import array_helper

STEP = np.uint64(1_000_003)
MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier
PUNCT = np.array([ord(c) for c in ".,;:!?。，、；：！？"], dtype=np.uint32)
SEPARATORS = np.array([ord(c) for c in "|•·/»>›_"], dtype=np.uint32)
N_CLASSES = 3  # article, clutter, noise: the columns tfidf_dot sums
SMALL_COUNTS = 64  # tfidf_dot looks up 1 + ln(count) below this
COUNT_NAMES = ("digit", "upper", "cjk", "punct", "separators", "words")


def code_points(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The texts joined by NUL separators (a NUL also opens the first and closes the last),
    and the separators' positions: text r is codes[seps[r] + 1 : seps[r + 1]]."""
    if not texts:  # "\0\0" would be one empty text: a phantom row in a batch's features
        return np.zeros(1, dtype=np.uint32), np.zeros(1, dtype=np.int64)
    return joined_code_points("\0" + "\0".join(texts) + "\0", texts)


def joined_code_points(joined: str, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """`code_points(texts)` from `joined`, the texts joined as it joins them, where the caller
    has that string already."""
    if joined.count("\0") != len(texts) + 1:  # a text holds a NUL itself
        joined = "\0" + "\0".join(t.replace("\0", " ") for t in texts) + "\0"
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    return codes, np.flatnonzero(codes == 0)


@njit(cache=True, nogil=True)
def run_code_points(text, starts, ends, head) -> tuple[np.ndarray, np.ndarray]:
    """`code_points` of the texts head, text[starts[0]:ends[0]], text[starts[1]:ends[1]], …
    (head left out when empty), from the segmenter's code points, without making the str
    texts and encoding them again."""
    n = len(starts)
    first = 1 if len(head) else 0
    size = 1 + len(head) + first
    for r in range(n):
        size += ends[r] - starts[r] + 1
    codes = np.empty(size, dtype=np.uint32)
    seps = np.empty(n + first + 1, dtype=np.int64)
    codes[0] = 0
    seps[0] = 0
    pos = 1
    if first:
        for c in head:
            codes[pos] = c if c != 0 else 32  # a NUL inside a text: a space, as code_points
            pos += 1
        codes[pos] = 0
        seps[1] = pos
        pos += 1
    for r in range(n):
        for i in range(starts[r], ends[r]):
            c = text[i]
            codes[pos] = c if c != 0 else 32
            pos += 1
        codes[pos] = 0
        seps[first + r + 1] = pos
        pos += 1
    return codes, seps


def stacked_code_points(
    parts: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """`code_points` of several lists of texts one after another, from each list's own."""
    if len(parts) == 1:
        return parts[0]
    codes = np.concatenate([parts[0][0]] + [c[1:] for c, _ in parts[1:]])
    seps, at = [parts[0][1]], len(parts[0][0]) - 1
    for c, s in parts[1:]:
        seps.append(s[1:] + at)
        at += len(c) - 1
    return codes, np.concatenate(seps)


@njit(cache=True, nogil=True, inline="always")
def _lower(c: np.uint32) -> np.uint64:
    if (65 <= c <= 90) or (0xC0 <= c <= 0xDE and c != 0xD7):
        return np.uint64(c + 32)
    return np.uint64(c)


@njit(cache=True, nogil=True, inline="always")
def _is_cjk(c: np.uint32) -> bool:
    return (0x3040 <= c <= 0x30FF) or (0x3400 <= c <= 0x9FFF) or (0xAC00 <= c <= 0xD7AF)


@njit(cache=True, nogil=True, inline="always")
def _is_word(c: np.uint32) -> bool:
    lc = _lower(c)
    return (48 <= c <= 57) or (97 <= lc <= 122) or (c >= 0xC0 and c < 0x2000 and not _is_cjk(c))


@array_helper
def _emit_counts(buf, start, n, out_cols, out_counts, pos, slots):
    """Append one row's distinct columns (buf[start : start + n]) and their counts at `pos`
    (first-seen order).

    `slots[col]` is where the row wrote `col`, if it did: an entry counts only if it points
    into the row's part of `out_cols` at that very column, so the table is never cleared and
    may start as garbage (`_slot_table`). One read a column, where an open-addressing table
    of the row's columns cost a hash and a probe loop: ngram_counts 0.172 -> 0.136 ms a page.
    """
    first = pos
    for k in range(start, start + n):
        key = buf[k]
        w = slots[key]
        if first <= w < pos and out_cols[w] == key:
            out_counts[w] += 1.0
        else:
            slots[key] = pos
            out_cols[pos] = key
            out_counts[pos] = 1.0
            pos += 1
    return pos


@njit(cache=True, nogil=True)
def _slot_table(n_features: int, cap: int) -> np.ndarray:
    """`_emit_counts`' table for columns below `n_features` and rows written to at most `cap`
    entries: one per call (threads must not share it), not cleared (it needs no clearing).
    32-bit, to take half the core's cache a 64-bit table would."""
    if cap >= 2**31:
        raise ValueError("_slot_table: too many entries for one call")
    return np.empty(n_features, dtype=np.int32)


@njit(cache=True, nogil=True)
def _trimmed(indptr: np.ndarray, cols: np.ndarray, counts: np.ndarray, pos: int, trim: bool):
    """The first `pos` entries; copied when `trim`, to free the capacity beyond them. A page
    being classified drops its counts at once, and the copy (fresh memory, faulted in page by
    page) cost 0.07 ms a page of batches."""
    if trim:
        return indptr, cols[:pos].copy(), counts[:pos].copy()
    return indptr, cols[:pos], counts[:pos]


@njit(cache=True, nogil=True)
def ngram_counts(
    codes: np.ndarray,
    seps: np.ndarray,
    bits: int,
    lo: int,
    hi: int,
    trim: bool = True,
    other_lo: int = 0,
):
    """Per text, counts of hashed character n-grams (lo ≤ n ≤ hi), as CSR arrays; with
    `trim`, copied out of the spare capacity (for rows that outlive the call: a corpus).
    An n-gram that starts with a letter or digit outside CJK (`_is_word`) is at least
    `other_lo` long: a letter or a pair of them says little about a line, where a Han
    character is often a word and a lone '|', '»' or '©' is furniture.

    An n-gram may touch the NUL at either end of its text (word-boundary grams, like char_wb)
    but not both, and a 1-gram is never a NUL. The grams starting at one position share
    their prefix sums (g_n = g_(n-1)·P + c_n; the hash is n·P^n + g_n): 4 multiply-adds
    for the four lengths instead of 10, a quarter less time than hashing each gram afresh.
    """
    n_rows = len(seps) - 1
    shift = np.uint64(64 - bits)
    length_term = np.zeros(hi + 1, dtype=np.uint64)  # n·P^n
    for n in range(lo, hi + 1):
        t = np.uint64(n)
        for _ in range(n):
            t = t * STEP
        length_term[n] = t
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    cap, widest = 0, 1
    for r in range(n_rows):
        row_cap = (hi - lo + 1) * (seps[r + 1] - seps[r] + 1)
        cap += row_cap
        widest = max(widest, row_cap)
    cols = np.empty(cap, dtype=np.int64)
    counts = np.empty(cap, dtype=np.float64)
    buf = np.empty(widest, dtype=np.int64)
    slots = _slot_table(1 << bits, cap)
    pos = 0
    other = max(lo, other_lo)
    for r in range(n_rows):
        s, e = seps[r], seps[r + 1]
        m = 0
        for i in range(s, e):
            g = np.uint64(0)
            shortest = other if _is_word(codes[i]) else lo
            for n in range(1, min(hi, e - i + 1) + 1):  # up to the closing NUL
                g = g * STEP + _lower(codes[i + n - 1])
                if n < shortest or (i == s and (n == 1 or i + n - 1 == e)):
                    continue
                buf[m] = np.int64(((length_term[n] + g) * MIX) >> shift)
                m += 1
        pos = _emit_counts(buf, 0, m, cols, counts, pos, slots)
        indptr[r + 1] = pos
    return _trimmed(indptr, cols, counts, pos, trim)


@njit(cache=True, nogil=True)
def word_counts(codes: np.ndarray, seps: np.ndarray, bits: int, trim: bool = True):
    """Per text, counts of hashed lower-cased words (runs of letters/digits outside CJK);
    `trim` as in `ngram_counts`."""
    n_rows = len(seps) - 1
    shift = np.uint64(64 - bits)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    cols = np.empty(len(codes), dtype=np.int64)
    counts = np.empty(len(codes), dtype=np.float64)
    buf = np.empty(len(codes), dtype=np.int64)
    slots = _slot_table(1 << bits, len(codes))
    pos = 0
    for r in range(n_rows):
        m = 0
        h = np.uint64(0)
        inside = False
        for i in range(seps[r] + 1, seps[r + 1] + 1):
            c = codes[i]
            if i < seps[r + 1] and _is_word(c):
                h = h * STEP + _lower(c)
                inside = True
            elif inside:
                buf[m] = np.int64((h * MIX) >> shift)
                m += 1
                h = np.uint64(0)
                inside = False
        pos = _emit_counts(buf, 0, m, cols, counts, pos, slots)
        indptr[r + 1] = pos
    return _trimmed(indptr, cols, counts, pos, trim)


@njit(cache=True, nogil=True)
def char_counts(codes, seps, punct: np.ndarray, separators: np.ndarray) -> np.ndarray:
    """Per text: digits, upper-case letters, CJK characters, punctuation, separators, words
    (word starts plus CJK characters), in `COUNT_NAMES` order."""
    n_rows = len(seps) - 1
    out = np.zeros((n_rows, 6), dtype=np.float64)
    kind = np.zeros(0x10000, dtype=np.uint8)  # one lookup a character, not 25 comparisons
    for p in punct:
        kind[p] |= 1
    for p in separators:
        kind[p] |= 2
    for r in range(n_rows):
        prev_word = False
        for i in range(seps[r] + 1, seps[r + 1]):
            c = codes[i]
            cjk = _is_cjk(c)
            word = _is_word(c)
            if 48 <= c <= 57:
                out[r, 0] += 1
            if (65 <= c <= 90) or (0xC0 <= c <= 0xDE and c != 0xD7):
                out[r, 1] += 1
            if cjk:
                out[r, 2] += 1
                out[r, 5] += 1
            k = kind[c] if c < 0x10000 else 0
            if k & 1:
                out[r, 3] += 1
            if k & 2:
                out[r, 4] += 1
            if word and not prev_word:
                out[r, 5] += 1
            prev_word = word
    return out


@njit(cache=True, nogil=True)
def gather_counts(doc_ptr, doc_cols, row_doc, n_features):
    """Rows that each copy the column list of a document (structure tokens, columns below
    `n_features`), as counts."""
    for col in doc_cols:  # compiled code writes past an array's end silently
        if not 0 <= col < n_features:
            raise ValueError("gather_counts: a column is out of range")
    n_rows = len(row_doc)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    cap = 0
    for r in range(n_rows):
        cap += doc_ptr[row_doc[r] + 1] - doc_ptr[row_doc[r]]
    cols = np.empty(cap, dtype=np.int64)
    counts = np.empty(cap, dtype=np.float64)
    slots = _slot_table(n_features, cap)
    pos = 0
    for r in range(n_rows):
        d = row_doc[r]
        a = doc_ptr[d]
        pos = _emit_counts(doc_cols, a, doc_ptr[d + 1] - a, cols, counts, pos, slots)
        indptr[r + 1] = pos
    return indptr, cols[:pos].copy(), counts[:pos].copy()  # free the spare capacity


@njit(cache=True, nogil=True)
def append_rows(fill, out_cols, out_values, indptr, cols, values, offset) -> None:
    """Copy each row of a CSR block, its columns shifted by `offset`, to where `fill[r]` says
    output row r continues; advances `fill`. Stacks feature blocks side by side in place."""
    for r in range(len(indptr) - 1):
        at = fill[r]
        for k in range(indptr[r], indptr[r + 1]):
            out_cols[at] = cols[k] + offset
            out_values[at] = values[k]
            at += 1
        fill[r] = at


@njit(cache=True, nogil=True)
def append_dense(fill, out_cols, out_values, dense, offset) -> None:
    """`append_rows` for a dense block: its nonzero entries, in column order."""
    for r in range(dense.shape[0]):
        at = fill[r]
        for j in range(dense.shape[1]):
            v = dense[r, j]
            if v != 0.0:
                out_cols[at] = j + offset
                out_values[at] = v
                at += 1
        fill[r] = at


def tfidf(indptr: np.ndarray, cols: np.ndarray, counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """Sublinear TF × IDF with each row L2-normalised (scikit-learn's TfidfTransformer with
    sublinear_tf=True, applied with no Python per row)."""
    table = np.zeros((len(idf), 1 + N_CLASSES))
    table[:, 0] = idf
    return tfidf_dot(indptr, cols, counts, table, np.zeros((len(indptr) - 1, N_CLASSES)))


def document_frequency_idf(cols: np.ndarray, n_rows: int, n_features: int) -> np.ndarray:
    """Smoothed IDF, ln((1 + n) / (1 + df)) + 1, as scikit-learn's TfidfTransformer fits it."""
    df = np.bincount(cols, minlength=n_features)
    return np.log((1.0 + n_rows) / (1.0 + df)) + 1.0


@njit(cache=True, nogil=True)
def tfidf_dot(indptr, cols, counts, table, out) -> np.ndarray:
    """`tfidf`, and in the same pass out[r] += (TF-IDF row r) · W, from a table whose row per
    column is [idf, idf·w_article, idf·w_clutter, idf·w_noise] (clf.features.stage1_tables):
    the IDF and the weights of an n-gram in one 32-byte row, where separate arrays cost two
    cache misses per n-gram. The three sums are scalars, not a loop over an array: 25 % less
    time on the char family. A fifth of the char counts are above 1, and a table of 1 + ln(c)
    for small c spares their logarithms: another quarter less (counts are whole numbers)."""
    if table.shape[1] != 1 + N_CLASSES or out.shape[1] != N_CLASSES:  # compiled code reads
        raise ValueError("tfidf_dot: table needs 4 columns and out 3")  # past ends silently
    sublinear = np.empty(SMALL_COUNTS)  # 1 + ln(count) of small counts, by the same log
    sublinear[0] = 1.0
    for c in range(1, SMALL_COUNTS):
        sublinear[c] = 1.0 if c == 1 else np.log(np.float64(c)) + 1.0
    values = np.empty(len(counts), dtype=np.float64)
    for r in range(len(indptr) - 1):
        total = a0 = a1 = a2 = 0.0
        for k in range(indptr[r], indptr[r + 1]):
            c = counts[k]
            tf = sublinear[int(c)] if c < SMALL_COUNTS else np.log(c) + 1.0
            col = cols[k]
            v = tf * table[col, 0]
            values[k] = v
            total += v * v
            a0 += tf * table[col, 1]
            a1 += tf * table[col, 2]
            a2 += tf * table[col, 3]
        norm = np.sqrt(total) if total > 0 else 1.0
        for k in range(indptr[r], indptr[r + 1]):
            values[k] /= norm
        out[r, 0] += a0 / norm
        out[r, 1] += a1 / norm
        out[r, 2] += a2 / norm
    return values


@njit(cache=True, nogil=True)
def add_product(x, weights, out) -> None:
    """out += x @ weights, compiled rather than BLAS: a page's matrices are small, and keeping
    BLAS to one thread for them took a process-wide setting, which threads classifying at once
    would change under each other."""
    for i in range(x.shape[0]):
        for c in range(weights.shape[1]):
            z = 0.0
            for j in range(x.shape[1]):
                z += x[i, j] * weights[j, c]
            out[i, c] += z


@njit(cache=True, nogil=True)
def similarity_to_first(indptr, cols, values, bounds, pages, n_features) -> np.ndarray:
    """Cosine of each (L2-normalised) row to the first row of its page (rows
    bounds[p]:bounds[p + 1]) on the pages where `pages[p]`, else 0.

    One vector serves the whole batch: each page's first row is written into it and taken
    out again, where a fresh vector per page cost a memset of the family's width (2 MB in
    clf 0.4's 2**18 columns) each.
    """
    out = np.zeros(len(indptr) - 1, dtype=np.float64)
    first = np.zeros(n_features, dtype=np.float64)
    for p in range(len(bounds) - 1):
        lo, hi = bounds[p], bounds[p + 1]
        if not pages[p] or lo == hi:
            continue
        for k in range(indptr[lo], indptr[lo + 1]):
            first[cols[k]] = values[k]
        for r in range(lo, hi):
            total = 0.0
            for k in range(indptr[r], indptr[r + 1]):
                total += values[k] * first[cols[k]]
            out[r] = total
        for k in range(indptr[lo], indptr[lo + 1]):
            first[cols[k]] = 0.0
    return out


@njit(cache=True, nogil=True)
def similarity_to_centroid(indptr, cols, values, weights, n_features) -> np.ndarray:
    """Cosine of each row to the weight-averaged centroid of the other rows.

    The centroid's squared norm grows with each addition (new² − old², never negative as
    values and weights are): one pass fewer over the page's n-grams than summing it after.
    """
    n = len(indptr) - 1
    centroid = np.zeros(n_features, dtype=np.float64)
    norm = 0.0
    for r in range(n):
        w = weights[r]
        for k in range(indptr[r], indptr[r + 1]):
            c = cols[k]
            old = centroid[c]
            new = old + w * values[k]
            centroid[c] = new
            norm += new * new - old * old
    out = np.zeros(n, dtype=np.float64)
    if norm <= 0.0:
        return out
    norm = np.sqrt(norm)
    for r in range(n):
        total = 0.0
        for k in range(indptr[r], indptr[r + 1]):
            total += values[k] * centroid[cols[k]]
        out[r] = min(max((total - weights[r]) / norm, 0.0), 1.0)
    return out


_M32 = np.uint64(0xFFFFFFFF)


@njit(cache=True, nogil=True, inline="always")
def _rotl32(x, r):
    return ((x << np.uint64(r)) | (x >> np.uint64(32 - r))) & _M32


@array_helper
def murmur3_32(data, n) -> int:
    """MurmurHash3 x86_32 (seed 0) of data[:n] as a signed 32-bit int, as scikit-learn's
    murmurhash3_32 gives it for the UTF-8 bytes of a string."""
    c1, c2 = np.uint64(0xCC9E2D51), np.uint64(0x1B873593)
    h = np.uint64(0)
    blocks = n // 4
    for b in range(blocks):
        k = np.uint64(0)
        for j in range(4):
            k |= np.uint64(data[4 * b + j]) << np.uint64(8 * j)
        k = (k * c1) & _M32
        k = _rotl32(k, 15)
        k = (k * c2) & _M32
        h ^= k
        h = _rotl32(h, 13)
        h = (h * np.uint64(5) + np.uint64(0xE6546B64)) & _M32
    k = np.uint64(0)
    for j in range((n & 3) - 1, -1, -1):
        k = (k << np.uint64(8)) | np.uint64(data[4 * blocks + j])
    if n & 3:
        k = (k * c1) & _M32
        k = _rotl32(k, 15)
        k = (k * c2) & _M32
        h ^= k
    h ^= np.uint64(n)
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & _M32
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & _M32
    h ^= h >> np.uint64(16)
    return np.int64(h) - 2**32 if h >= np.uint64(2**31) else np.int64(h)


@array_helper
def column_of(data, n, n_features) -> int:
    """HashingVectorizer's column (|murmur3|, sign dropped) of the UTF-8 bytes data[:n]."""
    h = murmur3_32(data, n)
    if h == -(2**31):
        return (2**31 - n_features) % n_features
    return abs(h) % n_features


@njit(cache=True, nogil=True)
def _hashed_column(scratch, prefix, src, a, b, n_features) -> int:
    """The column of prefix + src[a:b]."""
    m = len(prefix)
    for j in range(m):
        scratch[j] = ord(prefix[j])
    for j in range(a, b):
        scratch[m + j - a] = src[j]
    return column_of(scratch, m + b - a, n_features)


@njit(cache=True, nogil=True)
def hashed_column(token, n_features) -> int:
    """HashingVectorizer's column of one UTF-8 token."""
    return _hashed_column(
        np.empty(len(token) + 8, dtype=np.uint8), "", token, 0, len(token), n_features
    )


@njit(cache=True, nogil=True)
def struct_columns(docs, n_features):
    """Columns of the structure tokens of each document in `docs` (UTF-8, documents split by
    0x00, fields by 0x01: tag, tag path, path tags and class/id tokens each split by 0x02).

    Tokens as in clf.features.struct_tokens (readable form): tag_<tag>, path_<last 3 tags joined by _>,
    in_<tag> per path tag, cls_<token> per token and near_<token> for the nearest three;
    a text line ("line") is the one token view_text.
    """
    n = len(docs)
    starts = [0]
    for i in range(n):
        if docs[i] == 0:
            starts.append(i + 1)
    starts.append(n + 1)
    doc_ptr = np.zeros(len(starts), dtype=np.int64)
    cols = np.empty(n + 2 * len(starts), dtype=np.int64)
    scratch = np.empty(n + 8, dtype=np.uint8)
    pos = 0
    for d in range(len(starts) - 1):
        s, e = starts[d], starts[d + 1] - 1
        f1 = s
        while f1 < e and docs[f1] != 1:
            f1 += 1
        if (
            f1 - s == 4
            and docs[s] == 108
            and docs[s + 1] == 105
            and docs[s + 2] == 110
            and docs[s + 3] == 101
        ):
            cols[pos] = _hashed_column(scratch, "view_text", docs, 0, 0, n_features)
            pos += 1
            doc_ptr[d + 1] = pos
            continue
        f2 = f1 + 1
        while f2 < e and docs[f2] != 1:
            f2 += 1
        f3 = f2 + 1
        while f3 < e and docs[f3] != 1:
            f3 += 1
        cols[pos] = _hashed_column(scratch, "tag_", docs, s, f1, n_features)
        cols[pos + 1] = _hashed_column(scratch, "path_", docs, f1 + 1, f2, n_features)
        pos += 2
        for field in range(2):
            a, b = (f2 + 1, f3) if field == 0 else (f3 + 1, e)
            t = a
            k = 0
            while a < b:
                while t < b and docs[t] != 2:
                    t += 1
                if field == 0:
                    cols[pos] = _hashed_column(scratch, "in_", docs, a, t, n_features)
                    pos += 1
                else:
                    cols[pos] = _hashed_column(scratch, "cls_", docs, a, t, n_features)
                    pos += 1
                    if k < 3:
                        cols[pos] = _hashed_column(scratch, "near_", docs, a, t, n_features)
                        pos += 1
                k += 1
                a = t = t + 1
        doc_ptr[d + 1] = pos
    return doc_ptr, cols[:pos]

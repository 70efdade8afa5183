"""Segment texts as one array of code points: hashed character n-grams and per-segment counts
in a few numpy operations, with no per-segment Python loop.

scikit-learn's HashingVectorizer builds every n-gram as a Python string; on a page of a few
hundred segments that loop dominated classification time.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier
_STEP = np.uint64(1_000_003)
_PUNCT = np.array([ord(c) for c in ".,;:!?。，、；：！？"], dtype=np.uint64)
_SEPARATORS = np.array([ord(c) for c in "|•·/»>›_"], dtype=np.uint64)


class CodePoints:
    """The texts joined by NUL separators (a NUL also opens the first text and closes the last)."""

    def __init__(self, texts: list[str]) -> None:
        self.n_rows = len(texts)
        joined = "\0" + "\0".join(t.replace("\0", " ") for t in texts) + "\0"
        self.codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        self.is_sep = self.codes == 0
        self.row_of = np.cumsum(self.is_sep) - 1  # a separator opens the next text
        upper_ascii = (self.codes >= 65) & (self.codes <= 90)
        upper_latin1 = (self.codes >= 0xC0) & (self.codes <= 0xDE) & (self.codes != 0xD7)
        self.upper = upper_ascii | upper_latin1
        self.lower = np.where(self.upper, self.codes + np.uint64(32), self.codes)

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Per text, how many of its characters satisfy `mask`."""
        if self.n_rows == 0:
            return np.zeros(0)
        rows = self.row_of[mask & ~self.is_sep]
        return np.bincount(rows[rows < self.n_rows], minlength=self.n_rows).astype(np.float64)

    def _masks(self) -> tuple[np.ndarray, np.ndarray]:
        """(CJK characters, word characters) over all positions."""
        c = self.codes
        cjk = (
            ((c >= 0x3040) & (c <= 0x30FF))
            | ((c >= 0x3400) & (c <= 0x9FFF))
            | ((c >= 0xAC00) & (c <= 0xD7AF))
        )
        word = (
            ((c >= 48) & (c <= 57))
            | ((self.lower >= 97) & (self.lower <= 122))
            | ((c >= 0xC0) & ~cjk & (c < 0x2000))
        )
        return cjk, word

    def counts(self) -> dict[str, np.ndarray]:
        c = self.codes
        cjk, word = self._masks()
        starts = word.copy()
        starts[1:] &= ~word[:-1]
        return {
            "digit": self.count((c >= 48) & (c <= 57)),
            "upper": self.count(self.upper),
            "cjk": self.count(cjk),
            "punct": self.count(np.isin(c, _PUNCT)),
            "separators": self.count(np.isin(c, _SEPARATORS)),
            "words": self.count(starts) + self.count(cjk),
        }

    def words(self, n_features: int) -> sp.csr_matrix:
        """Counts of hashed lower-cased words (runs of letters/digits outside CJK), one row per text.

        Each word's hash is a polynomial over its characters, computed for all words at once
        from prefix sums (the multiplier is odd, hence invertible modulo 2**64).
        """
        bits = int(n_features).bit_length() - 1
        _, word = self._masks()
        if self.n_rows == 0 or not word.any():
            return sp.csr_matrix((self.n_rows, n_features), dtype=np.float64)
        n = len(word)
        step = int(_STEP)
        inv = pow(step, -1, 2**64)
        with np.errstate(over="ignore"):
            pw = np.cumprod(np.full(n, step, dtype=np.uint64))  # P^(i+1)
            ipw = np.cumprod(np.full(n, inv, dtype=np.uint64))  # P^-(i+1)
            prefix = np.cumsum(np.where(word, self.lower * ipw, np.uint64(0)))
            edge = np.diff(np.concatenate(([0], word.astype(np.int8), [0])))
            starts, ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1) - 1
            before = np.where(starts > 0, prefix[np.maximum(starts - 1, 0)], np.uint64(0))
            h = (prefix[ends] - before) * pw[ends]
            cols = ((h * _MIX) >> np.uint64(64 - bits)).astype(np.int64)
        rows = self.row_of[starts]
        ok = rows < self.n_rows
        return _csr_counts(rows[ok], cols[ok], self.n_rows, n_features)

    def ngrams(self, n_features: int, ngram_range: tuple[int, int]) -> sp.csr_matrix:
        """Counts of hashed lower-cased character n-grams, one row per text.

        An n-gram may touch the separator at either end (word-boundary grams, like char_wb) but
        never contains one inside, so it never spans two texts.
        """
        bits = int(n_features).bit_length() - 1
        if 1 << bits != n_features:
            raise ValueError("n_features must be a power of two")
        if self.n_rows == 0:
            return sp.csr_matrix((0, n_features), dtype=np.float64)
        codes, is_sep = self.lower, self.is_sep
        rows, cols = [], []
        lo, hi = ngram_range
        with np.errstate(over="ignore"):
            for n in range(lo, hi + 1):
                m = len(codes) - n + 1
                if m <= 0:
                    continue
                h = np.full(m, np.uint64(n), dtype=np.uint64)
                inside = np.zeros(m, dtype=bool)
                for k in range(n):
                    h = h * _STEP + codes[k : k + m]
                    if 0 < k < n - 1:
                        inside |= is_sep[k : k + m]
                ok = ~inside
                ok &= ~is_sep[:m] if n == 1 else ~(is_sep[:m] & is_sep[n - 1 : n - 1 + m])
                start_row = self.row_of[:m]
                ok &= start_row < self.n_rows
                rows.append(start_row[ok])
                cols.append(((h[ok] * _MIX) >> np.uint64(64 - bits)).astype(np.int64))
        return _csr_counts(np.concatenate(rows), np.concatenate(cols), self.n_rows, n_features)


def _csr_counts(r: np.ndarray, c: np.ndarray, n_rows: int, n_features: int) -> sp.csr_matrix:
    """(row, col) occurrences → CSR of counts, via one sort of combined keys (cheaper than
    scipy's coo → csr with duplicate summing)."""
    key = r * n_features + c
    uniq, counts = np.unique(key, return_counts=True)
    indptr = np.searchsorted(uniq // n_features, np.arange(n_rows + 1))
    return sp.csr_matrix(
        (counts.astype(np.float64), (uniq % n_features).astype(np.int32), indptr),
        shape=(n_rows, n_features),
    )

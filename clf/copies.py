"""Copies of article text and repeated n-grams, compiled over code points.

The cleaner drops a segment whose 5-character shingles (of its lower-cased text without
punctuation or spaces) were mostly seen earlier in the article, after cutting off an
earlier kept part it merely starts with (headline + dek). The quality check counts
tokens inside word 5-grams that occur twice. Both were Python sets of substrings; here
shingles and tokens are 64-bit hashes in open-addressing tables.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numba import njit

from clf.cues import LETTER, WORD, _one_of
from clf.hashing import STEP, code_points
from clf.jit import array_helper
from clf.markup import same_span

SHINGLE = 5
TRIM_CHARS = np.array([ord(c) for c in " ,.;:!?，。；：！？-–—|"], dtype=np.uint32)
PREFIX = 8  # kept parts this long or longer are looked up by their first 8 characters


@array_helper
def _word(x, classes) -> bool:
    return x < classes.shape[0] and (classes[x] & WORD) != 0


@array_helper
def _word_or_mark(x, classes) -> bool:
    """A word character, or a combining mark (LETTER has them; WORD, as `\\w`, has not)."""
    return x < classes.shape[0] and (classes[x] & (WORD | LETTER)) != 0


@njit(cache=True, nogil=True, inline="always")
def _is_cjk_token(x) -> bool:
    return (
        (0x3040 <= x <= 0x30FF)
        or (0x3400 <= x <= 0x4DBF)
        or (0x4E00 <= x <= 0x9FFF)
        or (0xAC00 <= x <= 0xD7AF)
    )


@njit(cache=True, nogil=True)
def _table_size(n) -> int:
    size = 16
    while size < 2 * n:
        size *= 2
    return size


@array_helper
def _slot(keys, key) -> int:
    """Where key (never 0) sits in an open-addressing set, or the empty slot it would take."""
    mask = len(keys) - 1
    slot = (key * 0x9E3779B1) & mask
    while keys[slot] != 0 and keys[slot] != key:
        slot = (slot + 1) & mask
    return slot


@array_helper
def _meet(table, met, k, hits, key, r) -> tuple[int, int]:
    """Row r meets shingle `key`: if it is the row's first meeting, note its slot in
    met[k] and count it (k + 1), and a hit if a kept text had it.

    A slot of `table` is [key, 2·(last row that met it + 1) + kept] (0, 0 when empty).
    """
    mask = len(table) - 1
    slot = (key * 0x9E3779B1) & mask
    while table[slot, 0] != 0 and table[slot, 0] != key:
        slot = (slot + 1) & mask
    state = table[slot, 1]
    if table[slot, 0] != key:
        table[slot, 0] = key
    elif state >> 1 == r + 1:
        return k, hits
    table[slot, 1] = 2 * (r + 1) + (state & 1)
    met[k] = slot
    return k + 1, hits + (state & 1)


@njit(cache=True, nogil=True, inline="always")
def _fmix(h) -> np.int64:
    """MurmurHash3's 64-bit finaliser: hashes of hashes must not add up linearly."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return np.int64(h | np.uint64(1))  # never 0, the empty-slot mark


@array_helper
def _hash(codes, a, b) -> np.int64:
    h = np.uint64(b - a)
    for i in range(a, b):
        h = h * STEP + np.uint64(codes[i])
    return _fmix(h)


@array_helper
def _starts_with(codes, a, b, pa, pb) -> bool:
    """Whether codes[a:b] starts with, and is strictly longer than, the earlier part pa:pb."""
    return pb - pa < b - a and same_span(codes, a, a + pb - pa, pa, pb)


@njit(cache=True, nogil=True)
def dedupe(codes, lowered, seps, classes, share):
    """For texts codes[seps[r] + 1 : seps[r + 1]] in order: where each one starts after
    trimming an earlier kept part it begins with (offset in the text; -1: not trimmed),
    and whether it is a copy (at least `share` of its distinct shingles seen in kept texts
    before it).

    `lowered` is the lower-cased text at the same positions, for the shingles. One table
    holds every shingle met, with the row that last met it (so a row counts each of its
    shingles once) and whether a kept text has it; a copy's shingles stay in the table
    unkept. One lookup a shingle, where a table per row and a set of kept shingles
    took three, and a fresh table per row.
    """
    n_rows = len(seps) - 1
    start = np.full(n_rows, -1, dtype=np.int64)
    copy = np.zeros(n_rows, dtype=np.bool_)
    table = np.zeros((_table_size(len(codes) + n_rows), 2), dtype=np.int64)  # see _meet
    met = np.empty(len(codes) + 1, dtype=np.int64)  # slots of the row's distinct shingles
    heads = np.zeros(_table_size(n_rows), dtype=np.int64)  # first-8 hash -> slot of chain
    head_rows = np.full(len(heads), -1, dtype=np.int64)
    chain = np.full(n_rows, -1, dtype=np.int64)  # next kept part with the same first 8
    kept_a = np.zeros(n_rows, dtype=np.int64)
    norm = np.empty(len(codes), dtype=np.uint32)
    top = np.uint64(1)  # STEP^(SHINGLE - 1), the first code's factor in a shingle's sum
    length = np.uint64(SHINGLE)  # and SHINGLE·STEP^SHINGLE, the length term _hash starts with
    for _ in range(SHINGLE - 1):
        top *= STEP
    for _ in range(SHINGLE):
        length *= STEP
    for r in range(n_rows):
        a, b = seps[r] + 1, seps[r + 1]
        if b - a >= PREFIX:
            key = _hash(codes, a, a + PREFIX)
            slot = _slot(heads, key)
            p = head_rows[slot] if heads[slot] == key else -1
            while p >= 0:  # earliest kept part first, as they were added
                pa, pb = kept_a[p], seps[p + 1]
                if _starts_with(codes, a, b, pa, pb):
                    a += pb - pa
                    while a < b and _one_of(codes[a], TRIM_CHARS):
                        a += 1
                    start[r] = a - seps[r] - 1
                    break
                p = chain[p]
        m = 0
        for i in range(a, b):
            x = lowered[i]
            if _word(x, classes):
                norm[m] = x
                m += 1
        k = hits = 0
        if 0 < m <= SHINGLE:
            k, hits = _meet(table, met, 0, hits, _hash(norm, 0, m), r)
        elif m > SHINGLE:
            # _hash(norm, i, i + SHINGLE) rolled along: drop the first code, take the next
            g = np.uint64(0)
            for i in range(SHINGLE):
                g = g * STEP + np.uint64(norm[i])
            for i in range(m - SHINGLE + 1):
                if i:
                    g = (g - np.uint64(norm[i - 1]) * top) * STEP + np.uint64(norm[i + SHINGLE - 1])
                k, hits = _meet(table, met, k, hits, _fmix(length + g), r)
        if k:
            if hits >= share * k:
                copy[r] = True
                continue
            for j in range(k):
                table[met[j], 1] |= 1
        if b - a >= PREFIX:  # remember this kept part by its first 8 characters
            kept_a[r] = a
            key = _hash(codes, a, a + PREFIX)
            slot = _slot(heads, key)
            if heads[slot] == 0:
                heads[slot] = key
                head_rows[slot] = r
            else:
                p = head_rows[slot]
                while chain[p] >= 0:
                    p = chain[p]
                chain[p] = r
    return start, copy


@njit(cache=True, nogil=True)
def same_text_counts(codes, seps, bounds):
    """Per text (codes[seps[r] + 1 : seps[r + 1]]), how many texts of its page (rows
    bounds[p]:bounds[p + 1]) are the same, itself included: `Counter(texts)[text]`, found
    by hash and confirmed code point by code point."""
    out = np.ones(len(seps) - 1, dtype=np.int64)
    for p in range(len(bounds) - 1):
        lo, hi = bounds[p], bounds[p + 1]
        if hi - lo < 2:
            continue
        size = _table_size(hi - lo)
        keys = np.zeros(size, dtype=np.int64)
        first = np.empty(size, dtype=np.int64)  # the row that opened the slot
        counts = np.zeros(size, dtype=np.int64)
        slots = np.empty(hi - lo, dtype=np.int64)
        mask = size - 1
        for r in range(lo, hi):
            a, b = seps[r] + 1, seps[r + 1]
            key = _hash(codes, a, b)
            slot = (key * 0x9E3779B1) & mask
            while keys[slot] != 0:
                f = first[slot]
                if keys[slot] == key and same_span(codes, a, b, seps[f] + 1, seps[f + 1]):
                    break
                slot = (slot + 1) & mask
            if keys[slot] == 0:
                keys[slot] = key
                first[slot] = r
            counts[slot] += 1
            slots[r - lo] = slot
        for r in range(lo, hi):
            out[r] = counts[slots[r - lo]]
    return out


@njit(cache=True, nogil=True)
def repeated_share(lowered, classes, n) -> float:
    """Share of tokens inside token n-grams that occur more than once (keyword stuffing).

    Tokens: a CJK character alone, else a run of letters and digits (which may run on into
    CJK characters) and the combining marks inside it: as `\\w` has no marks, the regex
    `[CJK]|[^\\W_]+` cut a Hindi or Bengali word at every vowel sign, and the fragments
    repeat as whole words do not (a real Bengali page scored 0.17, ten times an English one).
    """
    tokens = np.empty(len(lowered), dtype=np.int64)
    t = 0
    i = 0
    while i < len(lowered):
        x = lowered[i]
        if _is_cjk_token(x):
            tokens[t] = _hash(lowered, i, i + 1)
            t += 1
            i += 1
        elif _word(x, classes):
            j = i + 1
            while j < len(lowered) and _word_or_mark(lowered[j], classes):
                j += 1
            tokens[t] = _hash(lowered, i, j)
            t += 1
            i = j
        else:
            i += 1
    if t < 4 * n:
        return 0.0
    n_grams = t - n + 1
    grams = np.empty(n_grams, dtype=np.int64)
    for g in range(n_grams):
        h = np.uint64(n)
        for k in range(n):
            h = h * STEP + np.uint64(tokens[g + k])
        grams[g] = _fmix(h)
    keys = np.zeros(_table_size(n_grams), dtype=np.int64)
    counts = np.zeros(len(keys), dtype=np.int64)
    where = np.empty(n_grams, dtype=np.int64)
    for g in range(n_grams):
        slot = _slot(keys, grams[g])
        keys[slot] = grams[g]
        counts[slot] += 1
        where[g] = slot
    covered = np.zeros(t, dtype=np.bool_)
    for g in range(n_grams):
        if counts[where[g]] > 1:
            covered[g : g + n] = True
    return covered.sum() / t


@njit(cache=True, nogil=True)
def class_counts(codes, classes):
    """Han characters (U+3400-4DBF, U+4E00-9FFF) and letters ([^\\W\\d_] and combining
    marks) in codes."""
    han = 0
    letters = 0
    for x in codes:
        if (0x3400 <= x <= 0x4DBF) or (0x4E00 <= x <= 0x9FFF):
            han += 1
        if x < classes.shape[0] and (classes[x] & LETTER) != 0:
            letters += 1
    return han, letters


def lowered(texts: list[str]) -> list[str]:
    """Lower-cased texts, position for position (a text whose lower-case changes length,
    such as one with 'İ', is kept as it is)."""
    out = []
    for t in texts:
        low = t.lower()
        out.append(low if len(low) == len(t) else t)
    return out


def lowered_code_points(texts: list[str]) -> np.ndarray:
    """`code_points(lowered(texts))[0]`: the texts' code points, lower-cased by table
    (`lowered_codes`)."""
    return lowered_codes(code_points(texts)[0], texts)


CASED_PLANES = 0x20000  # no code point above plane 1 has a lower case (a test checks)
NOT_BY_TABLE = np.uint32(0xFFFFFFFF)


@cache
def lower_table() -> np.ndarray:
    """Python's `str.lower` of each code point below CASED_PLANES (about 4 ms, once), but
    NOT_BY_TABLE for the two whose lower case is not one code point of its own: 'İ' (two)
    and 'Σ' (final sigma, which depends on its neighbours)."""
    every = np.arange(CASED_PLANES, dtype=np.uint32)
    every[0xD800:0xE000] = 0x20  # surrogates cannot be decoded
    text = every.tobytes().decode("utf-32-le").replace("\u0130", " ").replace("\u03a3", " ")
    low = text.lower()
    if len(low) != len(text):  # a Unicode to come with another lower case of two
        raise RuntimeError("str.lower changed the length of the code point table")
    table = np.frombuffer(low.encode("utf-32-le"), dtype=np.uint32).copy()
    table[0xD800:0xE000] = np.arange(0xD800, 0xE000)  # as str.lower leaves them
    table[[0x130, 0x3A3]] = NOT_BY_TABLE
    return table


@njit(cache=True, nogil=True)
def _lowered_by_table(codes, table):
    out = np.empty_like(codes)
    for i in range(len(codes)):
        x = codes[i]
        if x < len(table):
            x = table[x]
            if x == NOT_BY_TABLE:
                return out, False
        out[i] = x
    return out, True


def lowered_codes(codes: np.ndarray, texts: list[str]) -> np.ndarray:
    """`lowered_code_points(texts)` from `code_points(texts)[0]` (`codes`), by table in one
    compiled pass (0.01 against 0.05 ms for an article lower-cased as a str and encoded
    again); text by text with `str.lower` where a code point needs its neighbours or two
    code points."""
    low, by_table = _lowered_by_table(codes, lower_table())
    return low if by_table else code_points(lowered(texts))[0]

"""Shallow cues read off each segment's text, compiled over the batch's code points.

Teasers end in an ellipsis or hold one between headline and snippet; sentences end in
punctuation; list items open with a bullet or a number. Regexes per segment in Python
cost more than all the n-gram hashing, so these are one loop over the code points.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from itertools import chain

import numpy as np
from numba import njit

from clf.jit import array_helper
from clf.markup import _isspace

CUE_NAMES = ("ends_ellipsis", "ends_sentence", "bullet", "ellipses", "inner_ellipsis")
SENTENCE_END = '.!?。！？"”」』)'
BULLETS = "-–—•*·>»"
_SENTENCE = np.array([ord(c) for c in SENTENCE_END], dtype=np.uint32)
_BULLET = np.array([ord(c) for c in BULLETS], dtype=np.uint32)
_NUMBER_END = np.array([ord(c) for c in ".)、"], dtype=np.uint32)
DOT, HELLIP, FULL_STOP = 46, 0x2026, 0x3002


DIGIT, WORD, LETTER = 1, 2, 4  # regex classes \d, [^\W_], [^\W\d_] and combining marks
# Combining marks (category M) all lie below U+20000 or in U+E0100-E01EF.
_MARK_RANGES = (range(0x20000), range(0xE0100, 0xE01F0))


@cache
def char_classes() -> np.ndarray:
    """Which regex classes (DIGIT, WORD, LETTER bits) each code point is in, as Python's
    `re` sees it, with combining marks as letters too (~0.1 s, once).

    `\\w` has no combining marks, but the vowel signs and viramas of Devanagari and the other
    Brahmic scripts are a third of a Hindi text's code points: without them a Hindi article's
    letter share fell below the quality check's bar and the page was called spam."""
    every = np.arange(0x110000, dtype=np.uint32)
    every[0xD800:0xE000] = 0  # surrogates cannot be decoded
    text = every.tobytes().decode("utf-32-le")
    table = np.zeros(0x110000, dtype=np.uint8)
    for pattern, bit in ((r"\d+", DIGIT), (r"[^\W_]+", WORD), (r"[^\W\d_]+", LETTER)):
        for m in re.finditer(pattern, text):
            table[m.start() : m.end()] |= bit
    for x in chain(*_MARK_RANGES):
        if unicodedata.category(chr(x))[0] == "M":
            table[x] |= LETTER
    return table


@cache
def digits() -> np.ndarray:
    """Which code points the regex `\\d` matches (Unicode decimal digits)."""
    return (char_classes() & DIGIT).astype(np.bool_)


@array_helper
def _one_of(x, chars) -> bool:
    for c in chars:
        if x == c:
            return True
    return False


@array_helper
def _ellipsis_at(codes, i, end) -> int:
    """Length of the ellipsis ("...", "…", "。。") starting at i, 0 if none."""
    x = codes[i]
    if x == HELLIP:
        return 1
    if x == DOT and i + 2 < end and codes[i + 1] == DOT and codes[i + 2] == DOT:
        return 3
    if x == FULL_STOP and i + 1 < end and codes[i + 1] == FULL_STOP:
        return 2
    return 0


@array_helper
def _is_digit(x, table) -> bool:
    return x < table.shape[0] and table[x]


@array_helper
def _bullet(codes, s, e, digit) -> bool:
    """`\\s*(?:[-–—•*·>»]|\\d{1,2}[.)、]\\s)` matches at the start of codes[s:e]."""
    i = s
    while i < e and _isspace(codes[i]):
        i += 1
    if i >= e:
        return False
    if _one_of(codes[i], _BULLET):
        return True
    for n in (1, 2):
        j = i + n
        if j + 1 < e and _is_digit(codes[j - 1], digit) and (n == 1 or _is_digit(codes[i], digit)):
            if _one_of(codes[j], _NUMBER_END) and _isspace(codes[j + 1]):
                return True
    return False


@njit(cache=True, nogil=True)
def text_cues(codes, seps, digit) -> np.ndarray:
    """Per text (codes[seps[r] + 1 : seps[r + 1]]), the `CUE_NAMES` columns."""
    n_rows = len(seps) - 1
    out = np.zeros((n_rows, 5), dtype=np.float64)
    for r in range(n_rows):
        s, e = seps[r] + 1, seps[r + 1]
        last = e
        while last > s and _isspace(codes[last - 1]):
            last -= 1
        if last > s:
            x = codes[last - 1]
            out[r, 0] = (
                x == HELLIP
                or (
                    x == DOT and last - 3 >= s and codes[last - 2] == DOT and codes[last - 3] == DOT
                )
                or (x == FULL_STOP and last - 2 >= s and codes[last - 2] == FULL_STOP)
            )
            out[r, 1] = _one_of(x, _SENTENCE)
        out[r, 2] = _bullet(codes, s, e, digit)
        count = 0
        i = s
        while i < e:  # non-overlapping "..." and every "…", as str.count does
            if codes[i] == HELLIP:
                count += 1
            elif codes[i] == DOT and i + 2 < e and codes[i + 1] == DOT and codes[i + 2] == DOT:
                count += 1
                i += 2
            i += 1
        out[r, 3] = min(count, 3) / 3
        inner_end = max(e - 3, s)  # an ellipsis inside the text without its last 3 characters
        for i in range(s, inner_end):
            k = _ellipsis_at(codes, i, inner_end)
            if k:
                out[r, 4] = 1.0
                break
    return out


@njit(cache=True, nogil=True)
def byline_candidates(codes, seps, longest, space, pairs, han_firsts) -> np.ndarray:
    """Per text (codes[seps[r] + 1 : seps[r + 1]]), whether a cue regex of the form
    `^\\s*(word|…)\\b` (any case) may match it: False where it is `longest` or longer, or
    where, after ASCII whitespace (`space`), it opens with two ASCII characters that open no
    cue word in either case (`pairs`, of the lower-cased pair), or with a Han character
    that opens none (`han_firsts`), or holds fewer than two characters. Anything else
    beyond ASCII might match (case-insensitive matching pairs 's' with 'ſ'), so it is left
    to the regex."""
    n = len(seps) - 1
    out = np.zeros(n, dtype=np.bool_)
    for r in range(n):
        s, e = seps[r] + 1, seps[r + 1]
        if e - s >= longest:
            continue
        i = s
        while i < e and codes[i] < 128 and space[codes[i]]:
            i += 1
        if i + 1 >= e:  # every cue word has two characters or more
            continue
        a, b = codes[i], codes[i + 1]
        if a >= 128:
            out[r] = not (0x4E00 <= a <= 0x9FFF) or _one_of(a, han_firsts)
        elif b >= 128:
            out[r] = True
        else:
            out[r] = pairs[a | 32 if 65 <= a <= 90 else a, b | 32 if 65 <= b <= 90 else b]
    return out


@njit(cache=True, nogil=True)
def clip(codes, seps, limit, head, tail):
    """The texts with each one longer than `limit` cut to its first `head` and last `tail`
    characters joined by a space (long paragraphs are known by their start and end)."""
    n_rows = len(seps) - 1
    out = np.empty(len(codes), dtype=codes.dtype)
    out_seps = np.empty(n_rows + 1, dtype=seps.dtype)
    out[0] = 0
    out_seps[0] = 0
    pos = 1
    for r in range(n_rows):  # element by element: a slice per row is a view numba counts
        s, e = seps[r] + 1, seps[r + 1]
        if e - s <= limit:
            for i in range(s, e):
                out[pos] = codes[i]
                pos += 1
        else:
            for i in range(s, s + head):
                out[pos] = codes[i]
                pos += 1
            out[pos] = 32
            pos += 1
            for i in range(e - tail, e):
                out[pos] = codes[i]
                pos += 1
        out[pos] = 0
        out_seps[r + 1] = pos
        pos += 1
    return out[:pos], out_seps

"""The compiled copy finder and repetition count against the plain-Python rules they replace."""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter

import numpy as np
import pytest

from clf.clean import DUPLICATE_SHARE, shingles
from clf.copies import class_counts, dedupe, lowered, repeated_share, same_text_counts
from clf.cues import char_classes
from clf.hashing import code_points

WORDS = [
    "Pier",
    "pier",
    "council",
    "VOTED",
    "中",
    "文",
    "數據",
    "—",
    "|",
    "。",
    "2025",
    "x",
    "𝐃𝐚𝐭𝐚",
    "योजना",  # Devanagari: vowel signs are combining marks, inside the word
    "शामिल",
    "\u0301x",  # a mark with no letter before it starts no token
]
# Combining marks, which `\w` lacks: inside a word they belong to it (`repeated_share`).
MARKS = "".join(chr(x) for x in range(0x20000) if unicodedata.category(chr(x))[0] == "M")
REPEATED_TOKENS = re.compile(
    rf"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_](?:[^\W_]|[{MARKS}])*"
)


def _reference_dedupe(texts: list[str]) -> tuple[list[int], list[bool]]:
    """The cleaner's loop with Python sets of substrings (how it was first written)."""
    seen: set[str] = set()
    earlier: dict[str, list[str]] = {}
    starts, copies = [], []
    for text in texts:
        start = -1
        for prev in earlier.get(text[:8], ()):
            if text.startswith(prev) and len(text) > len(prev):
                rest = text[len(prev) :].lstrip(" ,.;:!?，。；：！？-–—|")
                start, text = len(text) - len(rest), rest
                break
        starts.append(start)
        grams = shingles(text)
        copies.append(bool(grams) and len(grams & seen) >= DUPLICATE_SHARE * len(grams))
        if copies[-1]:
            continue
        seen |= grams
        if len(text) >= 8:
            earlier.setdefault(text[:8], []).append(text)
    return starts, copies


def _reference_repeated(text: str, n: int = 5) -> float:
    toks = [t.lower() for t in REPEATED_TOKENS.findall(text)]
    if len(toks) < 4 * n:
        return 0.0
    grams = list(zip(*(toks[i:] for i in range(n))))
    counts = Counter(grams)
    covered = [False] * len(toks)
    for i, g in enumerate(grams):
        if counts[g] > 1:
            covered[i : i + n] = [True] * n
    return sum(covered) / len(toks)


def _random_article(rng: random.Random) -> list[str]:
    parts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 12))) for _ in range(8)]
    texts = []
    for _ in range(rng.randint(1, 14)):
        r = rng.random()
        if r < 0.3 and texts:
            texts.append(rng.choice(texts))  # a copy
        elif r < 0.5 and texts:
            texts.append(rng.choice(texts) + rng.choice([" ", ". ", "|"]) + rng.choice(parts))
        else:
            texts.append(rng.choice(parts))
    return texts


def test_dedupe_matches_the_python_rule():
    rng = random.Random(11)
    for _ in range(400):
        texts = _random_article(rng)
        codes, seps = code_points(texts)
        starts, copies = dedupe(codes, code_points(lowered(texts))[0], seps, char_classes(), 0.8)
        assert (starts.tolist(), copies.tolist()) == _reference_dedupe(texts)


def test_a_copys_own_shingles_do_not_make_a_later_text_a_copy():
    """A copy's shingles are met but never kept: a later text made mostly of the copy's new
    words is not itself a copy (the single table marks them unkept, not absent)."""
    story = "The harbour authority approved the new ferry terminal on Tuesday evening after a long debate."
    extra = "Quayside traders"
    texts = [story, extra + " " + story, extra + "!"]  # the third: all shingles the copy's
    codes, seps = code_points(texts)
    starts, copies = dedupe(codes, code_points(lowered(texts))[0], seps, char_classes(), 0.8)
    assert copies.tolist() == [False, True, False]
    assert (starts.tolist(), copies.tolist()) == _reference_dedupe(texts)


def test_repeated_share_and_class_counts_match_the_regexes():
    rng = random.Random(12)
    classes = char_classes()
    for _ in range(300):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 60)))
        codes = code_points(lowered([text]))[0]
        assert abs(repeated_share(codes, classes, 5) - _reference_repeated(text)) < 1e-12
        han, letters = class_counts(code_points([text])[0], classes)
        assert han == len(re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff]", text))
        assert letters == len(re.findall(rf"[^\W\d_]|[{MARKS}]", text))


def test_token_hashes_do_not_add_up():
    """'3 21' and '1 41' once hashed the same 2-gram (linear hashes of linear hashes)."""
    classes = char_classes()
    text = "october 23rd 2012 3 21 pm " + "october 23rd 2012 1 41 pm " + "filler " * 30
    assert repeated_share(code_points([text])[0], classes, 5) == _reference_repeated(text)


def test_same_text_counts_equal_a_counter_per_page():
    rng = random.Random(13)
    choices = ["a", "b", "", "ab", "中文", "a b", "x" * 50, "A"]
    for _ in range(300):
        pages = [[rng.choice(choices) for _ in range(rng.randint(0, 30))] for _ in range(3)]
        texts = [t for page in pages for t in page]
        bounds = np.cumsum([0] + [len(page) for page in pages])
        got = same_text_counts(*code_points(texts), bounds).tolist()
        assert got == [Counter(page)[t] for page in pages for t in page]


@pytest.mark.parametrize(
    "texts",
    [
        [],
        [""],
        ["Ein Satz.", "", "ΟΔΟΣ", "Σ", "ΣΑΣ ΣΑΣ.", "a Σ b"],  # final sigma at every kind of edge
        ["İstanbul", "ABC"],  # İ lower-cases to two characters: each text alone
        ["a\0b", "C"],  # a NUL inside a text: as code_points makes it
        ["中文 ABC", "Ǆ ǅ ẞ"],
    ],
)
def test_lowered_code_points_are_the_texts_lowered_one_by_one(texts):
    from clf.copies import lowered_code_points, lowered_codes

    want = code_points(lowered(texts))[0]
    assert np.array_equal(lowered_code_points(texts), want)
    assert np.array_equal(lowered_codes(code_points(texts)[0], texts), want)


def test_the_lower_case_table_is_str_lower_one_code_point_at_a_time():
    """Every code point the table lowers is lowered as `str.lower` lowers it alone, and none
    beyond the table's planes has a lower case (else the table would miss it)."""
    from clf.copies import CASED_PLANES, NOT_BY_TABLE, lower_table

    table = lower_table()
    assert len(table) == CASED_PLANES
    by_table = table != NOT_BY_TABLE
    every = np.arange(CASED_PLANES)[by_table]
    assert all(chr(x).lower() == chr(int(table[x])) for x in every.tolist())
    assert sorted(np.flatnonzero(~by_table).tolist()) == [0x130, 0x3A3]  # 'İ' and 'Σ'
    assert not [x for x in range(CASED_PLANES, 0x110000) if chr(x).lower() != chr(x)]

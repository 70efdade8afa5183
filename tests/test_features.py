"""The compiled feature kernels against plain Python / scikit-learn references."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

from clf.cues import byline_candidates, clip, digits, text_cues
from clf.features import (
    _ASCII_SPACE,
    _CUE_PAIRS,
    _HAN_FIRSTS,
    BYLINE_CUE,
    BYLINE_WORDS,
    CHAR_FEATURES,
    CHAR_INPUT,
    DENSE_COLUMNS,
    LEGACY_CHAR_INPUT,
    STRUCT_FEATURES,
    WORD_FEATURES,
    CharInput,
    Featurizer,
    _bylines,
    _is_title,
    _struct_counts,
    family_widths,
    stage1_tables,
    struct_token_columns,
    struct_tokens,
)
from clf.hashing import (
    MIX,
    PUNCT,
    SEPARATORS,
    STEP,
    _emit_counts,
    char_counts,
    code_points,
    document_frequency_idf,
    gather_counts,
    ngram_counts,
    similarity_to_centroid,
    similarity_to_first,
    tfidf,
    tfidf_dot,
    word_counts,
)
from clf.segment import Segment, Segments, segment_html, segment_text

ALPHABET = "abcXYZ Ä é 中文字 .,!…|0123"


def _texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(n)]


def _col(h: int, bits: int) -> int:
    return ((h * int(MIX)) % 2**64) >> (64 - bits)


def _lower(c: str) -> int:
    o = ord(c)
    return o + 32 if 65 <= o <= 90 or (0xC0 <= o <= 0xDE and o != 0xD7) else o


def _opens_word(c: int) -> bool:
    """A letter or digit outside CJK, as `clf.hashing._is_word` reads a lower-cased code."""
    cjk = 0x3040 <= c <= 0x30FF or 0x3400 <= c <= 0x9FFF or 0xAC00 <= c <= 0xD7AF
    return 48 <= c <= 57 or 97 <= c <= 122 or (0xC0 <= c < 0x2000 and not cjk)


def _reference_ngrams(text: str, bits: int, lo: int, hi: int, other_lo: int = 0) -> dict[int, int]:
    """Character n-grams of "\\0" + text + "\\0" that do not span both NULs (nor are one),
    and none shorter than `other_lo` that opens with a letter or digit outside CJK."""
    padded = [0] + [_lower(c) for c in text] + [0]
    out: dict[int, int] = {}
    for n in range(lo, hi + 1):
        for i in range(len(padded) - n + 1):
            gram = padded[i : i + n]
            if (n == 1 and gram[0] == 0) or (n > 1 and gram[0] == 0 and gram[-1] == 0):
                continue
            if n < other_lo and _opens_word(gram[0]):
                continue
            h = n
            for c in gram:
                h = (h * int(STEP) + c) % 2**64
            col = _col(h, bits)
            out[col] = out.get(col, 0) + 1
    return out


def _as_dicts(indptr, cols, counts) -> list[dict[int, int]]:
    return [
        {int(c): int(v) for c, v in zip(cols[a:b], counts[a:b])}
        for a, b in zip(indptr[:-1], indptr[1:])
    ]


def test_ngram_counts_match_a_plain_python_reference():
    texts = _texts(60)
    got = _as_dicts(*ngram_counts(*code_points(texts), 12, 1, 4))
    assert got == [_reference_ngrams(t, 12, 1, 4) for t in texts]


@pytest.mark.parametrize("other_lo", [0, 1, 2, 3])
def test_short_ngrams_opening_with_a_letter_are_left_out_from_other_lo(other_lo: int):
    texts = _texts(60, seed=3) + ["Über 2024 年中文 a|b ©", "A", "|", "ab"]
    got = _as_dicts(*ngram_counts(*code_points(texts), 12, 1, 3, True, other_lo))
    assert got == [_reference_ngrams(t, 12, 1, 3, other_lo) for t in texts]
    if other_lo == 3:  # a lone letter keeps only "\0a"; a lone '|' keeps its 1-gram
        assert len(got[-3]) == 1
        assert set(_reference_ngrams("|", 12, 1, 1)) <= set(got[-2])


def test_counting_ignores_whatever_the_slot_table_held():
    """`_emit_counts`' table is never cleared: entries left by other rows, or garbage that
    points into this row's entries at another column, must not count."""
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 64, size=(5, 40))
    out_cols, out_counts = np.zeros(400, np.int64), np.zeros(400)
    for slots in (rng.integers(-5, 400, 64).astype(np.int32), np.zeros(64, np.int32)):
        pos, rows = 0, []
        for row in keys:
            first = pos
            pos = _emit_counts(row, 0, len(row), out_cols, out_counts, pos, slots)
            rows.append(dict(zip(out_cols[first:pos].tolist(), out_counts[first:pos].tolist())))
            slots[rng.integers(0, 64, 20)] = rng.integers(first, pos, 20)  # stale, wrong keys
        assert rows == [
            {k: float(list(row).count(k)) for k in dict.fromkeys(row.tolist())} for row in keys
        ]
        assert [list(r) for r in rows] == [list(dict.fromkeys(row.tolist())) for row in keys]


def test_gather_counts_refuses_a_column_past_its_table():
    ptr, docs = np.array([0, 2]), np.array([3, 70])
    assert gather_counts(ptr, docs, np.array([0, 0]), 128)[1].tolist() == [3, 70, 3, 70]
    with pytest.raises(ValueError, match="out of range"):
        gather_counts(ptr, docs, np.array([0]), 64)


def test_word_counts_hash_each_lowercased_word():
    got = _as_dicts(*word_counts(*code_points(["Über die Brücke, die", "", "中文 abc"]), 16))
    expected = []
    for words in (["über", "die", "brücke", "die"], [], ["abc"]):
        row: dict[int, int] = {}
        for w in words:
            h = 0
            for c in w:
                h = (h * int(STEP) + ord(c)) % 2**64
            row[_col(h, 16)] = row.get(_col(h, 16), 0) + 1
        expected.append(row)
    assert got == expected


def test_tfidf_matches_scikit_learn():
    indptr, cols, counts = ngram_counts(*code_points(_texts(40, seed=1)), 10, 1, 3)
    X = sp.csr_matrix((counts, cols, indptr), shape=(40, 2**10))
    idf = document_frequency_idf(cols, 40, 2**10)
    ref = TfidfTransformer(sublinear_tf=True).fit(X)
    np.testing.assert_allclose(idf, ref.idf_)
    ours = sp.csr_matrix((tfidf(indptr, cols, counts, idf), cols, indptr), shape=X.shape)
    np.testing.assert_allclose(ours.toarray(), ref.transform(X).toarray(), atol=1e-12)


def test_tfidf_of_counts_on_both_sides_of_the_log_table():
    """Small counts take 1 + ln(c) from a table, larger ones compute it: both as the formula."""
    counts = np.array([1.0, 2.0, 3.0, 63.0, 64.0, 65.0, 1000.0])
    indptr, cols = np.array([0, 7]), np.arange(7)
    idf = np.linspace(1.0, 2.0, 7)
    tf = np.where(counts == 1.0, 1.0, np.log(counts) + 1.0) * idf
    np.testing.assert_allclose(
        tfidf(indptr, cols, counts, idf), tf / np.linalg.norm(tf), rtol=1e-15
    )


def test_byline_prefilter_never_skips_a_line_the_regex_matches():
    """Every pair of ASCII characters that can open a match (case-folded, after the regex's
    \\s), and every Han character, is let through by the compiled prefilter; all else beyond
    ASCII always is."""
    lines = [
        lead + chr(i) + chr(j) + rest
        for lead in ("", " ", "\x1c", "\t\v")
        for i in range(128)
        for j in range(128)
        for rest in {w[2:] + " x" for w in BYLINE_WORDS} | {" x", ""}
    ]
    lines += [
        chr(x) + w[1:] for x in range(0x4E00, 0xA000) for w in BYLINE_WORDS if not w.isascii()
    ]
    matched = [t for t in lines if len(t) < 120 and BYLINE_CUE.match(t)]
    codes, seps = code_points(matched)
    assert len(matched) > 500
    assert byline_candidates(codes, seps, 120, _ASCII_SPACE, _CUE_PAIRS, _HAN_FIRSTS).all()
    codes, seps = code_points(lines)
    assert not byline_candidates(codes, seps, 120, _ASCII_SPACE, _CUE_PAIRS, _HAN_FIRSTS).all()


def test_bylines_equal_the_regex_on_every_line():
    rng = random.Random(5)
    starts = [w for w in BYLINE_WORDS] + [w.upper() for w in BYLINE_WORDS] + [
        " by", "\tVon", "İmage", "ſource", "\u212aredit", "Bylines", "by:", "作者：", "x", "", "  ",
        "bſ", "\xa0by", "\x1cBy", "\u3000作者", "作", "b", "B\u0131", "中文",
    ]  # fmt: skip
    texts = [
        rng.choice(starts) + rng.choice(["", " Jane Doe", ": AP", "line" * 40]) for _ in range(3000)
    ]
    codes, seps = code_points(texts)
    expected = [len(t) < 120 and BYLINE_CUE.match(t) is not None for t in texts]
    assert _bylines(texts, codes, seps).tolist() == expected
    assert any(expected) and not all(expected)


def test_struct_columns_match_hashing_vectorizer():
    hv = HashingVectorizer(
        n_features=STRUCT_FEATURES, alternate_sign=False, norm=None, lowercase=False,
        token_pattern=r"\S+",
    )  # fmt: skip
    segs = [
        Segment(
            0, "x", tag="p", path=("div", "div", "p"), tokens=("article-body", "ü中", "a", "bc")
        ),
        Segment(1, "x", tag="title", path=("title",)),
        Segment(2, "x"),  # a text line
        Segment(3, "x", tag="body", path=(), tokens=("x" * 29,)),
        Segment(
            4, "x", tag="p", path=("div", "div", "p"), tokens=("article-body", "ü中", "a", "bc")
        ),
    ]
    rng = random.Random(3)
    for i in range(300):
        path = tuple(rng.choice(["div", "li", "h1", "td", "x-y"]) for _ in range(rng.randint(0, 4)))
        tokens = tuple(
            rng.choice(["nav", "main", "ad", "comment", "post1"]) for _ in range(rng.randint(0, 16))
        )
        segs.append(Segment(5 + i, "x", tag=path[-1] if path else "body", path=path, tokens=tokens))
    indptr, cols, counts = _struct_counts([Segments.of(segs)])
    docs = [" ".join(struct_tokens(s)) for s in segs]
    ref = hv.transform(docs)
    ours = sp.csr_matrix((counts, cols, indptr), shape=ref.shape)
    assert (ours != ref).nnz == 0
    tokens = sorted({t for s in segs for t in struct_tokens(s)})
    want = [hv.transform([t]).indices[0] + CHAR_FEATURES + WORD_FEATURES for t in tokens]
    assert struct_token_columns(tokens).tolist() == want


def _random_page(rng: random.Random) -> str:
    """Nested markup whose class/id values hold what token splitting must get right:
    escapes, capitals that lower to ASCII (K, İ), non-ASCII tags, long and short tokens."""
    words = ["nav", "Main", "a", "ad-slot", "x" * 29, "y" * 30, "a&amp;b", "K\u212aX", "ab\u0130cd",
             "ü中", "&quot;q&quot;", "post1", "", "  "]  # fmt: skip
    tags = ["div", "section", "p", "li", "span", "a", "b", "line", "x-y", "h1", "td", "bläh"]

    def element(depth: int) -> str:
        tag = rng.choice(tags)
        attrs = ""
        if rng.random() < 0.7:
            attrs += f' class="{" ".join(rng.choices(words, k=rng.randint(0, 6)))}"'
        if rng.random() < 0.3:
            attrs += f" id='{rng.choice(words)}'"
        inner = "".join(
            element(depth + 1) if depth < 9 and rng.random() < 0.5 else rng.choice(["text ", "T"])
            for _ in range(rng.randint(1, 3))
        )
        return f"<{tag}{attrs}>{inner}</{tag}>"

    title = "<title>The title</title>" if rng.random() < 0.5 else ""
    return f"<html><head>{title}</head><body>loose {element(0)} tail</body></html>"


def test_structure_from_the_markup_walk_equals_hashing_the_segments():
    """`Segments.structure` (clf.structure, hashed per context from the markup) gives the same
    structure rows as hashing each segment's tag, path and tokens (the training path)."""
    rng = random.Random(5)
    pages = [segment_html(_random_page(rng)) for _ in range(200)]
    assert all(p.structure is not None for p in pages)
    assert sum(len(p) for p in pages) > 1000
    for page in pages:
        walked, hashed = _struct_counts([page]), _struct_counts([Segments.of(list(page))])
        assert all(np.array_equal(a, b) for a, b in zip(walked, hashed))
    several = _struct_counts(pages[:20] + [Segments.of(list(pages[20]))])
    one_by_one = [_struct_counts([Segments.of(list(p))]) for p in pages[:21]]
    assert np.array_equal(several[1], np.concatenate([r[1] for r in one_by_one]))
    assert np.array_equal(np.diff(several[0]), np.concatenate([np.diff(r[0]) for r in one_by_one]))


def test_structure_of_text_lines_equals_hashing_the_segments():
    """Text lines come with their one shared structure document (`view_text`), as hashing
    each line's tag, path and tokens gives it."""
    lines = segment_text("Headline\n\nBy a reporter\nBody text here.\n")
    assert lines.structure is not None and len(lines) == 3
    given, hashed = _struct_counts([lines]), _struct_counts([Segments.of(list(lines))])
    assert all(np.array_equal(a, b) for a, b in zip(given, hashed))
    view_text = struct_token_columns(["view_text"]) - CHAR_FEATURES - WORD_FEATURES
    assert given[1].tolist() == view_text.tolist() * 3


def test_char_counts_match_a_python_reference():
    texts = _texts(60, seed=5) + ["Ab1。，|•·/»>›_ 😀x 한국 Ü×", "", "…"]
    punct = {chr(c) for c in PUNCT}
    seps = {chr(c) for c in SEPARATORS}

    def cjk(ch: str) -> bool:
        o = ord(ch)
        return 0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF

    def word(ch: str) -> bool:
        o, lo = ord(ch), _lower(ch)
        return ch.isdigit() and o < 128 or 97 <= lo <= 122 or (0xC0 <= o < 0x2000 and not cjk(ch))

    want = []
    for t in texts:
        starts = sum(word(c) and (i == 0 or not word(t[i - 1])) for i, c in enumerate(t))
        want.append([
            sum("0" <= c <= "9" for c in t),
            sum(_lower(c) != ord(c) for c in t),
            sum(map(cjk, t)),
            sum(c in punct for c in t),
            sum(c in seps for c in t),
            starts + sum(map(cjk, t)),
        ])  # fmt: skip
    got = char_counts(*code_points(texts), PUNCT, SEPARATORS)
    assert got.tolist() == want


def test_similarities_match_dense_cosines():
    indptr, cols, counts = ngram_counts(*code_points(_texts(12, seed=2)), 10, 1, 3)
    values = tfidf(indptr, cols, counts, np.ones(2**10))
    dense = sp.csr_matrix((values, cols, indptr), shape=(12, 2**10)).toarray()
    one_page = similarity_to_first(indptr, cols, values, np.array([0, 12]), np.ones(1, bool), 2**10)
    np.testing.assert_allclose(one_page, dense @ dense[0])
    # pages of 5, 0, 4 and 3 rows, the third left out: each page against its own first row,
    # with the vector emptied between pages
    bounds, pages = np.array([0, 5, 5, 9, 12]), np.array([True, True, False, True])
    want = np.zeros(12)
    want[:5], want[9:] = dense[:5] @ dense[0], dense[9:] @ dense[9]
    got = similarity_to_first(indptr, cols, values, bounds, pages, 2**10)
    np.testing.assert_allclose(got, want)
    w = np.linspace(0.1, 1.0, 12)
    centroid = w @ dense
    expected = np.clip((dense @ centroid - w) / np.linalg.norm(centroid), 0, 1)
    got = similarity_to_centroid(indptr, cols, values, w, 2**10)
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_tfidf_dot_refuses_tables_of_the_wrong_width():
    indptr, cols, counts = np.array([0, 2]), np.array([0, 1]), np.array([1.0, 2.0])
    with pytest.raises(ValueError):  # compiled code would read past the table's rows
        tfidf_dot(indptr, cols, counts, np.ones((4, 2)), np.zeros((1, 3)))


@pytest.mark.parametrize("char", [CHAR_INPUT, CharInput(14, (1, 3), 150, 50, 3)])
def test_run_time_stage1_equals_the_training_features_through_the_layer(char: CharInput):
    """The compiled run-time pass (`Featurizer.stage1`: stage-1 sums inside the TF-IDF pass)
    gives the logistic layer over training's feature matrix, for any weights."""
    pages = [
        [Segment(index=i, text=t, tag="p", path=("div", "p"), tokens=("story",)) for i, t in
         enumerate(_texts(9, seed=s))]
        for s in range(3)
    ]  # fmt: skip
    f = Featurizer(char)
    batch = f.featurize(pages, fit=True)
    X = batch.X
    coef = np.random.default_rng(0).normal(size=(3, X.shape[1]))
    intercept = np.array([0.1, -0.2, 0.3])
    p1, own, text = f.stage1([Segments.of(p) for p in pages], stage1_tables(coef, f.idf), intercept)
    ovr = 1 / (1 + np.exp(-(X @ coef.T + intercept)))
    np.testing.assert_allclose(p1, ovr / ovr.sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_array_equal(own, batch.shallow)
    for got, want in zip(text, batch.families["char"]):
        np.testing.assert_allclose(got, want, rtol=1e-15)


def test_training_matrix_is_scipys_hstack_array_for_array(monkeypatch):
    """`Batch.X` is written in place to save memory; SGD must see exactly the matrix that
    scipy's hstack made (same entry order, values and index types), or the shipped weights
    would not be reproduced. Chunked featurising (training's corpus) must change nothing."""
    from clf import features

    pages = [
        [Segment(index=i, text=t, tag="p", path=("div", "p"), tokens=("story",)) for i, t in
         enumerate(_texts(7, seed=s))]
        for s in range(5)
    ] + [[]]  # fmt: skip
    f = Featurizer()
    batch = f.featurize(pages, fit=True)
    batch.dense[::3, 2] = 0.0  # the dense block's zeros are left out, as scipy leaves them
    batch.dense[1, 4] = -0.0
    n = len(batch.dense)
    blocks = [
        sp.csr_matrix((v, c, p), shape=(n, batch.widths[k]))
        for k, (p, c, v) in batch.families.items()
    ]
    want = sp.hstack([*blocks, sp.csr_matrix(batch.dense)], format="csr")
    got = batch.X
    assert got.shape == want.shape
    for name in ("indptr", "indices", "data"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    monkeypatch.setattr(features, "CHUNK_SEGMENTS", 4)  # many chunks, stacked
    chunked = Featurizer().featurize(pages, fit=True)
    for k in batch.widths:
        for a, b in zip(chunked.families[k], f.featurize(pages).families[k]):
            assert np.array_equal(a, b)
    np.testing.assert_array_equal(chunked.dense, f.featurize(pages).dense)


CUE_ALPHABET = " \t\xa0.…。-•>*1２٣)、x中"


def _reference_cues(t: str) -> tuple[bool, bool, bool, float, bool]:
    """The regex/str formulation the compiled cues replace (and the model was trained on)."""
    ellipses = ("...", "…", "。。")
    tail = t.rstrip()
    return (
        tail.endswith(ellipses),
        tail.endswith(tuple('.!?。！？"”」』)')),
        re.match(r"\s*(?:[-–—•*·>»]|\d{1,2}[.)、]\s)", t) is not None,
        min(t.count("...") + t.count("…"), 3) / 3,
        any(e in t[:-3] for e in ellipses),
    )


def test_text_cues_match_the_regex_formulation():
    rng = random.Random(5)
    texts = ["", "...", "a...", "1. x", "12) y", "123. z", "١٢، ", "  - item", "head… tail."]
    texts += [
        "".join(rng.choice(CUE_ALPHABET) for _ in range(rng.randint(0, 12))) for _ in range(3000)
    ]
    codes, seps = code_points(texts)
    got = text_cues(codes, seps, digits())
    want = np.array([_reference_cues(t) for t in texts], dtype=np.float64)
    assert np.array_equal(got, want)


def test_clip_keeps_head_and_tail_of_long_texts():
    texts = ["short", "x" * 400, "a" * 300 + "b" * 101 + "c" * 100, ""]
    codes, seps = clip(*code_points(texts), 400, 300, 100)
    clipped = codes.tobytes().decode("utf-32-le").split("\0")[1:-1]
    assert clipped == [t if len(t) <= 400 else t[:300] + " " + t[-100:] for t in texts]


def test_run_time_layers_equal_scikit_learn_with_the_shipped_weights(
    model, harbour_html, harbour_txt
):
    """The shipped model's run-time path (features and stage 1 in one compiled call, compiled
    stage 2) gives what scikit-learn's estimators give with its weights on training's
    features."""
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    from clf.decode import decode
    from clf.model import context_features
    from clf.segment import segment

    m = model.model
    stage1, html_stage2, text_stage2 = (
        SGDClassifier(loss="log_loss"), LogisticRegression(), LogisticRegression()
    )  # fmt: skip
    layers = ((stage1, m.stage1), (html_stage2, m.stage2), (text_stage2, m.stage2_text))
    for est, layer in layers:
        est.coef_, est.intercept_, est.classes_ = layer.coef, layer.intercept, np.arange(3)
    pages = [segment(decode(harbour_html))[1], segment(harbour_txt)[1]]
    batch = m.featurizer.featurize(pages)  # the features training reads
    assert batch.text_view.tolist() == [False, True]
    p1 = stage1.predict_proba(batch.X)
    np.testing.assert_allclose(m.stage1_proba(pages)[0], p1, rtol=1e-12, atol=1e-15)
    for i, (probs, stage2) in enumerate(zip(m.predict_proba(pages), (html_stage2, text_stage2))):
        rows = batch.page(i)
        ctx = context_features(p1[rows], batch.own(i), batch.text(rows), batch.widths["char"])
        np.testing.assert_allclose(probs, stage2.predict_proba(ctx), rtol=1e-12, atol=1e-15)


def _context_reference(probs: np.ndarray, own: np.ndarray, sim: np.ndarray) -> np.ndarray:
    """The stage-2 inputs as the numpy formulation wrote them before they were compiled."""
    from scipy.ndimage import uniform_filter1d

    from clf.model import WINDOW

    n = len(probs)
    art = probs[:, 0]
    mass = art.sum() or 1.0
    before = (np.cumsum(art) - art) / mass
    page_max = np.broadcast_to(probs.max(axis=0), (n, 3))
    logit = np.log(np.clip(probs, 1e-6, 1.0))
    return np.hstack(
        [
            logit,
            with_neighbours(probs, WINDOW)[:, 3:],
            np.broadcast_to(probs.mean(axis=0), (n, 3)),
            page_max,
            uniform_filter1d(probs[:, 0], size=7, mode="constant")[:, None],
            uniform_filter1d(probs[:, 2], size=7, mode="constant")[:, None],
            before[:, None],
            (1.0 - before - art / mass)[:, None],
            logit * page_max[:, :1],
            sim[:, None],
            own,
        ]
    )


@pytest.mark.parametrize("n", [1, 2, 5, 40])
def test_context_rows_match_the_numpy_formulation(n):
    from clf.context import context_rows
    from clf.model import N_CONTEXT, WINDOW

    rng = np.random.default_rng(n)
    probs = rng.dirichlet(np.ones(3), size=n)
    probs[0] = (1.0, 0.0, 0.0) if n > 1 else probs[0]  # log of an exact 0 is clipped
    own, sim = rng.normal(size=(n, 21)), rng.random(n)
    got = context_rows(probs, own, sim, np.array(WINDOW))
    assert got.shape == (n, N_CONTEXT)
    np.testing.assert_allclose(got, _context_reference(probs, own, sim), rtol=1e-12, atol=1e-15)


def test_context_rows_of_a_page_with_no_article_mass():
    """All-zero article probability: the mass falls back to 1, as `art.sum() or 1.0` did."""
    from clf.context import context_rows
    from clf.model import WINDOW

    probs = np.tile([0.0, 0.4, 0.6], (4, 1))
    own, sim = np.zeros((4, 21)), np.zeros(4)
    got = context_rows(probs, own, sim, np.array(WINDOW))
    np.testing.assert_allclose(got, _context_reference(probs, own, sim), atol=1e-15)


def test_title_flags_wherever_the_tag_is():
    for tags in (["title", "p", "div"], ["p", "div"], ["title", "p", "title"], ["p", "title"], []):
        assert _is_title(tags).tolist() == [float(t == "title") for t in tags]


def with_neighbours(own: np.ndarray, offsets: tuple[int, ...]) -> np.ndarray:
    """Each row followed by the rows at the given offsets (zeros beyond the page edges):
    the numpy formulation of the neighbour copies, the reference for the compiled ones."""
    n, d = own.shape
    blocks = [own]
    for off in offsets:
        shifted = np.zeros((n, d), dtype=own.dtype)
        if off < 0 and n > -off:
            shifted[-off:] = own[:off]
        elif off > 0 and n > off:
            shifted[:-off] = own[off:]
        blocks.append(shifted)
    return np.hstack(blocks)


def _dense_reference(segs: Segments, fz: Featurizer) -> tuple[np.ndarray, np.ndarray]:
    """One page's shallow features and their standardised neighbour rows, as numpy wrote
    them page by page before `clf.shallow` (the title similarity by a dense product)."""
    from collections import Counter

    from clf.features import NEIGHBOUR_OFFSETS

    texts, n, limit = segs.texts, len(segs), fz.char.limit
    codes, seps = code_points(texts)
    cues = text_cues(codes, seps, digits())
    clipped_codes = clip(codes, seps, limit, fz.char.head, fz.char.tail)
    counts = char_counts(*clipped_codes, PUNCT, SEPARATORS)
    sim = np.zeros(n)
    if segs.is_text or segs.tags[0] == "title":
        indptr, cols, raw = ngram_counts(
            *clipped_codes, fz.char.bits, *fz.char.ngrams, other_lo=fz.char.other_lo
        )
        values = tfidf(indptr, cols, raw, fz.idf["char"])
        rows = sp.csr_matrix((values, cols, indptr), shape=(n, fz.char.features))
        sim = (rows @ rows[0].T).toarray().ravel()
    same = Counter(texts)
    L = np.array([len(t) for t in texts], dtype=np.float64)
    clipped = np.minimum(L, limit + 1)
    out = np.empty((n, 21))
    out[:, 0] = np.log1p(L)
    out[:, 1] = np.log1p(counts[:, 5])
    out[:, 2] = segs.link_chars / L
    out[:, 3] = counts[:, 3] / clipped
    out[:, 4] = counts[:, 0] / clipped
    out[:, 5] = counts[:, 2] / clipped
    out[:, 6] = counts[:, 1] / clipped
    out[:, 7] = np.arange(n) / n
    out[:, 8:10] = cues[:, :2]
    out[:, 10] = sim
    out[:, 11] = [t == "title" for t in segs.tags]
    out[:, 12] = segs.depths / 20.0
    out[:, 13] = np.log1p(n)
    out[:, 14] = cues[:, 2]
    out[:, 15] = counts[:, 4] / clipped
    out[:, 16] = np.log1p(np.array([same[t] for t in texts]) - 1.0)
    out[:, 17] = L / L.sum()
    out[:, 18:20] = cues[:, 3:5]
    out[:, 20] = [len(t) < 120 and BYLINE_CUE.match(t) is not None for t in texts]
    return out, (with_neighbours(out, NEIGHBOUR_OFFSETS) - fz.mean) / fz.scale


def test_compiled_shallow_features_equal_the_numpy_formulation(model, harbour_html, harbour_txt):
    """`clf.shallow` writes a batch's shallow features and neighbour rows in one pass; they
    must be what the per-page numpy code made, page by page, whatever the batch around."""
    from clf.decode import decode
    from clf.segment import segment

    fz = model.model.featurizer
    harbour = segment(decode(harbour_html))[1]
    untitled = Segments.of([Segment(i, t, tag="p") for i, t in enumerate(_texts(9, seed=4))])
    pages = [harbour, segment(harbour_txt)[1], Segments.of([]), untitled, harbour]
    batch = fz.featurize(pages)
    assert harbour.tags[0] == "title" and untitled.tags[0] != "title"
    for i, segs in enumerate(pages):
        if not segs:
            assert batch.own(i).shape == (0, 21)
            continue
        own, dense = _dense_reference(segs, fz)
        np.testing.assert_allclose(batch.own(i), own, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(batch.dense[batch.page(i)], dense, rtol=1e-12, atol=1e-12)


def test_the_segmenters_code_points_are_the_texts_code_points(harbour_html):
    """A page's segments carry their texts' code points from the segmenter (the walk, title
    first; the lines of a text page); the features read them in place of `code_points` of
    the texts, so they must be equal, alone and stacked with other pages' (and with pages
    that have none, made from `Segment`s)."""
    from clf.hashing import run_code_points, stacked_code_points

    html = harbour_html.decode("utf-8")
    pages = [segment_html(html), segment_text("one line\n\nand another"), segment_html("<p>x</p>")]
    pages.append(Segments.of([Segment(0, "made by hand", tag="p")]))
    assert pages[0].tags[0] == "title" and pages[2].tags[0] != "title" and pages[3].codes is None
    for p in pages[:3]:
        got = p.codes
        want = code_points(p.texts)
        assert all(np.array_equal(a, b) for a, b in zip(got, want))
    parts = [p.codes or code_points(p.texts) for p in pages] + [code_points([])]
    stacked = stacked_code_points(parts)
    want = code_points([t for p in pages for t in p.texts])
    assert all(np.array_equal(a, b) for a, b in zip(stacked, want))
    # a NUL inside a run is a space, as code_points makes it; an empty head is no text
    codes, seps = run_code_points(np.array([97, 0, 98, 99], np.uint32), np.array([0, 3]),
                                  np.array([3, 4]), np.zeros(0, np.uint32))  # fmt: skip
    want = code_points(["a\0b", "c"])
    assert np.array_equal(codes, want[0]) and np.array_equal(seps, want[1])
    fz = Featurizer(LEGACY_CHAR_INPUT)
    fz.idf = {k: np.ones(n) for k, n in family_widths(fz.char).items()}
    with pytest.raises(ValueError, match="not fitted"):
        fz.featurize([segment_html(html)])
    fz.mean, fz.scale = np.zeros(DENSE_COLUMNS), np.ones(DENSE_COLUMNS)
    with_codes = fz.featurize([segment_html(html)])
    assert pages[0].codes is not None
    without = fz.featurize([pages[0]])  # taken by the first call: encoded again
    assert pages[0].codes is None and fz.featurize([pages[0]]).families["char"][1].size
    for k in with_codes.families:
        for a, b in zip(with_codes.families[k], without.families[k]):
            assert np.array_equal(a, b)


def test_array_helpers_go_without_numbas_runtime_only_where_numba_knows_how():
    """`_nrt=False` is a private numba option: where a numba does not know it, the helpers
    compile as plain njit functions instead of failing at import."""
    from numba.core.cpu import CPUTargetOptions

    from clf.copies import _slot
    from clf.jit import no_runtime_options

    assert no_runtime_options(CPUTargetOptions) == {"_nrt": False}  # this numba knows it
    assert _slot.targetoptions["_nrt"] is False

    class WithoutIt:
        pass

    assert no_runtime_options(WithoutIt) == {} and no_runtime_options(None) == {}

"""Segments → feature matrices: TF-IDF over text n-grams and structure, plus shallow features.

Text is hashed as character n-grams (`CharInput`: 1–3-grams of a long text's start and end
since clf 0.5, and since 0.6 only 3-grams where they open with a letter or digit; works for
Chinese with no segmenter) and words, in compiled loops over all
segments of a batch at once (clf/hashing.py). Structure tokens (tag, tag path, class/id) are
hashed per context. IDF weights and feature scaling are learned at fit time and applied with
plain array operations at run time. Shallow features of each segment are copied onto its
neighbours (clf/shallow.py), because context decides most labels.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np

from clf.cues import byline_candidates, digits
from clf.hashing import (
    PUNCT,
    SEPARATORS,
    append_dense,
    append_rows,
    code_points,
    document_frequency_idf,
    gather_counts,
    hashed_column,
    ngram_counts,
    similarity_to_first,
    stacked_code_points,
    struct_columns,
    tfidf,
    word_counts,
)
from clf.segment import Segment, Segments
from clf.shallow import N_DENSE, neighbour_rows, own_rows
from clf.stage1 import stage1_pass, text_rows
from clf.structure import STRUCT_FEATURES

if TYPE_CHECKING:  # training only: run time never imports scipy
    import scipy.sparse as sp

WORD_BITS = 16
WORD_FEATURES = 2**WORD_BITS
ELLIPSES = ("...", "…", "。。")  # truncation marks of teasers (see clf/cues.py)
# Lines that open with a byline/source/credit cue (also used to label training data).
BYLINE_WORDS = (
    "by",
    "posted",
    "published",
    "updated",
    "last updated",
    "written by",
    "von",
    "veröffentlicht",
    "aktualisiert",
    "autor",
    "author",
    "source",
    "quelle",
    "photo",
    "foto",
    "image",
    "credit",
    "作者",
    "来源",
    "來源",
    "发布时间",
    "發佈時間",
    "编辑",
    "責任編輯",
    "责任编辑",
    "记者",
    "以下文章来源于",
)
BYLINE_CUE = re.compile(rf"^\s*({'|'.join(BYLINE_WORDS)})\b[\s:：]?", re.I)
# What `byline_candidates` reads to skip a text the cue regex cannot match: the regex's \s
# among ASCII characters, the lower-cased first two characters of the ASCII cue words, and
# the first characters of the Han ones.
_ASCII_SPACE = np.array([chr(i).isspace() for i in range(128)], dtype=np.bool_)


def _cue_pairs(words: tuple[str, ...]) -> np.ndarray:
    """Which lower-cased pairs of ASCII characters open one of the words."""
    pairs = np.zeros((128, 128), dtype=np.bool_)
    for w in words:
        if w[:2].isascii():
            pairs[ord(w[0].lower()), ord(w[1].lower())] = True
    return pairs


_CUE_PAIRS = _cue_pairs(BYLINE_WORDS)
_HAN_FIRSTS = np.array(sorted({ord(w[0]) for w in BYLINE_WORDS if not w[0].isascii()}), np.uint32)
NEIGHBOUR_OFFSETS = (-2, -1, 1, 2)
DENSE_COLUMNS = N_DENSE * (1 + len(NEIGHBOUR_OFFSETS))  # with the neighbours' copies
_OFFSETS = np.array(NEIGHBOUR_OFFSETS, dtype=np.int64)
_ZERO, _ONE = np.zeros(DENSE_COLUMNS), np.ones(DENSE_COLUMNS)  # no standardisation


@dataclass(frozen=True)
class CharInput:
    """What the character n-gram family reads of a segment: part of a fitted model, since
    its columns and IDF depend on it. A text longer than `head + tail` characters is known
    by its first `head` and last `tail` (joined by a space); n-grams of `ngrams[0]` to
    `ngrams[1]` characters (of `other_lo` to `ngrams[1]` where they open with a letter or
    digit outside CJK) hash into 2**`bits` columns."""

    bits: int
    ngrams: tuple[int, int]
    head: int
    tail: int
    other_lo: int = 0  # shortest n-gram opening with a letter or digit (0: ngrams[0])

    @property
    def limit(self) -> int:
        return self.head + self.tail

    @property
    def features(self) -> int:
        return 2**self.bits


CHAR_INPUT = CharInput(14, (1, 3), 150, 50, 3)  # what a new model reads (shipped since 0.6)
LEGACY_CHAR_INPUT = CharInput(18, (1, 4), 300, 100)  # what models made before clf 0.5 read
CHAR_FEATURES = CHAR_INPUT.features


CHUNK_SEGMENTS = 20_000  # bounds the temporary n-gram arrays when featurising a corpus


def _chunks(pages: list[Segments], size: int) -> list[list[Segments]]:
    """Consecutive runs of whole pages with about `size` segments each (at least one run)."""
    out: list[list[Segments]] = [[]]
    n = 0
    for p in pages:
        if n >= size:
            out.append([])
            n = 0
        out[-1].append(p)
        n += len(p)
    return out


def page_bounds(pages: list[Segments]) -> np.ndarray:
    """Page i's rows are bounds[i]:bounds[i + 1] of the pages' stacked rows (np.cumsum of a
    list goes through numpy's Python wrappers: a fixed cost every model call pays)."""
    return np.fromiter(accumulate(map(len, pages), initial=0), np.int64, len(pages) + 1)


def _bylines(texts: list[str], codes: np.ndarray, seps: np.ndarray) -> np.ndarray:
    """Short segments that open with a byline/source/credit cue, given the texts' code points:
    the regex runs only where their first two characters could open one (about one segment
    in ten of the held-out pages, where the first character alone left two in five)."""
    out = np.zeros(len(texts), dtype=np.bool_)
    maybe = byline_candidates(codes, seps, 120, _ASCII_SPACE, _CUE_PAIRS, _HAN_FIRSTS)
    match = BYLINE_CUE.match
    for i in np.flatnonzero(maybe).tolist():
        out[i] = match(texts[i]) is not None
    return out


def _code_points_of(pages: list[Segments], texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """`code_points(texts)` of the pages' texts, from what the segmenter made where it did
    (taken from the pages: nothing else reads them)."""
    made = [p.codes for p in pages]
    if all(m is None for m in made):
        return code_points(texts)
    for p in pages:
        p.codes = None
    return stacked_code_points(
        [m if m is not None else code_points(p.texts) for m, p in zip(made, pages)]
    )


def _is_title(tags: list[str]) -> np.ndarray:
    """1.0 where the tag is "title": an HTML page's first segment, if any (a C-level count
    settles that case without a Python loop over the tags)."""
    out = np.zeros(len(tags))
    found = tags.count("title")
    if found == 1 and tags[0] == "title":
        out[0] = 1.0
    elif found:
        out[[i for i, t in enumerate(tags) if t == "title"]] = 1.0
    return out


Rows = tuple[np.ndarray, np.ndarray, np.ndarray]  # CSR (indptr, columns, values)


def _text_inputs(
    pages: list[Segments],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pages' texts as code points (codes, seps), the pages' row bounds, and per text its
    byline cue and title flag: what the compiled passes read of the texts."""
    texts = [t for segs in pages for t in segs.texts]
    codes, seps = _code_points_of(pages, texts)
    bounds = page_bounds(pages)
    # a NUL in a text counts as the space code_points put in its place; the segmenters'
    # texts have none (clf.safety)
    byline = _bylines(texts, codes, seps)
    title = np.concatenate([_is_title(p.tags) for p in pages] or [np.zeros(0)])
    return codes, seps, bounds, byline, title


def text_views(pages: list[Segments]) -> np.ndarray:
    """Per page, whether it is a text page's lines (stage 2 has a layer for each view)."""
    return np.array([p.is_text for p in pages], dtype=bool)


def _page_columns(pages: list[Segments]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whether each page opens with its title, and each row's link characters and depth."""
    first_is_title = np.array([bool(p) and (p.is_text or p.tags[0] == "title") for p in pages])
    link_chars = np.concatenate([p.link_chars for p in pages] or [np.zeros(0, np.int64)])
    depths = np.concatenate([p.depths for p in pages] or [np.zeros(0, np.int64)])
    return first_is_title, link_chars, depths


def family_widths(char: CharInput) -> dict[str, int]:
    """The TF-IDF families in `Batch.X`'s column order, and their widths."""
    return {"char": char.features, "word": WORD_FEATURES, "struct": STRUCT_FEATURES}


def struct_tokens(seg: Segment) -> list[str]:
    """A segment's structure tokens in readable form. The hot path never builds these
    strings (`struct_columns` hashes them from the raw fields); they name the structure
    columns for people (the error-analysis notebook) and are the reference in tests."""
    if seg.tag == "line":
        return ["view_text"]
    parts = [f"tag_{seg.tag}", "path_" + "_".join(seg.path[-3:])]
    parts += [f"in_{t}" for t in seg.path]
    parts += [f"cls_{t}" for t in seg.tokens]
    parts += [f"near_{t}" for t in seg.tokens[:3]]
    return parts


def struct_token_columns(tokens: list[str], char_features: int = CHAR_FEATURES) -> np.ndarray:
    """Columns of readable structure tokens in the stacked feature matrix (after a char
    family of `char_features` columns), hashed by the same compiled murmur3 as the hot path."""
    cols = [
        hashed_column(np.frombuffer(t.encode("utf-8", "surrogatepass"), np.uint8), STRUCT_FEATURES)
        for t in tokens
    ]
    return char_features + WORD_FEATURES + np.array(cols, dtype=np.int64)


def _documents(segs: Segments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A page's structure documents (doc_ptr, doc_cols, the document of each segment): made
    by the segmenter (`Segments.structure`), else hashed here once per distinct structure,
    in compiled code (`struct_columns`), from one string of all of them."""
    if segs.structure is not None:
        return segs.structure
    index: dict[tuple, int] = {}
    row_doc = np.array(
        [index.setdefault((tag, *segs.context(i)), len(index)) for i, tag in enumerate(segs.tags)],
        dtype=np.int64,
    )
    docs = "\0".join(
        f"{tag}\1{'_'.join(path[-3:])}\1{chr(2).join(path)}\1{chr(2).join(tokens)}"
        for tag, path, tokens in index
    )
    if not index:
        return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), row_doc
    doc_ptr, doc_cols = struct_columns(
        np.frombuffer(docs.encode("utf-8", "surrogatepass"), dtype=np.uint8), STRUCT_FEATURES
    )
    return doc_ptr, doc_cols, row_doc


def _struct_counts(pages: list[Segments]) -> Rows:
    """Hashed structure tokens per segment of the pages, from their documents."""
    return _stack([gather_counts(*_documents(p), STRUCT_FEATURES) for p in pages])


def _rows(family: Rows, rows: slice) -> Rows:
    """Rows `rows` of a CSR family, re-based to start at 0."""
    indptr, cols, values = family
    ptr = indptr[rows.start : rows.stop + 1]
    return ptr - ptr[0], cols[ptr[0] : ptr[-1]], values[ptr[0] : ptr[-1]]


def _stack(parts: list[Rows | None]) -> Rows:
    """Concatenate CSR row blocks, each starting at 0 (one block, a page or a small batch,
    is not copied). Each block is dropped from `parts` once copied: a caller that hands over
    its only references (training's corpus-sized chunks) never holds two copies of them."""
    if len(parts) == 1:
        return parts[0]
    n_rows = sum(len(p[0]) - 1 for p in parts)
    nnz = sum(len(p[1]) for p in parts)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    cols = np.empty(nnz, dtype=parts[0][1].dtype)
    values = np.empty(nnz, dtype=parts[0][2].dtype)
    r = k = 0
    for i in range(len(parts)):
        p, c, v = parts[i]
        parts[i] = None
        indptr[r + 1 : r + len(p)] = p[1:] + k
        cols[k : k + len(c)] = c
        values[k : k + len(v)] = v
        r, k = r + len(p) - 1, k + len(c)
    return indptr, cols, values


@dataclass(slots=True)
class Batch:
    """Features of a list of pages: TF-IDF rows per family, dense rows, per-page context."""

    families: dict[str, Rows]  # char / word / struct TF-IDF rows, pages stacked
    dense: np.ndarray  # standardised shallow features with neighbours, one row per segment
    shallow: np.ndarray  # every row's shallow features (unscaled)
    bounds: np.ndarray  # page i is rows bounds[i]:bounds[i+1]
    text_view: np.ndarray  # per page: True for a text page's lines (`Segments.is_text`)
    widths: dict[str, int]  # each family's columns (`family_widths`)

    def page(self, i: int) -> slice:
        return slice(int(self.bounds[i]), int(self.bounds[i + 1]))

    def own(self, i: int) -> np.ndarray:
        """Page i's shallow features (unscaled)."""
        return self.shallow[self.page(i)]

    def text(self, rows: slice) -> Rows:
        """Char TF-IDF rows of a page, for similarity to its main text."""
        return _rows(self.families["char"], rows)

    @property
    def X(self) -> sp.csr_matrix:
        """Stage-1 input as one sparse matrix (families then the dense block's nonzeros), for
        training. Written straight into its final arrays: the same matrix as scipy's
        hstack of the blocks, without hstack's copies (a few GB on the training corpus)."""
        import scipy.sparse as sp

        n, widths = len(self.dense), [self.widths[k] for k in self.families]
        per_row = np.count_nonzero(self.dense, axis=1)
        for indptr, _, _ in self.families.values():
            per_row += np.diff(indptr)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(per_row, out=indptr[1:])
        index = np.int32 if max(indptr[-1], sum(widths) + self.dense.shape[1]) < 2**31 else np.int64
        cols, values = np.empty(indptr[-1], dtype=index), np.empty(indptr[-1])
        fill, offset = indptr[:-1].copy(), 0
        for (p, c, v), width in zip(self.families.values(), widths):
            append_rows(fill, cols, values, p, c, v, offset)
            offset += width
        append_dense(fill, cols, values, np.ascontiguousarray(self.dense), offset)
        shape = (n, offset + self.dense.shape[1])
        return sp.csr_matrix((values, cols, indptr.astype(index)), shape=shape)


def stage1_tables(coef: np.ndarray, idf: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A linear model's coef_ (k × n_features, columns as in `Batch.X`) as run time reads it:
    per feature family an (n × (1 + k)) table whose rows are [idf, idf·w_1 … idf·w_k], and the
    dense block as (n_dense × k)."""
    out, start = {}, 0
    for name in ("char", "word", "struct"):  # `family_widths` order
        n = len(idf[name])
        weights = coef[:, start : start + n].T
        out[name] = np.ascontiguousarray(np.column_stack([idf[name], idf[name][:, None] * weights]))
        start += n
    out["dense"] = np.ascontiguousarray(coef[:, start:].T)
    return out


class Featurizer:
    """Fitted once on the training corpus; then a pure function of a page's segments."""

    char = LEGACY_CHAR_INPUT  # a model pickled before clf 0.5 has no `char` of its own

    def __init__(self, char: CharInput = CHAR_INPUT) -> None:
        self.char = char
        self.idf: dict[str, np.ndarray] = {}
        self.mean = np.zeros(0)
        self.scale = np.ones(0)

    def _raw(
        self, pages: list[Segments], trim: bool
    ) -> tuple[dict[str, Rows], np.ndarray, np.ndarray, np.ndarray]:
        """Counts per family, text counts, cues, and per text its length, first code point,
        copies on its page, byline cue and title flag; `trim` for rows kept past the call."""
        codes, seps, bounds, byline, title = _text_inputs(pages)
        text, cues, codes, seps, counts = text_rows(
            codes, seps, bounds, byline, title, digits(), self._clip_at, PUNCT, SEPARATORS
        )
        char = self.char
        raw = {
            "char": ngram_counts(codes, seps, char.bits, *char.ngrams, trim, char.other_lo),
            "word": word_counts(codes, seps, WORD_BITS, trim),
            "struct": _struct_counts(pages),
        }
        return raw, counts, cues, text

    def _require_fitted(self, caller: str) -> None:
        if len(self.mean) != DENSE_COLUMNS or len(self.scale) != DENSE_COLUMNS:
            raise ValueError(f"{caller}: the featurizer is not fitted (featurize(fit=True) first)")

    @property
    def _clip_at(self) -> tuple[int, int, int]:
        return self.char.limit, self.char.head, self.char.tail

    def stage1(
        self, pages: list[Segments], tables: dict[str, np.ndarray], intercept: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, Rows]:
        """Stage-1 probabilities of the pages' segments (`tables` from `stage1_tables`), their
        shallow rows and their char TF-IDF rows: the features and the layer in one compiled
        call (`clf.stage1`), which is what classifying runs. Training featurises instead."""
        self._require_fitted("stage1")
        codes, seps, bounds, byline, title = _text_inputs(pages)
        first_is_title, link_chars, depths = _page_columns(pages)
        char = self.char
        return stage1_pass(
            codes, seps, bounds, byline, title, _struct_counts(pages), link_chars, depths,
            first_is_title, digits(), self._clip_at, (char.bits, *char.ngrams, char.other_lo), WORD_BITS,
            PUNCT, SEPARATORS, (tables["char"], tables["word"], tables["struct"]),
            tables["dense"], intercept, _OFFSETS, self.mean, self.scale,
        )  # fmt: skip

    def featurize(self, pages: Sequence[Sequence[Segment]], fit: bool = False) -> Batch:
        """All segments of all pages as training reads them (`Batch.X`), one compiled pass per
        feature family; `fit` learns the IDF weights and the shallow features' scaling."""
        pages = [Segments.of(p) for p in pages]
        bounds = page_bounds(pages)
        chunks = [self._raw(c, True) for c in _chunks(pages, CHUNK_SEGMENTS)]
        counts = np.concatenate([c[1] for c in chunks])
        cues = np.concatenate([c[2] for c in chunks])
        text = np.concatenate([c[3] for c in chunks])
        # pop: each chunk's rows are freed as they are copied (a corpus is ~10 GB of them)
        widths = family_widths(self.char)
        raw = {k: _stack([c[0].pop(k) for c in chunks]) for k in widths}
        del chunks
        if fit:
            self.idf = {
                k: document_frequency_idf(raw[k][1], len(counts), n) for k, n in widths.items()
            }
        families: dict[str, Rows] = {}
        for k in widths:
            p, c, v = raw.pop(k)  # its counts are freed once weighted
            families[k] = (p, c, tfidf(p, c, v, self.idf[k]))
        first_is_title, link_chars, depths = _page_columns(pages)
        sim = similarity_to_first(*families["char"], bounds, first_is_title, self.char.features)
        # text's columns: length, first code point, copies, byline cue, title flag
        shallow = own_rows(
            text, counts, cues, sim, text[:, 4], text[:, 3], link_chars, depths, bounds,
            self.char.limit,
        )  # fmt: skip
        if fit:
            dense = neighbour_rows(shallow, bounds, _OFFSETS, _ZERO, _ONE)
            self.mean = dense.mean(axis=0)
            self.scale = dense.std(axis=0)
            self.scale[self.scale == 0] = 1.0
            dense = (dense - self.mean) / self.scale
        else:
            self._require_fitted("featurize")
            dense = neighbour_rows(shallow, bounds, _OFFSETS, self.mean, self.scale)
        return Batch(families, dense, shallow, bounds, text_views(pages), widths)

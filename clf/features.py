"""Segments → feature matrices: TF-IDF over text n-grams and structure, plus shallow features.

Text is hashed as character 1–4-grams (works for Chinese with no segmenter) and words, in
numpy over the whole page at once (clf/hashing.py). Structure tokens (tag, tag path,
class/id) are hashed per distinct value. IDF weights and feature scaling are learned at fit
time and applied with plain array operations at run time. Shallow features of each segment
are copied onto its neighbours, because context decides most labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

from clf.hashing import CodePoints
from clf.segment import Segment

TEXT_CHARS = 400  # long paragraphs are identified by their start and end
CHAR_FEATURES = 2**18
WORD_FEATURES = 2**16
STRUCT_FEATURES = 2**14
NGRAMS = (1, 4)
ELLIPSES = ("...", "…", "。。")  # truncation marks of teasers
_SENTENCE_END = tuple('.!?。！？"”」』)')
_BULLET_START = re.compile(r"\s*(?:[-–—•*·>»]|\d{1,2}[.)、]\s)")
# Lines that open with a byline/source/credit cue (also used to label training data).
BYLINE_CUE = re.compile(
    r"^\s*(by|posted|published|updated|last updated|written by|von|veröffentlicht|"
    r"aktualisiert|autor|author|source|quelle|photo|foto|image|credit|作者|来源|來源|发布时间|"
    r"發佈時間|编辑|責任編輯|责任编辑|记者|以下文章来源于)\b[\s:：]?",
    re.I,
)
NEIGHBOUR_OFFSETS = (-2, -1, 1, 2)
N_DENSE = 21


CHUNK_SEGMENTS = 20_000  # bounds the temporary n-gram arrays when featurising a corpus


def _chunks(pages: list[list[Segment]], size: int) -> list[list[list[Segment]]]:
    """Consecutive runs of whole pages with about `size` segments each (at least one run)."""
    out: list[list[list[Segment]]] = [[]]
    n = 0
    for p in pages:
        if n >= size:
            out.append([])
            n = 0
        out[-1].append(p)
        n += len(p)
    return out


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[:300] + " " + text[-100:]


def struct_doc(seg: Segment) -> str:
    """Structure as tokens: tag, short tag path, class/id tokens (nearest ones marked)."""
    if seg.tag == "line":
        return "view_text"
    parts = [f"tag_{seg.tag}", "path_" + "_".join(seg.path[-3:])]
    parts += [f"in_{t}" for t in seg.path]
    parts += [f"cls_{t}" for t in seg.tokens]
    parts += [f"near_{t}" for t in seg.tokens[:3]]
    return " ".join(parts)


def with_neighbours(own: np.ndarray, offsets: tuple[int, ...] = NEIGHBOUR_OFFSETS) -> np.ndarray:
    """Each row followed by the rows at the given offsets (zeros beyond the page edges)."""
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


def _tfidf(X: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF × IDF, rows L2-normalised, in place (TfidfTransformer minus its checks)."""
    X.data = np.log(X.data) + 1.0
    X.data *= idf[X.indices]
    norms = np.sqrt(
        np.bincount(
            np.repeat(np.arange(X.shape[0]), np.diff(X.indptr)),
            weights=X.data**2,
            minlength=X.shape[0],
        )
    )
    norms[norms == 0] = 1.0
    X.data /= np.repeat(norms, np.diff(X.indptr))
    return X


def _page_dense(segs: list[Segment], counts: dict[str, np.ndarray], sim: np.ndarray) -> np.ndarray:
    """Shallow features of one page's segments (counts are per clipped text)."""
    n = len(segs)
    texts = [s.text for s in segs]
    L = np.array([len(t) for t in texts], dtype=np.float64)
    clipped = np.minimum(L, TEXT_CHARS + 1)
    repeats: dict[str, int] = {}
    for t in texts:
        repeats[t] = repeats.get(t, 0) + 1
    tails = [t.rstrip() for t in texts]
    out = np.column_stack(
        [
            np.log1p(L),
            np.log1p(counts["words"]),
            np.array([s.link_chars for s in segs]) / L,
            counts["punct"] / clipped,
            counts["digit"] / clipped,
            counts["cjk"] / clipped,
            counts["upper"] / clipped,
            np.arange(n) / n,
            [t.endswith(ELLIPSES) for t in tails],
            [t.endswith(_SENTENCE_END) for t in tails],
            sim,
            [s.tag == "title" for s in segs],
            np.array([s.depth for s in segs]) / 20.0,
            np.full(n, np.log1p(n)),
            [_BULLET_START.match(t) is not None for t in texts],
            counts["separators"] / clipped,
            np.log1p(np.array([repeats[t] - 1 for t in texts])),
            L / L.sum(),
            [min(t.count("...") + t.count("…"), 3) / 3 for t in texts],
            [any(e in t[:-3] for e in ELLIPSES) for t in texts],  # "headline... snippet"
            [len(t) < 120 and BYLINE_CUE.match(t) is not None for t in texts],
        ]
    )
    return out.astype(np.float64)


@dataclass(slots=True)
class Batch:
    """Features of a list of pages: stacked rows plus what the context layer needs per page."""

    X: sp.csr_matrix  # stage-1 input, one row per segment, pages stacked
    own: list[np.ndarray]  # per page: shallow features
    text: sp.csr_matrix  # L2-normalised char TF-IDF rows, for similarity to the main text
    bounds: np.ndarray  # page i is rows bounds[i]:bounds[i+1]

    def page(self, i: int) -> slice:
        return slice(int(self.bounds[i]), int(self.bounds[i + 1]))


class Featurizer:
    """Fitted once on the training corpus; then a pure function of a page's segments."""

    def __init__(self) -> None:
        self.struct = HashingVectorizer(
            analyzer="word",
            n_features=STRUCT_FEATURES,
            alternate_sign=False,
            norm=None,
            lowercase=False,
            token_pattern=r"\S+",
        )
        self.idf: dict[str, np.ndarray] = {}
        self.mean = np.zeros(0)
        self.scale = np.ones(0)

    def _struct_counts(self, flat: list[Segment]) -> sp.csr_matrix:
        docs = [struct_doc(s) for s in flat]
        index: dict[str, int] = {}
        rows = np.array([index.setdefault(d, len(index)) for d in docs], dtype=np.int64)
        return self.struct.transform(list(index))[rows]

    def _raw(
        self, pages: list[list[Segment]]
    ) -> tuple[dict[str, sp.csr_matrix], dict[str, np.ndarray]]:
        flat = [s for segs in pages for s in segs]
        cp = CodePoints([_clip(s.text) for s in flat])
        raw = {
            "char": cp.ngrams(CHAR_FEATURES, NGRAMS),
            "word": cp.words(WORD_FEATURES),
            "struct": self._struct_counts(flat),
        }
        return raw, cp.counts()

    def featurize(self, pages: list[list[Segment]], fit: bool = False) -> Batch:
        """All segments of all pages with one array pass per feature family."""
        bounds = np.cumsum([0] + [len(p) for p in pages])
        chunks = [self._raw(chunk) for chunk in _chunks(pages, CHUNK_SEGMENTS)]
        raw = {k: sp.vstack([c[0][k] for c in chunks], format="csr") for k in chunks[0][0]}
        counts = {k: np.concatenate([c[1][k] for c in chunks]) for k in chunks[0][1]}
        del chunks  # a corpus-sized copy: free it before the next one is made
        if fit:
            self.idf = {k: TfidfTransformer().fit(m).idf_ for k, m in raw.items()}
        mats = {k: _tfidf(raw.pop(k), self.idf[k]) for k in list(raw)}
        text = mats["char"]
        own = []
        for i, segs in enumerate(pages):
            rows = slice(int(bounds[i]), int(bounds[i + 1]))
            if not segs:
                own.append(np.zeros((0, N_DENSE)))
                continue
            page_text = text[rows]
            first_is_title = segs[0].tag in ("title", "line")
            sim = (
                (page_text @ page_text[0].T).toarray().ravel()
                if first_is_title
                else np.zeros(len(segs))
            )
            own.append(_page_dense(segs, {k: v[rows] for k, v in counts.items()}, sim))
        ctx = [with_neighbours(d) for d in own if len(d)]
        dense = np.vstack(ctx) if ctx else np.zeros((0, N_DENSE * (1 + len(NEIGHBOUR_OFFSETS))))
        if fit:
            self.mean = dense.mean(axis=0)
            self.scale = dense.std(axis=0)
            self.scale[self.scale == 0] = 1.0
        dense = (dense - self.mean) / self.scale
        X = sp.hstack([*mats.values(), sp.csr_matrix(dense)], format="csr")
        return Batch(X=X, own=own, text=text, bounds=bounds)

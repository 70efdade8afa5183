"""Segments → feature matrices: TF-IDF over text and structure, plus shallow dense features.

Hashing vectorisers keep the model small and need no vocabulary; IDF weights are learned
(`TfidfTransformer`). Dense features are computed for each segment and copied onto its
neighbours, because context decides most labels (a teaser looks like a headline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.preprocessing import StandardScaler

from clf.segment import Segment

TEXT_CHARS = 400  # long paragraphs are identified by their start and end
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_DIGIT = re.compile(r"\d")
_UPPER = re.compile(r"[A-Z]")
_PUNCT = re.compile(r"[.,;:!?。，、；：！？]")
_SEPARATORS = re.compile(r"[|•·/»>›_]")
_ELLIPSIS_END = re.compile(r"(\.\.\.?|…|。。)\s*[)\]」』]?\s*$")
_SENTENCE_END = re.compile(r"[.!?。！？\"”」』)]\s*$")
_BULLET_START = re.compile(r"^\s*([-–—•*·>»]|\d{1,2}[.)、]\s)")
_WORD = re.compile(r"\w+")
NEIGHBOUR_OFFSETS = (-2, -1, 1, 2)
N_DENSE = 20
_ELLIPSIS_ANY = re.compile(r"\.\.\.|…|。。。")


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[:300] + " " + text[-100:]


def _bigrams(text: str) -> set[str]:
    t = text.lower()
    return {t[i : i + 2] for i in range(len(t) - 1)}


def struct_doc(seg: Segment) -> str:
    """Structure as tokens: tag, short tag path, class/id tokens (nearest ones marked)."""
    if seg.tag == "line":
        return "view_text"
    parts = [f"tag_{seg.tag}", "path_" + "_".join(seg.path[-3:])]
    parts += [f"in_{t}" for t in seg.path]
    parts += [f"cls_{t}" for t in seg.tokens]
    parts += [f"near_{t}" for t in seg.tokens[:3]]
    return " ".join(parts)


def dense_own(segs: list[Segment]) -> np.ndarray:
    """Shallow per-segment features, one row per segment."""
    n = len(segs)
    out = np.zeros((n, N_DENSE), dtype=np.float64)
    if n == 0:
        return out
    title = _bigrams(segs[0].text) if segs[0].tag in ("title", "line") else set()
    counts: dict[str, int] = {}
    for s in segs:
        counts[s.text] = counts.get(s.text, 0) + 1
    total = sum(len(s.text) for s in segs) or 1
    for i, s in enumerate(segs):
        t = s.text
        L = len(t)
        words = len(_WORD.findall(t))
        grams = _bigrams(t)
        sim = len(grams & title) / len(grams | title) if title and grams else 0.0
        out[i] = (
            np.log1p(L),
            np.log1p(words),
            s.link_chars / L,
            len(_PUNCT.findall(t)) / L,
            len(_DIGIT.findall(t)) / L,
            len(_CJK.findall(t)) / L,
            len(_UPPER.findall(t)) / L,
            i / n,
            1.0 if _ELLIPSIS_END.search(t) else 0.0,
            1.0 if _SENTENCE_END.search(t) else 0.0,
            sim,
            1.0 if s.tag == "title" else 0.0,
            s.depth / 20.0,
            np.log1p(n),
            1.0 if _BULLET_START.match(t) else 0.0,
            len(_SEPARATORS.findall(t)) / L,
            np.log1p(counts[t] - 1),
            L / total,
            min(len(_ELLIPSIS_ANY.findall(t)), 3) / 3,
            1.0 if _ELLIPSIS_ANY.search(t[: max(1, L - 3)]) else 0.0,  # "headline... snippet"
        )
    return out


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


class Featurizer:
    """Fitted once on the training corpus; then a pure function of a page's segments."""

    def __init__(self) -> None:
        self.char = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(1, 3),
            n_features=2**18,
            alternate_sign=False,
            norm=None,
            lowercase=True,
        )
        self.word = HashingVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            n_features=2**16,
            alternate_sign=False,
            norm=None,
            lowercase=True,
            token_pattern=r"(?u)\b\w+\b",
        )
        self.struct = HashingVectorizer(
            analyzer="word",
            n_features=2**14,
            alternate_sign=False,
            norm=None,
            lowercase=False,
            token_pattern=r"\S+",
        )
        self.tfidf = {k: TfidfTransformer(sublinear_tf=True) for k in ("char", "word", "struct")}
        self.scaler = StandardScaler()

    def featurize(self, pages: list[list[Segment]], fit: bool = False) -> Batch:
        """All segments of all pages in one vectoriser call each (no per-segment loops)."""
        flat = [s for segs in pages for s in segs]
        texts = [_clip(s.text) for s in flat]
        raw = {
            "char": self.char.transform(texts),
            "word": self.word.transform(texts),
            "struct": self.struct.transform([struct_doc(s) for s in flat]),
        }
        own = [dense_own(segs) for segs in pages]
        ctx = [with_neighbours(d) for d in own if len(d)]
        dense = np.vstack(ctx) if ctx else np.zeros((0, N_DENSE * (1 + len(NEIGHBOUR_OFFSETS))))
        if fit:
            mats = {k: self.tfidf[k].fit_transform(m) for k, m in raw.items()}
            dense = self.scaler.fit_transform(dense)
        else:
            mats = {k: self.tfidf[k].transform(m) for k, m in raw.items()}
            dense = self.scaler.transform(dense) if len(dense) else dense
        X = sp.hstack([*mats.values(), sp.csr_matrix(dense)], format="csr")
        bounds = np.cumsum([0] + [len(p) for p in pages])
        return Batch(X=X, own=own, text=mats["char"], bounds=bounds)


@dataclass(slots=True)
class Batch:
    """Features of a list of pages: stacked rows plus what the context layer needs per page."""

    X: sp.csr_matrix  # stage-1 input, one row per segment, pages stacked
    own: list[np.ndarray]  # per page: dense_own rows
    text: sp.csr_matrix  # L2-normalised char TF-IDF rows, for similarity to the main text
    bounds: np.ndarray  # page i is rows bounds[i]:bounds[i+1]

    def page(self, i: int) -> slice:
        return slice(int(self.bounds[i]), int(self.bounds[i + 1]))

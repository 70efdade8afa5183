"""The segment model: TF-IDF + linear classifier, then a linear context layer over neighbours.

Stage 1 labels each segment from its own text, structure and shallow features (with its
neighbours' shallow features). Stage 2 re-labels it from stage-1 probabilities in a window
around it and page-level aggregates, so a headline-like line inside a teaser feed becomes
`noise` and a short line inside the body stays `article`. How the layers are fitted is in
`clf/fit.py`; a fitted model is plain arrays, so loading one imports no scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from clf.context import context_rows, n_context, softmax_linear, stage2_pages
from clf.features import N_DENSE, Featurizer, Rows, page_bounds, stage1_tables, text_views
from clf.hashing import similarity_to_centroid
from clf.segment import LABELS, Segment, Segments

WINDOW = (-3, -2, -1, 1, 2, 3)


@dataclass(frozen=True)
class Linear:
    """A fitted linear layer: one row of weights and one bias per label (`LABELS` order)."""

    coef: np.ndarray  # (3 × n_inputs)
    intercept: np.ndarray  # (3,)


def main_text_similarity(probs: np.ndarray, text: Rows, n_features: int) -> np.ndarray:
    """Cosine of each segment to the article-probability-weighted centroid of the others
    (`text`: char TF-IDF rows with columns below `n_features`, the family's width).

    Teasers for other stories look like article text but are about something else.
    """
    return similarity_to_centroid(*text, np.ascontiguousarray(probs[:, 0]), n_features)


def _arrays(layer: Linear) -> tuple[np.ndarray, np.ndarray]:
    """A layer's weights and bias as the compiled stage 2 takes them (C order, float64)."""
    return np.ascontiguousarray(layer.coef, np.float64), np.ascontiguousarray(
        layer.intercept, np.float64
    )


N_CONTEXT = n_context(len(WINDOW), N_DENSE)
_WINDOW = np.array(WINDOW, dtype=np.int64)


def context_features(probs: np.ndarray, own: np.ndarray, text: Rows, n_features: int) -> np.ndarray:
    """Stage-2 inputs for one page from its stage-1 probabilities (rows in segment order):
    columns as `clf.context.n_context` lists them."""
    if len(probs) == 0:
        return np.zeros((0, N_CONTEXT))
    probs = np.ascontiguousarray(probs)
    return context_rows(probs, own, main_text_similarity(probs, text, n_features), _WINDOW)


_MADE_ONCE = ("stage1_tables", "stage2_arrays")  # SegmentModel's caches, left out of pickles


class SegmentModel:
    """Featurizer + linear layers. Read-only once made, hence safe to share across threads.

    `stage1` is one-vs-rest logistic over the feature columns of `Batch.X`; `stage2` is a
    multinomial logistic layer over `context_features`, with its input standardisation
    folded into the weights. `stage2_text`, when set, serves text pages and `stage2` then
    serves HTML pages only (`clf.fit` fits it on HTML pages alone, and `stage2_text` on both
    views). `noise_bias` records the offset already in stage 2's noise bias.
    """

    labels = LABELS
    stage2_text: Linear | None = None  # models made before 0.4 have one stage 2

    def __init__(
        self,
        featurizer: Featurizer,
        stage1: Linear,
        stage2: Linear,
        noise_bias: float = 0.0,
        stage2_text: Linear | None = None,
    ) -> None:
        self.featurizer = featurizer
        self.stage1 = stage1
        self.stage2 = stage2
        self.noise_bias = noise_bias
        self.stage2_text = stage2_text

    @cached_property
    def stage1_tables(self) -> dict[str, np.ndarray]:
        """Stage-1 weights laid out for `featurize`; made once, never pickled."""
        return stage1_tables(self.stage1.coef, self.featurizer.idf)

    @cached_property
    def stage2_arrays(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """Stage 2's layers for HTML and for text pages as the compiled stage 2 takes them;
        made once, never pickled."""
        text_layer = self.stage2_text if self.stage2_text is not None else self.stage2
        return _arrays(self.stage2), _arrays(text_layer)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in _MADE_ONCE}

    def predict_proba(self, pages: list[list[Segment]]) -> list[np.ndarray]:
        """Per page, an (n_segments × 3) array of probabilities in `LABELS` order."""
        if not any(pages):
            return [np.zeros((0, 3)) for _ in pages]
        pages = [Segments.of(p) for p in pages]
        p1, own, text = self.stage1_proba(pages)
        bounds = page_bounds(pages)
        probs = stage2_pages(
            p1, own, text, bounds, text_views(pages), self.featurizer.char.features, _WINDOW,
            *self.stage2_arrays,
        )  # fmt: skip
        return [probs[bounds[i] : bounds[i + 1]] for i in range(len(pages))]

    def stage1_proba(self, pages: list[Segments]) -> tuple[np.ndarray, np.ndarray, Rows]:
        """Stage-1 probabilities of the pages' segments, with their shallow rows and char
        TF-IDF rows (what stage 2 reads), in one compiled call (`clf.stage1`)."""
        return self.featurizer.stage1(pages, self.stage1_tables, self.stage1.intercept)

    def stage2_proba(self, ctx: np.ndarray, text_view: bool = False) -> np.ndarray:
        """Stage-2 probabilities from `context_features` rows of an HTML page, or of a text
        page with `text_view`, in one compiled pass."""
        layer = self.stage2_text if text_view and self.stage2_text is not None else self.stage2
        x = np.ascontiguousarray(ctx, dtype=np.float64)
        return softmax_linear(x, layer.coef, layer.intercept)

"""The segment model: TF-IDF + linear classifier, then a linear context layer over neighbours.

Stage 1 labels each segment from its own text, structure and shallow features (with its
neighbours' shallow features). Stage 2 re-labels it from stage-1 probabilities in a window
around it and page-level aggregates, so a headline-like line inside a teaser feed becomes
`noise` and a short line inside the body stays `article`. Stage 2 is trained on out-of-fold
stage-1 outputs (folds by site) so it learns how stage 1 behaves on unseen sites.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.ndimage import uniform_filter1d
from scipy.special import expit, softmax
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from clf.features import (
    CHAR_FEATURES,
    N_DENSE,
    Batch,
    Featurizer,
    Rows,
    split_weights,
    with_neighbours,
)
from clf.hashing import similarity_to_centroid
from clf.segment import Segment

LABELS = ("article", "clutter", "noise")
WINDOW = (-3, -2, -1, 1, 2, 3)


def _stage1() -> SGDClassifier:
    return SGDClassifier(
        loss="log_loss", alpha=1e-5, max_iter=12, tol=None, random_state=0, n_jobs=2
    )


def ovr_proba(weights: dict[str, np.ndarray], intercept: np.ndarray, batch: Batch) -> np.ndarray:
    """SGDClassifier(log_loss).predict_proba, straight from the feature rows."""
    prob = expit(batch.linear(weights, intercept))
    total = prob.sum(axis=1, keepdims=True)
    return np.divide(prob, total, out=np.full_like(prob, 1 / 3), where=total > 0)


def pipeline_proba(pipe: Pipeline, ctx: np.ndarray) -> np.ndarray:
    """StandardScaler + multinomial LogisticRegression, applied with plain array operations."""
    scaler, lr = pipe[0], pipe[-1]
    # einsum, not matmul: BLAS threads on a (n × 60) @ (60 × 3) product only burn CPU.
    z = np.einsum("ij,kj->ik", (ctx - scaler.mean_) / scaler.scale_, lr.coef_) + lr.intercept_
    return softmax(z, axis=1)


def main_text_similarity(probs: np.ndarray, text: Rows) -> np.ndarray:
    """Cosine of each segment to the article-probability-weighted centroid of the others.

    Teasers for other stories look like article text but are about something else.
    """
    return similarity_to_centroid(*text, np.ascontiguousarray(probs[:, 0]), CHAR_FEATURES)


N_CONTEXT = 3 + 3 * len(WINDOW) + 3 + 3 + 2 + 2 + 3 + 1 + N_DENSE


def context_features(probs: np.ndarray, own: np.ndarray, text: Rows) -> np.ndarray:
    """Stage-2 inputs for one page from its stage-1 probabilities (rows in segment order)."""
    n = len(probs)
    if n == 0:
        return np.zeros((0, N_CONTEXT))
    art = probs[:, 0]
    mass = art.sum() or 1.0
    before = (np.cumsum(art) - art) / mass
    after = 1.0 - before - art / mass
    smooth = uniform_filter1d(probs[:, 0], size=7, mode="constant")[:, None]
    smooth_noise = uniform_filter1d(probs[:, 2], size=7, mode="constant")[:, None]
    page_mean = np.broadcast_to(probs.mean(axis=0), (n, 3))
    page_max = np.broadcast_to(probs.max(axis=0), (n, 3))
    logit = np.log(np.clip(probs, 1e-6, 1.0))
    return np.hstack(
        [
            logit,
            with_neighbours(probs, WINDOW)[:, 3:],
            page_mean,
            page_max,
            smooth,
            smooth_noise,
            before[:, None],
            after[:, None],
            logit * page_max[:, :1],
            main_text_similarity(probs, text)[:, None],
            own,
        ]
    )


class SegmentModel:
    """Featurizer + two linear layers. Read-only after `fit`, hence safe to share across threads."""

    labels = LABELS

    def __init__(self) -> None:
        self.featurizer = Featurizer()
        self.stage1 = _stage1()
        self.stage2 = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))

    @cached_property
    def stage1_weights(self) -> dict[str, np.ndarray]:
        """Stage-1 weights laid out per feature family; made once, never pickled."""
        return split_weights(self.stage1.coef_)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "stage1_weights"}

    # ------------------------------------------------------------------ inference
    def predict_proba(self, pages: list[list[Segment]]) -> list[np.ndarray]:
        """Per page, an (n_segments × 3) array of probabilities in `LABELS` order."""
        if not any(pages):
            return [np.zeros((0, 3)) for _ in pages]
        batch = self.featurizer.featurize(pages)
        p1 = ovr_proba(self.stage1_weights, self.stage1.intercept_, batch)
        return [self._stage2(p1, batch, i) for i in range(len(pages))]

    def _stage2(self, p1: np.ndarray, batch: Batch, i: int) -> np.ndarray:
        rows = batch.page(i)
        if rows.start == rows.stop:
            return np.zeros((0, 3))
        ctx = context_features(p1[rows], batch.own[i], batch.text(rows))
        return pipeline_proba(self.stage2, ctx)

    # ------------------------------------------------------------------ training
    def fit(
        self,
        pages: list[list[Segment]],
        labels: list[list[str | None]],
        groups: list[str],
        folds: int = 3,
        log=print,
    ) -> SegmentModel:
        """Fit on pages with per-segment labels (None = unknown, used only as context)."""
        keep = [i for i, p in enumerate(pages) if p]
        pages = [pages[i] for i in keep]
        labels = [labels[i] for i in keep]
        groups = [groups[i] for i in keep]
        index = {lab: k for k, lab in enumerate(LABELS)}
        y = np.array([index.get(lab, -1) if lab else -1 for labs in labels for lab in labs])
        seg_page = np.repeat(np.arange(len(pages)), [len(p) for p in pages])
        log(f"featurising {len(y):,} segments of {len(pages):,} pages")
        batch = self.featurizer.featurize(pages, fit=True)
        X = batch.X
        known = y >= 0
        oof = np.zeros((len(y), 3))
        page_groups = np.array(groups)
        n_folds = min(folds, len(set(groups)))
        if n_folds >= 2:
            splitter = GroupKFold(n_splits=n_folds)
            for k, (tr_pages, te_pages) in enumerate(
                splitter.split(np.zeros(len(pages)), groups=page_groups)
            ):
                tr = np.isin(seg_page, tr_pages) & known
                te = np.isin(seg_page, te_pages)
                log(f"stage 1, fold {k + 1}/{n_folds}: {tr.sum():,} training segments")
                oof[te] = _fit_stage1(X[tr], y[tr]).predict_proba(X[te])
        log(f"stage 1, all: {known.sum():,} training segments")
        self.stage1 = _fit_stage1(X[known], y[known])
        self.__dict__.pop("stage1_weights", None)
        if n_folds < 2:
            oof = self.stage1.predict_proba(X)
        ctx = np.vstack(
            [
                context_features(oof[batch.page(i)], batch.own[i], batch.text(batch.page(i)))
                for i in range(len(pages))
            ]
        )
        log("stage 2")
        self.stage2.fit(ctx[known], y[known])
        return self


def _fit_stage1(X: sp.csr_matrix, y: np.ndarray) -> SGDClassifier:
    clf = _stage1()
    clf.fit(X, y)
    if len(clf.classes_) < 3:
        raise ValueError("training data must contain all three labels")
    return clf

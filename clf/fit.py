"""Fitting the segment model (`clf.model.SegmentModel`) with scikit-learn; training only.

Stage 2 is trained on out-of-fold stage-1 outputs (folds by site) so it learns how stage 1
behaves on unseen sites: once on both views, which text pages use, and once on HTML pages
alone, which HTML pages use (a layer shared with the text views had to compromise for them;
one of their own for text pages lost article text on validation: training/EXPERIMENTS.md).
Optionally (`noise_offset=True`; not used for the shipped model) its noise intercept is
raised by an offset chosen on held-in sites (`choose_noise_bias`). The fitted estimators are
kept only as their arrays (`Linear`), which is all run time reads.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from clf.features import CHAR_INPUT, CharInput, Featurizer, Rows
from clf.model import LABELS, Linear, SegmentModel, context_features
from clf.segment import Segment

NOISE_BIASES = tuple(b / 4 for b in range(9))  # log-odds offsets tried for noise: 0 … 2
ARTICLE_SLACK = 0.01  # article F1 a noise offset may cost in any language × view


def _stage2() -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))


def _stage1(seed: int = 0) -> SGDClassifier:
    return SGDClassifier(
        loss="log_loss", alpha=1e-5, max_iter=12, tol=None, random_state=seed, n_jobs=2
    )


def folded_stage2(pipe: Pipeline) -> Linear:
    """StandardScaler + multinomial LogisticRegression as one linear layer:
    (x − mean) / scale · Wᵀ + b = x · (W / scale)ᵀ + (b − W · mean / scale)."""
    scaler, lr = pipe[0], pipe[-1]
    weights = np.ascontiguousarray(lr.coef_ / scaler.scale_)
    return Linear(weights, lr.intercept_ - weights @ scaler.mean_)


def fit(
    pages: list[list[Segment]],
    labels: list[list[str | None]],
    groups: list[str],
    folds: int = 3,
    log=print,
    langs: list[str] | None = None,
    noise_offset: bool = False,
    seed: int = 0,
    orders: int = 1,
    char: CharInput = CHAR_INPUT,
) -> SegmentModel:
    """A model fitted on pages with per-segment labels (None = unknown, used only as
    context); `groups` are the pages' sites, `langs` their languages (for the noise offset).
    `seed` orders stage 1's SGD epochs: its final iterate, not an optimum, depends on it.
    With `orders` > 1 stage 1 is the mean of that many SGD runs in other orders (seeds
    seed·orders … seed·orders + orders − 1), which narrows that dependence; the shipped
    model uses 3 (`train_and_evaluate --orders`), 1 here keeps small fits quick. `char` is
    what the character n-grams read (`train_and_evaluate --char-input`)."""
    seeds = range(seed * orders, (seed + 1) * orders)
    keep = [i for i, p in enumerate(pages) if p]
    pages = [pages[i] for i in keep]
    labels = [labels[i] for i in keep]
    groups = [groups[i] for i in keep]
    langs = [langs[i] for i in keep] if langs else [""] * len(pages)
    index = {lab: k for k, lab in enumerate(LABELS)}
    y = np.array([index.get(lab, -1) if lab else -1 for labs in labels for lab in labs])
    seg_page = np.repeat(np.arange(len(pages)), [len(p) for p in pages])
    log(f"featurising {len(y):,} segments of {len(pages):,} pages")
    featurizer = Featurizer(char)
    batch = featurizer.featurize(pages, fit=True)
    X = batch.X
    # Stage 2's inputs read each page's shallow features and char rows again; the rest of
    # the batch is in X. Dropping it (and these once stage 2's table is made) keeps training
    # within about 16 GB.
    rows = [batch.page(i) for i in range(len(pages))]
    width = batch.widths["char"]
    reread = [(batch.shallow[r], batch.text(r), width) for r in rows]
    page_is_text = batch.text_view
    text_view = page_is_text[seg_page]
    del batch
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
            oof[te] = _fit_stage1(X[tr], y[tr], seeds).predict_proba(X[te])
        ctx, reread = _stage2_table(oof, rows, reread), None
    log(f"stage 1, all: {known.sum():,} training segments")
    stage1 = _fit_stage1(X[known], y[known], seeds)
    if n_folds < 2:
        ctx = _stage2_table(stage1.predict_proba(X), rows, reread)
    del X
    # HTML pages get a stage 2 of their own when there are text pages to leave out and the
    # HTML pages have every label; text pages keep the one fitted on both views
    html = known & ~text_view
    own_html_layer = text_view[known].any() and len(np.unique(y[html])) == 3
    noise_bias = 0.0
    if noise_offset:
        strata = np.array([f"{lang}/{text}" for text, lang in zip(page_is_text, langs)])
        site = np.array(groups)
        noise_bias = choose_noise_bias(
            ctx[known], y[known], site[seg_page][known], strata[seg_page][known], log
        )
    log(f"stage 2, both views (noise offset {noise_bias:+.2f})")
    shared = _fitted_stage2(ctx[known], y[known], noise_bias)
    html_layer, text_layer = shared, None
    if own_html_layer:
        log("stage 2, HTML pages only")
        html_layer, text_layer = _fitted_stage2(ctx[html], y[html], noise_bias), shared
    return SegmentModel(
        featurizer,
        Linear(np.ascontiguousarray(stage1.coef_), stage1.intercept_.copy()),
        html_layer,
        noise_bias,
        text_layer,
    )


def _fitted_stage2(ctx: np.ndarray, y: np.ndarray, noise_bias: float) -> Linear:
    pipe = _stage2().fit(ctx, y)
    pipe[-1].intercept_[LABELS.index("noise")] += noise_bias
    return folded_stage2(pipe)


def _stage2_table(
    oof: np.ndarray, rows: list[slice], reread: list[tuple[np.ndarray, Rows, int]]
) -> np.ndarray:
    """Stage 2's inputs for every page, from out-of-fold stage-1 probabilities."""
    return np.vstack([context_features(oof[r], *page) for r, page in zip(rows, reread)])


def choose_noise_bias(
    ctx: np.ndarray,
    y: np.ndarray,
    site: np.ndarray,
    strata: np.ndarray | None = None,
    log=print,
) -> float:
    """The log-odds offset for `noise` with the best macro-F1 on half of the training sites
    (stage 2 fitted on the other half), among offsets that cost article F1 at most
    `ARTICLE_SLACK` in every stratum (language × view) with enough article segments.

    Noise is the rarest label and a plain argmax under-calls it (held-in sites: macro-F1
    0.751 → 0.771 at +0.5). A larger offset buys more noise F1 in English and German but
    starts to call Chinese text-view article lines noise; article text is what users keep.
    Not used for the shipped model: on the test sites +0.5 still cost Chinese text input
    article recall (training/EXPERIMENTS.md, "Tried and not shipped").
    """
    names, which = np.unique(site, return_inverse=True)
    half = np.array([zlib.crc32(n.encode()) % 2 == 0 for n in names])[which]
    if half.all() or not half.any():
        return 0.0
    logp = _stage2().fit(ctx[half], y[half]).predict_log_proba(ctx[~half])
    held, noise = y[~half], LABELS.index("noise")
    strata = np.zeros(len(y), dtype=int) if strata is None else np.asarray(strata)
    groups = [
        m
        for s in np.unique(strata[~half])
        if ((m := strata[~half] == s) & (held == 0)).sum() >= 200
    ]

    def scores(bias: float) -> tuple[float, np.ndarray]:
        pred = (logp + np.eye(3)[noise] * bias).argmax(axis=1)
        article = [f1_score(held[m] == 0, pred[m] == 0) for m in groups]
        return f1_score(held, pred, average="macro"), np.array(article)

    results = [(bias, *scores(bias)) for bias in NOISE_BIASES]
    base = results[0][2]  # NOISE_BIASES[0] is no offset
    best, best_f1 = 0.0, -1.0
    for bias, macro, article in results:
        log(
            f"  noise offset {bias:+.2f}: held-in macro-F1 {macro:.3f}, worst article F1 change "
            f"{(article - base).min() if len(base) else 0.0:+.3f}"
        )
        if macro > best_f1 and (article >= base - ARTICLE_SLACK).all():
            best, best_f1 = bias, macro
    return best


def _fit_stage1(X: sp.csr_matrix, y: np.ndarray, seeds: Sequence[int]) -> SGDClassifier:
    """SGD fitted once per seed; more than one fit is averaged into the first (a linear
    model's mean weights score each row with the mean of the fits' scores)."""
    fits = [_stage1(s).fit(X, y) for s in seeds]
    clf = fits[0]
    if len(clf.classes_) < 3:
        raise ValueError("training data must contain all three labels")
    if len(fits) > 1:
        clf.coef_ = np.mean([f.coef_ for f in fits], axis=0)
        clf.intercept_ = np.mean([f.intercept_ for f in fits], axis=0)
    return clf

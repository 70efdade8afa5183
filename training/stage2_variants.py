"""Model variants under site-grouped cross-validation on the training sites only.

    python -m training.stage2_variants --data ../shared/data [--alpha 1e-5] [--variants ...]

Builds the stage-2 table exactly as training does (out-of-fold stage-1 outputs, folds by
site; `--alpha` changes stage 1's regularisation) and fits each variant of stage 2 on two
thirds of the training sites, scoring the rest. Test sites are never read. The table costs
about 5 minutes and 20 GB to build, so it is cached per alpha. An experiment, not part of
the shipped model: it is how stage-1 regularisation, extra stage-2 inputs and stage-2 layers
per view were tried (training/EXPERIMENTS.md). A variant's name picks its inputs (`variants`)
and, through `LAYERS`, which rows its layers are fitted on; "shipped" is the shipped inputs
with one layer for every page, the recipe before session 19.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import numpy as np
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

import clf.fit
from clf import context
from clf.fit import _stage1, _stage2, fit
from clf.model import WINDOW
from training.corpus import build_corpus
from training.data import DEFAULT_DATA
from training.train_and_evaluate import training_views

# Columns of clf.model.context_features, from clf.context's layout.
_BASE = context.after_window(len(WINDOW))
LOGIT = slice(0, 3)
NEIGHBOURS = slice(3, _BASE)
SMOOTH, BEFORE, AFTER = (_BASE + k for k in (context.SMOOTH_ARTICLE, context.BEFORE, context.AFTER))
OWN_LENGTH = _BASE + context.OWN  # log1p(characters), the first shallow feature


class _Captured(Exception):
    pass


def stage2_table(data: Path, cache: Path, alpha: float) -> dict[str, np.ndarray]:
    """(ctx, y, site, stratum) of the labelled training segments, as `clf.fit.fit`
    hands them to the noise-offset step, with stage 1 regularised by `alpha`."""
    if cache.is_file():
        return dict(np.load(cache))
    train = [p for p in build_corpus(data, jobs=2) if not p.test]
    segs, labels, groups, langs = training_views(train)
    table: dict[str, np.ndarray] = {}

    def capture(ctx, y, site, strata, log):
        table.update(ctx=ctx, y=y, site=site, strata=strata)
        raise _Captured

    def stage1(seed: int = 0) -> SGDClassifier:
        return _stage1(seed).set_params(alpha=alpha)

    with (
        mock.patch.object(clf.fit, "choose_noise_bias", capture),
        mock.patch.object(clf.fit, "_stage1", stage1),
    ):
        try:
            fit(segs, labels, groups, langs=langs, noise_offset=True)
        except _Captured:
            pass
    np.savez(cache, **table)
    return table


def variants(ctx: np.ndarray) -> dict[str, Callable[[], np.ndarray]]:
    """The shipped inputs, and the shipped inputs plus interaction terms a linear layer
    cannot form itself: own stage-1 output against its nearest neighbours' (on short
    segments, where the seed misses are), and against the smoothed/before/after context.
    Each table is built only when its variant runs (the largest is over a gigabyte)."""
    p = np.exp(ctx[:, LOGIT])
    near = ctx[:, NEIGHBOURS].reshape(len(ctx), len(WINDOW), 3)[:, 2:4].mean(axis=1)
    short = (ctx[:, OWN_LENGTH] < np.log1p(40)).astype(float)[:, None]
    own = ctx[:, LOGIT]
    return {
        "shipped": lambda: ctx,
        "contrast": lambda: np.hstack([ctx, p - near, (p - near) * short]),
        "own x context": lambda: np.hstack(
            [ctx] + [own * ctx[:, [k]] for k in (SMOOTH, BEFORE, AFTER)] + [own * short]
        ),
        # own stage-1 probabilities times every neighbour / page / position column (84 terms)
        "own x all context": lambda: np.hstack(
            [ctx, (p[:, :, None] * ctx[:, None, 3 : AFTER + 1]).reshape(len(ctx), -1)]
        ),
        "per view": lambda: ctx,
        "own HTML layer": lambda: ctx,
    }


# Which rows each variant's stage 2 layers are fitted on and then predict, as (fitted on,
# predicts) masks over HTML / text / all rows: one layer for all (the default), one per view,
# or (shipped since session 19) HTML pages' own layer and the shared one for text pages.
LAYERS = {
    "per view": (("html", "html"), ("text", "text")),
    "own HTML layer": (("html", "html"), ("all", "text")),
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument(
        "--alpha", type=float, default=_stage1().alpha, help="stage 1 (shipped: %(default)g)"
    )
    ap.add_argument("--variants", nargs="*", default=None, help="stage-2 variants (default: all)")
    ap.add_argument(
        "--max-iter",
        type=int,
        default=_stage2()[-1].max_iter,
        help="stage 2 (shipped: %(default)s)",
    )
    ap.add_argument("--cache", type=Path, default=Path("/tmp"), help="where the tables are cached")
    args = ap.parse_args(argv)
    build_started = time.time()
    table = stage2_table(args.data, args.cache / f"stage2_ctx_alpha{args.alpha:g}.npz", args.alpha)
    y, site, strata = table["y"], table["site"], table["strata"]
    print(
        f"stage 1 alpha {args.alpha:g}: {len(y):,} labelled training segments "
        f"({time.time() - build_started:.0f}s)"
    )
    stage1_f1 = f1_score(y, table["ctx"][:, LOGIT].argmax(axis=1), average=None)
    print(f"  stage 1 alone (out-of-fold) macro-F1 {stage1_f1.mean():.4f}")
    text_view = np.char.endswith(strata.astype(str), "/True")  # strata are "lang/is text"
    masks = {"html": ~text_view, "text": text_view, "all": np.ones(len(y), bool)}
    for name, build in variants(table["ctx"]).items():
        if args.variants and name not in args.variants:
            continue
        t = time.time()
        X = build()
        pred = np.zeros_like(y)
        for tr, te in GroupKFold(n_splits=3).split(X, y, site):
            for fitted_on, predicts in LAYERS.get(name, (("all", "all"),)):
                fit_rows = tr[masks[fitted_on][tr]]
                test_rows = te[masks[predicts][te]]
                stage2 = _stage2().set_params(logisticregression__max_iter=args.max_iter)
                pred[test_rows] = stage2.fit(X[fit_rows], y[fit_rows]).predict(X[test_rows])
        per_class = f1_score(y, pred, average=None)
        views = {
            view: f1_score(y[masks[view]], pred[masks[view]], average="macro")
            for view in ("html", "text")
        }
        worst = min(
            f1_score(y[strata == s] == 0, pred[strata == s] == 0)
            for s in np.unique(strata)
            if (y[strata == s] == 0).sum() >= 200
        )
        print(
            f"  {name:<14} macro-F1 {per_class.mean():.4f}  article/clutter/noise "
            f"{' / '.join(f'{f:.4f}' for f in per_class)}  worst article F1 (language × view) "
            f"{worst:.3f}  macro-F1 HTML {views['html']:.4f} text {views['text']:.4f}  "
            f"({time.time() - t:.0f}s)"
        )


if __name__ == "__main__":
    main()

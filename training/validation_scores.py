"""Article precision / recall / F1 of a model on the validation sites, scored as the peer
comparison scores (training/compare.py), for choosing between model variants.

    python -m training.train_and_evaluate --validate --out /tmp/variant
    python -m training.validation_scores --model /tmp/variant/clf-model.joblib
    python -m training.validation_scores --model /tmp/variant/clf-model.joblib \
        --against /tmp/baseline/clf-model.joblib    # the paired difference, with an interval

`--validate`'s own segment metrics change meaning when a variant changes how training labels
are decided; these scores do not: they compare `classify(...).article`, HTML and text input,
with each page's gold (tokens, or trafilatura-eval's snippets). Only training sites are read
(`training.data.is_validation_site`), never the test split. `--against` adds the all-pages F1
difference between two models with a 95 % interval from resampling the validation sites (both
models on the same resampled pages): how far the choice of pages alone could move it. What the
training draw moves (`train_and_evaluate --seed`) comes on top.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

import clf
from training.compare import as_text_page, score_page
from training.data import DEFAULT_DATA, is_validation_site, lang_group, split_pages
from training.scoring import mean_prf, resampled_counts

KINDS = ("html", "text")
PageScores = list[tuple[str, tuple[str, ...], dict[str, tuple[float, float, float]]]]


def page_scores(models: list[clf.Classifier], data: Path, limit: int | None = None) -> list:
    """For each model, each validation page (among the first `limit` pages of each dataset) as
    (site, subsets it counts in, article P/R/F1 per input kind); every model reads the same
    pages in the same order."""
    out: list[PageScores] = [[] for _ in models]
    for p, site, test in split_pages(data, limit=limit):
        if test or not is_validation_site(site) or p["gold"]["kind"] == "blocks":
            continue  # L3S's gold is blocks, not text (as in compare.held_out_pages)
        keys = ("all", f"dataset:{p['dataset']}", f"lang:{lang_group(p['lang'])}")
        views = {"html": p["html"], "text": as_text_page(p["html"])}
        for model, rows in zip(models, out):
            prf = {k: score_page(p, model.classify(v, kind=k).article) for k, v in views.items()}
            rows.append((site, keys, prf))
    return out


def summarise(rows: PageScores) -> dict[str, dict[str, dict]]:
    """Per input kind, article P/R/F1 over the pages, per dataset and per language (outside
    en/de/zh pooled as "other")."""
    by: dict[str, dict[str, list]] = {kind: defaultdict(list) for kind in KINDS}
    for _, keys, prf in rows:
        for kind in KINDS:
            for key in keys:
                by[kind][key].append(prf[kind])
    return {kind: {k: mean_prf(v) for k, v in sorted(r.items())} for kind, r in by.items()}


def validation_scores(
    model: clf.Classifier, data: Path, limit: int | None = None
) -> dict[str, dict[str, dict]]:
    """One model's article P/R/F1 on the validation pages (`summarise`)."""
    return summarise(page_scores([model], data, limit)[0])


def paired_difference(
    a: PageScores, b: PageScores, kind: str, rounds: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """All-pages F1 of `a` minus that of `b` (the same pages), and the 2.5 / 97.5 percentiles
    of that difference over `rounds` resamplings of the sites with replacement (each drawn
    site brings all its pages, to both models)."""
    pr = np.array([[r[2][kind][:2] for r in side] for side in (a, b)])  # side, page, (P, R)
    drawn = resampled_counts([site for site, _, _ in a], rounds, seed)
    weights = np.vstack([np.ones(len(a)), drawn])  # row 0: the pages as they are

    def f1(side: np.ndarray) -> np.ndarray:
        p, r = (weights @ side).T / weights.sum(axis=1)
        return np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0.0)

    diff = f1(pr[0]) - f1(pr[1])
    return float(diff[0]), float(np.percentile(diff[1:], 2.5)), float(np.percentile(diff[1:], 97.5))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", type=Path, required=True, help="a model from --validate")
    ap.add_argument("--limit", type=int, default=None, help="pages per dataset (quick runs)")
    ap.add_argument("--out", type=Path, default=None, help="also write the scores as JSON")
    ap.add_argument(
        "--against", type=Path, default=None, help="another model: the paired F1 difference"
    )
    args = ap.parse_args(argv)
    try:
        models = [clf.load(m) for m in (args.model, args.against) if m is not None]
    except clf.ModelError as exc:
        ap.error(str(exc))
    rows = page_scores(models, args.data, args.limit)
    scores = summarise(rows[0])
    for kind, by in scores.items():
        print(kind)
        for key, s in by.items():
            print(
                f"  {key:30s} {s['pages']:4d} pages  P {s['precision']:.3f}  "
                f"R {s['recall']:.3f}  F1 {s['f1']:.3f}"
            )
    if args.against is not None:
        print(f"--model minus --against, all pages ({len(rows[0])}; 95 % over resampled sites)")
        for kind in KINDS:
            diff, lo, hi = paired_difference(rows[0], rows[1], kind)
            print(f"  {kind:5s} F1 {diff:+.4f}  [{lo:+.4f}, {hi:+.4f}]")
    if args.out is not None:
        args.out.write_text(json.dumps(scores, indent=1) + "\n")


if __name__ == "__main__":
    main()

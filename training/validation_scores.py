"""Article precision / recall / F1 of a model on the validation sites, scored as the peer
comparison scores (training/compare.py), for choosing between model variants.

    python -m training.train_and_evaluate --validate --out /tmp/variant
    python -m training.validation_scores --model /tmp/variant/clf-model.joblib

`--validate`'s own segment metrics change meaning when a variant changes how training labels
are decided; these scores do not: they compare `classify(...).article`, HTML and text input,
with each page's gold (tokens, or trafilatura-eval's snippets). Only training sites are read
(`training.data.is_validation_site`), never the test split.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import clf
from training.compare import as_text_page, score_page
from training.data import DEFAULT_DATA, is_validation_site, lang_group, split_pages
from training.scoring import mean_prf


def validation_scores(
    model: clf.Classifier, data: Path, limit: int | None = None
) -> dict[str, dict[str, dict]]:
    """Per input kind ("html", "text"), article P/R/F1 over the validation pages (among the
    first `limit` pages of each dataset), per dataset and per language (outside en/de/zh
    pooled as "other")."""
    rows: dict[str, dict[str, list]] = {"html": defaultdict(list), "text": defaultdict(list)}
    for p, site, test in split_pages(data, limit=limit):
        if test or not is_validation_site(site) or p["gold"]["kind"] == "blocks":
            continue  # L3S's gold is blocks, not text (as in compare.held_out_pages)
        lang = lang_group(p["lang"])
        for kind in rows:
            page = p["html"] if kind == "html" else as_text_page(p["html"])
            prf = score_page(p, model.classify(page, kind=kind).article)
            for key in ("all", f"dataset:{p['dataset']}", f"lang:{lang}"):
                rows[kind][key].append(prf)
    return {kind: {k: mean_prf(v) for k, v in sorted(r.items())} for kind, r in rows.items()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", type=Path, required=True, help="a model from --validate")
    ap.add_argument("--limit", type=int, default=None, help="pages per dataset (quick runs)")
    ap.add_argument("--out", type=Path, default=None, help="also write the scores as JSON")
    args = ap.parse_args(argv)
    try:
        model = clf.load(args.model)
    except clf.ModelError as exc:
        ap.error(str(exc))
    scores = validation_scores(model, args.data, args.limit)
    for kind, by in scores.items():
        print(kind)
        for key, s in by.items():
            print(
                f"  {key:30s} {s['pages']:4d} pages  P {s['precision']:.3f}  "
                f"R {s['recall']:.3f}  F1 {s['f1']:.3f}"
            )
    if args.out is not None:
        args.out.write_text(json.dumps(scores, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""Which segments make the article: argmax against other decision rules, on validation sites.

    python -m training.train_and_evaluate --validate --out /tmp/val_model   # ≈ 5 min
    python -m training.article_rules --model /tmp/val_model/clf-model.joblib

The model from `--validate` never saw the validation sites (a quarter of the training sites,
`training.data.is_validation_site`), and the test sites are not read here, so a rule chosen
from this table has not been chosen on the test split. Precision is the weaker side of clf's
article text (0.91 against recall 0.96 on held-out HTML), so the rules trade recall for it:
a higher bar for `article`, or dropping article runs far from the page's main run.
The first row is the baseline each row's per-page change is measured against.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from clf.classifier import ModelError, load
from clf.model import LABELS
from clf.segment import Segment
from training.compare import snippet_prf
from training.corpus import build_corpus
from training.data import DEFAULT_DATA, lang_group
from training.data import pages as dataset_pages
from training.scoring import label_report, mean_prf, resampled_counts, token_prf
from training.train_and_evaluate import text_view, validation_split

Rule = Callable[[np.ndarray, list[Segment]], np.ndarray]


def argmax(probs: np.ndarray, segs: list[Segment]) -> np.ndarray:
    return probs.argmax(axis=1) == 0


def threshold(t: float) -> Rule:
    """Article when its probability reaches `t` (argmax is t = 1/3 to 1/2, by the others)."""
    return lambda probs, segs: probs[:, 0] >= t


def main_run(gap: int) -> Rule:
    """Argmax, then only the run of article segments with the most characters, where a run
    ends at `gap` non-article segments in a row (comment threads and teaser bodies sit
    after long stretches of furniture)."""

    def rule(probs: np.ndarray, segs: list[Segment]) -> np.ndarray:
        art = argmax(probs, segs)
        run = np.full(len(segs), -1)
        current, since = -1, gap
        for i, a in enumerate(art):
            if a:
                if since >= gap:
                    current += 1
                run[i] = current
                since = 0
            else:
                since += 1
        if current < 1:
            return art
        chars = np.bincount(run[art], weights=[len(s.text) for s, a in zip(segs, art) if a])
        return run == int(chars.argmax())

    return rule


RULES: dict[str, Rule] = {
    "argmax (shipped)": argmax,
    **{f"p(article) >= {t}": threshold(t) for t in (0.4, 0.5, 0.6, 0.7)},
    **{f"main run, gap {g}": main_run(g) for g in (5, 10, 20, 40)},
}


def _labels(probs: np.ndarray, article: np.ndarray) -> list[str]:
    """The rule's article set; the rest take the likelier of clutter and noise."""
    other = np.where(probs[:, 1] >= probs[:, 2], 1, 2)
    return [LABELS[0] if a else LABELS[k] for a, k in zip(article, other)]


def _snippets(data: Path) -> dict[str, dict]:
    """trafilatura-eval's must-appear / must-not-appear snippets by page id: its German
    pages have no text gold, so without them the table would say nothing about German."""
    return {p["id"]: p["gold"] for p in dataset_pages(data, "trafilatura-eval") if p["gold"]}


def _paired_ci(new: list[float], old: list[float], seed: int = 0) -> tuple[float, float, float]:
    """Mean per-page F1 change and its 95 % bootstrap interval (pages resampled)."""
    d = np.array(new) - np.array(old)
    boot = resampled_counts(list(range(len(d))), seed=seed) @ d / len(d)
    return float(d.mean()), float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", type=Path, required=True, help="from train_and_evaluate --validate")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    try:  # checked against its manifest, as every model clf loads
        model = load(args.model).model
    except ModelError as exc:
        ap.error(str(exc))
    pages = [p for p in validation_split(build_corpus(args.data, jobs=args.jobs)) if p.test]
    snippets = _snippets(args.data)
    print(f"{len(pages)} validation pages on {len({p.site for p in pages})} training sites")
    for view_name, view in (("html", lambda s: s), ("text", text_view)):
        probs = model.predict_proba([view(p.segments) for p in pages])
        print(
            f"\n{view_name} view: article P/R/F1 per group (pages), tokens against text gold and"
            " snippets (trafilatura-eval); per-page F1 change against argmax [95 % CI]; segments"
        )
        base: dict[str, list[float]] = {}
        for name, rule in RULES.items():
            groups: dict[str, list] = defaultdict(list)
            y_true, y_pred = [], []
            for p, pr in zip(pages, probs):
                article = rule(pr, p.segments)
                labs = _labels(pr, article)
                pairs = [(t, q) for t, q in zip(p.labels, labs) if t is not None]
                y_true += [t for t, _ in pairs]
                y_pred += [q for _, q in pairs]
                text = "\n".join(s.text for s, a in zip(p.segments, article) if a)
                if p.gold_text is not None:
                    prf = token_prf(text, p.gold_text)
                elif p.dataset == "trafilatura-eval" and p.id in snippets:
                    g = snippets[p.id]
                    prf = snippet_prf(text, g.get("with", []), g.get("without", []))
                else:
                    continue
                groups["all"].append(prf)
                groups[lang_group(p.lang)].append(prf)
            f1s = [r[2] for r in groups["all"]]
            base = base or {"all": f1s}
            change, lo, hi = _paired_ci(f1s, base["all"])
            seg = label_report(y_true, y_pred)
            cells = "  ".join(
                f"{k} {m['precision']:.3f}/{m['recall']:.3f}/{m['f1']:.3f} ({m['pages']})"
                for k, m in ((k, mean_prf(v)) for k, v in sorted(groups.items()))
            )
            print(
                f"  {name:<18} {cells}  {change:+.4f} [{lo:+.4f}, {hi:+.4f}]  | segments: "
                f"article F1 {seg['labels']['article']['f1']:.3f}, macro-F1 {seg['macro_f1']:.3f}"
            )


if __name__ == "__main__":
    main()

"""Where the spam thresholds in clf/quality.py come from.

    python -m training.quality_thresholds --data ../shared/data

Runs the shipped model over the held-out pages of the shared data (real pages; their sources
kept them as articles, so nearly all are not spam) and over the seeds, and prints each quality
signal's distribution next to its threshold: a threshold should sit beyond the 99.5th
percentile of real pages and still fire on the spam seed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import clf
from clf.quality import THRESHOLDS
from training.data import DEFAULT_DATA, split_pages
from training.train_and_evaluate import SEEDS


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=None, help="pages per dataset")
    args = ap.parse_args(argv)
    model = clf.load()
    pages = [p for p, _, test in split_pages(args.data, limit=args.limit) if test]
    quals = [model.classify(p["html"]).quality for p in pages]
    print(f"{len(quals)} held-out pages; spam verdicts: {sum(q.spam for q in quals)}")
    print(f"{'signal':<22} {'threshold':>10} {'p50':>8} {'p99':>8} {'p99.5':>8} {'max':>8}  fired")
    for name, (thr, direction) in THRESHOLDS.items():
        v = np.array([getattr(q, name) for q in quals], dtype=float)
        if direction == "below":
            pct = np.percentile(v, [50, 1, 0.5]).tolist() + [v.min()]
            fired = int((v <= thr).sum())
        else:
            pct = np.percentile(v, [50, 99, 99.5]).tolist() + [v.max()]
            fired = int((v >= thr).sum())
        print(
            f"{name:<22} {direction[0]}{thr:>9} "
            + " ".join(f"{x:>8.3f}" for x in pct)
            + f"  {fired}"
        )
    print("(for 'below' signals the columns are p50, p1, p0.5, min)\n")
    for seed in sorted(SEEDS.glob("*.txt")):
        q = model.classify(seed.read_bytes()).quality
        print(
            f"{seed.name}: quality {q.quality:.2f} spam={q.spam} {q.reasons} | dup {q.duplicate_share:.2f} "
            f"gloss_rate {q.gloss_rate:.1f} rep {q.repeated_ngram_share:.2f} ell {q.ellipsis_share:.2f} "
            f"noise share {q.shares['noise']:.2f}"
        )


if __name__ == "__main__":
    main()

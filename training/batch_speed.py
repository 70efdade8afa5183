"""Time `Classifier.classify_many` at several batch sizes against one `classify` call a page.

    python -m training.batch_speed --pages 300          # 300 Dragnet + 300 CleanEval pages

The settings take turns on blocks of `--block` pages, and each block keeps its fastest of
`--rounds` runs per setting, so a slow spell of the shared machine hits every setting alike
(as in `training.speed_ab`). CPU time on one core, BLAS limited to one thread. Also checks
that every setting gives the same probabilities as one call a page.
"""

from __future__ import annotations

import argparse
import time
from itertools import islice
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import clf
from clf import classifier
from clf.segment import Segments
from training.data import DEFAULT_DATA, pages

SETS = ("dragnet", "cleaneval")
SETTINGS = ((1, 1), (16, 6_000), (32, 6_000), (32, 3_000), (64, 12_000))  # pages, segments


def _probs(page: clf.Page) -> np.ndarray:
    probs = Segments.of(page.segments).probs
    return np.zeros((0, 3)) if probs is None else probs


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--pages", type=int, default=300, help="per dataset (Dragnet, CleanEval)")
    ap.add_argument("--block", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args(argv)
    model = clf.load()
    html = [
        p["html"].encode("utf-8")
        for name in SETS
        for p in islice(pages(args.data, name), args.pages)
    ]
    one_by_one = [_probs(model.classify(h)) for h in html]
    fastest = {s: {} for s in SETTINGS}
    with threadpool_limits(limits=1):
        for _ in range(args.rounds):
            for start in range(0, len(html), args.block):
                block = html[start : start + args.block]
                for setting in SETTINGS:
                    classifier.BATCH_PAGES, classifier.BATCH_SEGMENTS = setting
                    t = time.process_time()
                    out = model.classify_many(block)
                    spent = time.process_time() - t
                    fastest[setting][start] = min(fastest[setting].get(start, spent), spent)
                    for page, ref in zip(out, one_by_one[start:]):
                        if not np.array_equal(_probs(page), ref):
                            raise RuntimeError(f"batch setting {setting} changed probabilities")
    print(f"{len(html)} pages, blocks of {args.block}, fastest of {args.rounds} runs a block")
    for (n_pages, n_segments), spent in fastest.items():
        ms = sum(spent.values()) / len(html) * 1000
        what = "one page" if n_pages == 1 else f"up to {n_pages} pages or {n_segments} segments"
        print(f"  {what:<36} a call: {ms:.2f} ms a page")


if __name__ == "__main__":
    main()

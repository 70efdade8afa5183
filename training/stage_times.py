"""Where a page's time goes through `classify_many`, by stage, without a profiler: segmenting
(decode, control characters, lexbor's parse, the walk, the segment columns), the model (features,
both stages) and the finish (clean article, quality signals, the `Page`).

    python -m training.stage_times --data ../shared/data --mode html

The comparison's held-out pages (`--pages` of them) in batches of 32, as `classify_many` runs
them (`--batch 1`: as one `classify` call a page runs them); each stage's fastest of `--rounds` passes, ms a page. `--one-paragraph` times instead
one `classify` call a page on a one-paragraph page: the fixed cost of a model call.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import clf
from clf.classifier import BATCH_PAGES
from training.profile_many import held_out_parser, warmed_up

ONE_PARAGRAPH = (
    "<html><head><title>A title here</title></head><body><p>"
    + "One paragraph of story text that is long enough. " * 5
    + "</p></body></html>"
)


def _stages(
    model: clf.Classifier, pages: list[str], mode: str, batch: int = BATCH_PAGES
) -> tuple[float, float, float]:
    """Seconds spent segmenting, in the model and finishing the pages, one pass."""
    seg = run = finish = 0.0
    for b in range(0, len(pages), batch):
        t0 = time.perf_counter()
        pending = [model._segment(p, mode) for p in pages[b : b + batch]]
        t1 = time.perf_counter()
        live = [s for _, s in pending if s]
        for s, probs in zip(live, model.model.predict_proba(live) if live else []):
            s.set_labels(probs)
        t2 = time.perf_counter()
        for kind, s in pending:
            model._page(kind, s, None, True, True)
        t3 = time.perf_counter()
        seg, run, finish = seg + t1 - t0, run + t2 - t1, finish + t3 - t2
    return seg, run, finish


def _fastest(f: Callable[[], object], n: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            f()
        best = min(best, (time.perf_counter() - t) / n)
    return best


def main(argv: list[str] | None = None) -> None:
    ap = held_out_parser(__doc__)
    ap.add_argument("--pages", type=int, default=640)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--one-paragraph", action="store_true")
    ap.add_argument(
        "--batch", type=int, default=BATCH_PAGES, help="pages a model call (1: one call a page)"
    )
    args = ap.parse_args(argv)
    if args.one_paragraph:
        model = clf.load()
        model.classify(ONE_PARAGRAPH)
        ms = 1e3 * _fastest(lambda: model.classify(ONE_PARAGRAPH), 2000, args.rounds)
        many = 1e3 * _fastest(lambda: model.classify_many([ONE_PARAGRAPH] * 64), 20, args.rounds)
        print(f"one-paragraph page: {ms:.3f} ms a call, {many / 64:.3f} ms a page in 64s")
        return
    model, pages = warmed_up(args)
    pages = pages[: args.pages]
    passes = [_stages(model, pages, args.mode, args.batch) for _ in range(args.rounds)]
    names = ("segment", "model", "finish")
    parts = [min(p[i] for p in passes) / len(pages) * 1e3 for i in range(3)]
    total = min(sum(p) for p in passes) / len(pages) * 1e3
    print(f"{len(pages)} held-out pages ({args.mode}), batches of {args.batch}, ms a page:")
    for name, ms in zip(names, parts):
        print(f"  {name:8s} {ms:.3f}")
    print(f"  {'total':8s} {total:.3f}")


if __name__ == "__main__":
    main()

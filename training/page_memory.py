"""What a classified page holds while a caller keeps it, before and after `page.quality` is read.

    python -m training.page_memory --data ../shared/data --mode html --pages 300

`classify_many` of the comparison's held-out pages (the first `--pages`), the pages kept;
`tracemalloc`'s count of the Python and numpy memory still allocated after a collection,
divided by the pages. Then the same with every page's quality read, which drops what the
page kept for that read (`clf.page.Page.quality`).
"""

from __future__ import annotations

import gc
import tracemalloc

from training.profile_many import held_out_parser, warmed_up


def kept_bytes(model, pages: list[str], mode: str, read_quality: bool) -> int:
    """Bytes still allocated while the classified `pages` are kept."""
    gc.collect()
    tracemalloc.start()
    kept = model.classify_many(pages, kind=mode)
    if read_quality:
        for page in kept:
            page.quality  # noqa: B018  # the read is what is measured
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return held


def main() -> None:
    ap = held_out_parser(__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=300)
    args = ap.parse_args()
    model, inputs = warmed_up(args)
    pages = inputs[: args.pages]
    for read in (False, True):
        held = kept_bytes(model, pages, args.mode, read)
        what = "quality read" if read else "quality unread"
        print(
            f"{len(pages)} {args.mode} pages kept, {what}: {held / len(pages) / 1e3:.1f} kB a page"
        )


if __name__ == "__main__":
    main()

"""Batch throughput with 1 and 2 workers on real pages from ../shared/data.

    python -m training.bench_batch --pages 2000

The pages are written to a temporary JSONL file (outside the repository), then classified with
`clf batch`'s engine into a temporary output; wall-clock pages/s per worker count is printed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from clf.batch import run_batch
from training.data import DATASETS, DEFAULT_DATA, pages


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "pages.jsonl"
        n = 0
        with src.open("w", encoding="utf-8") as f:
            for name in DATASETS:
                for p in pages(args.data, name):
                    if n >= args.pages:
                        break
                    f.write(json.dumps({"id": f"{name}/{p['id']}", "html": p["html"]}) + "\n")
                    n += 1
        print(f"{n} pages, {src.stat().st_size / 2**20:.0f} MB of HTML")
        base = None
        for jobs in args.jobs:
            out = Path(tmp) / f"out{jobs}.jsonl"
            t = time.perf_counter()
            summary = run_batch([str(src)], out, jobs=jobs)
            rate = summary.outputs / (time.perf_counter() - t)
            base = base or rate
            print(
                f"  jobs={jobs}: {rate:.1f} pages/s ({rate / base:.2f}x), "
                f"{summary.errors} error records"
            )


if __name__ == "__main__":
    main()

"""What glibc's habit of handing freed memory back costs a loop that reads pages, classifies
them in batches (`classify_many`) and drops them, as `clf classify FILE...` and `clf batch`
workers do; and what `clf.keep_freed_memory` saves.

    python -m training.heap_speed --data ../shared/data --pages 400 --rounds 3

The held-out pages are written to a temporary directory; each round runs two fresh
processes, one with the default thresholds and one with `keep_freed_memory()`, that read the
files in groups of BATCH_PAGES, classify each group and drop it. Printed per page: user and
system CPU time and minor page faults (getrusage).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from training.compare import held_out_pages
from training.data import DEFAULT_DATA

CHILD = """
import json, resource, sys
from pathlib import Path
import clf
from clf.classifier import BATCH_PAGES
if sys.argv[2] == "keep":
    clf.keep_freed_memory()
files = sorted(Path(sys.argv[1]).iterdir())
model = clf.load()
model.classify(files[0].read_bytes())  # compiled code loaded before timing
before = resource.getrusage(resource.RUSAGE_SELF)
for start in range(0, len(files), BATCH_PAGES):
    pages = model.classify_many([f.read_bytes() for f in files[start : start + BATCH_PAGES]])
    del pages
after = resource.getrusage(resource.RUSAGE_SELF)
n = len(files)
print(json.dumps({
    "user_ms": 1000 * (after.ru_utime - before.ru_utime) / n,
    "sys_ms": 1000 * (after.ru_stime - before.ru_stime) / n,
    "faults": (after.ru_minflt - before.ru_minflt) / n,
}))
"""


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--pages", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for i, p in enumerate(held_out_pages(args.data, None)[: args.pages]):
            Path(tmp, f"{i:05d}.html").write_text(p["html"], encoding="utf-8")
        for r in range(args.rounds):
            for mode in ("default", "keep"):
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, tmp, mode],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                m = json.loads(out.stdout)
                print(
                    f"round {r + 1} {mode:<8} user {m['user_ms']:.2f} ms  sys {m['sys_ms']:.2f} ms"
                    f"  total {m['user_ms'] + m['sys_ms']:.2f} ms  faults {m['faults']:.0f} a page"
                )


if __name__ == "__main__":
    main()

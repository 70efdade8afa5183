"""lexbor's parse alone against parse + the compiled tree walk (`clf.dom`), per page, on the
comparison's held-out HTML pages: the walk's own time is the difference.

    python -m training.walk_speed --data ../shared/data

CPU time, the fastest of `--rounds` passes over all pages for each.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from clf.dom import lexbor
from clf.safety import sanitize_utf8
from clf.segment import _FLAGS, _KEYS, lexbor_input
from training.compare import held_out_pages
from training.data import DEFAULT_DATA


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args(argv)
    lex = lexbor()
    if lex is None:
        raise SystemExit("this selectolax does not export the lexbor functions clf.dom needs")
    pages = [lexbor_input(*sanitize_utf8(p["html"])) for p in held_out_pages(args.data, None)]
    data = [d for d in pages if d]
    for d in data[:20]:  # compiled code loaded
        lex.walk(d, _KEYS, _FLAGS)

    def parse_only(d: bytes) -> None:
        doc = lex.create()
        lex.parse(doc, d, len(d))
        lex.destroy(doc)

    parse = walk = float("inf")
    for _ in range(args.rounds):
        t0 = time.process_time()
        for d in data:
            parse_only(d)
        t1 = time.process_time()
        for d in data:
            lex.walk(d, _KEYS, _FLAGS)
        t2 = time.process_time()
        parse, walk = min(parse, t1 - t0), min(walk, t2 - t1)
    n = len(data)
    print(f"{n} held-out pages, ms a page (fastest of {args.rounds}):")
    print(f"  parse          {1000 * parse / n:.3f}")
    print(f"  parse + walk   {1000 * walk / n:.3f}")
    print(f"  walk           {1000 * (walk - parse) / n:.3f}")


if __name__ == "__main__":
    main()

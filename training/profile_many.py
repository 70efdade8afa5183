"""Where `classify_many`'s time goes, per page, grouped: lexbor's parse, the
compiled numba kernels, and everything else (the Python around them, str encoding, numpy).

    python -m training.profile_many --data ../shared/data --mode html

cProfile over `classify_many` of the comparison's held-out pages (`training.compare`), run
`--repeats` times after a warm-up; a function's own time is credited to its group. numba
kernels are recognised as the dispatchers they are; lexbor is the own time of `Lexbor.walk`
(its ctypes calls: create, parse, destroy) and, on the markup path, of `serialise`.
cProfile adds its cost to every Python call, so the "Python" group is an upper bound, and the
total is slower than an unprofiled run.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import pstats
from collections import defaultdict
from pathlib import Path

from numba.core.registry import CPUDispatcher

import clf
from training.compare import as_text_page, held_out_pages
from training.data import DEFAULT_DATA

LEXBOR = {("segment.py", "serialise"), ("dom.py", "walk")}  # own time: lexbor's C code


def _compiled(filename: str, name: str) -> bool:
    """Whether clf's function `name` in `filename` is a numba kernel."""
    if "/clf/" not in filename:
        return False
    module = importlib.import_module("clf." + Path(filename).stem)
    return isinstance(getattr(module, name, None), CPUDispatcher)


def held_out_parser(description: str, top: int | None = None) -> argparse.ArgumentParser:
    """The options of the profilers and timers of `classify_many` over the comparison's
    held-out pages (`--top`, how many functions to list, where `top` is given)."""
    ap = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--mode", choices=["html", "text"], default="html")
    if top is not None:
        ap.add_argument("--top", type=int, default=top)
    return ap


def warmed_up(args: argparse.Namespace) -> tuple[clf.Classifier, list[str]]:
    """The shipped model, and the held-out pages in `args.mode`, after a first batch has
    loaded (or compiled) every kernel."""
    tests = held_out_pages(args.data, None)
    inputs = [as_text_page(p["html"]) if args.mode == "text" else p["html"] for p in tests]
    model = clf.load()
    model.classify_many(inputs[:64], kind=args.mode)
    return model, inputs


def main(argv: list[str] | None = None) -> None:
    ap = held_out_parser(__doc__, 15)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    model, inputs = warmed_up(args)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.repeats):
        model.classify_many(inputs, kind=args.mode)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    n = len(inputs) * args.repeats
    groups: dict[str, float] = defaultdict(float)
    rows = []
    for (filename, _, name), (_, _, own, _, _) in stats.items():
        if (Path(filename).name, name) in LEXBOR:
            group = "lexbor (parse)"
        elif _compiled(filename, name):
            group = "compiled kernels (numba)"
        else:
            group = "Python, encodings, numpy"
        groups[group] += own
        rows.append((own, f"{Path(filename).name}:{name}", group))
    total = sum(groups.values())
    print(f"{len(inputs)} held-out pages ({args.mode}), classify_many, {args.repeats} passes:")
    print(f"  {'total (profiled)':<30} {1000 * total / n:6.2f} ms a page")
    for group, own in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {group:<30} {1000 * own / n:6.2f} ms  {own / total:5.1%}")
    print(f"\ntop {args.top} by own time (ms a page):")
    for own, where, group in sorted(rows, reverse=True)[: args.top]:
        print(f"  {1000 * own / n:6.3f}  {where:<45} {group}")


if __name__ == "__main__":
    main()

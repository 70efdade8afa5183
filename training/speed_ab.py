"""Time `Classifier.classify` for two checkouts of clf, taking turns every few pages.

    python -m training.speed_ab --base /tmp/ref          # this checkout against another
    git worktree add /tmp/ref HEAD~3                     # (one way to make the other)

Each checkout runs in its own process with the same pages and, by default, the same model
file (this checkout's), so only code differs; `--own-models` gives each checkout its own
`models/clf-model.joblib`, for a change of the model's inputs. The two take turns on blocks of `--block` pages (about a tenth of a second
each), and within a block every page is classified `--repeats` times and its fastest run
kept. This machine's speed drifts by ±20 % over tens of seconds; a slow spell then hits both
checkouts alike, where timing one checkout after the other let it flip the result. Both
processes are pinned to one core (a VM's cores differ). Two copies of the same code come
out within 2 % of each other (session 7), but in session 24 this checkout ran 2.0–3.2 %
faster than a fresh `git worktree` of the same commit in /tmp, and 0.2–1.2 % faster with the
roles swapped: run the same comparison with the roles swapped, or an A/A pair, before
reading a difference of a few per cent.

Repeats warm every cache for the page, so for a change to a cache use `--repeats 1
--rounds 1 --pages 600`: each page read once, as a crawl of many sites reads them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = ("dragnet", "cleaneval")


def serve(code: Path, data: Path, per_set: int, repeats: int, model_root: Path, mode: str) -> None:
    """Child: load the clf in `code` and the model in `model_root`, then answer "start end"
    lines with the sum of the pages' fastest runs in seconds (`mode` "text": the pages
    flattened to lines, as the comparison's text mode gives them)."""
    if hasattr(os, "sched_setaffinity"):  # both on one core: the cores of a VM differ
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    sys.path.insert(0, str(code))
    import clf
    from training.data import pages

    if not Path(clf.__file__).resolve().is_relative_to(code.resolve()):
        raise SystemExit(f"imported clf from {clf.__file__}, not from {code}")
    model = clf.load(model_root / "models" / "clf-model.joblib")
    html = [p["html"] for name in SETS for _, p in zip(range(per_set), pages(data, name))]
    if mode == "text":
        from training.compare import as_text_page

        html = [as_text_page(h) for h in html]
    for h in html[:5]:  # compiled kernels, caches
        model.classify(h, kind=mode)
    print(len(html), flush=True)
    for line in sys.stdin:
        start, end = map(int, line.split())
        total = 0.0
        for h in html[start:end]:
            best = float("inf")
            for _ in range(repeats):
                t = time.perf_counter()
                model.classify(h, kind=mode)
                best = min(best, time.perf_counter() - t)
            total += best
        print(total, flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--base", type=Path, required=True, help="the other checkout of clf")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--pages", type=int, default=200, help="per dataset (Dragnet, CleanEval)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--block", type=int, default=4, help="pages a checkout runs in one turn")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--own-models", action="store_true", help="each checkout with its own shipped model"
    )
    ap.add_argument(
        "--mode", choices=("html", "text"), default="html", help="text: the pages as lines"
    )
    ap.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # child process
    args = ap.parse_args(argv)
    if args.serve:
        model_root = args.serve if args.own_models else ROOT
        serve(args.serve, args.data, args.pages, args.repeats, model_root, args.mode)
        return
    procs = {}
    for name, code in (("base", args.base), ("this", ROOT)):
        cmd = [sys.executable, "-m", "training.speed_ab", "--base", str(args.base)]
        cmd += ["--data", str(args.data), "--pages", str(args.pages)]
        cmd += ["--repeats", str(args.repeats), "--serve", str(code), "--mode", args.mode]
        cmd += ["--own-models"] if args.own_models else []
        procs[name] = subprocess.Popen(
            cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
    sizes = {name: int(p.stdout.readline()) for name, p in procs.items()}
    n = min(sizes.values())
    ratios = []
    for r in range(args.rounds):
        spent = dict.fromkeys(procs, 0.0)
        for k, start in enumerate(range(0, n, args.block)):
            order = list(procs) if k % 2 == 0 else list(procs)[::-1]
            for name in order:
                procs[name].stdin.write(f"{start} {min(start + args.block, n)}\n")
                procs[name].stdin.flush()
                spent[name] += float(procs[name].stdout.readline())
        ms = {name: 1000 * sec / n for name, sec in spent.items()}
        ratios.append(ms["this"] / ms["base"])
        print(
            f"round {r + 1}: base {ms['base']:.3f}, this {ms['this']:.3f} ms/page "
            f"({ratios[-1] - 1:+.1%})",
            flush=True,
        )
    for p in procs.values():
        p.stdin.close()
        p.wait()
    print(
        f"{n} pages, {args.rounds} rounds: this/base {min(ratios) - 1:+.1%} to {max(ratios) - 1:+.1%}"
    )


if __name__ == "__main__":
    main()

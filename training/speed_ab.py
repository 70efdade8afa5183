"""Time `Classifier.classify` for two checkouts of clf, in alternating processes.

    python -m training.speed_ab --base /tmp/ref          # this checkout against another
    git worktree add /tmp/ref HEAD~3                     # (one way to make the other)

Each page is classified `--repeats` times and its fastest run kept; the sum over pages is the
figure. On a shared machine whose speed drifts by ±20 % from minute to minute, per-page
minima move by about 2 % between runs, where a total over one pass moves by 10–20 %. Both
checkouts load the same model file, so only code differs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = ("dragnet", "cleaneval")


def time_checkout(code: Path, data: Path, per_set: int, repeats: int) -> float:
    """ms a page for the clf in `code` (run in this process: call it in a fresh one)."""
    sys.path.insert(0, str(code))
    import clf
    from training.data import pages

    if not Path(clf.__file__).resolve().is_relative_to(code.resolve()):
        raise SystemExit(f"imported clf from {clf.__file__}, not from {code}")
    model = clf.load(ROOT / "models" / "clf-model.joblib")
    html = [p["html"] for name in SETS for _, p in zip(range(per_set), pages(data, name))]
    for h in html[:5]:  # compiled kernels, caches
        model.classify(h)
    total = 0.0
    for h in html:
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            model.classify(h)
            best = min(best, time.perf_counter() - t)
        total += best
    return 1000 * total / len(html)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--base", type=Path, required=True, help="the other checkout of clf")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--pages", type=int, default=200, help="per dataset (Dragnet, CleanEval)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # child: time one checkout
    args = ap.parse_args(argv)
    if args.one:
        print(time_checkout(args.one, args.data, args.pages, args.repeats))
        return
    times: dict[str, list[float]] = {"base": [], "this": []}
    for _ in range(args.rounds):
        for name, code in (("base", args.base), ("this", ROOT)):
            cmd = [sys.executable, "-m", "training.speed_ab", "--base", str(args.base)]
            cmd += ["--data", str(args.data), "--pages", str(args.pages)]
            cmd += ["--repeats", str(args.repeats), "--one", str(code)]
            out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
            times[name].append(float(out.stdout.split()[-1]))
            print(f"{name:5} {times[name][-1]:.3f} ms/page", flush=True)
    base, this = min(times["base"]), min(times["this"])
    print(
        f"best of {args.rounds}: base {base:.3f}, this {this:.3f} ms/page ({this / base - 1:+.1%})"
    )


if __name__ == "__main__":
    main()

"""Where `classify_many`'s time goes in native code, numba's compiled functions by name
(`--batch 1`: one call a page, as a scraper calling `classify` per page; as in
`training.stage_times`).

    python -m training.perf_profile --data ../shared/data --seconds 8 [--batch 1]

Linux `perf record` samples this process while it classifies the held-out pages over and
over; `perf report` then prints the top functions. perf cannot name numba's code by itself
(it is compiled in memory), so this process first writes `/tmp/perf-<pid>.map` from each
numba library's object code. The objects exist only for functions compiled in this process,
so the script points `NUMBA_CACHE_DIR` at an empty directory before numba loads (the first
run of each kernel then compiles it: about a minute). Needs `perf` on the PATH and
permission to profile (`kernel.perf_event_paranoid` ≤ 1, or root). cProfile
(`training.profile_many`) charges its own cost to Python; this does not, but it samples
native frames only: the interpreter's time shows as CPython's functions.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_perf_map() -> int:
    """Name every compiled function of clf's numba libraries in /tmp/perf-<pid>.map."""
    from numba.core.registry import CPUDispatcher

    import clf

    found: dict[int, tuple[int, str]] = {}
    for info in pkgutil.iter_modules(clf.__path__):
        module = importlib.import_module(f"clf.{info.name}")
        for obj in vars(module).values():
            if not isinstance(obj, CPUDispatcher):
                continue
            for cres in obj.overloads.values():
                library = cres.library
                with tempfile.NamedTemporaryFile(suffix=".o") as f:
                    f.write(library._get_compiled_object())  # noqa: SLF001 (no public way)
                    f.flush()
                    symbols = subprocess.run(
                        ["nm", "-S", f.name], capture_output=True, text=True, check=True
                    ).stdout
                for line in symbols.splitlines():
                    parts = line.split()
                    if len(parts) == 4 and parts[2] in "tTwW":
                        address = library.get_pointer_to_function(parts[3])
                        if address:
                            found[address] = (int(parts[1], 16), parts[3])
    with open(f"/tmp/perf-{os.getpid()}.map", "w") as out:
        for address, (size, symbol) in sorted(found.items()):
            name = re.sub(r"B\d+v\d+B\d+\w+?E.*", "", symbol)  # drop numba's signature part
            out.write(f"{address:x} {size:x} {name}\n")
    return len(found)


def main(argv: list[str] | None = None) -> None:
    if "numba" in sys.modules:
        raise SystemExit("run as a module of its own: numba must not be loaded yet")
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="clf-perf-")
    from training.profile_many import held_out_parser, warmed_up  # loads numba

    ap = held_out_parser(__doc__, 40)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument(
        "--batch", type=int, default=None, help="pages a call (1: one call a page; default: all)"
    )
    args = ap.parse_args(argv)
    model, inputs = warmed_up(args)  # every kernel compiled in this process
    print(f"{write_perf_map()} compiled functions named", flush=True)
    out = Path(tempfile.mkdtemp(prefix="clf-perf-")) / "perf.data"
    perf = subprocess.Popen(
        ["perf", "record", "-F", "4000", "-o", str(out), "-p", str(os.getpid()),
         "--", "sleep", str(args.seconds)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    end, pages = time.time() + args.seconds + 0.5, 0
    while time.time() < end:
        t = time.perf_counter()
        step = args.batch or len(inputs)
        for b in range(0, len(inputs), step):
            model.classify_many(inputs[b : b + step], kind=args.mode)
        pages += len(inputs)
        print(f"{1000 * (time.perf_counter() - t) / len(inputs):.3f} ms a page", flush=True)
    perf.wait()
    report = subprocess.run(
        ["perf", "report", "-i", str(out), "--no-children", "--sort", "dso,sym", "--stdio"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line for line in report.splitlines() if "%" in line and not line.startswith("#")]
    print("\n".join(rows[: args.top]))


if __name__ == "__main__":
    main()

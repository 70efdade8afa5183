"""clf against trafilatura, readability-lxml, jusText, boilerpy3 and resiliparse, in one run.

    python -m training.compare --data ../shared/data            # all held-out pages
    python -m training.compare --limit 20                        # quick look
    python -m training.compare --model /tmp/m/clf-model.joblib --no-peers   # a candidate, ≈2 min

Every extractor sees the same held-out pages (test sites of training/data.py; clf never trained
on them). Scores are bag-of-token precision/recall per page (words; single characters for CJK),
averaged over pages; trafilatura-eval pages are scored with their must-appear / must-not-appear
snippets instead. Speed is pages per second of pure extraction (input already decoded) on one
core, measured over the same pages. `--mode text` gives every tool the page flattened to lines:
clf gets the text, the peers the lines wrapped in <p> elements.
"""

from __future__ import annotations

import argparse
import html as html_lib
import json
import platform
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from importlib import metadata
from pathlib import Path

from threadpoolctl import threadpool_limits

import clf
from clf.segment import segment_html
from training.data import DEFAULT_DATA, TARGET_LANGS, split_pages
from training.hand_eval import UNSEEN_ZH, labelled_pages
from training.labels import norm
from training.scoring import mean_prf, token_prf

RESULTS = Path(__file__).resolve().parent / "results"
# what the numbers depend on besides clf's own code: the peers and clf's compiled parts
DISTRIBUTIONS = (
    "clf", "trafilatura", "readability-lxml", "justext", "boilerpy3", "resiliparse", "lxml",
    "selectolax", "numba", "numpy",
)  # fmt: skip
OTHER_LANGS = "lang:other (pooled)"
BATCHED = "clf (batches)"  # the same extraction through classify_many: only its speed differs
# one call a page as "clf", with the page's quality signals read too (`Page.quality` is worked
# out on first read; the peers have no such signals, so "clf" times the article alone)
WITH_QUALITY = "clf (with quality)"
JUSTEXT_LANGS = {
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "fr": "French",
    "pl": "Polish",
    "pt": "Portuguese",
    "it": "Italian",
    "hr": "Croatian",
    "fi": "Finnish",
    "hu": "Hungarian",
    "no": "Norwegian_Bokmal",
    "ru": "Russian",
    "cs": "Czech",
}


def _peer_extractors() -> dict[str, Callable[[str, str], str]]:
    """Peers that are installed (the `bench` extra); missing ones are skipped with a note."""
    out: dict[str, Callable[[str, str], str]] = {}
    try:
        import trafilatura

        out["trafilatura"] = lambda h, lang: trafilatura.extract(h) or ""
    except ImportError:
        print("skipping trafilatura (not installed)")
    try:
        from lxml import html as lxml_html
        from readability import Document

        def _readability(h: str, lang: str) -> str:
            summary = Document(h).summary(html_partial=True)
            return lxml_html.fromstring(summary).text_content() if summary.strip() else ""

        out["readability"] = _readability
    except ImportError:
        print("skipping readability-lxml (not installed)")
    try:
        import justext

        def _justext(h: str, lang: str) -> str:
            stop = (
                justext.get_stoplist(JUSTEXT_LANGS[lang]) if lang in JUSTEXT_LANGS else frozenset()
            )
            paras = justext.justext(h.encode("utf-8"), stop, encoding="utf-8")
            return "\n".join(p.text for p in paras if not p.is_boilerplate)

        out["justext"] = _justext
    except ImportError:
        print("skipping justext (not installed)")
    try:
        from boilerpy3 import extractors

        bp = extractors.ArticleExtractor(raise_on_failure=False)
        out["boilerpy3"] = lambda h, lang: bp.get_content(h) or ""
    except ImportError:
        print("skipping boilerpy3 (not installed)")
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree

        out["resiliparse"] = lambda h, lang: extract_plain_text(
            HTMLTree.parse(h), main_content=True
        )
    except ImportError:
        print("skipping resiliparse (not installed)")
    return out


def _per_page(fn: Callable[[str, str], str], own: bool) -> Callable[[list], list[str]]:
    """A tool called once per page of a block of (page, (clf's input, the peers' input))."""

    def run(block: list) -> list[str]:
        return [fn(mine if own else peer, p["lang"]) for p, (mine, peer) in block]

    return run


def _safe(fn: Callable[[str, str], str]) -> Callable[[str, str], str]:
    def run(h: str, lang: str) -> str:
        try:
            return fn(h, lang) or ""
        except Exception:  # a peer failing on a page scores it as empty output
            return ""

    return run


def snippet_prf(output: str, with_: list[str], without: list[str]) -> tuple[float, float, float]:
    """trafilatura's evaluation: must-appear snippets found = TP, must-not-appear found = FP."""
    out = norm(output)
    tp = sum(1 for s in with_ if norm(s) and norm(s) in out)
    fn = len(with_) - tp
    fp = sum(1 for s in without if norm(s) and norm(s) in out)
    prec = tp / (tp + fp) if tp + fp else (1.0 if not with_ else 0.0)
    rec = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def held_out_pages(data: Path, limit: int | None) -> list[dict]:
    """Test-site pages whose gold can score an extraction (text or snippets, not L3S blocks)."""
    out, per_dataset = [], defaultdict(int)
    for p, _, test in split_pages(data):
        if not test or p["gold"]["kind"] == "blocks":
            continue
        if limit is not None and per_dataset[p["dataset"]] >= limit:
            continue
        per_dataset[p["dataset"]] += 1
        out.append(p)
    return out


def unseen_zh_pages(data: Path, limit: int | None = None) -> list[dict]:
    """The hand-labelled Chinese pages of sites the data has no usable page of
    (`training.hand_eval --unseen-zh`), each with a text gold made of the segments people
    labelled article; the page's <title> row is left out, as the datasets' golds leave it."""
    out = []
    for p, _, segs, labels in labelled_pages(data, UNSEEN_ZH, "unseen-zh")[:limit]:
        text = "\n".join(
            s.text for s, label in zip(segs, labels) if label == "article" and s.tag != "title"
        )
        gold = {"kind": "text", "text": text, "quality": "human"}
        out.append({**p, "dataset": "gne (hand labels)", "gold": gold})
    return out


PAGE_SETS = {  # --pages: which pages, the header of their tables, the default results file
    "held-out": (held_out_pages, "held-out pages", "comparison.json"),
    "unseen-zh": (
        unseen_zh_pages,
        "hand-labelled Chinese pages of unseen sites",
        "comparison_unseen_zh.json",
    ),
}


def as_text_page(html: str) -> str:
    """The page as a scraper's text dump: one line per visible block."""
    return "\n".join(s.text for s in segment_html(html))


def score_page(p: dict, output: str) -> tuple[float, float, float]:
    g = p["gold"]
    if g["kind"] == "snippets":
        return snippet_prf(output, g.get("with", []), g.get("without", []))
    return token_prf(output, g["text"])


SPEED_BLOCK = 64  # pages each tool runs in one turn


def run(
    data: Path,
    limit: int | None,
    mode: str,
    model: clf.Classifier,
    peers: bool = True,
    pages: str = "held-out",
) -> dict:
    source, name, _ = PAGE_SETS[pages]
    tests = source(data, limit)
    print(f"{len(tests)} {name} ({mode} mode)")
    inputs = []
    for p in tests:
        if mode == "text":
            text = as_text_page(p["html"])
            wrapped = (
                "<html><body>"
                + "".join(f"<p>{html_lib.escape(line)}</p>" for line in text.splitlines())
                + "</body></html>"
            )
            inputs.append((text, wrapped))
        else:
            inputs.append((p["html"], p["html"]))
    pairs = list(zip(tests, inputs))

    def clf_page(h: str, lang: str) -> str:
        return model.classify(h, kind=mode).article

    def clf_page_quality(h: str, lang: str) -> str:
        page = model.classify(h, kind=mode)
        return page.article if page.quality is not None else ""

    tools: dict[str, Callable[[list], list[str]]] = {
        "clf": _per_page(clf_page, own=True),
        WITH_QUALITY: _per_page(clf_page_quality, own=True),
        BATCHED: lambda block: [
            page.article for page in model.classify_many([own for _, (own, _) in block], kind=mode)
        ],
    }
    if peers:
        tools.update({k: _per_page(_safe(v), own=False) for k, v in _peer_extractors().items()})
    for fn in tools.values():  # warm-up: imports, compiled code, caches
        fn(pairs[:1])
    outputs: dict[str, list[str]] = {name: [] for name in tools}
    cpu = dict.fromkeys(tools, 0.0)
    # Tools take turns on blocks of pages, so a machine that speeds up or slows down during
    # the run (shared hosts do) shifts every tool alike and the ratios stay fair.
    for start in range(0, len(pairs), SPEED_BLOCK):
        block = pairs[start : start + SPEED_BLOCK]
        for name, fn in tools.items():
            t0 = time.process_time()
            outputs[name] += fn(block)
            cpu[name] += time.process_time() - t0
    if not outputs[BATCHED] == outputs[WITH_QUALITY] == outputs["clf"]:
        raise RuntimeError("classify_many or classify with quality extracted other text")
    results: dict = {}
    for name in tools:
        rows: dict[str, list] = defaultdict(list)
        for p, out in zip(tests, outputs[name]):
            prf = score_page(p, out)
            keys = ["all", f"dataset:{p['dataset']}", f"lang:{p['lang']}"]
            if p["lang"] not in TARGET_LANGS:  # each has too few pages to read on its own
                keys.append(OTHER_LANGS)
            for key in keys:
                rows[key].append(prf)
        results[name] = {
            "pages_per_s": round(len(tests) / cpu[name], 1) if cpu[name] else None,
            "scores": {k: mean_prf(v) for k, v in sorted(rows.items())},
        }
        print(
            f"  {name:<12} F1 {results[name]['scores']['all']['f1']:.3f}  "
            f"{results[name]['pages_per_s']} pages/s"
        )
    return {"mode": mode, "pages": len(tests), "results": results}


def table(res: dict, keys: list[str]) -> str:
    tools = list(res["results"])
    head = "| " + " | ".join(["pages", "subset"] + tools) + " |"
    lines = [head, "|" + "---|" * (len(tools) + 2)]
    for k in keys:
        cells = []
        n = None
        for t in tools:
            s = res["results"][t]["scores"].get(k)
            if not s or not s.get("pages"):
                cells.append("-")
                continue
            n = s["pages"]
            cells.append(f"{s['f1']:.3f} ({s['precision']:.2f}/{s['recall']:.2f})")
        best = max((c for c in cells if c != "-"), default=None, key=lambda c: float(c.split()[0]))
        cells = [f"**{c}**" if c == best else c for c in cells]
        lines.append(f"| {n or 0} | {k} | " + " | ".join(cells) + " |")
    speed = [str(res["results"][t]["pages_per_s"]) for t in tools]
    lines.append("| | pages/s (1 core) | " + " | ".join(speed) + " |")
    return "\n".join(lines)


def versions() -> dict[str, str | None]:
    """The installed version of each of `DISTRIBUTIONS` (None where one is missing)."""
    out: dict[str, str | None] = {}
    for name in DISTRIBUTIONS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=None, help="pages per dataset")
    ap.add_argument("--mode", choices=["html", "text", "both"], default="both")
    ap.add_argument(
        "--pages",
        choices=list(PAGE_SETS),
        default="held-out",
        help="the held-out pages of the shared data (default), or the Chinese pages of unseen "
        "sites scored against people's labels (training/hand_zh_unseen.tsv)",
    )
    ap.add_argument(
        "--model", type=Path, default=None, help="a candidate clf model (default: the shipped one)"
    )
    ap.add_argument("--no-peers", action="store_true", help="clf only (to check a candidate)")
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="default: training/results/comparison.json (comparison_unseen_zh.json); with "
        "--model or --no-peers, none "
        "(printed only: the committed results are the shipped model's against the peers)",
    )
    args = ap.parse_args(argv)
    _, name, results_file = PAGE_SETS[args.pages]
    if args.out is None and args.model is None and not args.no_peers:
        args.out = RESULTS / results_file
    modes = ["html", "text"] if args.mode == "both" else [args.mode]
    model = clf.load(args.model)
    limiter = threadpool_limits(limits=1)  # one core for every tool: no BLAS/OpenMP helpers
    report = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "pages": name,
        "versions": versions(),
        "runs": [
            run(args.data, args.limit, m, model, not args.no_peers, args.pages) for m in modes
        ],
    }
    limiter.unregister()
    for res in report["runs"]:
        keys = sorted(res["results"]["clf"]["scores"], key=lambda k: (k != "all", k))
        print(f"\n### {res['mode']} mode, {res['pages']} {name}: F1 (precision/recall)\n")
        print(table(res, keys))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()

"""Score the shipped model against careful hand labels of whole held-out pages.

The held-out metrics in models/metrics.json compare with labels derived from each dataset's gold
(article or not) and rules (clutter or noise), and the rules agree with people on 85 % of
non-article segments. This module measures the three labels against people instead, on pages
of test sites only (never trained on), every segment of each page labelled by LABELS.md.

    python -m training.hand_eval sample --out /tmp/clf-hand    # pages for the labellers (text!)
    python -m training.hand_eval collect --out /tmp/clf-hand    # their labels → hand_eval.tsv
    python -m training.hand_eval score                          # model and rules vs the labels
    python -m training.hand_eval score --training-sites         # rules vs training-site labels
    python -m training.hand_eval score --unseen-zh              # model vs Chinese pages of unseen sites

`sample` writes one TSV per page (with page text, so outside the repository). `collect` keeps
only the keys and a short hash of each segment's text (no text) in `training/hand_eval.tsv`;
`score` re-segments the pages, refuses rows whose text hash no longer matches (a changed
segmenter), and writes `training/results/hand_eval.json`. With `--training-sites` the same
steps make and score a second set (`hand_dev.tsv`) on pages the model trains on: the set for
working on the labelling rules, so that the held-out set is never used to choose them. With
`--unseen-zh` they make and score a third (`hand_zh_unseen.tsv`): Chinese pages that have no
gold, of sites with no usable page in the data, one page per site (`pick_unseen`), so the
model is measured in Chinese on more than the test split's few Chinese pages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

import clf
from clf.segment import LABELS, Segment, segment_html
from training.agreement import one_line
from training.data import (
    DEFAULT_DATA,
    is_validation_site,
    lang_group,
    split_pages,
    unseen_zh_pages,
)
from training.labels import label_segments
from training.scoring import label_report
from training.train_and_evaluate import _predict_labels, text_view

HAND = Path(__file__).resolve().parent / "hand_eval.tsv"
RESULTS = Path(__file__).resolve().parent / "results" / "hand_eval.json"
DEV = Path(__file__).resolve().parent / "hand_dev.tsv"  # training-site pages, for the rules
DEV_RESULTS = Path(__file__).resolve().parent / "results" / "hand_dev.json"
UNSEEN_ZH = Path(__file__).resolve().parent / "hand_zh_unseen.tsv"  # `unseen_zh_pages`
UNSEEN_ZH_RESULTS = Path(__file__).resolve().parent / "results" / "hand_zh_unseen.json"
# Pages per language group; English spread over its datasets. Sized so a labeller can read
# every segment of a page: pages of 20..MAX_SEGMENTS segments only.
QUOTA = {"en": 20, "de": 8, "zh": 6, "other": 6}
MAX_SEGMENTS = {"zh": 320}
DEFAULT_MAX_SEGMENTS = 220
MIN_SEGMENTS = 20
HEADER = "# dataset\tpage id\tsegment index\tlabel\ttext sha1 (first 8 hex)"


def text_key(text: str) -> str:
    """Identifies a segment's text without storing it."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


_FILES = {  # the three hand-labelled sets, by their pages: their labels and committed results
    "test": (HAND, RESULTS),
    "training": (DEV, DEV_RESULTS),
    "unseen-zh": (UNSEEN_ZH, UNSEEN_ZH_RESULTS),
}
SPLITS = tuple(_FILES)


def _split(data: Path, split: str) -> list[tuple[dict, str]]:
    """(page, site) of a set's pages: test sites, training sites, or Chinese pages of sites
    the data has no usable page of (`training.data.unseen_zh_pages`)."""
    if split not in SPLITS:  # a misspelt set would silently be the training sites
        raise ValueError(f"unknown set {split!r}: one of {', '.join(SPLITS)}")
    if split == "unseen-zh":
        return unseen_zh_pages(data)
    return [(p, site) for p, site, is_test in split_pages(data) if is_test == (split == "test")]


def _segmented(
    data: Path, only: set[tuple[str, str]] | None = None, split: str = "test"
) -> list[tuple[dict, str, list[Segment]]]:
    """A set's pages (`SPLITS`) with their sites and segments; only those keyed (dataset,
    id) in `only`, if given."""
    return [
        (p, site, segment_html(p["html"]))
        for p, site in _split(data, split)
        if only is None or (p["dataset"], p["id"]) in only
    ]


def pick_unseen(candidates: list[tuple[dict, int]]) -> list[int]:
    """Indices into `candidates` for the unseen-site Chinese set: per GNE site folder its first
    page of a size a person can label (one folder name per site, as GNE files some sites
    under both its `tests/` and `visiable_test/` sets)."""
    picked, folders = [], set()
    for k, (p, n) in sorted(enumerate(candidates), key=lambda kp: kp[1][0]["id"]):
        folder = p["id"].split("/")[1]
        if folder not in folders and MIN_SEGMENTS <= n <= MAX_SEGMENTS["zh"]:
            folders.add(folder)
            picked.append(k)
    return picked


def pick_pages(candidates: list[tuple[dict, int]], seed: int = 13) -> list[int]:
    """Indices into `candidates` ((page, segment count) pairs): QUOTA pages per language group,
    of a size a person can label, spread round-robin over the datasets of each group."""
    rng = random.Random(seed)
    by_group: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for k, (p, n) in enumerate(candidates):
        group = lang_group(p["lang"])
        if MIN_SEGMENTS <= n <= MAX_SEGMENTS.get(group, DEFAULT_MAX_SEGMENTS):
            by_group[group][p["dataset"]].append(k)
    picked = []
    for group, quota in QUOTA.items():
        pools = [by_group[group][d] for d in sorted(by_group[group])]
        for pool in pools:
            rng.shuffle(pool)
        taken = 0
        while taken < quota and any(pools):
            for pool in pools:
                if pool and taken < quota:
                    picked.append(pool.pop())
                    taken += 1
    return picked


def sample(data: Path, out: Path, seed: int = 13, split: str = "test") -> None:
    """One TSV per chosen page for a labeller (index, tag, link share, class/id, text) and
    pages.tsv listing them; the labellers' instructions are training/hand_labelling.md."""
    pages = _segmented(data, split=split)
    candidates = [(p, len(s)) for p, _, s in pages]
    chosen = pick_unseen(candidates) if split == "unseen-zh" else pick_pages(candidates, seed)
    out.mkdir(parents=True, exist_ok=True)
    index = ["k\tdataset\tid\tlang\turl\tsegments"]
    for k, i in enumerate(chosen, 1):
        p, _, segs = pages[i]
        rows = [
            f"# page {k:02d}: dataset={p['dataset']} id={p['id']} lang={p['lang']} url={p['url']}",
            "index\ttag\tlinked\tclass_id\ttext",
        ]
        for s in segs:
            linked = f"{s.link_chars / max(1, len(s.text)):.0%}"
            rows.append(
                f"{s.index}\t{s.tag}\t{linked}\t{' '.join(s.tokens[:4])}\t{one_line(s.text, 700)}"
            )
        (out / f"page_{k:02d}.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        index.append(f"{k:02d}\t{p['dataset']}\t{p['id']}\t{p['lang']}\t{p['url']}\t{len(segs)}")
    (out / "pages.tsv").write_text("\n".join(index) + "\n", encoding="utf-8")
    for guide in (data.parent / "LABELS.md", Path(__file__).with_name("hand_labelling.md")):
        if guide.is_file():  # what the labellers read
            shutil.copy(guide, out / guide.name)
    print(f"wrote {len(chosen)} pages to {out}")


def _read_labeller(path: Path) -> dict[int, str]:
    """A labeller's file: `index<TAB>label[<TAB>note]` per segment; '#' lines are comments."""
    out = {}
    for row in path.read_text(encoding="utf-8").splitlines():
        parts = row.split("\t")
        if row.startswith("#") or len(parts) < 2 or not parts[0].strip().isdigit():
            continue
        label = parts[1].strip()
        if label not in LABELS:
            raise ValueError(f"{path}: segment {parts[0]} has label {label!r}")
        out[int(parts[0])] = label
    return out


def collect(data: Path, out: Path, hand: Path = HAND, split: str = "test") -> None:
    """Merge `labels_KK.tsv` files (one per page, from `sample`'s page_KK.tsv) into `hand`."""
    listed = [
        line.split("\t")
        for line in (out / "pages.tsv").read_text(encoding="utf-8").splitlines()[1:]
    ]
    segs_of = {
        (p["dataset"], p["id"]): s
        for p, _, s in _segmented(data, {(r[1], r[2]) for r in listed}, split)
    }
    rows = [HEADER]
    for k, dataset, page_id, *_ in listed:
        path = out / f"labels_{k}.tsv"
        if not path.is_file():
            print(f"page {k}: no labels yet")
            continue
        labels, segs = _read_labeller(path), segs_of[(dataset, page_id)]
        if set(labels) != {s.index for s in segs}:
            raise ValueError(f"{path}: {len(labels)} labels for {len(segs)} segments")
        rows += [
            f"{dataset}\t{page_id}\t{s.index}\t{labels[s.index]}\t{text_key(s.text)}" for s in segs
        ]
    hand.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"wrote {len(rows) - 1} labelled segments to {hand}")


def read_hand(hand: Path = HAND) -> dict[tuple[str, str], dict[int, tuple[str, str]]]:
    """(dataset, page id) → segment index → (label, text key)."""
    out: dict[tuple[str, str], dict[int, tuple[str, str]]] = defaultdict(dict)
    for row in hand.read_text(encoding="utf-8").splitlines():
        if row.startswith("#") or not row.strip():
            continue
        dataset, page_id, index, label, key = row.split("\t")
        out[(dataset, page_id)][int(index)] = (label, key)
    return dict(out)


def labelled_pages(
    data: Path, hand: Path = HAND, split: str = "test"
) -> list[tuple[dict, str, list[Segment], list[str]]]:
    """The hand-labelled pages as (page, site, segments, hand labels); every page must come from the
    set asked for (`SPLITS`) and every segment must match its labelled text."""
    wanted = read_hand(hand)
    found = []
    for p, site, segs in _segmented(data, set(wanted), split):
        rows = wanted[(p["dataset"], p["id"])]
        if [(s.index, text_key(s.text)) for s in segs] != [(i, rows[i][1]) for i in sorted(rows)]:
            raise ValueError(
                f"{p['dataset']} {p['id']}: segments differ from the labelled ones (segmenter changed?)"
            )
        found.append((p, site, segs, [rows[s.index][0] for s in segs]))
    missing = len(wanted) - len(found)
    if missing:
        raise ValueError(f"{missing} hand-labelled pages are not {split} pages of {data}")
    return found


def score(
    data: Path, model_path: Path | None = None, hand: Path = HAND, split: str = "test"
) -> dict:
    """The model's labels (HTML and text input) and the training labels (gold + rules) against
    the hand labels, overall and per language group. On training-site pages (the set for
    working on the rules) the shipped model was fitted on them, so only the training labels
    are scored, and a given `model_path` (a `--validate` model) only on the pages of
    validation sites, which such a model never read. The unseen-site Chinese pages have no
    gold, so no training labels."""
    pages = labelled_pages(data, hand, split)
    test = split != "training"
    predicted: dict[str, dict[int, list[str]]] = {}
    if test or model_path is not None:
        model = clf.load(model_path).model
        scored = [n for n, (_, site, _, _) in enumerate(pages) if test or is_validation_site(site)]
        views = {"model, HTML input": lambda s: s, "model, text input": text_view}
        suffix = "" if test else " (validation sites)"
        predicted = {
            name + suffix: dict(
                zip(scored, _predict_labels(model, [view(pages[n][2]) for n in scored]))
            )
            for name, view in views.items()
        }
    pairs: dict[str, dict[str, tuple[list, list]]] = defaultdict(
        lambda: defaultdict(lambda: ([], []))
    )
    for n, (p, _, segs, truth) in enumerate(pages):
        training = label_segments(p, segs) if p["gold"] is not None else None
        for key in ("all", f"lang:{lang_group(p['lang'])}"):
            for name, out in predicted.items():
                if n in out:
                    pairs[name][key][0].extend(truth)
                    pairs[name][key][1].extend(out[n])
            if training is None:
                continue
            known = [(t, r) for t, r in zip(truth, training) if r is not None]
            pairs["training labels (gold + rules)"][key][0].extend(t for t, _ in known)
            pairs["training labels (gold + rules)"][key][1].extend(r for _, r in known)
    return {
        "pages": len(pages),
        "segments": sum(len(s) for _, _, s, _ in pages),
        "pages_per_lang": _count(lang_group(p["lang"]) for p, _, _, _ in pages),
        "hand_labels": _count(t for _, _, _, truth in pages for t in truth),
        "scores": {
            name: {key: label_report(*yy) for key, yy in sorted(by.items())}
            for name, by in pairs.items()
        },
    }


def _count(items: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(items).items()))


def _print(result: dict) -> None:
    print(f"{result['pages']} pages, {result['segments']} segments: {result['pages_per_lang']}")
    print(f"hand labels: {result['hand_labels']}")
    for name, by in result["scores"].items():
        print(f"\n{name} (rows: subset; article / clutter / noise F1, macro-F1)")
        for key, rep in by.items():
            if not rep.get("segments"):
                continue
            f1 = " / ".join(f"{rep['labels'][lab]['f1']:.3f}" for lab in LABELS)
            print(f"  {key:<10} {rep['segments']:>5} segments  {f1}  macro {rep['macro_f1']:.3f}")
        conf = by["all"]["confusion"]
        print("  confusion (rows = hand):", conf["matrix"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("command", choices=["sample", "collect", "score"])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=Path("/tmp/clf-hand"), help="labellers' files")
    which = ap.add_mutually_exclusive_group()
    which.add_argument(
        "--training-sites",
        action="store_true",
        help="pages of training sites instead (the set for working on the labelling rules)",
    )
    which.add_argument(
        "--unseen-zh",
        action="store_true",
        help="Chinese pages without gold of sites the data has no usable page of (no training "
        "labels to score there)",
    )
    ap.add_argument(
        "--hand",
        type=Path,
        default=None,
        help=f"default: {HAND.name} ({DEV.name}, {UNSEEN_ZH.name})",
    )
    ap.add_argument(
        "--model",
        type=Path,
        default=None,
        help="default: the shipped model; with --training-sites, a --validate model scored on "
        "the validation sites' pages",
    )
    ap.add_argument(
        "--results",
        type=Path,
        default=None,
        help=f"default: {RESULTS.name} ({DEV_RESULTS.name}, {UNSEEN_ZH_RESULTS.name}); with "
        "--model, none (printed only: "
        "the committed results are the shipped model's)",
    )
    args = ap.parse_args(argv)
    split = "training" if args.training_sites else "unseen-zh" if args.unseen_zh else "test"
    default_hand, default_results = _FILES[split]
    hand = args.hand or default_hand
    if args.command == "sample":
        sample(args.data, args.out, seed=14 if split == "training" else 13, split=split)
    elif args.command == "collect":
        collect(args.data, args.out, hand, split)
    else:
        result = score(args.data, args.model, hand, split)
        _print(result)
        if args.model is None:
            args.results = args.results or default_results
        if args.results is not None:
            args.results.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
            print(f"\nwrote {args.results}")


if __name__ == "__main__":
    main()

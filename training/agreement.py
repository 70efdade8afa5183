"""Measure how well the clutter-vs-noise rules agree with careful hand labels.

    python -m training.agreement sample   # writes $WORK/sample.tsv for a labeller (rule labels hidden)
    python -m training.agreement score    # compares training/agreement_hand.tsv with the rules
    python -m training.agreement sample --seed 8 --work /tmp/clf-agreement-2   # fresh sample
    python -m training.agreement score --hand training/agreement_hand_2.tsv

The sample is drawn (seeded) from non-article segments of training pages, stratified by the
rule's label, and shows each segment with its neighbours, tag and class/id tokens so that a
labeller can judge it by LABELS.md without seeing the page. The sample holds page text, so it is
written outside the repository; only the hand labels (keyed by dataset, page id and segment
index, no text) are committed.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path

from training.corpus import build_corpus
from training.data import DEFAULT_DATA

WORK = Path("/tmp/clf-agreement")
HAND = Path(__file__).resolve().parent / "agreement_hand.tsv"
PER_LABEL = 100


def one_line(text: str, n: int = 160) -> str:
    """A segment's text for a labeller's TSV row: no tabs or line breaks, at most n characters."""
    return text.replace("\t", " ").replace("\n", " ")[:n]


def _rule_labels(data: Path) -> dict[tuple[str, str, int], str]:
    """(dataset, page id, segment index) → rule label, for non-article training segments."""
    return {
        (p.dataset, p.id, i): lab
        for p in build_corpus(data)
        if not p.test
        for i, lab in enumerate(p.labels)
        if lab in ("clutter", "noise")
    }


def sample(data: Path, work: Path, seed: int = 7) -> None:
    corpus = [p for p in build_corpus(data) if not p.test]
    pool: dict[str, list] = {"clutter": [], "noise": []}
    for p in corpus:
        for i, lab in enumerate(p.labels):
            if lab in pool:
                pool[lab].append((p, i))
    rng = random.Random(seed)
    rows = []
    picked = [x for lab in pool for x in rng.sample(pool[lab], PER_LABEL)]
    rng.shuffle(picked)
    for k, (p, i) in enumerate(picked):
        s = p.segments[i]
        prev = " ⏎ ".join(one_line(x.text, 80) for x in p.segments[max(0, i - 3) : i])
        nxt = " ⏎ ".join(one_line(x.text, 80) for x in p.segments[i + 1 : i + 4])
        title = one_line(p.segments[0].text if p.segments else "", 100)
        rows.append(
            "\t".join(
                [
                    str(k),
                    p.dataset,
                    p.id,
                    str(i),
                    title,
                    prev,
                    one_line(s.text, 300),
                    nxt,
                    s.tag,
                    " ".join(s.tokens[:6]),
                    f"{s.link_chars}/{len(s.text)}",
                ]
            )
        )
    work.mkdir(parents=True, exist_ok=True)
    header = "k\tdataset\tid\tindex\tpage_title\tprevious_3\tSEGMENT\tnext_3\ttag\tclass_id_tokens\tlink_chars/chars"
    (work / "sample.tsv").write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} rows to {work / 'sample.tsv'}")


def _read_hand(path: Path) -> dict[tuple[str, str, int], str]:
    """Rows: dataset, page id, segment index, label (tab-separated; '#' lines are comments)."""
    out = {}
    for row in path.read_text(encoding="utf-8").splitlines():
        parts = row.split("\t")
        if len(parts) == 4 and not row.startswith("#"):
            out[(parts[0], parts[1], int(parts[2]))] = parts[3].strip()
    return out


def score(data: Path, hand_path: Path = HAND) -> dict:
    rules, hand = _rule_labels(data), _read_hand(hand_path)
    keys = sorted(set(rules) & set(hand))
    if len(keys) < len(hand):
        print(f"warning: {len(hand) - len(keys)} hand rows no longer match a non-article segment")
    pairs = Counter((rules[k], hand[k]) for k in keys)
    agree = sum(n for (a, b), n in pairs.items() if a == b)
    print(f"{len(keys)} segments hand-labelled; rules agree on {agree} ({agree / len(keys):.1%})")
    print("rows = rule label, cols = hand label")
    cols = ["article", "clutter", "noise"]
    for r in ("clutter", "noise"):
        print(f"  {r:<8}", " ".join(f"{c}={pairs[(r, c)]:<4}" for c in cols))
    return {
        "n": len(keys),
        "agreement": agree / len(keys),
        "pairs": {f"{a}->{b}": n for (a, b), n in pairs.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("command", choices=["sample", "score"])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--work", type=Path, default=WORK, help="where the sample (with text) goes")
    ap.add_argument(
        "--seed", type=int, default=7, help="sample seed (7: rules tuned on it; 8: fresh)"
    )
    ap.add_argument("--hand", type=Path, default=HAND, help="hand labels to score")
    args = ap.parse_args()
    if args.command == "sample":
        sample(args.data, args.work, args.seed)
    else:
        score(args.data, args.hand)


if __name__ == "__main__":
    main()

"""Where clf's time goes, per page, on one core (CPU time, BLAS limited to one thread):
the stages of `Classifier.classify`, timed one by one.

python -m training.profile_speed --data ../shared/data --pages 300 [--walker markup]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from threadpoolctl import threadpool_limits

import clf
from clf.clean import clean_article
from clf.decode import decode
from clf.model import context_features
from clf.quality import assess
from clf.safety import sanitize
from clf.segment import detect_kind, lexbor_input, segment, segment_text, segments_of, walk_html
from training.data import DEFAULT_DATA, pages


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--dataset", default="dragnet")
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument(
        "--walker", choices=["auto", "tree", "markup"], default="auto",
        help="segment by walking lexbor's tree (clf.dom) or its serialised markup (clf.markup)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    model = clf.load().model
    html = [
        p["html"].encode("utf-8") for _, p in zip(range(args.pages), pages(args.data, args.dataset))
    ]
    spent: dict[str, float] = defaultdict(float)

    @contextmanager
    def stage(name: str):
        t = time.process_time()
        yield
        spent[name] += time.process_time() - t

    model.predict_proba([segment(html[0].decode())[1]])  # compile / load the kernels
    with threadpool_limits(limits=1):
        for raw in html:
            with stage("decode"):
                text = decode(raw)
            with stage("sanitize (control characters)"):
                text = sanitize(text)
            if detect_kind(text) == "html":
                with stage("segment: lexbor parse and walk"):
                    data = lexbor_input(text)
                    walked = None if data is None else walk_html(data, args.walker)
                if walked is None:
                    continue
                with stage("segment: texts, tags, structure columns"):
                    segs = segments_of(*walked)
            else:
                with stage("segment: text lines"):
                    segs = segment_text(text)
            if not segs:
                continue
            with stage("features and stage 1 (one compiled call)"):
                p1, own, text = model.stage1_proba([segs])
            with stage("context features"):
                ctx = context_features(p1, own, text, model.featurizer.char.features)
            with stage("stage 2 (linear)"):
                probs = model.stage2_proba(ctx, segs.is_text)
            with stage("labels, clean article, quality"):
                segs.set_labels(probs)
                assess(segs, clean_article(segs))
    total = sum(spent.values())
    print(
        f"{len(html)} pages of {args.dataset}: {1000 * total / len(html):.1f} ms/page, "
        f"{len(html) / total:.0f} pages/s on one core"
    )
    for stage, sec in spent.items():
        print(f"  {stage:<38} {1000 * sec / len(html):6.2f} ms  {sec / total:5.1%}")


if __name__ == "__main__":
    main()

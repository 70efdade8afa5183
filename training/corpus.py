"""Build the labelled corpus: every usable page of ../shared/data, segmented and labelled."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from clf.segment import Segment, segment_html
from training.data import DATASETS, split_pages
from training.labels import label_segments


@dataclass(slots=True)
class LabelledPage:
    dataset: str
    id: str
    lang: str
    site: str
    test: bool
    segments: list[Segment]
    labels: list[str | None]
    gold_text: str | None  # the dataset's main-text gold, for token-level scoring


def _gold_text(page: dict) -> str | None:
    gold = page["gold"]
    return gold.get("text") if gold["kind"] == "text" else None


def _build(args: tuple[dict, str, bool]) -> LabelledPage:
    page, site, test = args
    segs = segment_html(page["html"])
    return LabelledPage(
        dataset=page["dataset"],
        id=page["id"],
        lang=page["lang"],
        site=site,
        test=test,
        segments=segs,
        labels=label_segments(page, segs),
        gold_text=_gold_text(page),
    )


def build_corpus(
    data: Path, datasets: Iterable[str] = DATASETS, limit: int | None = None, jobs: int = 2
) -> list[LabelledPage]:
    """Labelled pages, `limit` per dataset (for quick runs); split decided per site."""
    work = split_pages(data, datasets, limit)
    if jobs <= 1:
        return [_build(w) for w in work]
    with ProcessPoolExecutor(max_workers=jobs) as ex:
        return list(ex.map(_build, work, chunksize=8))

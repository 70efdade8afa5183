"""Build the labelled corpus: every usable page of ../shared/data, segmented and labelled."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from clf.segment import Segment, segment_html
from training.data import DATASETS, is_test_site, pages, site_of
from training.labels import label_segments

MAX_HTML = 3_000_000  # pages above this (a few) are skipped: they are feeds, not articles


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


def _usable(page: dict) -> bool:
    return page["gold"] is not None and not page.get("warnings") and len(page["html"]) <= MAX_HTML


def _gold_text(page: dict) -> str | None:
    gold = page["gold"]
    return gold.get("text") if gold["kind"] == "text" else None


def _build(args: tuple[dict, bool]) -> LabelledPage:
    page, test = args
    segs = segment_html(page["html"])
    return LabelledPage(
        dataset=page["dataset"],
        id=page["id"],
        lang=page["lang"],
        site=site_of(page),
        test=test,
        segments=segs,
        labels=label_segments(page, segs),
        gold_text=_gold_text(page),
    )


def _raw_pages(data: Path, datasets: Iterable[str], limit: int | None) -> list[dict]:
    out = []
    for name in datasets:
        for i, page in enumerate(pages(data, name)):
            if limit is not None and i >= limit:
                break
            if _usable(page):
                out.append(page)
    return out


def build_corpus(
    data: Path, datasets: Iterable[str] = DATASETS, limit: int | None = None, jobs: int = 2
) -> list[LabelledPage]:
    """Labelled pages, `limit` per dataset (for quick runs); split decided per site."""
    raw = _raw_pages(data, datasets, limit)
    sites = [site_of(p) for p in raw]
    zh_sites = {s for s, p in zip(sites, raw) if p["lang"] == "zh"}
    work = [(p, is_test_site(s, s in zh_sites)) for p, s in zip(raw, sites)]
    if jobs <= 1:
        return [_build(w) for w in work]
    with ProcessPoolExecutor(max_workers=jobs) as ex:
        return list(ex.map(_build, work, chunksize=8))

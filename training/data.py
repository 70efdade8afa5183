"""Read the shared benchmark datasets in place and assign every page a site and a split."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
DATASETS = (
    "l3s-gn1",
    "cleaneval",
    "cleanportaleval",
    "dragnet",
    "ir-research-data",
    "htmltotext-benchmark",
    "readability",
    "gne",
    "cx-extractor-netease",
    "trafilatura-eval",
)
TEST_SHARE = 0.25  # share of sites (by stable hash) held out for testing
# Chinese sites are few (≈20 with gold, besides the pinned 163.com), so half of them are held out:
# otherwise the zh test set would be three pages.
TEST_SHARE_ZH = 0.5
_URL_IN_HTML = re.compile(
    r"""<(?:link[^>]+rel=["']canonical["'][^>]*href|meta[^>]+property=["']og:url["'][^>]*content)"""
    r"""\s*=\s*["'](https?://[^"']+)""",
    re.I,
)
_ANY_ABS_URL = re.compile(r"""href=["'](https?://[^"'/]+)""", re.I)
_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu"}
_ARCHIVED = re.compile(r"archive\.org/web/\d+[a-z_]*/(https?://.+)")
# Link targets that say nothing about whose page it is.
_SHARED_HOSTS = {
    "facebook.com",
    "twitter.com",
    "google.com",
    "googleapis.com",
    "doubleclick.net",
    "addthis.com",
    "w3.org",
    "youtube.com",
    "linkedin.com",
    "pinterest.com",
    "archive.org",
    "feedburner.com",
    "adobe.com",
    "macromedia.com",
    "apple.com",
    "instagram.com",
    "x.com",
}
# GNE names its test folders by site; 163.com is the only large Chinese site in the data (all of
# cx-extractor plus GNE's 163 folder), so it is pinned to train: otherwise zh training would be
# left with ~30 labelled pages.
_GNE_SITES = {
    "163": "163.com",
    "qq": "qq.com",
    "sina": "sina.com.cn",
    "ifeng": "ifeng.com",
    "toutiao": "toutiao.com",
    "guancha": "guancha.cn",
    "gamersky": "gamersky.com",
    "readhub": "readhub.cn",
    "thepaper": "thepaper.cn",
}
PINNED_TRAIN = {"163.com"}


def pages(data: Path, name: str) -> Iterator[dict]:
    """Yield the pages of one dataset file (`name` without .jsonl.gz)."""
    with gzip.open(data / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def registered_domain(url: str) -> str | None:
    """Last two host labels (three under co.uk-style suffixes); a stand-in for a PSL lookup."""
    if m := _ARCHIVED.search(url):
        url = m.group(1)
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    parts = host.split(".")
    keep = 3 if len(parts) >= 3 and parts[-2] in _SECOND_LEVEL and len(parts[-1]) == 2 else 2
    return ".".join(parts[-keep:])


def site_of(page: dict) -> str:
    """The site a page belongs to, so that no site is in both train and test."""
    if page["dataset"] == "cx-extractor-netease":
        return "163.com"
    if page["dataset"] == "gne" and page["id"].startswith("tests/"):
        name = page["id"].split("/")[1]
        return _GNE_SITES.get(name, f"{name}.com")
    for url in [page.get("url")] + _URL_IN_HTML.findall(page["html"][:200_000]):
        if url and (dom := registered_domain(url)):
            return dom
    if page["dataset"] == "cleanportaleval":
        return page["id"].split("_")[0]
    return _dominant_link_domain(page["html"]) or f"{page['dataset']}:{page['id']}"


def _dominant_link_domain(html: str) -> str | None:
    """The domain most absolute links point to: a page's own site, for pages with no URL."""
    counts: dict[str, int] = {}
    for url in _ANY_ABS_URL.findall(html):
        dom = registered_domain(url)
        if dom and dom not in _SHARED_HOSTS:
            counts[dom] = counts.get(dom, 0) + 1
    if not counts:
        return None
    dom, n = max(counts.items(), key=lambda kv: kv[1])
    return dom if n >= 3 else None


def is_test_site(site: str, zh: bool = False) -> bool:
    """Stable hash split by site: the same site is always on the same side.

    `zh` marks sites with any Chinese page; callers decide it per site, never per page.
    """
    if site in PINNED_TRAIN:
        return False
    h = int.from_bytes(hashlib.sha1(site.encode("utf-8")).digest()[:8], "big")
    return (h % 10_000) / 10_000 < (TEST_SHARE_ZH if zh else TEST_SHARE)


TARGET_LANGS = ("en", "de", "zh")  # the languages issue 3 measures one by one


def lang_group(lang: str) -> str:
    """A target language, or "other": the rest have too few pages to read one by one."""
    return lang if lang in TARGET_LANGS else "other"


VALIDATION_SHARE = 0.25


def is_validation_site(site: str) -> bool:
    """A second stable split by site, inside the training sites only (`train_and_evaluate
    --validate`): variants are chosen on these sites, so the test sites are not used to choose."""
    h = int.from_bytes(hashlib.sha1(f"validation:{site}".encode()).digest()[:8], "big")
    return (h % 10_000) / 10_000 < VALIDATION_SHARE


MAX_HTML = 3_000_000  # pages above this (a few) are skipped: they are feeds, not articles


def usable(page: dict) -> bool:
    """Has gold that can be aligned: drops warned pages (gold not in the HTML, empty gold)."""
    return page["gold"] is not None and not page.get("warnings") and len(page["html"]) <= MAX_HTML


def unseen_zh_pages(data: Path) -> list[tuple[dict, str]]:
    """(page, site) for the Chinese pages without gold (GNE's test pages it gives no answer
    for) whose site has no usable page in the data: no model ever trains on them or on their
    site, so people's labels of them measure clf on sites nobody here has seen."""
    known = {site for _, site, _ in split_pages(data)}  # the usable pages' sites
    return [
        (p, site)
        for p in pages(data, "gne")
        if p["gold"] is None and p["lang"] == "zh" and (site := site_of(p)) not in known
    ]


def split_pages(
    data: Path, datasets: Iterable[str] = DATASETS, limit: int | None = None
) -> list[tuple[dict, str, bool]]:
    """(page, site, is_test) for the usable pages, `limit` per dataset; the split is per site."""
    raw = []
    for name in datasets:
        for i, page in enumerate(pages(data, name)):
            if limit is not None and i >= limit:
                break
            if usable(page):
                raw.append(page)
    sites = [site_of(p) for p in raw]
    zh_sites = {s for s, p in zip(sites, raw) if p["lang"] == "zh"}
    return [(p, s, is_test_site(s, s in zh_sites)) for p, s in zip(raw, sites)]

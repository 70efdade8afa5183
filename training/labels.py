"""Gold → segment labels: align blocks to each dataset's gold, then split non-article by rules.

Article vs not comes from the gold. No dataset separates clutter from noise, so that split is
made by `furniture_or_feed` (rules on class/id tokens and text shape, following LABELS.md);
its agreement with hand labels is measured in training/agreement.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree, html

from clf.clean import norm, shingles
from clf.features import BYLINE_CUE
from clf.segment import Segment

ARTICLE, CLUTTER, NOISE = "article", "clutter", "noise"
K = 6  # shingle length in normalised characters


class Gold:
    """A reference text, indexed for 'how much of this block is in it' queries."""

    def __init__(self, texts: Iterable[str]) -> None:
        texts = [t for t in texts if t and t.strip()]
        self.joined = "\n".join(norm(t) for t in texts)
        self.lines = {norm(line) for t in texts for line in t.splitlines() if norm(line)}
        self.grams: set[str] = set()
        for t in texts:
            self.grams |= shingles(t, K)

    def __bool__(self) -> bool:
        return bool(self.joined)

    def share(self, text: str) -> float:
        """Fraction of the block's shingles found in the gold (short blocks: exact matches)."""
        n = norm(text)
        if not n or not self.joined:
            return 0.0
        if len(n) < 2 * K:
            if n in self.lines:
                return 1.0
            return 0.3 if len(n) >= K and n in self.joined else 0.0  # ambiguous: left unlabelled
        grams = shingles(text, K)
        return sum(g in self.grams for g in grams) / len(grams)


# ---------------------------------------------------------------- clutter vs noise (rules)
CLUTTER_TOKENS = frozenset(
    "nav navbar navigation menu menus breadcrumb breadcrumbs crumbs header masthead footer foot "
    "share sharing social sns comment comments commentlist reply respond disqus copyright legal "
    "cookie cookies consent subscribe subscription newsletter signup login register tag tags "
    "tagcloud keywords byline author authors date dateline time timestamp meta metadata credit "
    "credits source sources print email toolbar tools search pagination pager skip logo "
    "related relatedlinks topics utility follow blogroll linkcat archive archives categories "
    "sitemap topnav subnav globalnav mainnav sitenav navlinks navlist dropdown signin account "
    "rss kudos permalink".split()
)
NOISE_TOKENS = frozenset(
    "popular mostread mostpopular most trending latest recent recommend recommended "
    "recommendation recommendations also sponsor sponsored promo promoted promotion ad ads advert "
    "adverts advertisement advertising adsense taboola outbrain teaser teasers feed stories "
    "headlines hot top toplist rank ranking ranklist more next prev previous other others "
    "newslist morenews moreheadlines partner partners".split()
)
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6 dt caption legend summary".split())
_DATEISH = re.compile(r"\d{1,4}[-./年月日:]\d{1,2}|\b(19|20)\d\d\b|\d{1,2}:\d\d")
_ELLIPSIS = re.compile(r"(\.\.\.|…|\.\.)\s*$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def byline_or_date(text: str) -> bool:
    """Short bylines, datelines and credits: clutter by LABELS.md even where a gold keeps them."""
    if len(text) > 120:
        return False
    if BYLINE_CUE.match(text):
        return True
    stripped = _DATEISH.sub("", text)
    return bool(_DATEISH.search(text)) and len(norm(stripped)) <= 0.3 * max(1, len(norm(text)))


def _story_like(seg: Segment) -> bool:
    """Looks like a headline or snippet of a story: long enough, or cut off with '…'."""
    words = len(seg.text.split())
    cjk = len(_CJK.findall(seg.text))
    if _ELLIPSIS.search(seg.text) and len(seg.text) >= 15:
        return True
    return words >= 5 or cjk >= 10


def _item_detail(text: str) -> bool:
    """Rank numbers, dates, comment counts: short and mostly digits."""
    t = text.strip()
    return len(t) <= 30 and sum(c.isdigit() for c in t) >= max(1, len(norm(t)) // 3)


def furniture_or_feed(seg: Segment) -> str:
    """clutter (about this page/story) or noise (about other stories) for a non-article block."""
    for tok in seg.tokens:  # nearest ancestor first: the innermost widget decides
        if tok in CLUTTER_TOKENS:
            return CLUTTER
        if tok in NOISE_TOKENS:
            if seg.tag not in HEADING_TAGS and (_story_like(seg) or _item_detail(seg.text)):
                return NOISE  # feed items and their per-item details (rank, date, count)
            return CLUTTER  # the widget's heading, its "more" link, a menu entry
    linky = seg.link_chars >= 0.6 * len(seg.text)
    if _story_like(seg) and (linky or _ELLIPSIS.search(seg.text)):
        return NOISE
    return CLUTTER


# ---------------------------------------------------------------- per-dataset gold → labels
def _parse(annotated_html: str) -> etree._Element | None:
    """The assessors' copy parsed with lxml (training only): its spans carry the classes."""
    if not annotated_html.strip():
        return None
    parser = html.HTMLParser(remove_comments=True, no_network=True, recover=True, huge_tree=True)
    try:
        return html.document_fromstring(annotated_html.replace("\x00", ""), parser=parser)
    except (etree.ParserError, ValueError):
        return None


def _l3s_gold(annotated_html: str) -> dict[str, Gold]:
    """Text of each L3S class, taken from the assessors' annotated copy of the page."""
    root = _parse(annotated_html)
    buckets: dict[str, list[str]] = {"article": [], "related": [], "comments": []}
    if root is None:
        return {k: Gold([]) for k in buckets}
    which = {
        "x-nc-sel1": "article",
        "x-nc-sel2": "article",
        "x-nc-sel3": "article",
        "x-nc-sel4": "related",
        "x-nc-sel5": "comments",
    }
    for span in root.iter("span"):
        cls = span.get("class") or ""
        bucket = which.get(cls.strip())
        if bucket is None:
            continue
        # Only the span's own text nodes: nested selN spans are visited on their own.
        parts = [span.text or ""]
        for child in span:
            inner = child.get("class", "") if isinstance(child.tag, str) else ""
            if not inner.startswith("x-nc-sel"):
                parts.append(
                    etree.tostring(child, method="text", encoding="unicode", with_tail=False)
                )
            parts.append(child.tail or "")
        buckets[bucket].append(" ".join(parts))
    return {k: Gold(v) for k, v in buckets.items()}


def label_segments(page: dict, segs: list[Segment]) -> list[str | None]:
    """One label per segment (None = unknown: ambiguous alignment or outside partial gold)."""
    gold = page["gold"]
    kind = gold["kind"]
    out: list[str | None] = []
    if kind == "blocks":
        g = _l3s_gold(gold["annotated_html"])
        for s in segs:
            share = g["article"].share(s.text)
            if share >= 0.5:
                out.append(ARTICLE)
            elif g["comments"].share(s.text) >= 0.5:
                out.append(CLUTTER)
            elif share >= 0.2:
                out.append(None)
            else:
                out.append(furniture_or_feed(s))
        return _house_rules(segs, out)
    if kind == "snippets":
        with_, without = Gold(gold.get("with", [])), Gold(gold.get("without", []))
        comments = Gold(gold.get("comments", []))
        for s in segs:
            n = norm(s.text)
            if with_.share(s.text) >= 0.5 or any(
                norm(w) in n for w in gold.get("with", []) if len(norm(w)) >= 2 * K
            ):
                out.append(ARTICLE)
            elif comments.share(s.text) >= 0.5:
                out.append(CLUTTER)
            elif without.share(s.text) >= 0.5:
                out.append(furniture_or_feed(s))
            else:
                out.append(None)
        return _house_rules(segs, out)
    main, comments = Gold([gold["text"]]), Gold([gold.get("comments", "")])
    title = norm((page.get("meta") or {}).get("title") or "")
    for s in segs:
        share = main.share(s.text)
        if share >= 0.5:
            out.append(ARTICLE)
        elif title and norm(s.text) == title and s.tag != "a":
            out.append(ARTICLE)  # datasets whose gold omits the headline (cx-extractor, gne)
        elif comments.share(s.text) >= 0.5:
            out.append(CLUTTER)
        elif share >= 0.2:
            out.append(None)
        else:
            out.append(furniture_or_feed(s))
    return _house_rules(segs, out) if main else out


def _house_rules(segs: list[Segment], labels: list[str | None]) -> list[str | None]:
    """Where LABELS.md is more specific than the datasets' gold: title line, bylines, dates."""
    out = list(labels)
    for i, s in enumerate(segs):
        if s.tag == "title":
            out[i] = ARTICLE  # the page-title line is a headline copy
        elif out[i] == ARTICLE and byline_or_date(s.text):
            out[i] = CLUTTER
    return out

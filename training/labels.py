"""Gold → segment labels: align blocks to each dataset's gold, then split non-article by rules.

Article vs not comes from the gold (on snippet-gold pages, also from where the named story
sentences lie: `_between_snippets`). No dataset separates clutter from noise, so that split is
made by rules following LABELS.md (`furniture_and_feeds`): each block by its class/id tokens
and text shape (`furniture_or_feed`), then whole feeds found page-wide (runs of repeated
linked headline items, with the dates, authors and snippets that repeat between them) become
noise. They are measured against hand labels by training/hand_eval.py (`--training-sites`,
the set they were tuned on) and training/agreement.py.
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
PREV_NEXT = frozenset("prev previous next older newer nextstory prevstory".split())
# Prompts about this page, clutter even when linked and headline-long.
_PROMPT = re.compile(
    r"(continue reading|read more|see more|see all|view all|more in |sign (in|up)|log ?in|"
    r"send this|share this|subscribe|get .* delivered|browse|click here|查看|进入|阅读全部)",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
RULES = "rules"  # placeholder in label_segments: not article by the gold, split by the rules
FEED_MIN_ITEMS = 3  # linked headline items in a run before it counts as a feed
FEED_GAP = 6  # at most this many other segments between two items of one feed
FEED_WORDS = 3  # median item length (words; CJK: three characters a word) of a feed
STRONG_CLUTTER = frozenset(
    "nav navbar navigation menu breadcrumb breadcrumbs footer header masthead share sharing "
    "social comment comments commentlist reply respond copyright legal tags tagcloud".split()
)
_SEPARATED = re.compile(r"(\s[|•▪·]\s.*){2}")


def _words(text: str) -> int:
    """Words, counting three CJK characters as one."""
    return len(text.split()) + len(_CJK.findall(text)) // 3


def _linked(seg: Segment) -> bool:
    """Mostly link text: a headline link, a menu entry, a link row."""
    return seg.link_chars >= 0.6 * len(seg.text)


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
    linky = _linked(seg)
    if _PROMPT.match(seg.text):
        return CLUTTER  # "read more", "continue reading", "sign in": about this page
    if linky and _words(seg.text) >= 5 and any(t in PREV_NEXT for t in seg.tokens[:3]):
        return NOISE  # the previous / next story, even inside a "nav" or "pagination" box
    for tok in seg.tokens:  # nearest ancestor first: the innermost widget decides
        if tok in CLUTTER_TOKENS:
            return CLUTTER
        if tok in NOISE_TOKENS:
            if seg.tag not in HEADING_TAGS and (_story_like(seg) or _item_detail(seg.text)):
                return NOISE  # feed items and their per-item details (rank, date, count)
            return CLUTTER  # the widget's heading, its "more" link, a menu entry
    if _SEPARATED.search(seg.text):
        return CLUTTER  # a row of links: "Home | World | Sport"
    if _story_like(seg) and (linky or _ELLIPSIS.search(seg.text)):
        return NOISE
    return CLUTTER


def _item_key(seg: Segment) -> tuple:
    """Items of one list share their tag and nearest class/id tokens."""
    return (seg.tag, seg.tokens[:2])


def _strong_clutter(seg: Segment) -> bool:
    """Inside a menu, footer, share bar or comment thread, or a "Related" widget (LABELS.md)."""
    return any(
        t in STRONG_CLUTTER or (t.startswith("related") and "popular" not in t) for t in seg.tokens
    )


def _runs(members: list[int]) -> list[list[int]]:
    """Members of one item key, split where more than FEED_GAP other segments separate them."""
    runs = [[members[0]]]
    for i in members[1:]:
        if i - runs[-1][-1] > FEED_GAP + 1:
            runs.append([])
        runs[-1].append(i)
    return runs


def _is_feed(segs: list[Segment], run: list[int], inside: set[int]) -> bool:
    """Headline-length items, or short items each followed by an unlinked snippet."""
    if len(run) < FEED_MIN_ITEMS or any(_strong_clutter(segs[i]) for i in run):
        return False
    words = sorted(_words(segs[i].text) for i in run)
    if words[len(words) // 2] >= FEED_WORDS:
        return True
    snippets = sum(
        i + 1 in inside and segs[i + 1].link_chars == 0 and _words(segs[i + 1].text) >= 5
        for i in run
        if i + 1 < len(segs)
    )
    return snippets >= 0.6 * len(run)


def _feed_spans(
    segs: list[Segment], ruled: list[int], inside: set[int]
) -> list[tuple[int, int, tuple]]:
    """Runs of repeated linked items that read like headlines of other stories, widened to
    the details that repeat with them (a date before each item, a snippet after it).
    `ruled` lists the segments left to the rules in page order, `inside` is them as a set."""
    groups: dict[tuple, list[int]] = {}
    for i in ruled:
        s = segs[i]
        if s.tokens and _linked(s) and not _SEPARATED.search(s.text):
            groups.setdefault(_item_key(s), []).append(i)
    spans = []
    for key, members in groups.items():
        for run in _runs(members):
            if not _is_feed(segs, run, inside):
                continue
            first, last = run[0], run[-1]
            period = max(1, (last - first) // (len(run) - 1))
            details = {_item_key(segs[i]) for i in range(first, last + 1)} - {key}
            while first - 1 in inside and first > run[0] - period + 1:
                if _item_key(segs[first - 1]) not in details:
                    break
                first -= 1
            while last + 1 in inside and last < run[-1] + period - 1:
                if _item_key(segs[last + 1]) not in details:
                    break
                last += 1
            spans.append((first, last, key))
    return spans


def furniture_and_feeds(segs: list[Segment], labels: list[str | None]) -> list[str | None]:
    """Split the segments left to the rules into clutter and noise, page-wide: each by its own
    class/id and shape, then whole feeds (runs of headline items and the details between
    them) as noise."""
    ruled = [i for i, lab in enumerate(labels) if lab == RULES]
    out = list(labels)
    for i in ruled:
        out[i] = furniture_or_feed(segs[i])
    inside = set(ruled)
    for first, last, key in _feed_spans(segs, ruled, inside):
        for i in range(first, last + 1):
            s = segs[i]
            heading = s.tag in HEADING_TAGS and _item_key(s) != key
            detail = _item_detail(s.text)  # a count in a feed item, even in a "comment" box
            if i in inside and not heading and (detail or not _strong_clutter(s)):
                out[i] = NOISE
    return out


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
                out.append(RULES)
        return _house_rules(segs, furniture_and_feeds(segs, out))
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
                out.append(RULES)
            else:
                out.append(None)
        return _house_rules(segs, furniture_and_feeds(segs, _between_snippets(segs, out)))
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
            out.append(RULES)
    out = furniture_and_feeds(segs, out)
    return _house_rules(segs, out) if main else out


def _between_snippets(segs: list[Segment], labels: list[str | None]) -> list[str | None]:
    """Snippet gold names a few sentences of the story and a few of the furniture, which leaves
    most of a page unknown. Two kinds of the rest are safe to label: link rows and blocks in
    menus, footers, share bars, comment threads and "Related" widgets are not the story (left
    to the clutter/noise rules), and unlinked text between the first and last matched story
    sentence is the story. On the training-site hand set (11 snippet pages) the first kind is
    869 non-article segments and 5 article, the second 130 article and 5 not."""
    story = [i for i, lab in enumerate(labels) if lab == ARTICLE and segs[i].tag != "title"]
    first, last = (story[0], story[-1]) if story else (len(segs), -1)
    out = list(labels)
    for i, s in enumerate(segs):
        if out[i] is not None:
            continue
        if _linked(s) or _strong_clutter(s):
            out[i] = RULES
        elif first < i < last:
            out[i] = ARTICLE
    return out


def _house_rules(segs: list[Segment], labels: list[str | None]) -> list[str | None]:
    """Where LABELS.md is more specific than the datasets' gold: title line, bylines, dates."""
    out = list(labels)
    for i, s in enumerate(segs):
        if s.tag == "title":
            out[i] = ARTICLE  # the page-title line is a headline copy
        elif out[i] == ARTICLE and byline_or_date(s.text):
            out[i] = CLUTTER
    return out

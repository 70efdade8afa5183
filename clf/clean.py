"""Undo scraper spam in the article: repeated headline/paragraphs and injected pinyin glosses.

Glosses are only removed when the parenthesised text is pinyin (a run of valid syllables, with
tone marks or short) right after a Han character, so "(AGI)", "(2025)", "(id:taimeiti)" and
"(Scaling Law)" stay. Repeats are found by 5-character shingles of normalised text: a segment
whose shingles were (almost) all seen earlier in the article is a copy, whatever its line breaks
(compiled in clf/copies.py; `shingles` is the same rule in Python, used to label training data).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress

from clf.copies import dedupe as dedupe_texts
from clf.copies import lowered_codes
from clf.cues import char_classes
from clf.hashing import joined_code_points
from clf.segment import UNRENDERED_TAGS, Segment, Segments

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_VOWELS = "aeiouüv" + _TONED
_SYLLABLE = rf"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?[{_VOWELS}]{{1,4}}(?:ng|n|r)?(?![{_VOWELS}])"
_PINYIN = re.compile(rf"(?:{_SYLLABLE}){{1,8}}")
HAN = r"\u3400-\u4dbf\u4e00-\u9fff"  # CJK unified ideographs (incl. extension A)
# One or more parenthesised lower-case Latin runs after a Han character or a closing quote.
_GLOSS = re.compile(rf"(?<=[{HAN}”」』）)])((?:[(（][a-z{_TONED}ü]{{1,24}}[)）])+)")
_GLOSS_AFTER = "”」』）)"  # besides Han characters, what a gloss may follow
_ONE = re.compile(rf"[(（]([a-z{_TONED}ü]+)[)）]")
_NORM = re.compile(r"[\W_]+", re.UNICODE)
SHINGLE = 5
DUPLICATE_SHARE = 0.8  # a segment is a copy when this share of its shingles came earlier


def _is_pinyin(word: str) -> bool:
    """Valid pinyin syllables; untoned glosses must be short (de, le, shi) to count."""
    if not _PINYIN.fullmatch(word):
        return False
    return any(c in _TONED for c in word) or len(word) <= 6


def find_glosses(text: str) -> list[tuple[int, int]]:
    """Spans of injected pinyin glosses such as "数据(shùjù)" → the "(shùjù)" part."""
    if "(" not in text and "（" not in text:
        return []
    spans = []
    for m in _GLOSS.finditer(text):
        words = _ONE.findall(m.group(1))
        if words and all(_is_pinyin(w) for w in words):
            spans.append(m.span(1))
    return spans


def may_gloss(text: str) -> bool:
    """Whether `find_glosses` could find one: an opening parenthesis right after a Han
    character or a closing quote. `str.find` from parenthesis to parenthesis, where the
    gloss regex tries its look-behind at every position (0.07 ms for a page's article)."""
    for paren in "(（":
        i = text.find(paren, 1)
        while i > 0:
            c = text[i - 1]
            if c in _GLOSS_AFTER or "\u3400" <= c <= "\u4dbf" or "\u4e00" <= c <= "\u9fff":
                return True
            i = text.find(paren, i + 1)
    return False


def strip_glosses(text: str, spans: list[tuple[int, int]] | None = None) -> str:
    out, last = [], 0
    for a, b in find_glosses(text) if spans is None else spans:
        out.append(text[last:a])
        last = b
    out.append(text[last:])
    return "".join(out)


def norm(text: str) -> str:
    """Lowercase, drop whitespace and punctuation, so markup differences do not matter."""
    return _NORM.sub("", text.lower())


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    """k-character shingles of the normalised text (the whole text when shorter than k)."""
    n = norm(text)
    if len(n) <= k:
        return {n} if n else set()
    return {n[i : i + k] for i in range(len(n) - k + 1)}


@dataclass(slots=True)
class Cleaned:
    text: str  # the article, each part once, glosses removed
    duplicates: list[int]  # indices (Segment.index) of article segments dropped as copies
    trimmed: list[int]  # segments that began with an earlier segment (e.g. headline + dek)
    glosses: int = 0  # pinyin glosses found in the article segments (removed or not)


@dataclass(slots=True)
class Article:
    """A page's article segments as cleaning read them, for the quality signals to read again
    when `clf.page.Page.quality` is first read: their rows and texts. Only these: a page kept
    unread would otherwise hold its article's code points and lower case, more than the rest
    of the page takes (session 30)."""

    rows: list[int]
    texts: list[str]

    @classmethod
    def of(cls, segs: Segments) -> Article:
        """The article rows of labelled segments and their texts."""
        rows = article_rows(segs)
        return cls(rows, [segs.texts[i] for i in rows])


def article_rows(segs: Segments) -> list[int]:
    """Rows labelled article, in page order, but for the text of an `<iframe>`, `<noembed>` or
    `<noframes>`: markup a page puts inside one for browsers without frames or plugins (ad
    code, mostly), which lexbor keeps as text and a browser never shows. The model calls a few
    of those segments article (5 of the 50 iframes on the held-out pages); they keep their
    label, but no article is made of them."""
    rows = list(compress(range(len(segs.labels)), map("article".__eq__, segs.labels)))
    if not UNRENDERED_TAGS.isdisjoint(segs.tags):
        rows = [i for i in rows if segs.tags[i] not in UNRENDERED_TAGS]
    return rows


def clean_article(
    segments: Sequence[Segment], dedupe: bool = True, remove_glosses: bool = True
) -> Cleaned:
    """The article text from article segments, first copy of each part kept, order preserved."""
    return cleaned_article(Segments.of(segments), dedupe, remove_glosses)[0]


def cleaned_article(
    segs: Segments, dedupe: bool = True, remove_glosses: bool = True
) -> tuple[Cleaned, Article]:
    """`clean_article`, and what it read of the article (`Article`)."""
    article = Article.of(segs)
    texts, glosses = article.texts, 0
    joined = "\0" + "\0".join(texts) + "\0"  # as code_points joins them
    if may_gloss(joined):  # the NULs keep a gloss from matching across texts
        texts = []
        for text in article.texts:
            spans = find_glosses(text)
            glosses += len(spans)
            texts.append(strip_glosses(text, spans) if remove_glosses and spans else text)
        if remove_glosses and glosses:
            joined = "\0" + "\0".join(texts) + "\0"
        else:
            texts = article.texts
    if not dedupe or not texts:
        return Cleaned(text="\n".join(texts), duplicates=[], trimmed=[], glosses=glosses), article
    codes, seps = joined_code_points(joined, texts)
    shingled = lowered_codes(codes, texts)
    starts, copies = dedupe_texts(codes, shingled, seps, char_classes(), DUPLICATE_SHARE)
    lines, dups, trimmed = [], [], []
    for i, text, start, copy in zip(article.rows, texts, starts.tolist(), copies.tolist()):
        if start >= 0:
            trimmed.append(segs.index_of(i))
            text = text[start:]
        if copy:
            dups.append(segs.index_of(i))
        else:
            lines.append(text)
    return Cleaned(
        text="\n".join(lines), duplicates=dups, trimmed=trimmed, glosses=glosses
    ), article

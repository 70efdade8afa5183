"""Page quality: what share is article, and whether the page is scraper spam.

Signals follow web-corpus filters (Gopher/C4-style repetition and text-share checks) adapted to
news pages. Thresholds were chosen on data (`python3 -m training.quality_thresholds`): each sits
above the 99.5th percentile of the held-out real pages, so real news pages almost never fire,
while the spam seed (body pasted twice, pinyin injected) fires two reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import compress, repeat

from clf.clean import Article, Cleaned
from clf.copies import class_counts, lowered_code_points, repeated_share
from clf.cues import char_classes
from clf.features import ELLIPSES
from clf.hashing import code_points
from clf.segment import LABELS, Segment, Segments

# name: (threshold, direction); "above" fires when signal >= threshold, "below" when <=.
THRESHOLDS: dict[str, tuple[float, str]] = {
    "duplicate_share": (0.45, "above"),  # share of article chars in copies of earlier article text
    "gloss_rate": (2.0, "above"),  # injected pinyin glosses per 100 Han characters of article
    "repeated_ngram_share": (0.40, "above"),  # tokens inside 5-grams that occur more than once
    "ellipsis_share": (0.60, "above"),  # article segments ending in "…": the "story" is teasers
    "article_chars": (80, "below"),  # essentially no article
    "letter_share": (0.50, "below"),  # article mostly digits/symbols
}


@dataclass(slots=True)
class Quality:
    """Page-level signals and the spam verdict; `quality` = 1 - `spam_score`."""

    shares: dict[str, float]
    article_chars: int
    duplicate_share: float
    duplicate_segments: list[int]
    gloss_count: int
    gloss_rate: float
    repeated_ngram_share: float
    ellipsis_share: float
    letter_share: float
    spam: bool
    spam_score: float
    quality: float
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _strength(name: str, value: float) -> float:
    """0 at no signal, 0.5 at the threshold, 1 at twice (or, for 'below', none) of it."""
    threshold, direction = THRESHOLDS[name]
    if direction == "above":
        return min(1.0, 0.5 * value / threshold)
    return min(1.0, max(0.0, 1.0 - 0.5 * value / threshold))


def assess(
    segments: Sequence[Segment], cleaned: Cleaned, article: Article | None = None
) -> Quality:
    """Quality of a classified page, from its labelled segments and its cleaned article
    (`article`: what `cleaned_article` read of them, if at hand)."""
    segs = Segments.of(segments)
    lengths, labels = list(map(len, segs.texts)), segs.labels
    chars = {lab: sum(compress(lengths, map(lab.__eq__, labels))) for lab in LABELS}
    total = sum(chars.values()) or 1
    if article is None:
        article = Article.of(segs)
    texts = article.texts
    raw_article = sum(map(len, texts))
    dup_ids = set(cleaned.duplicates)
    dup_chars = (
        sum(lengths[i] for i in article.rows if segs.index_of(i) in dup_ids) if dup_ids else 0
    )
    glosses = cleaned.glosses
    text = cleaned.text
    classes = char_classes()
    # the Han count is read only as the glosses' denominator: none on most pages
    han = class_counts(code_points(texts)[0], classes)[0] if glosses else 0
    clean_codes = lowered_code_points([text])
    letters = class_counts(clean_codes, classes)[1]
    signals = {
        "duplicate_share": dup_chars / raw_article if raw_article else 0.0,
        "gloss_rate": 100 * glosses / han if han else 0.0,
        "repeated_ngram_share": repeated_share(clean_codes, classes, 5),
        "ellipsis_share": (
            sum(map(str.endswith, map(str.rstrip, texts), repeat(ELLIPSES))) / len(texts)
            if texts
            else 0.0
        ),
        "article_chars": float(len(text)),
        "letter_share": letters / len(text) if text else 0.0,
    }
    strengths = {k: _strength(k, v) for k, v in signals.items()}
    if not segs:  # nothing to judge: an empty page is reported, not called spam
        strengths = {k: 0.0 for k in strengths}
    reasons = [k for k, v in strengths.items() if v >= 0.5]
    score = max(strengths.values(), default=0.0)
    return Quality(
        shares={lab: round(c / total, 4) for lab, c in chars.items()},
        article_chars=len(text),
        duplicate_share=round(signals["duplicate_share"], 4),
        duplicate_segments=sorted(dup_ids),
        gloss_count=glosses,
        gloss_rate=round(signals["gloss_rate"], 3),
        repeated_ngram_share=round(signals["repeated_ngram_share"], 4),
        ellipsis_share=round(signals["ellipsis_share"], 4),
        letter_share=round(signals["letter_share"], 4),
        spam=bool(reasons),
        spam_score=round(score, 4),
        quality=round(1.0 - score, 4),
        reasons=reasons,
    )

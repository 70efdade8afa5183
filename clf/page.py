"""What classifying a page returns: labelled segments, the clean article and its quality."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clf.clean import Article, Cleaned
from clf.quality import Quality, assess
from clf.segment import Segment, Segments


@dataclass(slots=True)
class Page:
    """A classified page. `segments` keep page order; `article` is the cleaned article text;
    `quality` is worked out when first read (see `quality`)."""

    kind: str  # "html" or "text"
    segments: Sequence[Segment] = field(default_factory=list)  # `Segments` from classify
    source: str | None = None  # file name or caller-given id
    cleaned: Cleaned | None = None
    _quality: Quality | None = field(default=None, repr=False, compare=False)
    # what `assess` reads, until `quality` is first read: the article cleaned with dedupe and
    # glosses removed, and what cleaning read of the segments
    _unassessed: tuple[Cleaned, Article] | None = field(default=None, repr=False, compare=False)

    @property
    def quality(self) -> Quality | None:
        """The page's quality signals and spam verdict (clf/quality.py), from the page as it
        was classified. Worked out on first read, not by `classify`: a scraper that only takes
        the article does not pay for them (7 % of an HTML page's time, 11 % of a text page's).
        Labels or texts edited on `segments` before the first read do not change it (a
        pickled page is as it was when pickled). Two threads reading it at once may both work
        it out; they get equal values."""
        pending = self._unassessed
        if pending is not None:
            segs = self.segments
            if isinstance(segs, Segments):
                segs = segs.as_classified()
            self._quality = assess(segs, *pending)
            self._unassessed = None
        return self._quality

    @property
    def article_segments(self) -> list[Segment]:
        return [s for s in self.segments if s.label == "article"]

    @property
    def article(self) -> str:
        """Article segments, each repeated part once and glosses removed (see clf/clean.py)."""
        if self.cleaned is not None:
            return self.cleaned.text
        return "\n".join(s.text for s in self.article_segments)

    def keep(self, min_quality: float = 0.5) -> bool:
        """Filter-mode test: False for pages judged spam at this quality bar."""
        return self.quality is None or self.quality.quality >= min_quality

    def segment_rows(self) -> list[dict[str, Any]]:
        """index, line, label, score (4 places) and text of each segment, read from the
        segments' columns (no `Segment` objects are made for them)."""
        segs = Segments.of(self.segments)
        return [
            {"index": segs.index_of(i), "line": line, "label": label,
             "score": round(score or 0.0, 4), "text": text}
            for i, (line, label, score, text) in enumerate(
                zip(segs.lines, segs.labels, segs.scores, segs.texts)
            )
        ]  # fmt: skip

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per segment (the CLI's JSONL rows)."""
        rows = [{"page": self.source, **r} for r in self.segment_rows()]
        for row in rows:
            if row["line"] is None:  # HTML blocks have no line number
                del row["line"]
        return rows

    def page_record(self) -> dict[str, Any]:
        """The JSONL page record: kind, segment count and quality signals."""
        return {
            "page": self.source,
            "record": "page",
            "kind": self.kind,
            "segments": len(self.segments),
            "quality": self.quality.as_dict() if self.quality else None,
        }

"""What classifying a page returns: its segments with labels, and the clean article."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clf.segment import Segment


@dataclass(slots=True)
class Page:
    """A classified page. `segments` keep page order; `article` joins the article segments."""

    kind: str  # "html" or "text"
    segments: list[Segment] = field(default_factory=list)
    source: str | None = None  # file name or caller-given id

    @property
    def article_segments(self) -> list[Segment]:
        return [s for s in self.segments if s.label == "article"]

    @property
    def article(self) -> str:
        return "\n".join(s.text for s in self.article_segments)

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per segment (the CLI's JSONL rows)."""
        rows = []
        for s in self.segments:
            row: dict[str, Any] = {"page": self.source, "index": s.index}
            if s.line is not None:
                row["line"] = s.line
            row.update(label=s.label, score=round(s.score or 0.0, 4), text=s.text)
            rows.append(row)
        return rows

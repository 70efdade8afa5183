"""Load the shipped model once, then classify pages (str or bytes) into `Page`s."""

from __future__ import annotations

from pathlib import Path

import joblib

from clf.clean import clean_article
from clf.decode import decode
from clf.features import DENSE_COLUMNS
from clf.model import Linear, SegmentModel
from clf.page import Page
from clf.quality import assess
from clf.safety import MAX_PAGE_BYTES, check_page, sanitize, verify
from clf.segment import Kind, segment

MODEL_NAME = "clf-model.joblib"
# A wheel carries the model inside the package; a source checkout has it in models/.
_CANDIDATES = (
    Path(__file__).resolve().parent / "data" / MODEL_NAME,
    Path(__file__).resolve().parent.parent / "models" / MODEL_NAME,
)


def default_model_path() -> Path:
    return next((p for p in _CANDIDATES if p.is_file()), _CANDIDATES[-1])


class ModelError(Exception):
    """The model file is missing or is not a clf model."""


class Classifier:
    """Thread-safe: `classify` only reads the fitted model. Picklable for worker processes."""

    def __init__(self, model: SegmentModel, max_page_bytes: int = MAX_PAGE_BYTES) -> None:
        self.model = model
        self.max_page_bytes = max_page_bytes

    def classify(
        self,
        page: str | bytes,
        kind: Kind = "auto",
        source: str | None = None,
        dedupe: bool = True,
        remove_glosses: bool = True,
    ) -> Page:
        """Label every segment, then build the clean article and the page's quality.

        `dedupe` and `remove_glosses` only change `page.article`; the quality signals always
        look for copies and glosses. Raises `PageError` for over-size or binary input.
        """
        check_page(page, self.max_page_bytes)
        text = sanitize(decode(page) if isinstance(page, bytes) else page)
        resolved, segs = segment(text, kind)
        if segs:
            segs.set_labels(self.model.predict_proba([segs])[0])
        full = clean_article(segs)
        cleaned = full if dedupe and remove_glosses else clean_article(segs, dedupe, remove_glosses)
        return Page(
            kind=resolved, segments=segs, source=source, cleaned=cleaned, quality=assess(segs, full)
        )

    def classify_many(self, pages: list[str | bytes], kind: Kind = "auto") -> list[Page]:
        return [self.classify(p, kind) for p in pages]

    def filter(self, pages: list[str | bytes], min_quality: float = 0.5) -> list[Page]:
        """Classify and keep only pages at or above the quality bar (filter mode)."""
        return [p for p in self.classify_many(pages) if p.keep(min_quality)]


def load(path: str | Path | None = None, max_page_bytes: int = MAX_PAGE_BYTES) -> Classifier:
    """The shipped model by default; `path` for one built by `training.train_and_evaluate`.

    The file is unpickled only after its SHA-256 matches the manifest written next to it by
    training (`<model>.sha256.json`): a tampered or foreign file is refused, never executed.
    """
    path = Path(path) if path is not None else default_model_path()
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    try:
        verify(path)
    except ValueError as exc:
        raise ModelError(str(exc)) from None
    try:
        model = joblib.load(path)
    except Exception as exc:  # joblib raises many types for a broken file
        raise ModelError(f"cannot load model {path}: {exc}") from exc
    if not isinstance(model, SegmentModel):
        raise ModelError(f"{path} is not a clf model")
    if not isinstance(getattr(model, "stage2", None), Linear):
        raise ModelError(
            f"{path} was made by an older clf (before 0.2); rebuild it with training.train_and_evaluate"
        )
    columns = len(model.featurizer.mean)
    if columns != DENSE_COLUMNS:
        raise ModelError(
            f"{path} was made by another clf version ({columns} shallow-feature columns, this "
            f"one makes {DENSE_COLUMNS}); rebuild it with training.train_and_evaluate"
        )
    return Classifier(model, max_page_bytes)

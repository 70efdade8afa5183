"""Load the shipped model once, then classify pages (str or bytes) into `Page`s."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np

from clf.decode import decode
from clf.model import LABELS, SegmentModel
from clf.page import Page
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

    def __init__(self, model: SegmentModel) -> None:
        self.model = model

    def classify(self, page: str | bytes, kind: Kind = "auto", source: str | None = None) -> Page:
        text = decode(page) if isinstance(page, bytes) else page
        resolved, segs = segment(text, kind)
        if segs:
            probs = self.model.predict_proba([segs])[0]
            best = probs.argmax(axis=1)
            for s, k, row in zip(segs, best, probs):
                s.label = LABELS[k]
                s.score = float(row[k])
                s.probs = {lab: float(p) for lab, p in zip(LABELS, np.round(row, 4))}
        return Page(kind=resolved, segments=segs, source=source)

    def classify_many(self, pages: list[str | bytes], kind: Kind = "auto") -> list[Page]:
        return [self.classify(p, kind) for p in pages]


def load(path: str | Path | None = None) -> Classifier:
    """The shipped model by default; `path` for one built by `training.train_and_evaluate`."""
    path = Path(path) if path is not None else default_model_path()
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    try:
        model = joblib.load(path)
    except Exception as exc:  # joblib raises many types for a foreign file
        raise ModelError(f"cannot load model {path}: {exc}") from exc
    if not isinstance(model, SegmentModel):
        raise ModelError(f"{path} is not a clf model")
    return Classifier(model)

"""Apply clf to a Spark DataFrame column of HTML or text pages.

    from clf.spark import classify_dataframe
    out = classify_dataframe(df, "html")     # adds article, labels, scores, quality, error

The model file is read once on the driver and broadcast; each executor process unpickles it
once (after checking its SHA-256 like `clf.load`) and reuses it for every partition. Needs the
`spark` extra (pyspark, pandas, pyarrow) on the driver and clf on the executors.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clf.classifier import Classifier, default_model_path, load
from clf.heap import keep_freed_memory
from clf.page import Page
from clf.safety import PageError
from clf.segment import Segments

_CACHE: dict[str, Classifier] = {}
OUTPUT_COLUMNS = (
    "article string, labels array<string>, scores array<float>, quality string, error string"
)


def _model_from(payload: bytes, digest: str) -> Classifier:
    """Unpickle the broadcast model once per executor process, after checking its digest."""
    if digest not in _CACHE:
        if hashlib.sha256(payload).hexdigest() != digest:
            raise ValueError("broadcast model does not match its digest")
        _CACHE[digest] = pickle.loads(payload)
        keep_freed_memory()  # Arrow batches of pages come and go: keep their memory
    return _CACHE[digest]


EMPTY = {"article": None, "labels": None, "scores": None, "quality": None}


def classify_values(model: Classifier, values: list[Any]) -> list[dict[str, Any]]:
    """Each row's outputs, the model run over the rows together (`Classifier.classify_many`);
    a missing or bad page gives an `error` instead of failing the whole job."""
    pages = iter(model.classify_many([v for v in values if v is not None], return_errors=True))
    return [_row(next(pages)) if v is not None else {**EMPTY, "error": "no page"} for v in values]


def _row(page: Page | PageError) -> dict[str, Any]:
    if isinstance(page, PageError):
        return {**EMPTY, "error": str(page)}
    segs = Segments.of(page.segments)
    return {
        "article": page.article,
        "labels": list(segs.labels),
        "scores": [float(s or 0.0) for s in segs.scores],
        "quality": json.dumps(page.quality.as_dict()) if page.quality else None,
        "error": None,
    }


def classify_dataframe(df, column: str, model_path: str | Path | None = None):
    """`df` with the columns of OUTPUT_COLUMNS added, computed from `column` (HTML or text)."""
    import pandas as pd
    from pyspark.sql.types import StructType

    path = Path(model_path) if model_path else default_model_path()
    classifier = load(path)  # verifies the manifest and that it is a clf model, on the driver
    payload = pickle.dumps(classifier)
    digest = hashlib.sha256(payload).hexdigest()
    broadcast = df.sparkSession.sparkContext.broadcast(payload)
    schema = StructType.fromJson(json.loads(df.schema.json()))
    for field in df.sparkSession.createDataFrame([], OUTPUT_COLUMNS).schema.fields:
        schema = schema.add(field)

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        model = _model_from(broadcast.value, digest)
        for pdf in batches:
            rows = classify_values(model, list(pdf[column]))
            out = pd.DataFrame(rows, columns=["article", "labels", "scores", "quality", "error"])
            yield pd.concat([pdf.reset_index(drop=True), out], axis=1)

    return df.mapInPandas(run, schema=schema)

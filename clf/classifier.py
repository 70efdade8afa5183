"""Load the shipped model once, then classify pages (str or bytes) into `Page`s."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import joblib

from clf.clean import clean_article, cleaned_article
from clf.decode import decode
from clf.features import DENSE_COLUMNS
from clf.model import Linear, SegmentModel
from clf.page import Page
from clf.safety import MAX_PAGE_BYTES, PageError, sanitize_utf8, verify
from clf.segment import Kind, Segments, segment
from clf.unpack import readable_page

MODEL_NAME = "clf-model.joblib"
# classify_many runs the model over this many pages (or segments) at once: fewer calls, each
# over more rows, without the batch outgrowing the core's caches (see README, "Library")
BATCH_PAGES, BATCH_SEGMENTS = 32, 6_000
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
    """Thread-safe: `classify` and `classify_many` only read the fitted model. Picklable for
    worker processes."""

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
        """Label every segment, then build the clean article; the page's quality signals are
        worked out when `page.quality` is first read.

        `dedupe` and `remove_glosses` only change `page.article`; the quality signals always
        look for copies and glosses. Bytes are unpacked if compressed (`clf.unpack`) and
        decoded (`clf.decode`). Raises `PageError` for over-size or binary input.
        """
        (result,) = self.classify_many([page], kind, [source], dedupe, remove_glosses)
        assert isinstance(result, Page)  # errors are raised, not returned
        return result

    def classify_many(
        self,
        pages: Sequence[str | bytes],
        kind: Kind = "auto",
        sources: Sequence[str | None] | None = None,
        dedupe: bool = True,
        remove_glosses: bool = True,
        return_errors: bool = False,
    ) -> list[Page | PageError]:
        """`classify` of each page, with the model run once per batch of pages: the same
        results as one call per page, in less time (README, "Library").

        A bad page (over-size, binary) raises its `PageError`, or with `return_errors` (as
        `asyncio.gather`'s `return_exceptions`) the error takes the page's place, so one bad
        page never costs the others. Without it every item is a `Page`.
        """
        sources = list(sources) if sources is not None else [None] * len(pages)
        if len(sources) != len(pages):
            raise ValueError(f"{len(pages)} pages but {len(sources)} sources")
        out: list[Page | PageError | None] = []
        pending: list[tuple[int, str, Segments]] = []  # (slot in out, kind, segments)
        for page in pages:
            try:
                pending.append((len(out), *self._segment(page, kind)))
                out.append(None)  # filled when its batch is labelled
            except PageError as exc:
                if not return_errors:
                    raise
                out.append(exc)
            if len(pending) == BATCH_PAGES or sum(len(p[2]) for p in pending) >= BATCH_SEGMENTS:
                self._label(pending, out, sources, dedupe, remove_glosses)
        self._label(pending, out, sources, dedupe, remove_glosses)
        return out  # type: ignore[return-value]  # every None slot was filled

    def _label(
        self,
        pending: list[tuple[int, str, Segments]],
        out: list,
        sources: list[str | None],
        dedupe: bool,
        remove_glosses: bool,
    ) -> None:
        """Run the model once over the pending pages, put their `Page`s in their slots of
        `out`, and empty `pending`."""
        live = [segs for _, _, segs in pending if segs]
        for segs, probs in zip(live, self.model.predict_proba(live) if live else []):
            segs.set_labels(probs)
        for i, resolved, segs in pending:
            out[i] = self._page(resolved, segs, sources[i], dedupe, remove_glosses)
        pending.clear()

    def filter(self, pages: list[str | bytes], min_quality: float = 0.5) -> list[Page]:
        """Classify and keep only pages at or above the quality bar (filter mode)."""
        return [p for p in self.classify_many(pages) if isinstance(p, Page) and p.keep(min_quality)]

    def _segment(self, page: str | bytes, kind: Kind) -> tuple[str, Segments]:
        page = readable_page(page, self.max_page_bytes)
        text, utf8 = sanitize_utf8(decode(page) if isinstance(page, bytes) else page)
        return segment(text, kind, utf8)

    def _page(
        self, kind: str, segs: Segments, source: str | None, dedupe: bool, remove_glosses: bool
    ) -> Page:
        full, article = cleaned_article(segs)
        cleaned = full if dedupe and remove_glosses else clean_article(segs, dedupe, remove_glosses)
        return Page(kind, segs, source, cleaned, _unassessed=(full, article))


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

"""Batch classification on one machine: files, directories, JSONL and WARC in; one record out
per input page (the result, or an error record with the reason); all cores; resumable.

Inputs are streamed and handed to the workers in bounded windows, so a large WARC is never
held in memory. Each output record is written as one complete line with a single write, and
a resumed run first drops a trailing partial line, so an interrupted run can continue safely.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from clf.classifier import BATCH_PAGES, Classifier, load
from clf.heap import keep_freed_memory
from clf.page import Page
from clf.safety import MAX_PAGE_BYTES, PageError
from clf.unpack import WarcioBrotli

# pages in flight per worker, in runs of BATCH_PAGES: bounds memory on huge inputs
WINDOW_PER_JOB = 128


@dataclass(slots=True)
class Item:
    """One input page: where it came from, and its bytes/text or why it could not be read."""

    id: str
    url: str | None
    payload: str | bytes | None
    error: str | None = None


def _iter_jsonl(path: Path) -> Iterator[Item]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            default_id = f"{path}:{n}"
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                yield Item(default_id, None, None, f"bad JSON line: {exc}")
                continue
            payload = rec.get("html", rec.get("text"))
            rid = str(rec.get("id", default_id))
            if not isinstance(payload, str):
                yield Item(rid, rec.get("url"), None, "record has no 'html' or 'text' string")
            else:
                yield Item(rid, rec.get("url"), payload)


def _iter_warc(path: Path) -> Iterator[Item]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import BufferedReader

    BufferedReader.DECOMPRESSORS["br"] = WarcioBrotli
    with path.open("rb") as f:
        for n, record in enumerate(ArchiveIterator(f)):
            if record.rec_type != "response":
                continue
            ctype = (
                record.http_headers.get_header("Content-Type") if record.http_headers else ""
            ) or ""
            if "html" not in ctype.lower() and "text" not in ctype.lower():
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            rid = record.rec_headers.get_header("WARC-Record-ID") or f"{path}#{n}"
            try:
                # over the limit is refused as too large: no need to unpack a bomb whole
                yield Item(rid, url, record.content_stream().read(MAX_PAGE_BYTES + 1))
            except Exception as exc:  # a truncated or corrupt record
                yield Item(rid, url, None, f"unreadable WARC record: {exc}")


def iter_inputs(paths: list[str], pattern: str = "*") -> Iterator[Item]:
    """Every page of every input, in order: directories recursively (files matching `pattern`),
    .jsonl[.gz] files record by record, .warc[.gz] files response by response."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for child in sorted(p for p in path.rglob(pattern) if p.is_file()):
                yield from iter_inputs([str(child)])
            continue
        lower = path.name.lower()
        try:
            if lower.endswith((".jsonl", ".jsonl.gz")):
                yield from _iter_jsonl(path)
            elif lower.endswith((".warc", ".warc.gz")):
                yield from _iter_warc(path)
            else:
                yield Item(str(path), None, path.read_bytes())
        except OSError as exc:
            yield Item(str(path), None, None, exc.strerror or str(exc))


# ------------------------------------------------------------------ workers
_MODEL: Classifier | None = None


def _init_worker(model_path: str | None) -> None:
    global _MODEL
    _MODEL = load(model_path)  # once per worker process
    keep_freed_memory()  # runs of pages come and go: keep their memory (clf/heap.py)


def classify_isolated(
    model: Classifier,
    pages: Sequence[str | bytes | Exception],
    sources: Sequence[str | None],
    **options: Any,
) -> list[Page | Exception]:
    """`Classifier.classify_many` of a run of pages with each error in its page's place; an
    entry that is already an exception (an input that could not be read) keeps its place. An
    unforeseen failure of the run falls back to one page at a time, so only the page that
    caused it is lost. `options` are classify's (kind, dedupe, remove_glosses)."""
    out: list = list(pages)  # each page is replaced by its result below
    todo = [i for i, p in enumerate(pages) if not isinstance(p, Exception)]
    texts = [pages[i] for i in todo]
    names = [sources[i] for i in todo]
    try:
        done = model.classify_many(texts, sources=names, return_errors=True, **options)
    except Exception:
        done = [_classify_one(model, t, n, options) for t, n in zip(texts, names)]
    for i, result in zip(todo, done):
        out[i] = result
    return out


def _classify_one(
    model: Classifier, page: str | bytes, source: str | None, options: dict[str, Any]
) -> Page | Exception:
    try:
        return model.classify(page, source=source, **options)
    except Exception as exc:  # a PageError, or unforeseen: never lose a page to it
        return exc


def error_text(exc: Exception) -> str:
    """Why a page has no result, in one line: a `PageError`'s reason, or what failed
    unexpectedly."""
    if isinstance(exc, PageError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def result_records(items: list[Item], model: Classifier) -> list[dict[str, Any]]:
    """The output records of a run of input pages, the model run over them together
    (`classify_isolated`; an unreadable input is a `PageError` with its reason)."""
    pages = [PageError(it.error) if it.error is not None else it.payload or b"" for it in items]
    results = classify_isolated(model, pages, [it.id for it in items])
    return [_record(it, result) for it, result in zip(items, results)]


def _record(item: Item, result: Page | Exception) -> dict[str, Any]:
    base: dict[str, Any] = {"id": item.id, "url": item.url}
    if isinstance(result, Exception):
        return {**base, "error": error_text(result)}
    return {
        **base,
        "kind": result.kind,
        "article": result.article,
        "quality": result.quality.as_dict() if result.quality else None,
        "segments": result.segment_rows(),
    }


def _work(items: list[Item]) -> list[dict[str, Any]]:
    assert _MODEL is not None
    return result_records(items, _MODEL)


# ------------------------------------------------------------------ output
def done_ids(out: Path) -> set[str]:
    """Ids already in a JSONL output; drops a trailing partial line left by an interrupted run."""
    if not out.is_file():
        return set()
    data = out.read_bytes()
    keep = data.rfind(b"\n") + 1
    if keep < len(data):
        with out.open("r+b") as f:
            f.truncate(keep)
    ids = set()
    for line in data[:keep].splitlines():
        try:
            ids.add(json.loads(line)["id"])
        except (ValueError, KeyError):
            continue
    return ids


class JsonlWriter:
    def __init__(self, out: Path, append: bool) -> None:
        self.fd = os.open(
            out, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC), 0o644
        )

    def write(self, rec: dict[str, Any]) -> None:
        os.write(
            self.fd, (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
        )  # one write: whole line

    def close(self) -> None:
        os.close(self.fd)


class ParquetWriter:
    """Records in row groups; segments as a list of structs, quality as a JSON string."""

    def __init__(self, out: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        seg = pa.struct(
            [
                ("index", pa.int32()),
                ("line", pa.int32()),
                ("label", pa.string()),
                ("score", pa.float32()),
                ("text", pa.string()),
            ]
        )
        self.schema = pa.schema(
            [
                ("id", pa.string()),
                ("url", pa.string()),
                ("error", pa.string()),
                ("kind", pa.string()),
                ("article", pa.string()),
                ("quality", pa.string()),
                ("segments", pa.list_(seg)),
            ]
        )
        self.writer = pq.ParquetWriter(out, self.schema)
        self.rows: list[dict[str, Any]] = []

    def write(self, rec: dict[str, Any]) -> None:
        row = {k: rec.get(k) for k in self.schema.names}
        row["quality"] = json.dumps(rec["quality"]) if rec.get("quality") else None
        self.rows.append(row)
        if len(self.rows) >= 256:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            self.writer.write_table(self.pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self._flush()
        self.writer.close()


@dataclass(slots=True)
class Summary:
    inputs: int = 0
    outputs: int = 0
    errors: int = 0
    skipped: int = 0  # already in the output (--resume)


def _windows(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    window: list[Item] = []
    for it in items:
        window.append(it)
        if len(window) >= size:
            yield window
            window = []
    if window:
        yield window


def run_batch(
    paths: list[str],
    out: Path,
    fmt: str = "jsonl",
    jobs: int | None = None,
    pattern: str = "*",
    resume: bool = False,
    model_path: str | None = None,
    progress=None,
) -> Summary:
    """Classify every input page into `out`; `progress(summary)` is called after each window."""
    jobs = jobs or os.cpu_count() or 1
    if fmt == "parquet" and resume:
        raise ValueError("--resume works with JSONL output")
    skip = done_ids(out) if resume else set()
    writer = ParquetWriter(out) if fmt == "parquet" else JsonlWriter(out, append=resume)
    summary = Summary()
    items = iter_inputs(paths, pattern)
    pool = None
    try:
        if jobs == 1:
            _init_worker(model_path)
        else:
            pool = get_context("spawn").Pool(jobs, initializer=_init_worker, initargs=(model_path,))
        for window in _windows(items, WINDOW_PER_JOB * jobs):
            summary.inputs += len(window)
            todo = [it for it in window if it.id not in skip]
            summary.skipped += len(window) - len(todo)
            runs = [todo[i : i + BATCH_PAGES] for i in range(0, len(todo), BATCH_PAGES)]
            results = pool.map(_work, runs, chunksize=1) if pool else map(_work, runs)
            for rec in (rec for run in results for rec in run):
                writer.write(rec)
                summary.outputs += 1
                summary.errors += "error" in rec
            if progress:
                progress(summary)
    finally:
        if pool:
            pool.terminate()
        writer.close()
    return summary

"""`clf classify PAGE...`: label the segments of pages from files or stdin."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from clf.batch import classify_isolated, error_text
from clf.classifier import BATCH_PAGES, Classifier, ModelError, load
from clf.heap import keep_freed_memory
from clf.jit import compiled_before
from clf.page import Page
from clf.stage1 import stage1_pass

app = typer.Typer(add_completion=False, help="Label scraped news pages: article / clutter / noise.")
COLOURS = {"article": "green", "clutter": "yellow", "noise": "red"}


class Format(str, Enum):
    human = "human"
    jsonl = "jsonl"
    text = "text"


class InputKind(str, Enum):
    auto = "auto"
    html = "html"
    text = "text"


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    return Path(name).read_bytes()


def _error(message: str) -> None:
    """One plain line on stderr (never wrapped, never a traceback)."""
    sys.stderr.write(f"clf: {message}\n")


def _first_run_note() -> None:
    """Say why the first run after an install is slow (every page runs the stage-1 pass)."""
    if not compiled_before(stage1_pass):
        _error("compiling clf's kernels for this machine, once (about 35 s)")


SIGPIPE_EXIT = 141  # what a shell reports for a tool that a closed pipe stopped (128 + 13)


def _reader_gone() -> typer.Exit:
    """The reader of stdout went away (`clf classify … | head`): stop quietly, as `cat` would.
    stdout now points at /dev/null, so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return typer.Exit(SIGPIPE_EXIT)


class _Console(Console):
    """rich's Console ends the process with status 1 on a closed pipe; clf's loop decides."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def _quality_line(page: Page) -> str:
    q = page.quality
    if q is None:
        return ""
    shares = " ".join(f"{k} {v:.0%}" for k, v in q.shares.items())
    verdict = f"SPAM ({', '.join(q.reasons)})" if q.spam else "ok"
    return (
        f"quality {q.quality:.2f} {verdict} | {shares} | duplicated {q.duplicate_share:.0%} "
        f"| glosses {q.gloss_count} | article {q.article_chars} chars"
    )


def _emit(page: Page, fmt: Format, out: Console, quality_only: bool) -> None:
    if quality_only:
        out.print(f"{escape(page.source or '-')}: {_quality_line(page)}", soft_wrap=True)
    elif fmt is Format.jsonl:
        for row in page.records() + [page.page_record()]:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt is Format.text:
        if page.article:
            sys.stdout.write(page.article + "\n")
    else:
        out.print(
            f"[bold]== {escape(page.source or '-')}[/bold] ({page.kind}, {len(page.segments)} segments)"
        )
        out.print(f"   {_quality_line(page)}", soft_wrap=True)
        dups = set(page.quality.duplicate_segments) if page.quality else set()
        for s in page.segments:
            where = f"{s.line:>4}" if s.line is not None else f"{s.index:>4}"
            colour = COLOURS.get(s.label or "", "white")
            mark = " [dim](copy)[/dim]" if s.index in dups else ""
            out.print(
                f"{where} [{colour}]{s.label:<7}[/{colour}] {s.score or 0:.2f}  {escape(s.text)}{mark}",
                soft_wrap=True,
                highlight=False,
            )


def _classified(
    clf: Classifier, names: list[str], options: dict
) -> list[tuple[str, Page | Exception]]:
    """Each named page, read and classified (`classify_isolated`), or why it could not be."""
    read: list[bytes | Exception] = []
    for name in names:
        try:
            read.append(_read(name))
        except OSError as exc:
            read.append(exc)
    return list(zip(names, classify_isolated(clf, read, names, **options)))


def _reason(exc: Exception) -> str:
    """One line per bad page, never a traceback."""
    return str(exc.strerror or exc) if isinstance(exc, OSError) else error_text(exc)


@app.command()
def classify(
    pages: Annotated[list[str], typer.Argument(help="Page files (HTML or text); '-' reads stdin.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.human,
    kind: Annotated[InputKind, typer.Option(help="Input kind; auto sniffs HTML.")] = InputKind.auto,
    model: Annotated[
        Path | None, typer.Option(help="Model file (default: the shipped model).")
    ] = None,
    quality: Annotated[
        bool, typer.Option("--quality", help="Print only a quality/spam summary line per page.")
    ] = False,
    min_quality: Annotated[
        float | None,
        typer.Option(
            "--min-quality",
            min=0.0,
            max=1.0,
            help="Filter mode: drop pages whose quality is below this (0.5 = the spam verdict).",
        ),
    ] = None,
    dedupe: Annotated[
        bool, typer.Option("--dedupe/--no-dedupe", help="Drop repeated headline/paragraphs.")
    ] = True,
    glosses: Annotated[
        bool,
        typer.Option("--strip-glosses/--keep-glosses", help="Remove injected pinyin glosses."),
    ] = True,
) -> None:
    """Classify each segment of each PAGE. Bad files are reported and skipped (exit 2)."""
    try:
        clf: Classifier = load(model)
    except ModelError as exc:
        _error(str(exc))
        raise typer.Exit(2) from None
    keep_freed_memory()  # groups of pages come and go: keep their memory (clf/heap.py)
    _first_run_note()
    out = _Console(highlight=False)
    failed, dropped = 0, Counter()
    options = {"kind": kind.value, "dedupe": dedupe, "remove_glosses": glosses}
    for start in range(0, len(pages), BATCH_PAGES):  # the model runs over a group at once
        for name, page in _classified(clf, pages[start : start + BATCH_PAGES], options):
            if isinstance(page, Exception):
                _error(f"{name}: {_reason(page)}")
                failed += 1
                continue
            if min_quality is not None and not page.keep(min_quality):
                dropped.update(page.quality.reasons if page.quality else ["unknown"])
                dropped["pages"] += 1
                continue
            try:
                _emit(page, format, out, quality)
                sys.stdout.flush()
            except BrokenPipeError:
                raise _reader_gone() from None
    if min_quality is not None:
        n = dropped.pop("pages", 0)
        why = ", ".join(f"{k} {v}" for k, v in dropped.most_common()) or "-"
        _error(f"dropped {n} of {len(pages) - failed} pages below quality {min_quality} ({why})")
    if failed:
        raise typer.Exit(2)


class OutFormat(str, Enum):
    auto = "auto"
    jsonl = "jsonl"
    parquet = "parquet"


@app.command()
def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(help="Files, directories (recursive), .jsonl[.gz] of pages, .warc[.gz]."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (JSONL or Parquet).")],
    format: Annotated[
        OutFormat, typer.Option("--format", "-f", help="Output format (auto: by --out suffix).")
    ] = OutFormat.auto,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Worker processes (default: all cores)."),
    ] = None,
    glob: Annotated[str, typer.Option(help="Files to take from directories.")] = "*",
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip ids already in --out (JSONL) and append.")
    ] = False,
    model: Annotated[
        Path | None, typer.Option(help="Model file (default: the shipped model).")
    ] = None,
) -> None:
    """Classify many pages: one output record per input page (result or error record).

    Exit 0 when every page was classified, 1 when some were error records, 2 on bad usage.
    """
    from clf.batch import run_batch

    fmt = format.value
    if fmt == "auto":
        fmt = "parquet" if out.suffix == ".parquet" else "jsonl"
    show = sys.stderr.isatty()
    progress_bar = None
    if show:
        from rich.progress import Progress, TextColumn, TimeElapsedColumn

        progress_bar = Progress(
            TextColumn("{task.completed} pages"),
            TextColumn("{task.fields[rate]} pages/s"),
            TextColumn("{task.fields[errors]} errors"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        task = progress_bar.add_task("batch", total=None, rate="-", errors=0)
        progress_bar.start()
    _first_run_note()
    started = time.perf_counter()

    def report(summary) -> None:
        if progress_bar is not None:
            rate = summary.inputs / max(time.perf_counter() - started, 1e-9)
            progress_bar.update(
                task, completed=summary.inputs, rate=f"{rate:.0f}", errors=summary.errors
            )

    try:
        summary = run_batch(
            inputs,
            out,
            fmt=fmt,
            jobs=jobs,
            pattern=glob,
            resume=resume,
            model_path=str(model) if model else None,
            progress=report,
        )
    except (ModelError, ValueError, OSError) as exc:
        _error(str(exc))
        raise typer.Exit(2) from None
    finally:
        if progress_bar is not None:
            progress_bar.stop()
    _error(
        f"{summary.inputs} inputs, {summary.outputs} records written to {out}, "
        f"{summary.errors} errors, {summary.skipped} skipped (already done)"
    )
    if summary.errors:
        raise typer.Exit(1)


@app.callback()
def main() -> None:
    """clf: a content-quality classifier for scraped news pages."""


if __name__ == "__main__":
    app()

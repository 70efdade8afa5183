"""`clf classify PAGE...`: label the segments of pages from files or stdin."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from clf.classifier import Classifier, ModelError, load
from clf.page import Page

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


def _emit(page: Page, fmt: Format, out: Console) -> None:
    if fmt is Format.jsonl:
        for row in page.records():
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt is Format.text:
        if page.article:
            sys.stdout.write(page.article + "\n")
    else:
        out.print(
            f"[bold]== {escape(page.source or '-')}[/bold] ({page.kind}, {len(page.segments)} segments)"
        )
        for s in page.segments:
            where = f"{s.line:>4}" if s.line is not None else f"{s.index:>4}"
            colour = COLOURS.get(s.label or "", "white")
            out.print(
                f"{where} [{colour}]{s.label:<7}[/{colour}] {s.score or 0:.2f}  {escape(s.text)}",
                soft_wrap=True,
                highlight=False,
            )


@app.command()
def classify(
    pages: Annotated[list[str], typer.Argument(help="Page files (HTML or text); '-' reads stdin.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.human,
    kind: Annotated[InputKind, typer.Option(help="Input kind; auto sniffs HTML.")] = InputKind.auto,
    model: Annotated[
        Path | None, typer.Option(help="Model file (default: the shipped model).")
    ] = None,
) -> None:
    """Classify each segment of each PAGE. Bad files are reported and skipped (exit 2)."""
    try:
        clf: Classifier = load(model)
    except ModelError as exc:
        _error(str(exc))
        raise typer.Exit(2) from None
    out = Console(highlight=False)
    failed = 0
    for name in pages:
        try:
            data = _read(name)
        except OSError as exc:
            _error(f"{name}: {exc.strerror or exc}")
            failed += 1
            continue
        page = clf.classify(data, kind=kind.value, source=name)
        _emit(page, format, out)
    sys.stdout.flush()
    if failed:
        raise typer.Exit(2)


@app.callback()
def main() -> None:
    """clf: a content-quality classifier for scraped news pages."""


if __name__ == "__main__":
    app()

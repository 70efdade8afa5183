"""Page → segments: lines of a text page, visible text blocks of an HTML page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree, html

Kind = Literal["auto", "html", "text"]

# Elements whose start or end breaks a text block; everything else (a, span, b, …) is inline.
BLOCK_TAGS = frozenset(
    "address article aside blockquote body br caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form frame h1 h2 h3 h4 h5 h6 header hgroup hr html iframe "
    "legend li main menu nav ol p pre section summary table tbody td tfoot th thead title tr ul".split()
)
SKIP_TAGS = frozenset(
    "script style noscript template svg math object embed head select option textarea canvas "
    "audio video map".split()
)
_HTML_SNIFF = re.compile(
    r"<(?:!doctype\s+html|html|head|body|div|p|span|table|meta|article|section|br|a\s|h[1-6]|ul|li)\b",
    re.I,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_WS = re.compile(r"\s+")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
MAX_TOKENS = 16  # class/id tokens kept per segment (nearest ancestors first)


@dataclass(slots=True)
class Segment:
    """One unit the model labels, with what the features need from its context."""

    index: int
    text: str
    line: int | None = None  # 1-based line number for text pages
    tag: str = "line"  # innermost block tag ("line" for text pages)
    path: tuple[str, ...] = ()  # ancestor tags, outermost first (last few only)
    tokens: tuple[str, ...] = ()  # class/id tokens of ancestors, nearest first
    link_chars: int = 0
    depth: int = 0
    label: str | None = None
    score: float | None = None
    probs: dict[str, float] = field(default_factory=dict)


def detect_kind(text: str) -> Literal["html", "text"]:
    """HTML if the start of the page has a typical HTML tag, else plain text."""
    return "html" if _HTML_SNIFF.search(text[:8192]) else "text"


def segment_text(text: str) -> list[Segment]:
    """One segment per non-empty line, keeping its 1-based line number."""
    out: list[Segment] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = _WS.sub(" ", raw).strip()
        if line:
            out.append(Segment(index=len(out), text=line, line=n))
    return out


def _class_tokens(el: etree._Element) -> tuple[str, ...]:
    attrs = (el.get("class") or "") + " " + (el.get("id") or "")
    if not attrs.strip():
        return ()
    return tuple(t for t in _TOKEN_SPLIT.split(attrs.lower()) if 1 < len(t) < 30)


def _is_hidden(el: etree._Element) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


class _Builder:
    """Accumulates inline text into blocks while the tree walk keeps an ancestor stack."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.pieces: list[str] = []
        self.link_chars = 0
        self.tags: list[str] = []
        self.tokens: list[tuple[str, ...]] = []  # cumulative, nearest first
        self.links = 0

    def add(self, text: str | None) -> None:
        if text:
            self.pieces.append(text)
            if self.links:
                self.link_chars += len(text.strip())

    def push(self, tag: str, el: etree._Element) -> None:
        own = _class_tokens(el)
        parent = self.tokens[-1] if self.tokens else ()
        self.tokens.append((own + parent)[:MAX_TOKENS] if own else parent)
        self.tags.append(tag)
        if tag == "a":
            self.links += 1

    def pop(self) -> None:
        if self.tags.pop() == "a":
            self.links -= 1
        self.tokens.pop()

    def flush(self) -> None:
        if not self.pieces:
            return
        text = _WS.sub(" ", "".join(self.pieces)).strip()
        link_chars = self.link_chars
        self.pieces, self.link_chars = [], 0
        if not text:
            return
        block = next((t for t in reversed(self.tags) if t in BLOCK_TAGS), "body")
        self.segments.append(
            Segment(
                index=len(self.segments),
                text=text,
                tag=block,
                path=tuple(self.tags[-4:]),
                tokens=self.tokens[-1] if self.tokens else (),
                link_chars=min(link_chars, len(text)),
                depth=len(self.tags),
            )
        )


def parse_html(text: str) -> etree._Element | None:
    """Parse leniently; never fetch anything and never expand entities from a DTD."""
    text = _XML_DECL.sub("", text.replace("\x00", ""), count=1)
    if not text.strip():
        return None
    parser = html.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, recover=True, huge_tree=True
    )
    try:
        return html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        return None


def segment_html(text: str) -> list[Segment]:
    """One segment per visible text block; the page <title> comes first as a headline copy."""
    root = parse_html(text)
    if root is None:
        return []
    b = _Builder()
    title = root.find(".//title")
    if title is not None and title.text:
        b.tags.append("title")
        b.add(title.text)
        b.flush()
        b.tags.pop()
    skipping = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if skipping:
                skipping += 1
                continue
            if tag in SKIP_TAGS or _is_hidden(el):
                skipping = 1
                continue
            if tag in BLOCK_TAGS:
                b.flush()
            b.push(tag, el)
            b.add(el.text)
        else:
            if skipping:
                skipping -= 1
                if skipping == 0:
                    b.add(el.tail)
                continue
            if tag in BLOCK_TAGS:
                b.flush()
            b.pop()
            b.add(el.tail)
    b.flush()
    return b.segments


def segment(text: str, kind: Kind = "auto") -> tuple[Literal["html", "text"], list[Segment]]:
    """Split a decoded page; `kind="auto"` sniffs HTML vs plain text."""
    resolved = detect_kind(text) if kind == "auto" else kind
    segs = segment_html(text) if resolved == "html" else segment_text(text)
    return resolved, segs

"""Page → segments: lines of a text page, visible text blocks of an HTML page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from selectolax.lexbor import LexborHTMLParser, LexborNode

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


def _class_tokens(attrs: dict[str, str | None]) -> tuple[str, ...]:
    joined = (attrs.get("class") or "") + " " + (attrs.get("id") or "")
    return _tokens_of(joined) if len(joined) > 1 else ()


@lru_cache(maxsize=1 << 14)
def _tokens_of(joined: str) -> tuple[str, ...]:
    """Class/id tokens; the same class strings recur on every page of a site."""
    return tuple(t for t in _TOKEN_SPLIT.split(joined.lower()) if 1 < len(t) < 30)


def _is_hidden(attrs: dict[str, str | None]) -> bool:
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    style = attrs.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def parse_html(text: str) -> LexborHTMLParser | None:
    """Parse as a browser would (lexbor, HTML5): DTDs and entities are never fetched or expanded."""
    text = _XML_DECL.sub("", text.replace("\x00", ""), count=1)
    if not text.strip():
        return None
    return LexborHTMLParser(text)


class _Context:
    """What a text node inherits from its ancestors; one per element, made from its parent's."""

    __slots__ = ("tags", "tokens", "depth", "link", "block", "skip")

    def __init__(self, tags=(), tokens=(), depth=0, link=False, block=None, skip=False) -> None:
        self.tags: tuple[str, ...] = tags  # last 4 tags, outermost first
        self.tokens: tuple[str, ...] = tokens  # class/id tokens, nearest first
        self.depth: int = depth
        self.link: bool = link  # inside an <a>
        self.block: _Context | None = block  # nearest block element's context (None: body)
        self.skip: bool = skip

    def child(self, tag: str, attrs: dict[str, str | None]) -> _Context:
        if self.skip or tag in SKIP_TAGS or (attrs and _is_hidden(attrs)):
            return _SKIP
        own = _class_tokens(attrs) if attrs else ()
        if not own and tag not in BLOCK_TAGS and (self.link or tag != "a"):
            return self  # a plain inline element (b, em, span) changes nothing below it
        ctx = _Context(
            (self.tags + (tag,))[-4:],
            (own + self.tokens)[:MAX_TOKENS] if own else self.tokens,
            self.depth + 1,
            self.link or tag == "a",
            self.block,
        )
        if tag in BLOCK_TAGS:
            ctx.block = ctx
        return ctx


_SKIP = _Context(skip=True)
_TOP = _Context()


def _context_of(node: LexborNode | None, contexts: dict[int, _Context]) -> _Context:
    """An element's context, made (and kept) for it and any ancestors not seen before.

    Only ancestors of visible text are ever looked at, so most elements cost nothing.
    """
    chain = []
    ctx = _TOP
    while node is not None and node.tag != "-document":
        found = contexts.get(node.mem_id)
        if found is not None:
            ctx = found
            break
        chain.append(node)
        node = node.parent
    for el in reversed(chain):
        ctx = ctx.child(el.tag, el.attributes)
        contexts[el.mem_id] = ctx
    return ctx


class _Runs:
    """Collects text nodes into segments; a run ends at a block boundary."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.texts: list[str] = []
        self.link_chars = 0
        self.block: _Context | None = None

    def flush(self, block: _Context | None) -> None:
        """End the current run; the next one belongs to `block`."""
        if self.texts:
            text = _WS.sub(" ", "".join(self.texts)).strip()
            if text:
                b = self.block
                self.segments.append(
                    Segment(
                        index=len(self.segments),
                        text=text,
                        tag=b.tags[-1] if b and b.tags else "body",
                        path=b.tags if b else (),
                        tokens=b.tokens if b else (),
                        link_chars=min(self.link_chars, len(text)),
                        depth=b.depth if b else 0,
                    )
                )
            self.texts, self.link_chars = [], 0
        self.block = block


def segment_html(text: str) -> list[Segment]:
    """One segment per visible run of text between block boundaries, in document order; the
    page <title> comes first as a headline copy.

    A run ends where a block element starts or where the next text node sits in another
    block, so one pre-order pass finds the blocks that a walk with start and end events
    would, and only the ancestors of visible text need Python work.
    """
    tree = parse_html(text)
    if tree is None or tree.root is None:
        return []
    runs = _Runs()
    title = tree.css_first("title")
    if title is not None:
        runs.flush(_Context(("title",), depth=1))
        runs.texts.append(title.text(deep=False))
        runs.flush(None)
    contexts: dict[int, _Context] = {}
    boundary = False  # a block element started since the last text
    for node in tree.root.traverse(include_text=True):
        tag = node.tag
        if tag == "-text":
            piece = node.text_content
            if piece.isspace():  # between tags: separates words at most
                runs.texts.append(piece)
                continue
            ctx = _context_of(node.parent, contexts)
            if ctx.skip:
                continue
            if boundary or ctx.block is not runs.block:
                runs.flush(ctx.block)
                boundary = False
            runs.texts.append(piece)
            if ctx.link:
                runs.link_chars += len(piece.strip())
        elif tag in BLOCK_TAGS:
            boundary = True
    runs.flush(None)
    return runs.segments


def segment(text: str, kind: Kind = "auto") -> tuple[Literal["html", "text"], list[Segment]]:
    """Split a decoded page; `kind="auto"` sniffs HTML vs plain text."""
    resolved = detect_kind(text) if kind == "auto" else kind
    segs = segment_html(text) if resolved == "html" else segment_text(text)
    return resolved, segs

"""Page → segments: lines of a text page, visible text blocks of an HTML page."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np
from selectolax.lexbor import LexborHTMLParser

from clf.markup import tag_table, walk

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
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
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
        line = " ".join(raw.split())  # = re.sub(r"\s+", " ", raw).strip(), without a regex
        if line:
            out.append(Segment(len(out), line, n))  # positional: half the cost of keywords
    return out


@lru_cache(maxsize=1 << 14)
def _tokens_of(joined: str) -> tuple[str, ...]:
    """Class/id tokens of attribute values as written before serialisation escaped them;
    the same class strings recur on every page of a site. The cache holds about 11 MB when
    full; 65,536 entries were at most a few per cent faster over 1,200 pages of mixed sites
    but hold 44 MB, a poor trade in a process that a Spark executor runs several of."""
    if "&" in joined:
        joined = html.unescape(joined)
    return tuple(t for t in _TOKEN_SPLIT.split(joined.lower()) if 1 < len(t) < 30)


def parse_html(text: str) -> LexborHTMLParser | None:
    """Parse as a browser would (lexbor, HTML5): DTDs and entities are never fetched or expanded."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    declaration = _XML_DECL.match(text)  # match, not sub: sub would try every position
    if declaration:
        text = text[declaration.end() :]
    if not text or text.isspace():
        return None
    return LexborHTMLParser(text)


_KEYS, _FLAGS = tag_table(BLOCK_TAGS, SKIP_TAGS)
_NO_CONTEXT: tuple[tuple[str, ...], tuple[str, ...], int] = ((), (), 0)


def _contexts(markup: str, info: np.ndarray) -> list[tuple[tuple[str, ...], tuple[str, ...], int]]:
    """Tag path (last 4) and class/id tokens (nearest first) of each context `walk` kept."""
    out: list[tuple[tuple[str, ...], tuple[str, ...], int]] = []
    append, tokens_of = out.append, _tokens_of  # locals: the loop runs once per element kept
    for parent, tag_a, tag_b, cls_a, cls_b, id_a, id_b, depth in info.tolist():
        tags, tokens, _ = out[parent] if parent >= 0 else _NO_CONTEXT
        if cls_a >= 0 or id_a >= 0:
            own = tokens_of(f"{markup[cls_a:cls_b]} {markup[id_a:id_b]}")  # absent: -1:-1, ""
            if own:
                tokens = (own + tokens)[:MAX_TOKENS]
        append(((*tags[-3:], markup[tag_a:tag_b]), tokens, depth))
    return out


def _title(markup: str, a: int, b: int) -> list[Segment]:
    """The <title> text: the serialiser escaped only &, <, > and no-break spaces in it."""
    text = " ".join(html.unescape(markup[a:b]).split()) if a >= 0 else ""
    return [Segment(index=0, text=text, tag="title", path=("title",), depth=1)] if text else []


def serialise(tree: LexborHTMLParser) -> tuple[str, np.ndarray]:
    """The repaired tree as markup, and that markup's code points for `walk`."""
    markup = tree.html or ""
    return markup, np.frombuffer(markup.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def walk_markup(codes: np.ndarray) -> tuple:
    """The compiled pass over the markup (`clf.markup.walk`) with the block/skip tag tables."""
    return walk(codes, _KEYS, _FLAGS)


def segments_of(markup: str, walked: tuple) -> list[Segment]:
    """Segments from what `walk` found: the runs' text, their blocks' contexts, the title."""
    out, rows, info, title_a, title_b = walked
    joined = out.tobytes().decode("utf-32-le", "surrogatepass")
    segments = _title(markup, title_a, title_b)
    contexts = _contexts(markup, info) + [_NO_CONTEXT]  # [-1]: outside any block
    tags = [path[-1] if path else "body" for path, _, _ in contexts]
    first = len(segments)
    # positional: keyword arguments cost twice as much, once per segment of every page
    segments += [
        Segment(first + i, joined[a:b], None, tags[k], contexts[k][0], contexts[k][1], link,
                contexts[k][2])
        for i, (a, b, k, link) in enumerate(rows.tolist())
    ]  # fmt: skip
    return segments


def segment_html(text: str) -> list[Segment]:
    """One segment per visible run of text between block boundaries, in document order; the
    page <title> comes first as a headline copy.

    lexbor parses the page; one compiled pass over its serialised markup finds the runs, so
    no Python work is done per node, only per segment.
    """
    tree = parse_html(text)
    if tree is None or tree.root is None:
        return []
    markup, codes = serialise(tree)
    return segments_of(markup, walk_markup(codes))


def segment(text: str, kind: Kind = "auto") -> tuple[Literal["html", "text"], list[Segment]]:
    """Split a decoded page; `kind="auto"` sniffs HTML vs plain text."""
    resolved = detect_kind(text) if kind == "auto" else kind
    segs = segment_html(text) if resolved == "html" else segment_text(text)
    return resolved, segs

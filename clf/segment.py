"""Page → segments: lines of a text page, visible text blocks of an HTML page."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Literal

import numpy as np
from selectolax.lexbor import LexborHTMLParser

from clf.dom import lexbor
from clf.hashing import hashed_column, run_code_points
from clf.lines import text_lines
from clf.markup import context_spans, tag_table, walk
from clf.structure import (
    IN_TITLE,
    MAX_TOKENS,
    STRUCT_FEATURES,
    context_columns,
    row_documents,
)

Kind = Literal["auto", "html", "text"]
LABELS = ("article", "clutter", "noise")  # what a segment is labelled (../shared/LABELS.md)

# Fallback markup for browsers without frames or plugins: lexbor keeps it as raw text, a
# browser never shows it. Each is a block of its own, kept out of the article (clf.clean).
UNRENDERED_TAGS = frozenset("iframe noembed noframes".split())
# Elements whose start or end breaks a text block; everything else (a, span, b, …) is inline.
BLOCK_TAGS = UNRENDERED_TAGS | frozenset(
    "address article aside blockquote body br caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form frame h1 h2 h3 h4 h5 h6 header hgroup hr html "
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


class _FromContext:
    """A field of a segment (`path`, `tokens`) that is built from its page's contexts when
    first read or written (`Segment._resolve`), then kept in the slot `_<name>`."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = getattr(owner, "_" + name)  # the slot's descriptor

    def __get__(self, seg: Segment | None, owner: type) -> object:
        if seg is None:
            return self
        seg._resolve()
        return self.slot.__get__(seg, owner)

    def __set__(self, seg: Segment, value: tuple[str, ...]) -> None:
        seg._resolve()
        self.slot.__set__(seg, value)


class Segment:
    """One unit the model labels, with what the features need from its context.

    An HTML segment's `path` and `tokens` are read from its page's contexts the first time
    they are asked for: classifying never needs them (`clf.structure` hashes the contexts
    from the markup), so most pages never build them.
    """

    __slots__ = (
        "index", "text", "line", "tag", "_path", "_tokens", "link_chars", "depth", "label",
        "score", "probs", "_where", "_k",
    )  # fmt: skip
    FIELDS = ("index", "text", "line", "tag", "path", "tokens", "link_chars", "depth", "label",
              "score", "probs")  # fmt: skip

    def __init__(
        self,
        index: int,
        text: str,
        line: int | None = None,  # 1-based line number for text pages
        tag: str = "line",  # innermost block tag ("line" for text pages)
        path: tuple[str, ...] = (),  # ancestor tags, outermost first (last few only)
        tokens: tuple[str, ...] = (),  # class/id tokens of ancestors, nearest first
        link_chars: int = 0,
        depth: int = 0,
        label: str | None = None,
        score: float | None = None,
        probs: dict[str, float] | None = None,
        where: PageContexts | None = None,  # path and tokens are context `k` of this page
        k: int = -1,
    ) -> None:
        self.index, self.text, self.line, self.tag = index, text, line, tag
        self._path, self._tokens, self.link_chars, self.depth = path, tokens, link_chars, depth
        self.label, self.score, self.probs = label, score, {} if probs is None else probs
        self._where, self._k = where, k

    def _resolve(self) -> None:
        where = self._where  # read once: another thread may resolve this segment meanwhile
        if where is not None:
            self._path, self._tokens = where.context(self._k)
            self._where = None

    path = _FromContext()
    tokens = _FromContext()

    def _fields(self) -> tuple:
        return tuple(getattr(self, f) for f in self.FIELDS)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Segment) and self._fields() == other._fields()

    __hash__ = None  # mutable, as a dataclass with eq

    def __repr__(self) -> str:
        return (
            "Segment(" + ", ".join(f"{f}={v!r}" for f, v in zip(self.FIELDS, self._fields())) + ")"
        )

    def __reduce__(self) -> tuple:
        """Pickled resolved: a page's markup does not travel with its segments."""
        return Segment, self._fields()


class Segments(Sequence[Segment]):
    """A page's segments as columns, which is all that classifying reads: texts, tags, link
    characters, depths, labels. The `Segment` objects are made together the first time one is
    asked for (indexing, iterating), once per page: making ~190 of them and setting their
    labels was a tenth of a page's time, and a caller that keeps only the article or the JSONL
    rows never needs them. Once made they are what every reader sees (`Segments.of`).

    `structure` holds the structure columns of the segments' contexts (doc_ptr, doc_cols, the
    document of each segment; `clf.structure`) when the segmenter made them (the markup walk;
    text lines all share one). `codes` holds the texts' `code_points` when the segmenter had
    them at hand; the features take them (and drop them: a kept page need not hold them). A
    slice is a plain list of `Segment`s, so stale columns cannot follow it.
    """

    __slots__ = (
        "texts", "tags", "link_chars", "depths", "lines", "indices", "structure", "codes",
        "labels", "scores", "probs", "_where", "_contexts", "_made", "_lock",
    )  # fmt: skip

    def __init__(
        self,
        texts: list[str],
        tags: list[str],
        link_chars: np.ndarray,
        depths: np.ndarray,
        lines: list[int | None] | None = None,  # text pages: 1-based line numbers
        indices: list[int] | None = None,  # Segment.index of each row; None: 0, 1, 2, …
        structure: tuple | None = None,
        where: PageContexts | None = None,  # paths and tokens: context `contexts[i]` of this
        contexts: list[int] | None = None,
        codes: tuple[np.ndarray, np.ndarray] | None = None,  # code_points(texts)
    ) -> None:
        self.texts, self.tags, self.link_chars, self.depths = texts, tags, link_chars, depths
        self.codes = codes
        n = len(texts)
        self.lines: list[int | None] = [None] * n if lines is None else lines
        self.indices, self.structure = indices, structure
        self.labels: list[str | None] = [None] * n
        self.scores: list[float | None] = [None] * n
        self.probs: np.ndarray | None = None  # (n × 3), `LABELS` order
        self._where, self._contexts = where, contexts
        self._made: list[Segment] | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, segments: Sequence[Segment]) -> Segments:
        """Columns of any list of segments. Made `Segment`s may have been edited by a caller,
        so their columns are read again from them (keeping the markup's structure columns)."""
        if isinstance(segments, Segments):
            if segments._made is None:
                return segments
            return cls._from_objects(segments._made, segments.structure)
        return cls._from_objects(list(segments), None)

    def as_classified(self) -> Segments:
        """These rows' columns as the segmenter and the model left them, whatever a caller has
        since done to the made `Segment` objects (editing them never writes to the columns)."""
        if self._made is None:
            return self
        out = Segments.__new__(Segments)
        for name in self.__slots__:
            setattr(out, name, getattr(self, name))
        out._made, out._lock = None, threading.Lock()
        return out

    @classmethod
    def _from_objects(cls, segs: list[Segment], structure: tuple | None) -> Segments:
        n = len(segs)
        out = cls(
            [s.text for s in segs],
            [s.tag for s in segs],
            np.fromiter((s.link_chars for s in segs), dtype=np.int64, count=n),
            np.fromiter((s.depth for s in segs), dtype=np.int64, count=n),
            [s.line for s in segs],
            [s.index for s in segs],
            structure,
        )
        out.labels = [s.label for s in segs]
        out.scores = [s.score for s in segs]
        out._made = segs
        return out

    @property
    def is_text(self) -> bool:
        """The lines of a text page (`segment_text`), not the blocks of an HTML page."""
        return bool(self.tags) and self.tags[0] == "line"

    def index_of(self, i: int) -> int:
        """`Segment.index` of row i."""
        return i if self.indices is None else self.indices[i]

    def context(self, i: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Tag path and class/id tokens of row i, without making `Segment`s."""
        made = self._made
        if made is not None:
            return made[i].path, made[i].tokens
        if self._where is None or self._contexts is None:
            return _NO_CONTEXT
        return self._where.context(self._contexts[i])

    def set_labels(self, probs: np.ndarray) -> None:
        """Each row's most likely label, its probability and all of them (`LABELS` order;
        rounded to 4 places as `Segment.probs`)."""
        self.labels = [LABELS[k] for k in probs.argmax(axis=1).tolist()]
        self.scores = probs.max(axis=1).tolist()
        self.probs = probs
        made = self._made
        if made is not None:
            for s, lab, score, p in zip(made, self.labels, self.scores, self._prob_dicts()):
                s.label, s.score, s.probs = lab, score, p

    def _prob_dicts(self) -> list[dict[str, float]]:
        assert self.probs is not None
        return [dict(zip(LABELS, row)) for row in self.probs.round(4).tolist()]

    def _segments(self) -> list[Segment]:
        made = self._made
        if made is None:
            with self._lock:  # one set of objects, however many threads ask at once
                made = self._made
                if made is None:
                    made = self._make()
                    self._made = made
        return made

    def _make(self) -> list[Segment]:
        n = len(self.texts)
        contexts = self._contexts or [-1] * n
        probs = self._prob_dicts() if self.probs is not None else [None] * n
        where = self._where
        # positional: keyword arguments cost twice as much
        return [
            Segment(i, t, line, tag, (), (), link, depth, label, score, p, where, k)
            for i, t, line, tag, link, depth, label, score, p, k in zip(
                self.indices or range(n), self.texts, self.lines, self.tags,
                self.link_chars.tolist(), self.depths.tolist(), self.labels, self.scores, probs,
                contexts,
            )
        ]  # fmt: skip

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, i):  # type: ignore[override]
        return self._segments()[i]  # a slice: a plain list

    def __iter__(self) -> Iterator[Segment]:
        return iter(self._segments())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (list, Segments)):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Segments({list(self)!r})"

    def __reduce__(self) -> tuple:
        """Pickled as resolved `Segment`s: a page's markup does not travel with them."""
        return _restore, (list(self), self.structure)


def _restore(segs: list[Segment], structure: tuple | None) -> Segments:
    return Segments._from_objects(segs, structure)


class PageContexts:
    """Tag paths and class/id tokens of a page's contexts, built once, when first asked, from
    the few code points of markup they need (`context_spans`): a page kept by a caller does
    not keep its markup alive."""

    __slots__ = ("source", "built")

    def __init__(self, codes: np.ndarray, info: np.ndarray) -> None:
        self.source: tuple[np.ndarray, np.ndarray] | None = context_spans(codes, info)
        self.built: list | None = None

    def context(self, k: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Thread-safe: `built` is set before `source` is dropped, and both are read once."""
        if k < 0:
            return _TITLE_CONTEXT if k == IN_TITLE else _NO_CONTEXT
        built = self.built
        if built is None:
            source = self.source
            if source is None:  # another thread built them meanwhile
                built = self.built
            else:
                spans, info = source
                built = _contexts(spans.tobytes().decode("utf-32-le", "surrogatepass"), info)
                self.built = built
                self.source = None
        return built[k]


def detect_kind(text: str) -> Literal["html", "text"]:
    """HTML if the start of the page has a typical HTML tag, else plain text."""
    return "html" if _HTML_SNIFF.search(text[:8192]) else "text"


def segment_text(text: str) -> Segments:
    """One segment per non-empty line (whitespace collapsed: `" ".join(line.split())`),
    keeping its 1-based line number (as `str.splitlines` counts lines)."""
    if "\0" in text:  # the compiled pass separates lines by NULs: a text holding one
        return _segment_lines(text)  # is split in Python (the segmenters never see one)
    codes, seps, numbers = text_lines(np.frombuffer(text.encode("utf-32-le"), np.uint32))
    if len(seps) == 1:
        return _line_segments([], [])
    texts = codes[1:-1].tobytes().decode("utf-32-le").split("\0")
    return _line_segments(texts, numbers.tolist(), (codes, seps))


def _segment_lines(text: str) -> Segments:
    """`segment_text` in Python: the reference of the compiled pass (`clf.lines`)."""
    texts: list[str] = []
    lines: list[int | None] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split())  # = re.sub(r"\s+", " ", raw).strip(), without a regex
        if line:
            texts.append(line)
            lines.append(n)
    return _line_segments(texts, lines)


def _line_segments(
    texts: list[str], lines: list[int | None], codes: tuple[np.ndarray, np.ndarray] | None = None
) -> Segments:
    """A text page's segments: its lines, each with the one structure document of a line."""
    n = len(texts)
    return Segments(
        texts, ["line"] * n, np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), lines,
        structure=(*_line_document(), np.zeros(n, dtype=np.int64)), codes=codes,
    )  # fmt: skip


@lru_cache(maxsize=1)
def _line_document() -> tuple[np.ndarray, np.ndarray]:
    """The one structure document every text line has (doc_ptr, doc_cols): `view_text`."""
    column = hashed_column(np.frombuffer(b"view_text", dtype=np.uint8), STRUCT_FEATURES)
    return np.array([0, 1], dtype=np.int64), np.array([column], dtype=np.int64)


@lru_cache(maxsize=1 << 14)
def _tokens_of(joined: str) -> tuple[str, ...]:
    """Class/id tokens of attribute values as written before serialisation escaped them;
    the same class strings recur on every page of a site. The cache holds about 11 MB when
    full; 65,536 entries were at most a few per cent faster over 1,200 pages of mixed sites
    but hold 44 MB, a poor trade in a process that a Spark executor runs several of."""
    if "&" in joined:
        joined = html.unescape(joined)
    return tuple(t for t in _TOKEN_SPLIT.split(joined.lower()) if 1 < len(t) < 30)


def lexbor_input(text: str, utf8: bytes | None = None) -> bytes | None:
    """The bytes lexbor parses (UTF-8, as selectolax encodes a str), or None for a page with
    nothing to parse. NULs and an XML declaration are dropped first.

    `utf8`, the text's UTF-8 bytes if the caller has them, saves encoding it again.
    """
    has_nul = (b"\x00" in utf8) if utf8 is not None else ("\x00" in text)  # bytes: a memchr
    if has_nul:
        text, utf8 = text.replace("\x00", ""), None
    declaration = _XML_DECL.match(text)  # match, not sub: sub would try every position
    if declaration:
        text, utf8 = text[declaration.end() :], None
    if not text or text.isspace():
        return None
    return text.encode("utf-8", "ignore") if utf8 is None else utf8


_KEYS, _FLAGS = tag_table(BLOCK_TAGS, SKIP_TAGS)
_NO_CONTEXT: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
_ZERO, _ONE, _IN_TITLE = (np.array([x], dtype=np.int64) for x in (0, 1, IN_TITLE))
_TITLE_CONTEXT: tuple[tuple[str, ...], tuple[str, ...]] = (("title",), ())


def _contexts(markup: str, info: np.ndarray) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Tag path (last 4) and class/id tokens (nearest first) of each context `walk` kept."""
    out: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    append, tokens_of = out.append, _tokens_of  # locals: the loop runs once per element kept
    for parent, tag_a, tag_b, cls_a, cls_b, id_a, id_b, _ in info.tolist():
        tags, tokens = out[parent] if parent >= 0 else _NO_CONTEXT
        if cls_a >= 0 or id_a >= 0:
            own = tokens_of(f"{markup[cls_a:cls_b]} {markup[id_a:id_b]}")  # absent: -1:-1, ""
            if own:
                tokens = (own + tokens)[:MAX_TOKENS]
        append(((*tags[-3:], markup[tag_a:tag_b]), tokens))
    return out


def _title(markup: str, a: int, b: int) -> str:
    """The <title> text: the serialiser escaped only &, <, > and no-break spaces in it."""
    return " ".join(html.unescape(markup[a:b]).split()) if a >= 0 else ""


def serialise(tree: LexborHTMLParser) -> tuple[str, np.ndarray]:
    """The repaired tree as markup, and that markup's code points for `walk`."""
    markup = tree.html or ""
    return markup, np.frombuffer(markup.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def walk_markup(codes: np.ndarray) -> tuple:
    """The compiled pass over the markup (`clf.markup.walk`) with the block/skip tag tables."""
    return walk(codes, _KEYS, _FLAGS)


def segments_of(markup: str, codes: np.ndarray, walked: tuple) -> Segments:
    """Segments from what `walk` found: the runs' text, their blocks' contexts, the title;
    with the structure columns of every context (`clf.structure`)."""
    out, rows, info, title_a, title_b = walked
    title = _title(markup, title_a, title_b)  # first, as a headline copy
    head = np.frombuffer(title.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    codes_of_texts = run_code_points(out, rows[:, 0], rows[:, 1], head)
    # the texts cut at the NULs between them: one decode and one split, not a slice each
    nul_joined = codes_of_texts[0][1:-1].tobytes().decode("utf-32-le", "surrogatepass")
    texts = nul_joined.split("\0") if len(codes_of_texts[1]) > 1 else []
    contexts = rows[:, 2]  # OUTSIDE any block, or a row of info
    # columns as 1-D lists: a 2-D tolist() makes a list per row, for the garbage collector
    tag_of = [markup[a:b] for a, b in zip(info[:, 1].tolist(), info[:, 2].tolist())] + ["body"]
    tags = [tag_of[k] for k in contexts.tolist()]
    # np.concatenate, not np.append: its Python wrapper is a fixed cost of every page
    depths = np.concatenate((info[:, 7], _ZERO))[contexts]
    link_chars = rows[:, 3].copy()
    if title:
        tags.insert(0, "title")
        depths = np.concatenate((_ONE, depths))
        link_chars = np.concatenate((_ZERO, link_chars))
        contexts = np.concatenate((_IN_TITLE, contexts))
    doc_ptr, doc_cols = context_columns(codes, info, STRUCT_FEATURES)
    structure = (doc_ptr, doc_cols, row_documents(contexts, len(info)))
    return Segments(
        texts, tags, link_chars, depths, structure=structure,
        where=PageContexts(codes, info), contexts=contexts.tolist(), codes=codes_of_texts,
    )  # fmt: skip


Walker = Literal["auto", "tree", "markup"]


def segment_html(text: str, utf8: bytes | None = None, walker: Walker = "auto") -> Segments:
    """One segment per visible run of text between block boundaries, in document order; the
    page <title> comes first as a headline copy.

    lexbor parses the page and compiled code walks its tree (`clf.dom`), so no Python work is
    done per node, only per segment. `walker="markup"` reads lexbor's serialised markup instead
    (`clf.markup`): the same segments, the way taken where selectolax does not export lexbor's
    functions; "auto" walks the tree where it can.
    """
    data = lexbor_input(text, utf8)
    walked = None if data is None else walk_html(data, walker)
    return Segments.of([]) if walked is None else segments_of(*walked)


def walk_html(data: bytes, walker: Walker = "auto") -> tuple[str, np.ndarray, tuple] | None:
    """lexbor's tree of the page, walked: the text the walk's spans index (the markup, or
    what `clf.dom` copied of it), its code points and the walk's output; None if no tree."""
    lex = lexbor() if walker != "markup" else None
    if walker == "tree" and lex is None:
        raise RuntimeError("this selectolax does not export the lexbor functions clf.dom needs")
    if lex is None:
        tree = LexborHTMLParser(data)
        if tree.root is None:
            return None
        markup, codes = serialise(tree)
        return markup, codes, walk_markup(codes)
    walked = lex.walk(data, _KEYS, _FLAGS)
    if walked is None:
        raise ValueError("lexbor could not parse the page")
    codes, *found = walked
    return codes.tobytes().decode("utf-32-le", "surrogatepass"), codes, tuple(found)


def segment(
    text: str, kind: Kind = "auto", utf8: bytes | None = None
) -> tuple[Literal["html", "text"], Segments]:
    """Split a decoded page (`utf8`: its UTF-8 bytes, if at hand); `kind="auto"` sniffs HTML
    vs plain text."""
    resolved = detect_kind(text) if kind == "auto" else kind
    segs = segment_html(text, utf8) if resolved == "html" else segment_text(text)
    return resolved, segs

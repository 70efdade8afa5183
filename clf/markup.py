"""One compiled pass over lexbor's serialised markup: text runs between block boundaries.

lexbor parses the page (HTML5 rules: implied and misnested tags, entities, raw-text
elements) and serialises the tree again. That output is regular: tags are lower-case
and balanced, attribute values are double-quoted, and text escapes only `&`, `<`, `>`
and no-break spaces. So a small state machine over its code points finds the same
blocks that a walk over lexbor's nodes does, without a Python object per node — the walk
was most of clf's time per page.

Per open element the pass keeps a *context*: what text below it inherits (the nearest
block element, whether it sits inside a link, and a pointer to the parent context). Plain
inline elements (b, em, a span without class) share their parent's context, so contexts
are what the structure features see: tag path and class/id tokens of their chain.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from clf.jit import array_helper

BLOCK, SKIP, VOID, RAW = 1, 2, 4, 8
SKIPPED = -2  # context of hidden text (scripts, head, hidden elements and all below them)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-"


def tag_key(name: str) -> int:
    """A tag name of ≤ 10 letters, digits or '-' packed into an int, 6 bits a character."""
    if not 0 < len(name) <= 10 or any(ch not in _ALPHABET for ch in name):
        return -1
    key = 0
    for ch in name:
        key = key * 64 + _ALPHABET.index(ch) + 1
    return key


def tag_table(block: frozenset[str], skip: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted tag keys and their BLOCK/SKIP/VOID/RAW flags, for the compiled pass."""
    void = "area base br col embed hr img input link meta param source track wbr".split()
    raw = "script style xmp iframe noembed noframes plaintext".split()
    names = sorted(set(block) | set(skip) | set(void) | set(raw), key=tag_key)
    flags = {
        n: (n in block) * BLOCK | (n in skip) * SKIP | (n in void) * VOID | (n in raw) * RAW
        for n in names
    }
    return (
        np.array([tag_key(n) for n in names], dtype=np.int64),
        np.array([flags[n] for n in names], dtype=np.int64),
    )


KEY_A, KEY_TITLE = tag_key("a"), tag_key("title")


def code_tuple(word: str) -> tuple[int, ...]:
    """A word as a tuple of code points: compiled code compares those 20× faster than the
    characters of a str, each of which numba makes into a new one-character string."""
    return tuple(map(ord, word))


CLASS, ID, HIDDEN, ARIA_HIDDEN, STYLE = map(
    code_tuple, ("class", "id", "hidden", "aria-hidden", "style")
)
TRUE, SCRIPT, COMMENT_OPEN, COMMENT_CLOSE = map(code_tuple, ("true", "script", "<!--", "-->"))
DISPLAY, NONE, VISIBILITY, HIDDEN_VALUE = map(
    code_tuple, ("display", "none", "visibility", "hidden")
)
# The entities lexbor's serialiser writes (all of them).
AMP, LT, GT, NBSP = map(code_tuple, ("amp;", "lt;", "gt;", "nbsp;"))


@njit(cache=True, nogil=True, inline="always")
def _tag_space(x) -> bool:
    """HTML's ASCII whitespace, which alone ends a tag or attribute name (`<a\u00a0>` is an
    element named "a\u00a0", not an `a`)."""
    return x == 32 or x == 9 or x == 10 or x == 12 or x == 13


@njit(cache=True, nogil=True, inline="always")
def _isspace(x) -> bool:
    """Python's str.isspace for one code point."""
    return (
        (9 <= x <= 13)
        or (28 <= x <= 32)
        or x == 0x85
        or x == 0xA0
        or x == 0x1680
        or (0x2000 <= x <= 0x200A)
        or x == 0x2028
        or x == 0x2029
        or x == 0x202F
        or x == 0x205F
        or x == 0x3000
    )


@array_helper
def _key(c, a, b) -> int:
    if b <= a or b - a > 10:
        return -1
    k = 0
    for i in range(a, b):
        x = c[i]
        if 97 <= x <= 122:
            v = x - 96
        elif 48 <= x <= 57:
            v = x - 48 + 27
        elif x == 45:
            v = 37
        else:
            return -1
        k = k * 64 + v
    return k


@array_helper
def _flags(keys, flags, key) -> int:
    if key < 0:
        return 0
    i = np.searchsorted(keys, key)
    return flags[i] if i < keys.shape[0] and keys[i] == key else 0


@array_helper
def _equals(c, a, b, word) -> bool:
    if b - a != len(word):
        return False
    for i in range(b - a):
        if c[a + i] != word[i]:
            return False
    return True


@array_helper
def same_span(c, a1, b1, a2, b2) -> bool:
    """Whether c[a1:b1] and c[a2:b2] hold the same code points."""
    if b1 - a1 != b2 - a2:
        return False
    for i in range(b1 - a1):
        if c[a1 + i] != c[a2 + i]:
            return False
    return True


@array_helper
def _has_token(c, a, b) -> bool:
    """Whether a class/id value has a token the segmenter keeps: [a-z0-9]{2,29}, any case."""
    run = 0
    i = a
    while i <= b:
        x = c[i] if i < b else 32
        if x == 38:  # an escaped character (&amp; &quot; …) separates tokens
            i = _find(c, i, 59)
            x = 32
        i += 1
        if (48 <= x <= 57) or (97 <= x <= 122) or (65 <= x <= 90):
            run += 1
        else:
            if 1 < run < 30:
                return True
            run = 0
    return False


@array_helper
def _after(c, i, b, word) -> int:
    """Position after `word` (ASCII, case-insensitive) if it starts at i, else -1."""
    if i + len(word) > b:
        return -1
    for k in range(len(word)):
        x = c[i + k]
        if 65 <= x <= 90:
            x += 32
        if x != word[k]:
            return -1
    return i + len(word)


@array_helper
def _hidden_style(c, a, b) -> bool:
    """`display\\s*:\\s*none` or `visibility\\s*:\\s*hidden` anywhere in a style value."""
    for i in range(a, b):
        if _property_is(c, i, b, DISPLAY, NONE) or _property_is(c, i, b, VISIBILITY, HIDDEN_VALUE):
            return True
    return False


@array_helper
def _property_is(c, i, b, prop, value) -> bool:
    """`prop\\s*:\\s*value` (ASCII, any case) starting at c[i]."""
    j = _after(c, i, b, prop)
    if j < 0:
        return False
    while j < b and _isspace(c[j]):
        j += 1
    if j >= b or c[j] != 58:
        return False
    j += 1
    while j < b and _isspace(c[j]):
        j += 1
    return _after(c, j, b, value) >= 0


@njit(cache=True, nogil=True)
def _find(c, i, x) -> int:
    n = c.shape[0]
    while i < n and c[i] != x:
        i += 1
    return i


@njit(cache=True, nogil=True)
def _tag_at(c, i, word, closing) -> bool:
    """`<word` (or `</word`), any case, followed by whitespace, '/' or '>', at c[i]."""
    n = c.shape[0]
    j = i + 1
    if closing:
        if j >= n or c[j] != 47:
            return False
        j += 1
    j = _after(c, j, n, word)
    return j >= 0 and (j == n or c[j] == 47 or c[j] == 62 or _tag_space(c[j]))


@njit(cache=True, nogil=True)
def _end_tag(c, i, a, b) -> int:
    """Where the end tag of a raw-text element (name at c[a:b]) starts, at or after i.

    A script can hold `</script>` inside `<!-- <script> … -->` (the HTML tokenizer's
    double-escaped state), so scripts follow those states; other raw text ends at the
    first `</name`.
    """
    n = c.shape[0]
    script = _equals(c, a, b, SCRIPT)
    state = 0  # 0 data, 1 escaped (inside <!--), 2 double-escaped (<script> inside that)
    while i < n:
        x = c[i]
        if x == 60:
            closing = (
                i + 2 + b - a <= n and c[i + 1] == 47 and same_span(c, i + 2, i + 2 + b - a, a, b)
            )
            if state < 2 and closing and (not script or _tag_at(c, i, SCRIPT, True)):
                return i
            if script and state == 0 and _after(c, i, n, COMMENT_OPEN) >= 0:
                state = 1
            elif script and state == 1 and _tag_at(c, i, SCRIPT, False):
                state = 2
            elif script and state == 2 and _tag_at(c, i, SCRIPT, True):
                state = 1
        elif script and state > 0 and x == 45 and _after(c, i, n, COMMENT_CLOSE) >= 0:
            state = 0
            i += 3
            continue
        i += 1
    return n


@array_helper
def _decoded(c, i, b, raw):
    """The code point at c[i] after entity decoding, and where the next one starts."""
    x = c[i]
    if x != 38 or raw:
        return x, i + 1
    j = _after(c, i + 1, b, AMP)  # one call a name: the names differ in length
    if j >= 0:
        return 38, j
    j = _after(c, i + 1, b, LT)
    if j >= 0:
        return 60, j
    j = _after(c, i + 1, b, GT)
    if j >= 0:
        return 62, j
    j = _after(c, i + 1, b, NBSP)
    if j >= 0:
        return 0xA0, j
    return x, i + 1


# Run state kept in one int64 array so helpers can update it in place.
OUT, RUN_START, RUN_BLOCK, RUN_LINK, PENDING_SPACE, BOUNDARY, N_SEGMENTS = range(7)


@array_helper
def _flush(st, block, out, seg):
    """End the current run (a segment if it has text); the next run belongs to `block`."""
    if st[OUT] > st[RUN_START]:
        k = st[N_SEGMENTS]
        seg[k, 0] = st[RUN_START]
        seg[k, 1] = st[OUT]
        seg[k, 2] = st[RUN_BLOCK]
        seg[k, 3] = min(st[RUN_LINK], st[OUT] - st[RUN_START])
        st[N_SEGMENTS] = k + 1
    st[RUN_START] = st[OUT]
    st[RUN_LINK] = 0
    st[PENDING_SPACE] = 0
    st[RUN_BLOCK] = block


@array_helper
def _text(c, a, b, raw, ctx, ctx_block, ctx_link, st, out, seg):
    """One text node c[a:b]: whitespace-only nodes only separate words; visible text joins
    the current run, or starts a new one after a block boundary or in another block."""
    if a >= b:
        return
    if ctx == SKIPPED:  # hidden text (scripts, styles) only matters if it is all whitespace
        i = a
        while i < b:
            x, i = _decoded(c, i, b, raw)
            if not _isspace(x):
                return
        st[PENDING_SPACE] = 1
        return
    first = -1
    last = -1
    i = a
    while i < b:
        x, j = _decoded(c, i, b, raw)
        if not _isspace(x):
            if first < 0:
                first = i
            last = j
        i = j
    if first < 0:
        st[PENDING_SPACE] = 1
        return
    block = ctx_block[ctx]
    if st[BOUNDARY] or block != st[RUN_BLOCK]:
        _flush(st, block, out, seg)
        st[BOUNDARY] = 0
    if first > a:
        st[PENDING_SPACE] = 1
    i = first
    stripped = 0
    while i < last:
        x, i = _decoded(c, i, b, raw)
        stripped += 1
        if _isspace(x):
            st[PENDING_SPACE] = 1
            continue
        if st[PENDING_SPACE] and st[OUT] > st[RUN_START]:
            out[st[OUT]] = 32
            st[OUT] += 1
        st[PENDING_SPACE] = 0
        out[st[OUT]] = x
        st[OUT] += 1
    if last < b:
        st[PENDING_SPACE] = 1
    if ctx_link[ctx]:
        st[RUN_LINK] += stripped


@array_helper
def open_context(c, parent, key, fl, hidden, spans, ctx_info, ctx_block, ctx_link, n_ctx):
    """The context an element opens below `parent`, and the new count of contexts: hidden
    elements and all below them are SKIPPED; a plain inline element (no class/id token, not a
    block, not a first link) keeps its parent's; any other gets a new row of `ctx_info`
    (parent, spans: tag a/b, class a/b, id a/b into `c`; depth)."""
    cls_a, cls_b, id_a, id_b = spans[2], spans[3], spans[4], spans[5]
    if parent == SKIPPED or fl & SKIP or hidden:
        return SKIPPED, n_ctx
    if (
        not (cls_a >= 0 and _has_token(c, cls_a, cls_b))
        and not (id_a >= 0 and _has_token(c, id_a, id_b))
        and not fl & BLOCK
        and (ctx_link[parent] or key != KEY_A)
    ):
        return parent, n_ctx  # a plain inline element changes nothing below it
    ctx = n_ctx
    ctx_info[ctx, 0] = parent
    for f in range(6):
        ctx_info[ctx, 1 + f] = spans[f]
    ctx_info[ctx, 7] = ctx_info[parent, 7] + 1
    ctx_link[ctx] = 1 if (ctx_link[parent] or key == KEY_A) else 0
    ctx_block[ctx] = ctx if fl & BLOCK else ctx_block[parent]
    return ctx, n_ctx + 1


@njit(cache=True, nogil=True)
def walk(c, keys, flags):
    """Segments of serialised markup `c` (code points).

    Returns the segment texts as code points `out`, rows (start, end, block context,
    link chars) into it, the block contexts and their ancestors (parent, tag start/end,
    class start/end, id start/end, depth; spans index `c`; parents first, -1 for none)
    and the span of the first <title>'s text.
    """
    n = c.shape[0]
    m = 2
    for i in range(n):
        if c[i] == 60:
            m += 1
    out = np.empty(n, dtype=np.uint32)
    seg = np.empty((m, 4), dtype=np.int64)
    ctx_info = np.full((m, 8), -1, dtype=np.int64)  # parent, tag a/b, class a/b, id a/b, depth
    ctx_block = np.full(m, -1, dtype=np.int64)
    ctx_link = np.zeros(m, dtype=np.uint8)
    ctx_info[0, 7] = 0
    n_ctx = 1
    stack = np.empty((m, 3), dtype=np.int64)  # tag a/b, context
    top = -1
    st = np.zeros(7, dtype=np.int64)
    st[RUN_BLOCK] = -1
    title_a = -1
    title_b = -1
    i = 0
    while i < n:
        if c[i] != 60:
            j = _find(c, i, 60)
            _text(
                c, i, j, False, stack[top, 2] if top >= 0 else 0, ctx_block, ctx_link, st, out, seg
            )
            i = j
            continue
        if i + 1 < n and c[i + 1] == 33:  # comment or doctype
            if i + 3 < n and c[i + 2] == 45 and c[i + 3] == 45:
                j = i + 4
                while j + 2 < n and not (c[j] == 45 and c[j + 1] == 45 and c[j + 2] == 62):
                    j += 1
                i = j + 3
            else:
                i = _find(c, i, 62) + 1
            continue
        if i + 1 < n and c[i + 1] == 47:  # end tag: close up to the matching open element
            a = i + 2
            b = a
            while b < n and c[b] != 62 and not _tag_space(c[b]):
                b += 1
            s = top
            while s >= 0 and not same_span(c, stack[s, 0], stack[s, 1], a, b):
                s -= 1
            if s >= 0:
                top = s - 1
            i = _find(c, b, 62) + 1
            continue
        a = i + 1
        b = a
        while b < n and c[b] != 62 and c[b] != 47 and not _tag_space(c[b]):
            b += 1
        key = _key(c, a, b)
        fl = _flags(keys, flags, key)
        cls_a = cls_b = id_a = id_b = -1
        hidden = False
        j = b
        while j < n and c[j] != 62:
            if c[j] == 47 or _tag_space(c[j]):
                j += 1
                continue
            na = j
            while j < n and c[j] != 61 and c[j] != 62 and c[j] != 47 and not _tag_space(c[j]):
                j += 1
            nb = j
            va = vb = j
            if j < n and c[j] == 61:
                j += 1
                if j < n and c[j] == 34:
                    va = j + 1
                    j = _find(c, va, 34)
                    vb = j
                    j += 1
                else:
                    va = j
                    while j < n and c[j] != 62 and not _tag_space(c[j]):
                        j += 1
                    vb = j
            if _equals(c, na, nb, CLASS):
                cls_a, cls_b = va, vb
            elif _equals(c, na, nb, ID):
                id_a, id_b = va, vb
            elif _equals(c, na, nb, HIDDEN):
                hidden = True
            elif _equals(c, na, nb, ARIA_HIDDEN):
                hidden = hidden or _equals(c, va, vb, TRUE)
            elif _equals(c, na, nb, STYLE):
                hidden = hidden or _hidden_style(c, va, vb)
        i = j + 1
        if fl & BLOCK:
            st[BOUNDARY] = 1
        if key == KEY_TITLE and title_a < 0:
            title_a = i
            title_b = min(_find(c, i, 60), n)
        parent = stack[top, 2] if top >= 0 else 0
        spans = (a, b, cls_a, cls_b, id_a, id_b)
        ctx, n_ctx = open_context(
            c, parent, key, fl, hidden, spans, ctx_info, ctx_block, ctx_link, n_ctx
        )
        if fl & VOID:
            continue
        top += 1
        stack[top, 0] = a
        stack[top, 1] = b
        stack[top, 2] = ctx
        if fl & RAW:  # contents are one text node, up to the element's end tag
            j = _end_tag(c, i, a, b)
            _text(c, i, j, True, ctx, ctx_block, ctx_link, st, out, seg)
            i = j
    _flush(st, -1, out, seg)
    seg = seg[: st[N_SEGMENTS]]
    return out[: st[OUT]], seg, _blocks_of(seg, ctx_info[:n_ctx]), title_a, title_b


@njit(cache=True, nogil=True)
def _blocks_of(seg, ctx_info):
    """Keep only the contexts of the segments' blocks and their ancestors, parents first
    (a parent is always made before its children), renumbered; segments point into them."""
    n = ctx_info.shape[0]
    keep = np.zeros(n, dtype=np.int64)
    for k in range(seg.shape[0]):
        ctx = seg[k, 2]
        while ctx > 0 and not keep[ctx]:
            keep[ctx] = 1
            ctx = ctx_info[ctx, 0]
    new = np.full(n, -1, dtype=np.int64)
    kept = np.empty((keep.sum(), 8), dtype=np.int64)
    j = 0
    for ctx in range(1, n):
        if keep[ctx]:
            new[ctx] = j
            kept[j] = ctx_info[ctx]
            parent = ctx_info[ctx, 0]
            kept[j, 0] = new[parent] if parent > 0 else -1
            j += 1
    for k in range(seg.shape[0]):
        seg[k, 2] = new[seg[k, 2]] if seg[k, 2] > 0 else -1
    return kept


@njit(cache=True, nogil=True)
def context_spans(c, info):
    """The code points `info`'s tag, class and id spans cover, copied out, and `info` with its
    spans pointing into that copy: all a page's contexts need of its markup, a few kB where
    the markup is the size of the page."""
    total = 0
    for k in range(info.shape[0]):
        for f in (1, 3, 5):
            if info[k, f] >= 0:
                total += info[k, f + 1] - info[k, f]
    out = np.empty(total, dtype=np.uint32)
    moved = info.copy()
    pos = 0
    for k in range(info.shape[0]):
        for f in (1, 3, 5):
            a, b = info[k, f], info[k, f + 1]
            if a >= 0:
                out[pos : pos + b - a] = c[a:b]
                moved[k, f], moved[k, f + 1] = pos, pos + b - a
                pos += b - a
    return out, moved

"""lexbor's tree walked from compiled code: the text runs of `clf.markup.walk`, with no
serialised markup in between.

selectolax links lexbor in and exports lexbor's C functions. `clf.markup` has lexbor
serialise the tree and reads that markup again, every script and attribute of it; here numba
calls lexbor's functions by address and visits each node once. Parsing and walking 300
Dragnet pages took 1.27–1.29 ms a page through the markup and 0.87–0.90 ms through the tree
(`python -m training.profile_speed --walker markup|tree`).

The walk keeps `clf.markup.walk`'s rules and output (the segments of all 4,564 pages of the
data are the same; tests/test_dom.py), except where the markup misled it: a <template>'s
content is not in the tree (nor on screen), and basefont, bgsound, frame and keygen are void.

The one thing the walk reads without a function, a text node's bytes, sits at the offset
selectolax's own declarations give (`TEXT_DATA`). `lexbor()` checks that offset and the
function table on a probe page first; a selectolax built without the symbols or with
another layout leaves clf.segment on the markup path.
"""

from __future__ import annotations

import ctypes
from functools import lru_cache

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from clf.markup import (
    ARIA_HIDDEN,
    BLOCK,
    BOUNDARY,
    CLASS,
    HIDDEN,
    ID,
    KEY_TITLE,
    N_SEGMENTS,
    OUT,
    PENDING_SPACE,
    RUN_BLOCK,
    SKIPPED,
    STYLE,
    TRUE,
    VOID,
    _blocks_of,
    _equals,
    _flags,
    _flush,
    _hidden_style,
    _isspace,
    _key,
    _text,
    open_context,
    tag_table,
)

# lexbor's functions, in the order of `Lexbor.fns`; all take and return pointers or integers.
_NAMES = (
    "lxb_dom_node_first_child_noi",
    "lxb_dom_node_next_noi",
    "lxb_dom_node_type_noi",
    "lxb_dom_element_qualified_name",
    "lxb_dom_element_first_attribute_noi",
    "lxb_dom_element_next_attribute_noi",
    "lxb_dom_attr_qualified_name",
    "lxb_dom_attr_value_noi",
)
FIRST_CHILD, NEXT, TYPE, ELEMENT_NAME, FIRST_ATTR, NEXT_ATTR, ATTR_NAME, ATTR_VALUE = range(8)
ELEMENT_NODE, TEXT_NODE, CDATA_NODE = 1, 3, 4
# A text node is lxb_dom_character_data_t: the node, then its text as {data, length}.
TEXT_DATA = 96  # sizeof(lxb_dom_node_t) on 64-bit platforms, checked by `_probe_ok`


def _call(n_args: int, bits: int):
    """An intrinsic that calls the C function at address `fn` with `n_args` integer or
    pointer arguments, returning its `bits`-bit result as uint64."""

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        fnty = ir.FunctionType(ir.IntType(bits), [i64] * n_args)
        result = builder.call(builder.inttoptr(args[0], fnty.as_pointer()), list(args[1:]))
        return result if bits == 64 else builder.zext(result, i64)

    sig = types.uint64(*[types.uint64] * (n_args + 1))
    if n_args == 1:

        @intrinsic
        def call1(typingctx, fn, a):
            return sig, codegen

        return call1

    @intrinsic
    def call2(typingctx, fn, a, b):
        return sig, codegen

    return call2


_call1, _call1_32, _call2 = _call(1, 64), _call(1, 32), _call(2, 64)


@intrinsic
def _load(typingctx, addr):
    """The uint64 at address `addr`."""

    def codegen(context, builder, signature, args):
        ptr = builder.inttoptr(args[0], ir.IntType(64).as_pointer())
        return builder.load(ptr)

    return types.uint64(types.uint64), codegen


@intrinsic
def _byte(typingctx, addr):
    """The byte at address `addr` (int64: numba makes a float of int64 mixed with uint64)."""

    def codegen(context, builder, signature, args):
        ptr = builder.inttoptr(args[0], ir.IntType(8).as_pointer())
        return builder.zext(builder.load(ptr), ir.IntType(64))

    return types.int64(types.uint64), codegen


@njit(cache=True, nogil=True, inline="always")
def _decode_at(addr, i, n):
    """The code point of the UTF-8 bytes at addr[i:n] (lexbor's are valid), and where the
    next one starts."""
    b = _byte(addr + np.uint64(i))
    if b < 0x80:
        return b, i + 1
    if b < 0xE0:
        k, x = 1, b & 0x1F
    elif b < 0xF0:
        k, x = 2, b & 0x0F
    else:
        k, x = 3, b & 0x07
    for j in range(1, k + 1):
        if i + j >= n:
            return 0xFFFD, n
        x = (x << 6) | (_byte(addr + np.uint64(i + j)) & 0x3F)
    return x, i + k + 1


# What lexbor's serialiser writes for &, no-break space, <, > and (in attribute values) ":
# entity k is _ENTITY_CODES[k, :_ENTITY_LENGTHS[k]]
_ENTITIES = ("&amp;", "&nbsp;", "&lt;", "&gt;", "&quot;")
_ENTITY_CODES = np.array([[ord(c) for c in e.ljust(6, "\0")] for e in _ENTITIES], np.uint32)
_ENTITY_LENGTHS = np.array([len(e) for e in _ENTITIES], np.int64)


@njit(cache=True, nogil=True, inline="always")
def _entity(x, attribute) -> int:
    """Which of `_ENTITIES` the serialiser writes for code point x, or -1 for x itself."""
    if x == 38:
        return 0
    if x == 0xA0:
        return 1
    if x == 60:
        return 2
    if x == 62:
        return 3
    if x == 34 and attribute:
        return 4
    return -1


@njit(cache=True, nogil=True, inline="always")
def _put_escaped(codes, pos, addr, n, attribute):
    """Append the UTF-8 bytes addr[:n] as lexbor's serialiser writes them (`_entity`), so
    `clf.markup`'s readers of class, id, style and title spans see what they saw in the
    markup. The caller has made sure they fit (`_fits`); returns the new end."""
    i = 0
    while i < n:
        x, i = _decode_at(addr, i, n)
        e = _entity(x, attribute)
        if e < 0:
            codes[pos] = x
            pos += 1
        else:
            for k in range(_ENTITY_LENGTHS[e]):
                codes[pos] = _ENTITY_CODES[e, k]
                pos += 1
    return pos


@njit(cache=True, nogil=True, inline="always")
def _put_raw(codes, pos, addr, n):
    """Append the UTF-8 bytes addr[:n] as they are: a tag name, which the serialiser writes
    unescaped (`<b<div>` is an element named `b<div`). The caller has made sure they fit."""
    i = 0
    while i < n:
        codes[pos], i = _decode_at(addr, i, n)
        pos += 1
    return pos


@njit(cache=True, nogil=True)
def _fits(pos, room, addr, n, attribute) -> bool:
    """Whether `_put_escaped` of the UTF-8 bytes addr[:n] at `pos` stays within `room`: at
    most six code points a byte, counted exactly only when that bound does not fit."""
    if pos + 6 * n <= room:
        return True
    size = i = 0
    while i < n:
        x, i = _decode_at(addr, i, n)
        e = _entity(x, attribute)
        size += 1 if e < 0 else _ENTITY_LENGTHS[e]
    return pos + size <= room


@njit(cache=True, nogil=True, inline="always")
def _text_of(node):
    """Address and length of a text node's UTF-8 bytes."""
    return _load(node + np.uint64(TEXT_DATA)), np.int64(_load(node + np.uint64(TEXT_DATA + 8)))


@njit(cache=True, nogil=True, inline="always")
def _skipped_text(addr, n, st):
    """`clf.markup._text` of hidden text, read from its UTF-8 bytes only up to its first
    non-space character: scripts and styles are a third of a page's markup."""
    i = 0
    while i < n:
        x, i = _decode_at(addr, i, n)
        if not _isspace(x):
            return
    if n > 0:
        st[PENDING_SPACE] = 1


@njit(cache=True, nogil=True, inline="always")
def _name_is(addr, n, word) -> bool:
    """Whether the bytes addr[:n] spell the ASCII `word`."""
    if n != len(word):
        return False
    for i in range(n):
        if _byte(addr + np.uint64(i)) != word[i]:
            return False
    return True


@njit(cache=True, nogil=True)
def walk_tree(fns, doc, n_bytes, keys, flags, scale):
    """`clf.markup.walk` over a lexbor document `doc` parsed from `n_bytes` bytes.

    Returns what it does, plus the code points the contexts' spans and the title span index
    (`codes`: tag names, escaped class and id values, the escaped title), in place of the
    page's markup; or None where the page needs more room than `scale` gives
    (`walk_document` then walks it again with a larger one).

    The arrays have a fixed size for the whole walk: growing them as needed means rebinding
    them in the loop, and numba then updates their reference counts (atomic operations) at
    every node, which took a third of the walk's time.
    """
    rows = min(n_bytes, 4096) * scale + 64  # contexts, segments
    room = (n_bytes + 1024) * scale  # tag names, class, id and style values, the title
    depth = 256 * scale
    text = (n_bytes + 64) * scale  # visible text: fewer characters than the page has bytes
    out = np.empty(text, dtype=np.uint32)
    scratch = np.empty(text, dtype=np.uint32)
    seg = np.empty((rows, 4), dtype=np.int64)
    ctx_info = np.empty((rows, 8), dtype=np.int64)  # as clf.markup.walk's, spans into codes
    ctx_block = np.empty(rows, dtype=np.int64)
    ctx_link = np.empty(rows, dtype=np.int64)
    ctx_info[0] = -1
    ctx_info[0, 7] = 0
    ctx_block[0] = -1
    ctx_link[0] = 0
    n_ctx = 1
    nodes = np.empty(depth, dtype=np.int64)  # open elements (addresses) and their contexts
    ctxs = np.empty(depth, dtype=np.int64)
    top = -1
    st = np.zeros(7, dtype=np.int64)
    st[RUN_BLOCK] = -1
    codes = np.empty(room, dtype=np.uint32)
    pos = 0
    title_a = title_b = -1
    size = np.zeros(1, dtype=np.uint64)  # the length lexbor's name and value getters return
    size_at = np.uint64(size.ctypes.data)
    node = _call1(fns[FIRST_CHILD], doc)
    while True:
        if node == 0:  # past the last child: back to the parent's next sibling
            if top < 0:
                break
            node = _call1(fns[NEXT], np.uint64(nodes[top]))
            top -= 1
            continue
        kind = _call1_32(fns[TYPE], node)
        here = ctxs[top] if top >= 0 else 0
        if kind == TEXT_NODE or kind == CDATA_NODE:
            addr, n = _text_of(node)
            if here == SKIPPED:  # scripts, styles: only whether the text is all space matters
                _skipped_text(addr, n, st)
                node = _call1(fns[NEXT], node)
                continue
            if n > text:  # n bytes decode to at most n code points
                return None
            k = i = 0
            while i < n:
                scratch[k], i = _decode_at(addr, i, n)
                k += 1
            if st[OUT] + k + 1 > text or st[N_SEGMENTS] + 2 > rows:  # a space, a flush
                return None
            _text(scratch, 0, k, True, here, ctx_block, ctx_link, st, out, seg)
            node = _call1(fns[NEXT], node)
            continue
        if kind != ELEMENT_NODE:  # comments, the doctype
            node = _call1(fns[NEXT], node)
            continue
        name = _call2(fns[ELEMENT_NAME], node, size_at)
        a = pos
        n = np.int64(size[0])
        if not _fits(pos, room, name, n, False):
            return None
        pos = b = _put_raw(codes, pos, name, n)
        key = _key(codes, a, b)
        fl = _flags(keys, flags, key)
        cls_a = cls_b = id_a = id_b = -1
        hidden = False
        attr = _call1(fns[FIRST_ATTR], node)
        while attr != 0:
            name = _call2(fns[ATTR_NAME], attr, size_at)
            n = np.int64(size[0])
            which = (
                1 if _name_is(name, n, CLASS) else 2 if _name_is(name, n, ID)
                else 3 if _name_is(name, n, HIDDEN) else 4 if _name_is(name, n, ARIA_HIDDEN)
                else 5 if _name_is(name, n, STYLE) else 0
            )  # fmt: skip
            if which == 3:
                hidden = True
            elif which > 0:  # the value, escaped as the markup had it
                size[0] = 0
                value = _call2(fns[ATTR_VALUE], attr, size_at)
                va = pos
                n = np.int64(size[0]) if value else 0
                if not _fits(pos, room, value, n, True):
                    return None
                pos = vb = _put_escaped(codes, pos, value, n, True)
                if which == 1:
                    cls_a, cls_b = va, vb
                elif which == 2:
                    id_a, id_b = va, vb
                elif which == 4:
                    hidden = hidden or _equals(codes, va, vb, TRUE)
                else:
                    hidden = hidden or _hidden_style(codes, va, vb)
            attr = _call1(fns[NEXT_ATTR], attr)
        if fl & BLOCK:
            st[BOUNDARY] = 1
        if n_ctx == rows:
            return None
        spans = (a, b, cls_a, cls_b, id_a, id_b)
        ctx, n_after = open_context(
            codes, here, key, fl, hidden, spans, ctx_info, ctx_block, ctx_link, n_ctx
        )
        if n_after == n_ctx:
            pos = a  # no context keeps these spans
        n_ctx = n_after
        child = _call1(fns[FIRST_CHILD], node)
        if key == KEY_TITLE and title_a < 0:  # the markup's title text ran to the next '<'
            title_a = pos
            t = child
            while t != 0 and _call1_32(fns[TYPE], t) == TEXT_NODE:
                addr, n = _text_of(t)
                if not _fits(pos, room, addr, n, False):
                    return None
                pos = _put_escaped(codes, pos, addr, n, False)
                t = _call1(fns[NEXT], t)
            title_b = pos
        if fl & VOID or child == 0:
            node = _call1(fns[NEXT], node)
            continue
        top += 1
        if top == depth:
            return None
        nodes[top] = np.int64(node)
        ctxs[top] = ctx
        node = child
    _flush(st, -1, out, seg)
    seg = seg[: st[N_SEGMENTS]]
    return codes[:pos], out[: st[OUT]], seg, _blocks_of(seg, ctx_info[:n_ctx]), title_a, title_b


def walk_document(fns: np.ndarray, doc: int, n_bytes: int, keys: np.ndarray, flags: np.ndarray):
    """`walk_tree` of a parsed document, walked again with more room where a page needs it
    (deep nesting, thousands of blocks, cloned elements: 20 of the 4,564 pages of the data)."""
    scale = 1
    while True:
        walked = walk_tree(fns, np.uint64(doc), n_bytes, keys, flags, scale)
        if walked is not None:
            return walked
        scale *= 8


class Lexbor:
    """lexbor's document functions (ctypes, for parsing) and the walk's function table."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        ptr = ctypes.c_void_p
        self.create = _bind(lib.lxb_html_document_create, ptr)
        self.parse = _bind(
            lib.lxb_html_document_parse, ctypes.c_uint, ptr, ctypes.c_char_p, ctypes.c_size_t
        )
        self.destroy = _bind(lib.lxb_html_document_destroy, ptr, ptr)
        self.text_content = _bind(
            lib.lxb_dom_node_text_content, ptr, ptr, ctypes.POINTER(ctypes.c_size_t)
        )
        self.fns = np.array(
            [ctypes.cast(getattr(lib, name), ptr).value for name in _NAMES], dtype=np.uint64
        )

    def walk(self, utf8: bytes, keys: np.ndarray, flags: np.ndarray) -> tuple | None:
        """`walk_tree` of the page's UTF-8 bytes; None if lexbor could not parse them."""
        doc = self.create()
        if not doc:
            raise MemoryError("lexbor could not make a document")
        try:
            if self.parse(doc, utf8, len(utf8)) != 0:
                return None
            return walk_document(self.fns, doc, len(utf8), keys, flags)
        finally:
            self.destroy(doc)


def _bind(fn, restype, *argtypes):
    fn.restype, fn.argtypes = restype, list(argtypes)
    return fn


PROBE = "<p>a<b>bc</b>d\u00e9f</p><div class='x y'>ghij<!--k--></div>"


def _probe_ok(lex: Lexbor) -> bool:
    """Whether lexbor's text nodes hold their bytes where `TEXT_DATA` says (lengths checked
    before any read through a pointer), and the walk finds a known page's runs and class."""
    doc = lex.create()
    try:
        if lex.parse(doc, PROBE.encode(), len(PROBE.encode())) != 0:
            return False
        texts, stack = [], [_call_py(lex, FIRST_CHILD, doc)]
        while stack:
            node = stack.pop()
            if not node:
                continue
            stack.append(_call_py(lex, NEXT, node))
            kind = _call_py(lex, TYPE, node) & 0xFFFFFFFF
            if kind == TEXT_NODE:
                size = ctypes.c_size_t()
                data = lex.text_content(node, ctypes.byref(size))
                want = ctypes.string_at(data, size.value)
                got = ctypes.c_size_t.from_address(node + TEXT_DATA + 8).value
                if got != len(want):
                    return False
                addr = ctypes.c_size_t.from_address(node + TEXT_DATA).value
                if ctypes.string_at(addr, got) != want:
                    return False
                texts.append(want.decode())
            elif kind == ELEMENT_NODE:
                stack.append(_call_py(lex, FIRST_CHILD, node))
        if texts != ["a", "bc", "d\u00e9f", "ghij"]:
            return False
        keys, flags = tag_table(frozenset({"p", "div"}), frozenset())
        codes, out, seg, info, _, _ = walk_document(lex.fns, doc, 64, keys, flags)
        runs = [out[a:b].tobytes().decode("utf-32-le") for a, b in seg[:, :2].tolist()]
        classes = [codes[a:b].tobytes().decode("utf-32-le") for a, b in info[:, 3:5].tolist()]
        return runs == ["abcd\u00e9f", "ghij"] and "x y" in classes
    finally:
        lex.destroy(doc)


def _call_py(lex: Lexbor, which: int, node: int) -> int:
    fn = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_void_p)(int(lex.fns[which]))
    return fn(node)


@lru_cache(maxsize=1)
def lexbor() -> Lexbor | None:
    """lexbor through selectolax's extension module, if it exports what the walk needs."""
    try:
        import selectolax.lexbor as module

        lex = Lexbor(ctypes.CDLL(module.__file__))
        return lex if _probe_ok(lex) else None
    except (OSError, AttributeError):
        return None


def available() -> bool:
    """Whether clf.segment can walk lexbor's tree directly."""
    return lexbor() is not None

"""Segmentation of text and HTML pages, and decoding of page bytes."""

from __future__ import annotations

import codecs
import pickle
import re

import numpy as np
import pytest

from clf.decode import declared_encoding, decode
from clf.segment import Segments, detect_kind, segment, segment_html, segment_text

ZH_SIMPLIFIED = "新华社北京电，国务院总理今天签署国务院令，公布修订后的药品管理法实施条例。" * 5
ZH_TRADITIONAL = "為嚴厲打擊侵犯知識產權違法犯罪行為，切實維護版權市場秩序和群眾合法權益。" * 5


def test_text_lines_keep_line_numbers():
    segs = segment_text("Title\n\n  body line one  \n\t\nlast line")
    assert [(s.line, s.text) for s in segs] == [
        (1, "Title"),
        (3, "body line one"),
        (5, "last line"),
    ]
    assert [s.index for s in segs] == [0, 1, 2]
    assert all(s.tag == "line" for s in segs)


def test_text_lines_collapse_every_unicode_space():
    """Lines collapse whitespace runs as `\\s+` → one space would, for every space character
    (tabs, NBSP, ideographic space, U+1680, the U+2000 block, U+1C..U+1F separators)."""
    spaces = [c for c in map(chr, range(0x3001)) if re.fullmatch(r"\s", c) and c not in "\n\r"]
    text = "\n".join(f"{a}x{a}{b}y {b}" for a in spaces for b in spaces[:3])
    want = [re.sub(r"\s+", " ", raw).strip() for raw in text.splitlines()]
    assert [s.text for s in segment_text(text)] == [w for w in want if w]
    assert segment_text("\u3000\t\n") == []


def test_html_blocks_skip_invisible_and_keep_structure():
    page = """<html><head><title>Pier to be rebuilt - Gazette</title><style>p{}</style></head>
    <body><nav class="main-menu"><a href="/">Home</a></nav>
    <script>var hidden = "script text";</script><noscript>enable js</noscript>
    <div id="story"><h1>Pier to be rebuilt</h1><p>First <b>bold</b> words <a href="#">link</a>.</p>
    <p style="display: none">invisible</p><p hidden>also invisible</p><template><p>tpl</p></template>
    <ul class="most-read"><li><a href="/x">Other story headline</a></li></ul></div></body></html>"""
    segs = segment_html(page)
    texts = [s.text for s in segs]
    assert texts == [
        "Pier to be rebuilt - Gazette",
        "Home",
        "Pier to be rebuilt",
        "First bold words link.",
        "Other story headline",
    ]
    title, home, h1, para, item = segs
    assert title.tag == "title"
    assert home.tokens == ("main", "menu") and home.link_chars == 4
    assert h1.tag == "h1" and "story" in h1.tokens
    assert para.tag == "p" and para.link_chars == len("link")
    assert (
        item.tag == "li"
        and item.tokens[:2] == ("most", "read")
        and item.link_chars == len(item.text)
    )
    assert [s.index for s in segs] == list(range(5))


def test_br_and_tail_text_split_blocks():
    segs = segment_html("<body><div>one<br>two<p>three</p>four</div></body>")
    assert [s.text for s in segs] == ["one", "two", "three", "four"]


def test_markup_pass_handles_what_serialisation_keeps():
    """lexbor's serialised markup still holds raw text, escapes and hidden styles."""
    page = (
        "<body><div class='ab&amp;cd' id=\"x&quot;yz\"><p>5 &lt; 6 &amp;&nbsp;7</p>"
        "<p>seen<script>if (a<b) {}</script>joined</p>"
        "<p>before<script><!-- document.write('<script>x</script>'); --></script>after</p>"
        "<p style='DISPLAY : None'>gone</p><p aria-hidden='true'>gone too</p>"
        "<p aria-hidden='false'>kept</p><iframe>raw <b>frame</b></iframe>"
        "<p>a<span> </span>b<span class='x'>c</span></p></div></body>"
    )
    segs = segment_html(page)
    assert [s.text for s in segs] == [
        "5 < 6 & 7",
        "seenjoined",  # an empty or hidden element between words adds no space
        "beforeafter",  # '</script>' inside a script comment does not end the script
        "kept",
        "raw <b>frame</b>",  # raw text, shown as the tree has it
        "a bc",
    ]
    assert segs[0].tokens == ("ab", "cd", "yz")  # escapes are undone, not read as tokens
    assert segs[0].path == ("html", "body", "div", "p")


def test_deep_nesting_keeps_the_innermost_blocks():
    page = "<div class='outer'>" + "<div>" * 50 + "deep" + "</div>" * 50 + "</div><p>after</p>"
    deep, after = segment_html(page)
    assert deep.text == "deep" and deep.depth == 53 and deep.tokens == ("outer",)
    assert after.text == "after" and after.path == ("html", "body", "p")


def test_kind_detection_and_forcing():
    assert detect_kind("<!DOCTYPE html><html><body><p>x</p></body></html>") == "html"
    assert detect_kind("Plain text\nwith a < sign and 3 > 2") == "text"
    kind, segs = segment("<p>a</p>", kind="text")
    assert kind == "text" and segs[0].text == "<p>a</p>"


@pytest.mark.parametrize(
    "text,encoding",
    [(ZH_SIMPLIFIED, "gbk"), (ZH_TRADITIONAL, "big5"), ("Grüße aus München, Straße", "cp1252")],
)
def test_undeclared_legacy_encodings_come_out_readable(text, encoding):
    assert decode(text.encode(encoding)) == text


@pytest.mark.parametrize("encoding", ["iso2022_jp", "iso2022_jp_ext", "iso2022_kr"])
def test_iso2022_text_is_read_not_passed_as_utf8_with_its_escapes(encoding):
    """ISO-2022 is 7-bit, so strict UTF-8 accepts it; the escapes must be read, not kept."""
    text = {"iso2022_kr": "서울시는 새 교통 계획을 발표했다"}.get(
        encoding, "東京都は新しい交通計画を発表した"
    )
    assert decode(text.encode(encoding)) == text
    assert (
        decode(b"caf\xc3\xa9 \x1b$B") == "caf\u00e9 \x1b$B"
    )  # UTF-8 with a stray escape stays UTF-8


def test_bom_and_meta_charset():
    assert decode(codecs.BOM_UTF16_LE + "über".encode("utf-16-le")) == "über"
    assert decode(codecs.BOM_UTF8 + "über".encode()) == "über"
    page = '<html><head><meta charset="gb2312"></head><body>中文新闻</body></html>'
    assert declared_encoding(page.encode("gbk")) == "gb18030"
    assert "中文新闻" in decode(page.encode("gbk"))


def test_xml_declaration_and_entities_do_not_break_parsing():
    page = '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE x [<!ENTITY e "boom">]><html><body><p>ok &e;</p></body></html>'
    segs = segment_html(page)
    assert segs and "boom" not in " ".join(s.text for s in segs)


def test_empty_and_whitespace_pages_have_no_segments():
    assert segment_html("") == [] and segment_html("   \n") == []
    assert segment_text("") == [] and segment_text(" \n\t\n") == []


def test_html_segments_build_path_and_tokens_only_when_read_and_pickle_resolved():
    page = '<body><div class="story main"><p id="lead">one</p><p>two</p></div></body>'
    segs = segment_html(page)
    one = segs[0]
    assert one._where is not None  # nothing built yet
    assert one.path == ("html", "body", "div", "p") and one.tokens == ("lead", "story", "main")
    assert one._where is None
    copy = pickle.loads(pickle.dumps(segs))
    assert copy == segs and copy[1].tokens == ("story", "main") and copy[1]._where is None
    assert type(copy) is Segments and copy.structure is not None
    assert "tokens=('story', 'main')" in repr(segs[1])
    edited = segment_html(page)[1]
    edited.tokens = ("x",)  # assigning first resolves, so the path is still the page's
    assert edited.tokens == ("x",) and edited.path == ("html", "body", "div", "p")


def test_compiled_lines_are_the_python_lines(harbour_txt):
    """`segment_text` splits lines and collapses whitespace in compiled code; it must give
    exactly the texts, line numbers and code points of the Python formulation, whatever the
    line breaks and spaces (str.splitlines' and str.split's sets, beyond ASCII too)."""
    from clf.hashing import code_points
    from clf.segment import _segment_lines

    texts = [
        harbour_txt,
        "", "\n\n", "a\r\nb\rc\n", " x  y \t z \u2028 w\u3000v\x85u", "trailing\n",
        "\u00a0\u00a0", "a\u2029\u2029b", "α Σ\f\vβ\x1c\x1d\x1eγ", "\r\r\n\n", "\U0001f600 \U0001f600",
        "x\0y\nz",  # a NUL: the Python formulation
    ]  # fmt: skip
    for text in texts:
        got, want = segment_text(text), _segment_lines(text)
        assert got.texts == want.texts and got.lines == want.lines, repr(text)
        if got.codes is not None:
            assert all(np.array_equal(a, b) for a, b in zip(got.codes, code_points(want.texts)))


def test_compiled_lines_agree_on_random_text_around_every_boundary():
    """Random text of the characters around the compiled pass's shortcut (everything below
    U+0091 but NUL) and every Unicode space and line break: the same lines as Python's."""
    import random

    from clf.segment import _segment_lines

    spaces = [
        chr(x) for x in range(0x110000) if chr(x).isspace() or len(f"a{chr(x)}b".splitlines()) > 1
    ]
    alphabet = [chr(x) for x in range(1, 0x91)] + spaces + ["é", "中"]
    rng = random.Random(3)
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        got, want = segment_text(text), _segment_lines(text)
        assert got.texts == want.texts and got.lines == want.lines, repr(text)
